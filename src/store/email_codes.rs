//! One-time email codes (sign-up confirmation, password reset, attribute verification). On the
//! `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::Sql;

pub struct EmailCode {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Replaces the user's codes for `purpose` with a new one (a newer code voids older ones).
pub fn replace<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
    purpose: &str,
    code_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    let db = db.into();
    db.execute(
        "DELETE FROM email_codes WHERE user_id = ?1 AND purpose = ?2",
        &[&user_id, &purpose],
    )?;
    db.execute(
        "INSERT INTO email_codes (pool_id, user_id, purpose, code_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[&pool_id, &user_id, &purpose, &code_hash, &now, &expires_at],
    )?;
    Ok(())
}

/// The live (unconsumed) code for a user and purpose.
pub fn current<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    purpose: &str,
) -> Result<Option<EmailCode>, StoreError> {
    db.into().query_opt(
        "SELECT id, code_hash, attempts, created_at, expires_at FROM email_codes
         WHERE user_id = ?1 AND purpose = ?2 AND consumed_at IS NULL ORDER BY id DESC LIMIT 1",
        &[&user_id, &purpose],
        |r| {
            Ok(EmailCode {
                id: r.get(0)?,
                code_hash: r.get(1)?,
                attempts: r.get(2)?,
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
            })
        },
    )
}

pub fn record_attempt<'a>(db: impl Into<Sql<'a>>, id: i64) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE email_codes SET attempts = attempts + 1 WHERE id = ?1",
        &[&id],
    )?;
    Ok(())
}

/// Marks a code used; false when it already was (of two racing uses, one wins).
pub fn consume<'a>(db: impl Into<Sql<'a>>, id: i64, now: i64) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE email_codes SET consumed_at = ?2 WHERE id = ?1 AND consumed_at IS NULL",
        &[&id, &now],
    )? == 1)
}

/// Deletes codes that expired more than a day ago.
pub fn purge_expired<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM email_codes WHERE expires_at < ?1",
        &[&(now - 86_400)],
    )? as usize)
}
