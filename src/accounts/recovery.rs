//! Forgotten passwords: a short-lived code by email, then a new password under the policy,
//! after which every session and refresh token of the user is revoked.

use std::net::IpAddr;

use super::User;
use super::codes::{self, CodeError, Purpose, SendLimited};
use super::migration;
use super::notices::Notice;
use super::service::{NewPassword, find_by_login, set_password};
use crate::pools::Pool;
use crate::store::{self, Db};
use crate::{Error, Result};

/// Before a reset is asked for a login name the pool does not know: the pool's migration
/// sources may vouch for it (`UserMigration_ForgotPassword`); the user is then created,
/// RESET_REQUIRED and without a password, and the reset goes on as for any user. Nothing
/// happens for a known name or a pool without sources. Blocking, outside any transaction.
pub fn migrate_unknown(
    services: &crate::authn::flow::Services<'_>,
    pool: &Pool,
    login: &str,
    context: &crate::triggers::user_migration::Context,
    now: i64,
) -> Result<()> {
    if migration::sources(pool).is_empty()
        || services
            .store
            .read_sync(|db| find_by_login(db, pool, login))?
            .is_some()
    {
        return Ok(());
    }
    migration::migrate(
        services,
        pool,
        login,
        migration::Purpose::ForgotPassword,
        context,
        now,
    )?;
    Ok(())
}

/// Starts a reset on the user's own request: like `forgot_password`, but asking is counted for
/// the login and for `ip` whether or not the user exists (`codes::allow_send`), and over the
/// limit the answer is `SendLimited` and nothing is sent.
pub fn request_reset(
    db: &Db,
    pool: &Pool,
    login: &str,
    lang: &str,
    ip: Option<IpAddr>,
    now: i64,
) -> Result<std::result::Result<Option<Notice>, SendLimited>> {
    let subject = codes::send_subject(find_by_login(db, pool, login)?.as_ref(), login);
    if let Err(limited) =
        codes::allow_send(db, &pool.id, Purpose::ResetPassword, &subject, ip, now)?
    {
        return Ok(Err(limited));
    }
    Ok(Ok(forgot_password(db, pool, login, lang, now)?))
}

/// Starts a reset with a fresh code (voiding the older one). Returns the email to send, or
/// None when there is nobody to send it to; the caller answers the same either way.
pub fn forgot_password(
    db: &Db,
    pool: &Pool,
    login: &str,
    lang: &str,
    now: i64,
) -> Result<Option<Notice>> {
    let Some(user) = find_by_login(db, pool, login)? else {
        return Ok(None);
    };
    let Some(to) = user.email.clone() else {
        return Ok(None);
    };
    if !user.enabled {
        return Ok(None);
    }
    let ttl = pool.settings.reset_code_ttl_secs;
    let code = codes::issue(db, &pool.id, &user.id, Purpose::ResetPassword, ttl, now)?;
    Ok(Some(Notice::ResetPassword {
        to,
        lang: lang.into(),
        code,
        minutes: ttl / 60,
    }))
}

#[derive(Debug)]
pub enum ResetError {
    Code(CodeError),
    /// The new password breaks the pool's policy (checked before the code is spent).
    Policy(crate::authn::password::PolicyError),
}

/// Before the write transaction of `reset_password` (read only): when `code` is the current
/// reset code of the user called `login`, the new password hashed for them
/// (`service::NewPassword`). Otherwise None, and no hash is spent: a wrong code costs the same
/// whether the user exists or not.
pub fn prepare_reset(
    db: &Db,
    pool: &Pool,
    login: &str,
    code: &str,
    new_password: &str,
    now: i64,
) -> Result<Option<NewPassword>> {
    let Some(user) = find_by_login(db, pool, login)?.filter(|u| u.enabled) else {
        return Ok(None);
    };
    if !codes::matches(db, &user.id, Purpose::ResetPassword, code, now)? {
        return Ok(None);
    }
    // The policy is the only thing `prepare` refuses; `reset_password` then says why.
    Ok(NewPassword::prepare(pool, &user.username, new_password).ok())
}

/// Completes a reset: code checked and spent, password set, sessions and tokens revoked, and
/// the notification to send returned. An unknown user looks like a wrong code. `prepared` is
/// `prepare_reset`'s answer; should the code have become right in between (a race), the
/// password is hashed here.
#[allow(clippy::too_many_arguments)]
pub fn reset_password(
    db: &Db,
    pool: &Pool,
    sealer: &crate::keys::seal::Sealer,
    login: &str,
    code: &str,
    new_password: &str,
    prepared: Option<NewPassword>,
    lang: &str,
    now: i64,
) -> Result<std::result::Result<(User, Notice), ResetError>> {
    if let Err(e) =
        crate::authn::password::check_policy(new_password, &pool.settings.password_policy)
    {
        return Ok(Err(ResetError::Policy(e)));
    }
    let Some(mut user) = find_by_login(db, pool, login)?.filter(|u| u.enabled) else {
        return Ok(Err(ResetError::Code(if codes::is_well_formed(code) {
            CodeError::Mismatch
        } else {
            CodeError::Malformed
        })));
    };
    if let Err(e) = codes::verify(db, &user.id, Purpose::ResetPassword, code, now)? {
        return Ok(Err(ResetError::Code(e)));
    }
    let new = match prepared {
        Some(p) if p.is_for(&user.username) => p,
        _ => NewPassword::prepare(pool, &user.username, new_password)?,
    };
    set_password(db, sealer, &mut user, &new, true, now)?;
    // Proving control of the email also proves it is verified (and confirms a pending sign-up).
    if user.status == super::UserStatus::Unconfirmed {
        user.status = super::UserStatus::Confirmed;
    }
    user.email_verified = true;
    store::users::update(db, &user)?;
    revoke_everything(db, pool, &user.id, now)?;
    let to = user
        .email
        .clone()
        .ok_or_else(|| Error::invalid("user without email"))?;
    Ok(Ok((
        user,
        Notice::PasswordChanged {
            to,
            lang: lang.into(),
        },
    )))
}

/// Ends every browser session and revokes every refresh-token family of a user.
pub fn revoke_everything(db: &Db, pool: &Pool, user_id: &str, now: i64) -> Result<()> {
    store::sessions::delete_for_user(db, user_id)?;
    crate::tokens::revoke_user(db, &pool.id, user_id, now)?;
    Ok(())
}
