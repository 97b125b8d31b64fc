//! Requests for email codes counted per subject and window, shared by every instance on the
//! database (see `accounts::codes::allow_send`).

use super::{Db, StoreError};

/// Counts one request for `subject` and returns the count within the current window; a
/// window that has ended starts over at one, ending `window_secs` from now.
pub fn count(
    db: &Db,
    pool_id: &str,
    subject: &str,
    window_secs: i64,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(db
        .prepare_cached(
            "INSERT INTO code_send_limits (pool_id, subject, requests, window_end) VALUES (?1, ?2, 1, ?3 + ?4)
             ON CONFLICT (pool_id, subject) DO UPDATE SET
               requests = CASE WHEN window_end <= ?3 THEN 1 ELSE requests + 1 END,
               window_end = CASE WHEN window_end <= ?3 THEN ?3 + ?4 ELSE window_end END
             RETURNING requests",
        )?
        .query_row(rusqlite::params![pool_id, subject, now, window_secs], |r| {
            r.get(0)
        })?)
}

/// Deletes the counts of windows that have ended.
pub fn purge_expired(db: &Db, now: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM code_send_limits WHERE window_end <= ?1")?
        .execute([now])?)
}
