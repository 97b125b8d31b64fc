//! ResendConfirmationCode: a fresh code for an unconfirmed user. With PreventUserExistenceErrors
//! an unknown or confirmed user gets the same answer and no mail.

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::notices;
use crate::accounts::sign_up;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    username: String,
    secret_hash: Option<String>,
    #[serde(default)]
    client_metadata: wire::StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let custom = shared::custom_message_for_login(
        ctx,
        &client,
        &r.username,
        r.secret_hash.as_deref(),
        crate::triggers::custom_message::Source::ResendCode,
        &r.client_metadata,
    )
    .await?;
    let (sealer, now, public_url, ip) = (
        ctx.state.sealer.clone(),
        ctx.now,
        ctx.state.public_url.clone(),
        ctx.ip,
    );
    let dest = ctx
        .write(move |db| {
            let user =
                shared::user_for_code(db, &sealer, &client, &r.username, r.secret_hash.as_deref())?;
            let pool = &client.entry.pool;
            let prevent = client.client.settings.prevent_user_existence_errors;
            let lang = user.as_ref().map_or_else(|| "en".into(), shared::lang_of);
            let email = user
                .as_ref()
                .and_then(|u| u.email.clone())
                .unwrap_or_default();
            let confirm_base = format!(
                "{public_url}/{}/confirm?email={}",
                pool.id,
                url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
            );
            let link = |code: &str| format!("{confirm_base}&code={code}");
            // Counted (and limited) alike for unknown, confirmed and unconfirmed users.
            let sent =
                sign_up::resend_confirmation(db, pool, &r.username, &lang, link, Some(ip), now)?
                    .map_err(|_| limit_exceeded())?;
            match (user, sent) {
                (_, Some(notice)) => {
                    notices::deliver_custom(db, pool, &notice, custom.as_ref(), now)?;
                    Ok(email)
                }
                (None, None) if prevent => Ok(decoy_destination(&r.username)),
                (None, None) => Err(CognitoError::user_not_found()),
                (Some(_), None) if prevent => Ok(email),
                (Some(_), None) => Err(CognitoError::invalid_parameter(
                    "User is already confirmed.",
                )),
            }
        })
        .await?;
    ctx.state.wake_mailer();
    Ok(serde_json::json!({ "CodeDeliveryDetails": wire::email_delivery(&dest) }))
}

/// Over the limit of codes per user or per address (`codes::allow_send`).
pub fn limit_exceeded() -> CognitoError {
    CognitoError::limit_exceeded("Attempt limit exceeded, please try after some time.")
}

/// What an unknown user's answer shows: the typed login when it looks like an email.
pub fn decoy_destination(login: &str) -> String {
    if login.contains('@') {
        login.to_string()
    } else {
        format!("{login}@example.com")
    }
}
