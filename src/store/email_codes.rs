//! One-time email codes (sign-up confirmation, password reset, attribute verification).

use super::{Db, OptionalExtension, StoreError};

pub struct EmailCode {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Replaces the user's codes for `purpose` with a new one (a newer code voids older ones).
pub fn replace(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    purpose: &str,
    code_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM email_codes WHERE user_id = ?1 AND purpose = ?2")?
        .execute([user_id, purpose])?;
    db.prepare_cached(
        "INSERT INTO email_codes (pool_id, user_id, purpose, code_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(rusqlite::params![pool_id, user_id, purpose, code_hash, now, expires_at])?;
    Ok(())
}

/// The live (unconsumed) code for a user and purpose.
pub fn current(db: &Db, user_id: &str, purpose: &str) -> Result<Option<EmailCode>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT id, code_hash, attempts, created_at, expires_at FROM email_codes
             WHERE user_id = ?1 AND purpose = ?2 AND consumed_at IS NULL ORDER BY id DESC LIMIT 1",
        )?
        .query_row([user_id, purpose], |r| {
            Ok(EmailCode {
                id: r.get(0)?,
                code_hash: r.get(1)?,
                attempts: r.get(2)?,
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
            })
        })
        .optional()?)
}

pub fn record_attempt(db: &Db, id: i64) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE email_codes SET attempts = attempts + 1 WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Marks a code used; false when it already was (of two racing uses, one wins).
pub fn consume(db: &Db, id: i64, now: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE email_codes SET consumed_at = ?2 WHERE id = ?1 AND consumed_at IS NULL",
        )?
        .execute(rusqlite::params![id, now])?
        == 1)
}

/// Deletes codes that expired more than a day ago.
pub fn purge_expired(db: &Db, now: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM email_codes WHERE expires_at < ?1")?
        .execute([now - 86_400])?)
}
