//! ConfirmForgotPassword: code + new password; every session and refresh token of the user is
//! revoked (the core's reset).

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::notices;
use crate::accounts::recovery::{self, ResetError};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, StringMap};
use crate::triggers::post_confirmation;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    username: String,
    confirmation_code: String,
    password: String,
    secret_hash: Option<String>,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    // The hash before the write transaction, when the code is right.
    let (c2, login, code, password) = (
        client.clone(),
        r.username.clone(),
        r.confirmation_code.trim().to_string(),
        r.password.clone(),
    );
    let prepared = ctx
        .read(move |db| {
            Ok(recovery::prepare_reset(
                db,
                &c2.entry.pool,
                &login,
                &code,
                &password,
                now,
            )?)
        })
        .await?;
    let (c2, metadata) = (client.clone(), r.client_metadata.clone());
    let user = ctx
        .write(move |db| {
            let user =
                shared::user_for_code(db, &sealer, &client, &r.username, r.secret_hash.as_deref())?;
            let pool = &client.entry.pool;
            if user.is_none() && !client.client.settings.prevent_user_existence_errors {
                return Err(CognitoError::user_not_found());
            }
            let lang = user
                .as_ref()
                .map(shared::lang_of)
                .unwrap_or_else(|| "en".into());
            match recovery::reset_password(
                db,
                pool,
                &sealer,
                &r.username,
                r.confirmation_code.trim(),
                &r.password,
                prepared,
                &lang,
                now,
            )? {
                Ok((user, notice)) => {
                    notices::deliver(db, pool, &notice, now)?;
                    tracing::info!(pool = %pool.id, "password reset (Cognito API)");
                    Ok(user)
                }
                Err(ResetError::Code(e)) => Err(e.into()),
                Err(ResetError::Policy(e)) => Err(e.into()),
            }
        })
        .await?;
    ctx.state.wake_mailer();
    shared::post_confirmation(
        ctx,
        &c2.entry.pool,
        post_confirmation::Source::ConfirmForgotPassword,
        user,
        Some(&c2.client.id),
        metadata,
    )
    .await
}
