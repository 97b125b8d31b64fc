//! `mail_outbox`: messages waiting for delivery. A row is inserted in the same transaction as
//! the code it carries, claimed by the delivery task, and either marked sent (bodies cleared)
//! or given a later `next_attempt_at` with the error.

use super::{Db, OptionalExtension, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub pool_id: Option<String>,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, pool_id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at, sent_at, last_error";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        recipient: r.get(2)?,
        subject: r.get(3)?,
        text_body: r.get(4)?,
        html_body: r.get(5)?,
        created_at: r.get(6)?,
        attempts: r.get(7)?,
        next_attempt_at: r.get(8)?,
        sent_at: r.get(9)?,
        last_error: r.get(10)?,
    })
}

/// Queues a message, due at once. Returns its id.
pub fn insert(
    db: &Db,
    pool_id: Option<&str>,
    recipient: &str,
    subject: &str,
    text_body: &str,
    html_body: &str,
    now: i64,
) -> Result<i64, StoreError> {
    db.prepare_cached(
        "INSERT INTO mail_outbox (pool_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(rusqlite::params![pool_id, recipient, subject, text_body, html_body, now])?;
    Ok(db.last_insert_rowid())
}

/// Up to `limit` unsent rows due at `now`, oldest first, each pushed to `lease_until` so that
/// a concurrent delivery pass does not send it too. Run inside a write transaction.
pub fn claim_due(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let rows = db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM mail_outbox
             WHERE sent_at IS NULL AND next_attempt_at <= ?1
             ORDER BY next_attempt_at, id LIMIT ?2"
        ))?
        .query_map(rusqlite::params![now, limit], row)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut lease =
        db.prepare_cached("UPDATE mail_outbox SET next_attempt_at = ?2 WHERE id = ?1")?;
    for r in &rows {
        lease.execute(rusqlite::params![r.id, lease_until])?;
    }
    Ok(rows)
}

/// Marks a row delivered and clears what it carried (codes, temporary passwords).
pub fn mark_sent(db: &Db, id: i64, now: i64) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE mail_outbox SET sent_at = ?2, attempts = attempts + 1, subject = '', text_body = '', html_body = '', last_error = NULL
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![id, now])?;
    Ok(())
}

/// Records a failed attempt; the row is tried again at `next_attempt_at`.
pub fn mark_failed(db: &Db, id: i64, error: &str, next_attempt_at: i64) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
         WHERE id = ?1 AND sent_at IS NULL",
    )?
    .execute(rusqlite::params![id, error, next_attempt_at])?;
    Ok(())
}

pub fn get(db: &Db, id: i64) -> Result<Option<OutboxRow>, StoreError> {
    Ok(db
        .prepare_cached(&format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// How many messages are not delivered yet (for health and metrics).
pub fn pending_count(db: &Db) -> Result<i64, StoreError> {
    Ok(db
        .prepare_cached("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL")?
        .query_row([], |r| r.get(0))?)
}

/// Deletes delivered rows sent before `before`; returns how many.
pub fn purge_sent(db: &Db, before: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < ?1")?
        .execute([before])?)
}
