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

pub fn set(
    db: &Db,
    pool_id: &str,
    subject: &str,
    failures: i64,
    locked_until: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO login_throttle (pool_id, subject, failures, locked_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (pool_id, subject) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
    )?
    .execute(rusqlite::params![pool_id, subject, failures, locked_until])?;
    Ok(())
}

pub fn clear(db: &Db, pool_id: &str, subject: &str) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM login_throttle WHERE pool_id = ?1 AND subject = ?2")?
        .execute([pool_id, subject])?;
    Ok(())
}
