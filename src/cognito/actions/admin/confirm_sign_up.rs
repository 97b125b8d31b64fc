//! AdminConfirmSignUp: confirms an unconfirmed user (the email stays unverified).

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::UserStatus;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::triggers::post_confirmation;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    #[serde(default)]
    client_metadata: wire::StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let (now, pool, metadata) = (ctx.now, entry.pool.clone(), r.client_metadata.clone());
    let user = ctx
        .write(move |db| {
            let mut user = super::user(db, &entry, &r.username)?;
            if user.status != UserStatus::Unconfirmed {
                return Err(CognitoError::not_authorized(format!(
                    "User cannot be confirmed. Current status is {}",
                    user.status.as_str()
                )));
            }
            user.status = UserStatus::Confirmed;
            user.updated_at = now;
            crate::store::users::update(db, &user)?;
            Ok(user)
        })
        .await?;
    shared::post_confirmation(
        ctx,
        &pool,
        post_confirmation::Source::ConfirmSignUp,
        user,
        None,
        metadata,
    )
    .await
}
