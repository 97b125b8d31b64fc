//! ResendConfirmationCode: a fresh code for an unconfirmed user. With PreventUserExistenceErrors
//! an unknown or confirmed user gets the same answer and no mail.

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::notices;
use crate::accounts::service::find_by_login;
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
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("username", &r.username)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let (sealer, now, public_url) = (
        ctx.state.sealer.clone(),
        ctx.now,
        ctx.state.public_url.clone(),
    );
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
            let user = find_by_login(db, pool, &r.username)?;
            let prevent = client.client.settings.prevent_user_existence_errors;
            let Some(user) = user else {
                if !prevent {
                    return Err(CognitoError::user_not_found());
                }
                return Ok(decoy_destination(&r.username));
            };
            let lang = shared::lang_of(&user);
            let email = user.email.clone().unwrap_or_default();
            let confirm_base = format!(
                "{public_url}/{}/confirm?email={}",
                pool.id,
                url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
            );
            let link = |code: &str| format!("{confirm_base}&code={code}");
            match sign_up::resend_confirmation(db, pool, &r.username, &lang, link, now) {
                Ok(Some(notice)) => {
                    notices::deliver(db, pool, &notice, now)?;
                    Ok(email)
                }
                Ok(None) if prevent => Ok(email),
                Ok(None) => Err(CognitoError::invalid_parameter(
                    "User is already confirmed.",
                )),
                // Within the resend cool-down: with PreventUserExistenceErrors the answer
                // must not differ from an unknown user's.
                Err(crate::Error::Invalid(_)) if prevent => Ok(email),
                Err(crate::Error::Invalid(_)) => Err(CognitoError::limit_exceeded(
                    "Attempt limit exceeded, please try after some time.",
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    ctx.state.wake_mailer();
    Ok(serde_json::json!({ "CodeDeliveryDetails": wire::email_delivery(&dest) }))
}

/// What an unknown user's answer shows: the typed login when it looks like an email.
pub fn decoy_destination(login: &str) -> String {
    if login.contains('@') {
        login.to_string()
    } else {
        format!("{login}@example.com")
    }
}
