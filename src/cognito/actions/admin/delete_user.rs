//! AdminDeleteUser: the user, their sessions and tokens.

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

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        let user = super::user(db, &entry, &r.username)?;
        crate::accounts::recovery::revoke_everything(db, &entry.pool, &user.id, now)?;
        crate::store::users::delete(db, &entry.pool.id, &user.id)?;
        tracing::info!(pool = %entry.pool.id, user = %user.id, "user deleted (admin API)");
        Ok(json!({}))
    })
    .await
}
