//! VerifyUserAttribute: the emailed code marks the email verified.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::codes::{self, Purpose};
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
    wire::check_len("code", &r.code, 1, 2048)?;
    if r.attribute_name != "email" {
        return Err(CognitoError::invalid_parameter(
            "Only the email attribute can be verified.",
        ));
    }
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        codes::verify(db, &user.id, Purpose::VerifyEmail, r.code.trim(), now)?
            .map_err(CognitoError::from)?;
        let mut u = crate::store::users::get(db, &entry.pool.id, &user.id)?
            .ok_or_else(CognitoError::invalid_token)?;
        u.email_verified = true;
        u.updated_at = now;
        crate::store::users::update(db, &u)?;
        Ok(json!({}))
    })
    .await
}
