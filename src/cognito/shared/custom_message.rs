//! CustomMessage for the Cognito actions that mail a code: the handler's template is
//! fetched on the blocking pool before the write transaction that issues the code, which
//! fills it in (`notices::deliver_custom`). A handler failure is the action's error, and
//! then nothing was issued or queued.

use crate::accounts::User;
use crate::cognito::wire::StringMap;
use crate::pools::Pool;
use crate::triggers::Triggers;
use crate::triggers::custom_message::{self, Context, Source, Template};

use super::*;

/// The handler's template for a message of `source` to `user`; `None` without a
/// CustomMessage trigger (nothing is spawned) or when the default message is to be sent.
pub async fn custom_message(
    ctx: &Ctx,
    pool: &Pool,
    source: Source,
    user: &User,
    client_id: Option<&str>,
    client_metadata: &StringMap,
) -> Result<Option<Template>> {
    if Triggers::target(pool, custom_message::TRIGGER).is_none() {
        return Ok(None);
    }
    let context = Context::of(user, client_id, Some(client_metadata));
    let (triggers, pool) = (ctx.state.triggers.clone(), pool.clone());
    Ok(crate::store::blocking(move || {
        custom_message::fire(&triggers, &pool, source, &context).map_err(crate::Error::from)
    })
    .await?)
}

/// For the actions that name the user by login (ResendConfirmationCode, ForgotPassword): the
/// client's proof first (`user_for_code`), then the handler, for a user who will get a
/// message (unknown users, and confirmed ones asking for a confirmation code, get none).
pub async fn custom_message_for_login(
    ctx: &Ctx,
    client: &ClientRef,
    login: &str,
    secret_hash: Option<&str>,
    source: Source,
    client_metadata: &StringMap,
) -> Result<Option<Template>> {
    if Triggers::target(&client.entry.pool, custom_message::TRIGGER).is_none() {
        return Ok(None);
    }
    let (sealer, c, l, h) = (
        ctx.state.sealer.clone(),
        client.clone(),
        login.to_string(),
        secret_hash.map(String::from),
    );
    let user = ctx
        .read(move |db| user_for_code(db, &sealer, &c, &l, h.as_deref()))
        .await?;
    let wanted = |u: &User| {
        source != Source::ResendCode || u.status == crate::accounts::UserStatus::Unconfirmed
    };
    match user.filter(wanted) {
        Some(user) => {
            let (pool, id) = (&client.entry.pool, client.client.id.as_str());
            custom_message(ctx, pool, source, &user, Some(id), client_metadata).await
        }
        None => Ok(None),
    }
}
