//! ConfirmSignUp: the emailed code confirms the user and verifies the email.

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::service::find_by_login;
use crate::accounts::sign_up::{self, ConfirmError};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::triggers::post_confirmation;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    username: String,
    confirmation_code: String,
    secret_hash: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    force_alias_creation: bool,
    #[serde(default)]
    client_metadata: wire::StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    let (c2, metadata) = (client.clone(), r.client_metadata.clone());
    let user = ctx.write(move |db| {
        shared::check_secret_hash(
            db,
            &sealer,
            &client.client,
            &[&r.username],
            r.secret_hash.as_deref(),
        )?;
        let pool = &client.entry.pool;
        if !client.client.settings.prevent_user_existence_errors
            && find_by_login(db, pool, &r.username)?.is_none()
        {
            return Err(CognitoError::user_not_found());
        }
        match sign_up::confirm(db, pool, &r.username, r.confirmation_code.trim(), now)? {
            Ok(user) => {
                tracing::info!(pool = %pool.id, user = %user.id, "sign-up confirmed (Cognito API)");
                Ok(user)
            }
            Err(ConfirmError::Code(e)) => Err(e.into()),
            Err(ConfirmError::AlreadyConfirmed) => Err(CognitoError::not_authorized(
                "User cannot be confirmed. Current status is CONFIRMED",
            )),
        }
    })
    .await?;
    shared::post_confirmation(
        ctx,
        &c2.entry.pool,
        post_confirmation::Source::ConfirmSignUp,
        user,
        Some(&c2.client.id),
        metadata,
    )
    .await
}
