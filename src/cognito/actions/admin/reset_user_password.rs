//! AdminResetUserPassword: marks the user RESET_REQUIRED (no sign-in until a reset, like
//! Cognito), mails a reset code and ends their sessions and tokens.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    #[serde(default)]
    client_metadata: wire::StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    // CustomMessage_ForgotPassword, as for ForgotPassword, before the write.
    let custom = match crate::triggers::Triggers::target(
        &entry.pool,
        crate::triggers::custom_message::TRIGGER,
    ) {
        None => None,
        Some(_) => {
            let (e2, login) = (entry.clone(), r.username.clone());
            let user = ctx.read(move |db| super::user(db, &e2, &login)).await?;
            let source = crate::triggers::custom_message::Source::ForgotPassword;
            let metadata = &r.client_metadata;
            shared::custom_message(ctx, &entry.pool, source, &user, None, metadata).await?
        }
    };
    ctx.write(move |db| {
        let user = super::user(db, &entry, &r.username)?;
        let Some(email) = user.email.clone() else {
            return Err(CognitoError::invalid_parameter(
                "The user has no email to send a code to.",
            ));
        };
        if let Some(notice) = crate::accounts::recovery::forgot_password(
            db,
            &entry.pool,
            &email,
            &shared::lang_of(&user),
            now,
        )? {
            crate::accounts::notices::deliver_custom(
                db,
                &entry.pool,
                &notice,
                custom.as_ref(),
                now,
            )?;
        }
        crate::accounts::recovery::revoke_everything(db, &entry.pool, &user.id, now)?;
        if user.status == crate::accounts::UserStatus::Confirmed {
            let mut user = user;
            user.status = crate::accounts::UserStatus::ResetRequired;
            user.updated_at = now;
            crate::store::users::update(db, &user)?;
        }
        Ok(json!({}))
    })
    .await
    .inspect(|_| ctx.state.wake_mailer())
}
