//! GetUserAttributeVerificationCode: a code to the user's (unverified) email.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::codes::{self, Purpose};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
    attribute_name: String,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    if r.attribute_name != "email" {
        return Err(CognitoError::invalid_parameter(
            "Only the email attribute can be verified.",
        ));
    }
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    let now = ctx.now;
    let email = ctx
        .write({
            let user = user.clone();
            move |db| {
                Ok(crate::accounts::email_change::verification_address(
                    db, &user,
                )?)
            }
        })
        .await?
        .ok_or_else(|| CognitoError::invalid_parameter("The user has no email."))?;
    let to = email.clone();
    ctx.write(move |db| {
        let pool = &entry.pool;
        if !codes::may_resend(db, &user.id, Purpose::VerifyEmail, now)? {
            return Err(CognitoError::limit_exceeded(
                "Attempt limit exceeded, please try after some time.",
            ));
        }
        let code = codes::issue(
            db,
            &pool.id,
            &user.id,
            Purpose::VerifyEmail,
            pool.settings.confirm_code_ttl_secs,
            now,
        )?;
        let msg = crate::mail::messages::verify_email(
            &shared::lang_of(&user),
            pool.display_name(),
            &code,
            pool.settings
                .email_overrides
                .get(crate::mail::messages::VERIFY_EMAIL),
        );
        crate::mail::enqueue(db, Some(&pool.id), &msg.addressed_to(to), now)?;
        Ok(())
    })
    .await?;
    ctx.state.wake_mailer();
    Ok(json!({ "CodeDeliveryDetails": wire::email_delivery(&email) }))
}
