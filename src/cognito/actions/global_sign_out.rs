//! GlobalSignOut: every refresh-token family (so every access token) and every hosted-page
//! session of the user ends, whichever door started it.

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
        tracing::info!(pool = %entry.pool.id, user = %user.id, "global sign-out (Cognito API)");
        Ok(json!({}))
    })
    .await
}
