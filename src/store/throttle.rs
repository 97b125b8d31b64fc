//! Failed sign-in counters per pool and login name, shared by every instance on the database.

use super::{Db, OptionalExtension, StoreError};

/// (failures, locked_until) for a subject.
pub fn get(db: &Db, pool_id: &str, subject: &str) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT failures, locked_until FROM login_throttle WHERE pool_id = ?1 AND subject = ?2",
        )?
        .query_row([pool_id, subject], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Counts one failure for a subject and returns the new count: one upsert, so failures
/// counted at the same time by several instances are never lost.
pub fn count_failure(db: &Db, pool_id: &str, subject: &str) -> Result<i64, StoreError> {
    Ok(db
        .prepare_cached(
            "INSERT INTO login_throttle (pool_id, subject, failures, locked_until) VALUES (?1, ?2, 1, 0)
             ON CONFLICT (pool_id, subject) DO UPDATE SET failures = login_throttle.failures + 1
             RETURNING failures",
        )?
        .query_row([pool_id, subject], |r| r.get(0))?)
}

/// Locks a subject out until `until` (never shortening a longer lock).
pub fn lock_until(db: &Db, pool_id: &str, subject: &str, until: i64) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE login_throttle SET locked_until = MAX(locked_until, ?3)
         WHERE pool_id = ?1 AND subject = ?2",
    )?
    .execute(rusqlite::params![pool_id, subject, until])?;
    Ok(())
}

pub fn clear(db: &Db, pool_id: &str, subject: &str) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM login_throttle WHERE pool_id = ?1 AND subject = ?2")?
        .execute([pool_id, subject])?;
    Ok(())
}
