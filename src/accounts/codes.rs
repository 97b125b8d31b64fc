//! Six-digit email codes: single use, short-lived, a newer code voids older ones, five wrong
//! guesses void the code, and a resend waits for a cool-down.

use crate::random::{ct_eq, digits, sha256_hex};
use crate::store::{self, Db};

pub const MAX_ATTEMPTS: i64 = 5;
pub const RESEND_COOLDOWN_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ConfirmSignUp,
    ResetPassword,
    VerifyEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::ConfirmSignUp => "confirm_signup",
            Purpose::ResetPassword => "reset_password",
            Purpose::VerifyEmail => "verify_attribute",
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

/// True when a new code may be sent now (the last one is older than the cool-down).
pub fn may_resend(db: &Db, user_id: &str, purpose: Purpose, now: i64) -> crate::Result<bool> {
    Ok(store::email_codes::current(db, user_id, purpose.as_str())?
        .is_none_or(|c| now - c.created_at >= RESEND_COOLDOWN_SECS))
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
    store::email_codes::consume(db, stored.id, now)?;
    Ok(Ok(()))
}
