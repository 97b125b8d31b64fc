//! Requests for email codes counted per subject and window, shared by every instance on the
//! database (see `accounts::codes::allow_send`). On the `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::Sql;

/// Counts one request for `subject` and returns the count within the current window; a
/// window that has ended starts over at one, ending `window_secs` from now. One upsert, so
/// requests counted at once by several instances are never lost.
pub fn count<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    subject: &str,
    window_secs: i64,
    now: i64,
) -> Result<i64, StoreError> {
    // The new window's end is bound, not computed in SQL: PostgreSQL cannot type `$3 + $4`.
    let window_end = now + window_secs;
    db.into().query_one(
        "INSERT INTO code_send_limits (pool_id, subject, requests, window_end) VALUES (?1, ?2, 1, ?4)
         ON CONFLICT (pool_id, subject) DO UPDATE SET
           requests = CASE WHEN code_send_limits.window_end <= ?3 THEN 1 ELSE code_send_limits.requests + 1 END,
           window_end = CASE WHEN code_send_limits.window_end <= ?3 THEN ?4 ELSE code_send_limits.window_end END
         RETURNING requests",
        &[&pool_id, &subject, &now, &window_end],
        |r| r.get(0),
    )
}

/// Deletes the counts of windows that have ended.
pub fn purge_expired<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM code_send_limits WHERE window_end <= ?1",
        &[&now],
    )? as usize)
}
