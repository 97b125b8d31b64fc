//! `mail_outbox`: messages waiting for delivery. A row is inserted in the same transaction as
//! the code it carries, claimed by the delivery task, and either marked sent (bodies cleared)
//! or given a later `next_attempt_at` with the error. On the `Sql` seam: one text for both
//! engines but the claim, which locks what it takes on PostgreSQL.

use super::StoreError;
use super::sql::{Row, Sql};

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

fn row(r: &Row<'_>) -> Result<OutboxRow, StoreError> {
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
pub fn insert<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: Option<&str>,
    recipient: &str,
    subject: &str,
    text_body: &str,
    html_body: &str,
    now: i64,
) -> Result<i64, StoreError> {
    db.into().query_one(
        "INSERT INTO mail_outbox (pool_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
        &[&pool_id, &recipient, &subject, &text_body, &html_body, &now],
        |r| r.get(0),
    )
}

/// Up to `limit` unsent rows due at `now`, oldest first, each pushed to `lease_until` so that
/// a concurrent delivery pass does not send it too. Run inside a write transaction.
pub fn claim_due<'a>(
    db: impl Into<Sql<'a>>,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let db = db.into();
    let due = format!(
        "SELECT {COLUMNS} FROM mail_outbox
         WHERE sent_at IS NULL AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2"
    );
    let due = match db {
        // The write gate already keeps two passes of this process apart, and no other
        // process writes the file.
        Sql::Sqlite(_) => due,
        // Instances claim at the same time: each locks the rows it takes until its lease is
        // committed, and passes over the rows another holds instead of waiting for them.
        Sql::Postgres(_) => format!("{due} FOR UPDATE SKIP LOCKED"),
    };
    let rows = db.query_all(&due, &[&now, &limit], row)?;
    for r in &rows {
        db.execute(
            "UPDATE mail_outbox SET next_attempt_at = ?2 WHERE id = ?1",
            &[&r.id, &lease_until],
        )?;
    }
    Ok(rows)
}

/// Marks a row delivered and clears what it carried (codes, temporary passwords).
pub fn mark_sent<'a>(db: impl Into<Sql<'a>>, id: i64, now: i64) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE mail_outbox SET sent_at = ?2, attempts = attempts + 1, subject = '', text_body = '', html_body = '', last_error = NULL
         WHERE id = ?1",
        &[&id, &now],
    )?;
    Ok(())
}

/// Records a failed attempt; the row is tried again at `next_attempt_at`.
pub fn mark_failed<'a>(
    db: impl Into<Sql<'a>>,
    id: i64,
    error: &str,
    next_attempt_at: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
         WHERE id = ?1 AND sent_at IS NULL",
        &[&id, &error, &next_attempt_at],
    )?;
    Ok(())
}

pub fn get<'a>(db: impl Into<Sql<'a>>, id: i64) -> Result<Option<OutboxRow>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = ?1"),
        &[&id],
        row,
    )
}

/// How many messages are not delivered yet (for health and metrics).
pub fn pending_count<'a>(db: impl Into<Sql<'a>>) -> Result<i64, StoreError> {
    db.into().query_one(
        "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL",
        &[],
        |r| r.get(0),
    )
}

/// Deletes delivered rows sent before `before`; returns how many.
pub fn purge_sent<'a>(db: impl Into<Sql<'a>>, before: i64) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < ?1",
        &[&before],
    )? as usize)
}
