//! VerifyUserAttribute: the emailed code marks the email verified.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
    attribute_name: String,
    code: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    if r.attribute_name != "email" {
        return Err(CognitoError::invalid_parameter(
            "Only the email attribute can be verified.",
        ));
    }
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        // A pending new email becomes the email (and login alias) only now.
        crate::accounts::email_change::confirm(db, &entry.pool, &user.id, r.code.trim(), now)
            .map_err(|e| match e {
                crate::Error::AlreadyExists(_) => CognitoError::new(
                    "AliasExistsException",
                    "An account with the given email already exists.",
                ),
                other => other.into(),
            })?
            .map_err(CognitoError::from)?;
        Ok(json!({}))
    })
    .await
}
