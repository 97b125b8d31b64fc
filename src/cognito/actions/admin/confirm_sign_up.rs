//! AdminConfirmSignUp: confirms an unconfirmed user (the email stays unverified).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::UserStatus;
use crate::cognito::error::CognitoError;
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
        Ok(json!({}))
    })
    .await
}
