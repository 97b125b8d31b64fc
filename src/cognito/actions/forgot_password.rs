//! ForgotPassword: a reset code by email. With PreventUserExistenceErrors an unknown user gets
//! the same answer and no mail.

use serde::Deserialize;
use serde_json::{Value, json};

use super::resend_confirmation_code::{decoy_destination, limit_exceeded};
use crate::accounts::{notices, recovery};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    username: String,
    secret_hash: Option<String>,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let (sealer, now, ip) = (ctx.state.sealer.clone(), ctx.now, ctx.ip);
    let dest = ctx
        .write(move |db| {
            let user =
                shared::user_for_code(db, &sealer, &client, &r.username, r.secret_hash.as_deref())?;
            let pool = &client.entry.pool;
            let lang = user.as_ref().map_or_else(|| "en".into(), shared::lang_of);
            // Counted (and limited) alike for known and unknown users.
            let notice = recovery::request_reset(db, pool, &r.username, &lang, Some(ip), now)?
                .map_err(|_| limit_exceeded())?;
            let Some(user) = user else {
                if !client.client.settings.prevent_user_existence_errors {
                    return Err(CognitoError::user_not_found());
                }
                return Ok(decoy_destination(&r.username));
            };
            if let Some(notice) = notice {
                notices::deliver(db, pool, &notice, now)?;
            }
            Ok(user.email.unwrap_or_else(|| decoy_destination(&r.username)))
        })
        .await?;
    ctx.state.wake_mailer();
    Ok(json!({ "CodeDeliveryDetails": wire::email_delivery(&dest) }))
}
