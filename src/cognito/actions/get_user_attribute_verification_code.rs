//! GetUserAttributeVerificationCode: a code to the user's (unverified) email.

use serde::Deserialize;
use serde_json::{Value, json};

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
    let (entry, user, claims) = shared::access_token_user(ctx, &r.access_token).await?;
    let (now, ip) = (ctx.now, ctx.ip);
    let pool = entry.pool.clone();
    let custom = shared::custom_message(
        ctx,
        &pool,
        crate::triggers::custom_message::Source::VerifyUserAttribute,
        &user,
        Some(&claims.client_id),
        &r.client_metadata,
    )
    .await?;
    let notice = ctx
        .write(move |db| {
            match crate::accounts::email_change::send_code(
                db,
                &pool,
                &user,
                &shared::lang_of(&user),
                Some(ip),
                now,
            )? {
                Ok(Some(notice)) => {
                    crate::accounts::notices::deliver_custom(
                        db,
                        &pool,
                        &notice,
                        custom.as_ref(),
                        now,
                    )?;
                    Ok(notice)
                }
                Ok(None) => Err(CognitoError::invalid_parameter("The user has no email.")),
                Err(_) => Err(super::resend_confirmation_code::limit_exceeded()),
            }
        })
        .await?;
    ctx.state.wake_mailer();
    Ok(json!({ "CodeDeliveryDetails": wire::email_delivery(notice.recipient()) }))
}
