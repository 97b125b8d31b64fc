//! Six-digit email codes: single use, short-lived, a newer code voids older ones, five wrong
//! guesses void the code, and asking for codes is limited per user and per client address.

use std::net::IpAddr;

use crate::random::{ct_eq, digits, sha256_hex};
use crate::store::{self, Db};

pub const MAX_ATTEMPTS: i64 = 5;
/// Codes one user (or login name) may ask for per purpose and window.
pub const SENDS_PER_USER: i64 = 5;
/// Codes one client address may ask for per window, all purposes and users together.
pub const SENDS_PER_ADDRESS: i64 = 20;
pub const SEND_WINDOW_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ConfirmSignUp,
    ResetPassword,
    VerifyEmail,
    /// A sign-in's second factor by e-mail (EMAIL_OTP).
    SignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ConfirmSignUp => "confirm_signup",
            Purpose::ResetPassword => "reset_password",
            Purpose::VerifyEmail => "verify_attribute",
            Purpose::SignIn => "sign_in",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Wrong digits (or no such user: indistinguishable).
    Mismatch,
    /// Expired, replaced or never issued.
    Expired,
    /// Five wrong guesses: a new code must be requested.
    TooManyAttempts,
    /// Not six digits.
    Malformed,
}

/// Codes are hashed with the user id so equal codes of two users do not share a hash.
fn hash(user_id: &str, code: &str) -> String {
    sha256_hex(&format!("{user_id}:{code}"))
}

pub fn is_well_formed(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Issues a new code (voiding older ones) and returns it in the clear, for the email only.
pub fn issue(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    purpose: Purpose,
    ttl_secs: i64,
    now: i64,
) -> crate::Result<String> {
    let code = digits(6);
    store::email_codes::replace(
        db,
        pool_id,
        user_id,
        purpose.as_str(),
        &hash(user_id, &code),
        now,
        now + ttl_secs,
    )?;
    Ok(code)
}

/// Over the limit of codes asked for within the window: nothing is sent; try later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimited;

/// Who asks for a code: the user if the login names one, else the login name itself (trimmed,
/// lower-cased), so that an unknown name is counted and limited exactly like a known one.
pub fn send_subject(user: Option<&super::User>, login: &str) -> String {
    user.map_or_else(|| login.trim().to_lowercase(), |u| u.id.clone())
}

/// Counts a request for a code of `purpose` for `subject` (see `send_subject`) and from `ip`
/// (None when the caller has no client address to count) and says whether a code may be sent.
/// Every request counts, whether or not anything is then sent, so the limit does not tell
/// which accounts exist.
pub fn allow_send(
    db: &Db,
    pool_id: &str,
    purpose: Purpose,
    subject: &str,
    ip: Option<IpAddr>,
    now: i64,
) -> crate::Result<Result<(), SendLimited>> {
    let count = |key: &str| store::code_send_limits::count(db, pool_id, key, SEND_WINDOW_SECS, now);
    let by_user = count(&format!("{}:{subject}", purpose.as_str()))?;
    let by_address = match ip {
        Some(ip) => count(&format!("ip:{ip}"))?,
        None => 0,
    };
    Ok(
        if by_user > SENDS_PER_USER || by_address > SENDS_PER_ADDRESS {
            Err(SendLimited)
        } else {
            Ok(())
        },
    )
}

/// Whether `code` is the user's current, live code, without recording anything (to decide
/// whether work before the transaction is worth doing; `verify` is the check that counts).
pub fn matches(
    db: &Db,
    user_id: &str,
    purpose: Purpose,
    code: &str,
    now: i64,
) -> crate::Result<bool> {
    if !is_well_formed(code) {
        return Ok(false);
    }
    Ok(
        store::email_codes::current(db, user_id, purpose.as_str())?.is_some_and(|stored| {
            stored.attempts < MAX_ATTEMPTS
                && stored.expires_at > now
                && ct_eq(&stored.code_hash, &hash(user_id, code))
        }),
    )
}

/// Checks and consumes a code. A wrong guess is recorded (so call this in a transaction that
/// commits even when the answer is an error).
pub fn verify(
    db: &Db,
    user_id: &str,
    purpose: Purpose,
    code: &str,
    now: i64,
) -> crate::Result<Result<(), CodeError>> {
    if !is_well_formed(code) {
        return Ok(Err(CodeError::Malformed));
    }
    let Some(stored) = store::email_codes::current(db, user_id, purpose.as_str())? else {
        return Ok(Err(CodeError::Expired));
    };
    if stored.attempts >= MAX_ATTEMPTS {
        return Ok(Err(CodeError::TooManyAttempts));
    }
    if stored.expires_at <= now {
        return Ok(Err(CodeError::Expired));
    }
    if !ct_eq(&stored.code_hash, &hash(user_id, code)) {
        store::email_codes::record_attempt(db, stored.id)?;
        return Ok(Err(if stored.attempts + 1 >= MAX_ATTEMPTS {
            CodeError::TooManyAttempts
        } else {
            CodeError::Mismatch
        }));
    }
    if !store::email_codes::consume(db, stored.id, now)? {
        // Another request used it between our read and this write.
        return Ok(Err(CodeError::Expired));
    }
    Ok(Ok(()))
}
