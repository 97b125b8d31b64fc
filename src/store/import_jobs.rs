//! User import jobs (migration 0010_user_import_jobs). One-time things are claimed by
//! conditional statements: the upload by its token hash, a start by the job's status.

use super::{Db, OptionalExtension, StoreError};

const COLUMNS: &str = "id, pool_id, name, role_arn, status, upload_expires_at, rows_done, imported, skipped, failed, message, created_at, started_at, completed_at, csv IS NOT NULL";

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub pool_id: String,
    pub name: String,
    pub role_arn: String,
    pub status: String,
    pub upload_expires_at: i64,
    pub rows_done: i64,
    pub imported: i64,
    pub skipped: i64,
    pub failed: i64,
    pub message: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub uploaded: bool,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        name: r.get(2)?,
        role_arn: r.get(3)?,
        status: r.get(4)?,
        upload_expires_at: r.get(5)?,
        rows_done: r.get(6)?,
        imported: r.get(7)?,
        skipped: r.get(8)?,
        failed: r.get(9)?,
        message: r.get(10)?,
        created_at: r.get(11)?,
        started_at: r.get(12)?,
        completed_at: r.get(13)?,
        uploaded: r.get(14)?,
    })
}

pub fn insert(db: &Db, j: &Job, upload_hash: &str) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO user_import_jobs (id, pool_id, name, role_arn, status, upload_hash, upload_expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        j.id, j.pool_id, j.name, j.role_arn, j.status, upload_hash, j.upload_expires_at, j.created_at
    ])?;
    Ok(())
}

pub fn get(db: &Db, pool_id: &str, id: &str) -> Result<Option<Job>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM user_import_jobs WHERE pool_id = ?1 AND id = ?2"
        ))?
        .query_row([pool_id, id], row)
        .optional()?)
}

/// A pool's jobs, newest first, after the `offset` first ones.
pub fn list(db: &Db, pool_id: &str, limit: i64, offset: i64) -> Result<Vec<Job>, StoreError> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM user_import_jobs WHERE pool_id = ?1
         ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let jobs = stmt
        .query_map(rusqlite::params![pool_id, limit, offset], row)?
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}

/// Stores the upload once: only with the right token, before it expires, while `Created`.
pub fn claim_upload(
    db: &Db,
    id: &str,
    upload_hash: &str,
    csv: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE user_import_jobs SET csv = ?3, upload_hash = NULL
             WHERE id = ?1 AND upload_hash = ?2 AND upload_expires_at > ?4 AND status = 'Created'",
        )?
        .execute(rusqlite::params![id, upload_hash, csv, now])?
        == 1)
}

/// Moves a job from one status to another; false when it was not in `from`.
pub fn transition(
    db: &Db,
    id: &str,
    from: &[&str],
    to: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let placeholders = (0..from.len())
        .map(|i| format!("?{}", i + 4))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "UPDATE user_import_jobs SET status = ?2,
           started_at = CASE WHEN ?2 = 'Pending' THEN ?3 ELSE started_at END
         WHERE id = ?1 AND status IN ({placeholders})"
    );
    let mut params: Vec<&dyn rusqlite::ToSql> = vec![&id, &to, &now];
    for f in from {
        params.push(f);
    }
    Ok(db.prepare(&sql)?.execute(params.as_slice())? == 1)
}

/// Records a batch: counters, resume point and report lines, in the batch's own transaction.
pub fn record_batch(
    db: &Db,
    id: &str,
    rows: i64,
    counts: [i64; 3],
    report: &str,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE user_import_jobs SET rows_done = rows_done + ?2, imported = imported + ?3,
           skipped = skipped + ?4, failed = failed + ?5, report = report || ?6 WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        id, rows, counts[0], counts[1], counts[2], report
    ])?;
    Ok(())
}

/// Ends a job: its final status and message; the uploaded file is dropped.
pub fn finish(db: &Db, id: &str, status: &str, message: &str, now: i64) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE user_import_jobs SET status = ?2, message = ?3, completed_at = ?4, csv = NULL WHERE id = ?1",
    )?
    .execute(rusqlite::params![id, status, message, now])?;
    Ok(())
}

pub fn csv(db: &Db, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(db
        .prepare_cached("SELECT csv FROM user_import_jobs WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .flatten())
}

pub fn report(db: &Db, pool_id: &str, id: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .prepare_cached("SELECT report FROM user_import_jobs WHERE pool_id = ?1 AND id = ?2")?
        .query_row([pool_id, id], |r| r.get(0))
        .optional()?)
}

/// Jobs a restart must pick up again: (pool id, job id).
pub fn running(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT pool_id, id FROM user_import_jobs WHERE status IN ('Pending', 'InProgress', 'Stopping')",
    )?;
    let jobs = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}
