//! AdminDisableUser / AdminEnableUser. Disabling ends every session and token of the user.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
}

pub async fn handle(ctx: &Ctx, body: &Value, enable: bool) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        let mut user = super::user(db, &entry, &r.username)?;
        user.enabled = enable;
        user.updated_at = now;
        crate::store::users::update(db, &user)?;
        if !enable {
            crate::accounts::recovery::revoke_everything(db, &entry.pool, &user.id, now)?;
        }
        tracing::info!(pool = %entry.pool.id, user = %user.id, enabled = enable, "user enabled/disabled (admin API)");
        Ok(json!({}))
    })
    .await
}
