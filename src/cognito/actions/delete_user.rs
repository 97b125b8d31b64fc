//! DeleteUser: the signed-in user deletes their account (tokens and sessions go with it).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        crate::accounts::recovery::revoke_everything(db, &entry.pool, &user.id, now)?;
        crate::store::users::delete(db, &entry.pool.id, &user.id)?;
        tracing::info!(pool = %entry.pool.id, user = %user.id, "user deleted itself (Cognito API)");
        Ok(json!({}))
    })
    .await
}
