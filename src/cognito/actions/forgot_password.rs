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
    migrate_unknown(ctx, &client, &r).await?;
    let custom = shared::custom_message_for_login(
        ctx,
        &client,
        &r.username,
        r.secret_hash.as_deref(),
        crate::triggers::custom_message::Source::ForgotPassword,
        &r.client_metadata,
    )
    .await?;
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
                notices::deliver_custom(db, pool, &notice, custom.as_ref(), now)?;
            }
            Ok(user.email.unwrap_or_else(|| decoy_destination(&r.username)))
        })
        .await?;
    ctx.state.wake_mailer();
    Ok(json!({ "CodeDeliveryDetails": wire::email_delivery(&dest) }))
}

/// UserMigration_ForgotPassword for a user not here yet, once the caller has proved the
/// client (its `SECRET_HASH`): the user is created, and the code goes to them below.
async fn migrate_unknown(ctx: &Ctx, client: &shared::ClientRef, r: &Request) -> Result<()> {
    if crate::accounts::migration::sources(&client.entry.pool).is_empty() {
        return Ok(());
    }
    let (c, sealer, username, hash) = (
        client.client.clone(),
        ctx.state.sealer.clone(),
        r.username.clone(),
        r.secret_hash.clone(),
    );
    ctx.read(move |db| shared::check_secret_hash(db, &sealer, &c, &[&username], hash.as_deref()))
        .await?;
    let metadata = (!r.client_metadata.is_empty()).then(|| r.client_metadata.clone());
    let context = crate::triggers::user_migration::Context {
        client_id: Some(client.client.id.clone()),
        validation_data: metadata.clone(),
        client_metadata: metadata,
    };
    let (state, pool, login, now) = (
        ctx.state.clone(),
        client.entry.pool.clone(),
        r.username.clone(),
        ctx.now,
    );
    crate::store::blocking(move || {
        recovery::migrate_unknown(&state.sign_in_services(), &pool, &login, &context, now)
    })
    .await?;
    Ok(())
}
