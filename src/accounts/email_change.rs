//! Changing a user's email: the new address waits, unverified, until the user enters the code
//! sent to it; only then does it replace the login alias and the `email` claim.

use std::net::IpAddr;

use super::User;
use super::codes::{self, CodeError, Purpose, SendLimited};
use super::notices::Notice;
use super::service::normalize_email;
use crate::pools::Pool;
use crate::store::{self, Db};
use crate::{Error, Result};

/// Records `new_email` as pending and issues a code for it; returns the email to send.
pub fn request(
    db: &Db,
    pool: &Pool,
    user: &User,
    new_email: &str,
    lang: &str,
    now: i64,
) -> Result<Notice> {
    let email = normalize_email(new_email)?;
    if store::users::by_email(db, &pool.id, &email)?.is_some_and(|other| other.id != user.id) {
        return Err(Error::AlreadyExists("an account with this email".into()));
    }
    store::users::set_pending_email(db, &user.id, Some(&email))?;
    let code = codes::issue(
        db,
        &pool.id,
        &user.id,
        Purpose::VerifyEmail,
        pool.settings.confirm_code_ttl_secs,
        now,
    )?;
    Ok(Notice::VerifyEmail {
        to: email,
        lang: lang.into(),
        code,
    })
}

/// A new code for the email to verify (the pending one, if any), voiding the older one; None
/// when the user has no email; `SendLimited` over the limit per user or per `ip`.
pub fn send_code(
    db: &Db,
    pool: &Pool,
    user: &User,
    lang: &str,
    ip: Option<IpAddr>,
    now: i64,
) -> Result<std::result::Result<Option<Notice>, SendLimited>> {
    let Some(to) = verification_address(db, user)? else {
        return Ok(Ok(None));
    };
    if let Err(limited) = codes::allow_send(db, &pool.id, Purpose::VerifyEmail, &user.id, ip, now)?
    {
        return Ok(Err(limited));
    }
    let code = codes::issue(
        db,
        &pool.id,
        &user.id,
        Purpose::VerifyEmail,
        pool.settings.confirm_code_ttl_secs,
        now,
    )?;
    Ok(Ok(Some(Notice::VerifyEmail {
        to,
        lang: lang.into(),
        code,
    })))
}

/// Where a verification code for the email goes: the pending address if there is one.
pub fn verification_address(db: &Db, user: &User) -> Result<Option<String>> {
    Ok(store::users::pending_email(db, &user.id)?.or_else(|| user.email.clone()))
}

/// Checks the code; the pending address (if any) becomes the email, and the email is verified.
pub fn confirm(
    db: &Db,
    pool: &Pool,
    user_id: &str,
    code: &str,
    now: i64,
) -> Result<std::result::Result<User, CodeError>> {
    if let Err(e) = codes::verify(db, user_id, Purpose::VerifyEmail, code, now)? {
        return Ok(Err(e));
    }
    let mut user =
        store::users::get(db, &pool.id, user_id)?.ok_or_else(|| Error::not_found("user"))?;
    if let Some(new) = store::users::pending_email(db, user_id)? {
        if store::users::by_email(db, &pool.id, &new)?.is_some_and(|other| other.id != user.id) {
            return Err(Error::AlreadyExists("an account with this email".into()));
        }
        user.email = Some(new);
        store::users::set_pending_email(db, user_id, None)?;
    }
    user.email_verified = true;
    user.updated_at = now;
    store::users::update(db, &user)?;
    Ok(Ok(user))
}
