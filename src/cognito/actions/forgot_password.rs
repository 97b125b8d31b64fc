//! ForgotPassword: a reset code by email. With PreventUserExistenceErrors an unknown user gets
//! the same answer and no mail.

use serde::Deserialize;
use serde_json::{Value, json};

use super::resend_confirmation_code::decoy_destination;
use crate::accounts::{notices, recovery, service::find_by_login};
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
    wire::check_id("username", &r.username)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    let dest = ctx
        .write(move |db| {
            shared::check_secret_hash(
                db,
                &sealer,
                &client.client,
                &[&r.username],
                r.secret_hash.as_deref(),
            )?;
            let pool = &client.entry.pool;
            let Some(user) = find_by_login(db, pool, &r.username)? else {
                if !client.client.settings.prevent_user_existence_errors {
                    return Err(CognitoError::user_not_found());
                }
                return Ok(decoy_destination(&r.username));
            };
            let lang = shared::lang_of(&user);
            let email = user
                .email
                .clone()
                .unwrap_or_else(|| decoy_destination(&r.username));
            if let Some(notice) = recovery::forgot_password(db, pool, &r.username, &lang, now)? {
                notices::deliver(db, pool, &notice, now)?;
            }
            Ok(email)
        })
        .await?;
    ctx.state.wake_mailer();
    Ok(json!({ "CodeDeliveryDetails": wire::email_delivery(&dest) }))
}
