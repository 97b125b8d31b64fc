//! Failed sign-in counters per pool and login name, shared by every instance on the database.
//! The first family on the `Sql` seam (docs/scale-out.md): each statement is one text for
//! SQLite and PostgreSQL.

use super::StoreError;
use super::sql::Sql;

/// (failures, locked_until) for a subject.
pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    subject: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    db.into().query_opt(
        "SELECT failures, locked_until FROM login_throttle WHERE pool_id = ?1 AND subject = ?2",
        &[&pool_id, &subject],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Counts one failure for a subject and returns the new count: one upsert, so failures
/// counted at the same time by several instances are never lost.
pub fn count_failure<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    subject: &str,
) -> Result<i64, StoreError> {
    db.into().query_one(
        "INSERT INTO login_throttle (pool_id, subject, failures, locked_until) VALUES (?1, ?2, 1, 0)
         ON CONFLICT (pool_id, subject) DO UPDATE SET failures = login_throttle.failures + 1
         RETURNING failures",
        &[&pool_id, &subject],
        |r| r.get(0),
    )
}

/// Locks a subject out until `until` (never shortening a longer lock). CASE rather than
/// SQLite's two-argument MAX, which PostgreSQL spells GREATEST: one text for both.
pub fn lock_until<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    subject: &str,
    until: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE login_throttle
         SET locked_until = CASE WHEN locked_until > ?3 THEN locked_until ELSE ?3 END
         WHERE pool_id = ?1 AND subject = ?2",
        &[&pool_id, &subject, &until],
    )?;
    Ok(())
}

pub fn clear<'a>(db: impl Into<Sql<'a>>, pool_id: &str, subject: &str) -> Result<(), StoreError> {
    db.into().execute(
        "DELETE FROM login_throttle WHERE pool_id = ?1 AND subject = ?2",
        &[&pool_id, &subject],
    )?;
    Ok(())
}
