//! User import jobs (migration 0010_user_import_jobs). One-time things are claimed by
//! conditional statements: the upload by its token hash, a start by the job's status, the run
//! by `take` (`Pending` to `InProgress`: of two instances, one gets the job), each batch by the
//! resume point it continues from. On the `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::{Param, Row, Sql};

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

fn row(r: &Row<'_>) -> Result<Job, StoreError> {
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

pub fn insert<'a>(db: impl Into<Sql<'a>>, j: &Job, upload_hash: &str) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO user_import_jobs (id, pool_id, name, role_arn, status, upload_hash, upload_expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            &j.id,
            &j.pool_id,
            &j.name,
            &j.role_arn,
            &j.status,
            &upload_hash,
            &j.upload_expires_at,
            &j.created_at,
        ],
    )?;
    Ok(())
}

pub fn get<'a>(db: impl Into<Sql<'a>>, pool_id: &str, id: &str) -> Result<Option<Job>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {COLUMNS} FROM user_import_jobs WHERE pool_id = ?1 AND id = ?2"),
        &[&pool_id, &id],
        row,
    )
}

/// A pool's jobs, newest first (jobs created in the same second: by id, descending), after
/// the `offset` first ones.
pub fn list<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Job>, StoreError> {
    db.into().query_all(
        &format!(
            "SELECT {COLUMNS} FROM user_import_jobs WHERE pool_id = ?1
             ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
        ),
        &[&pool_id, &limit, &offset],
        row,
    )
}

/// Stores the upload once: only with the right token, before it expires, while `Created`.
pub fn claim_upload<'a>(
    db: impl Into<Sql<'a>>,
    id: &str,
    upload_hash: &str,
    csv: &[u8],
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE user_import_jobs SET csv = ?3, upload_hash = NULL
         WHERE id = ?1 AND upload_hash = ?2 AND upload_expires_at > ?4 AND status = 'Created'",
        &[&id, &upload_hash, &csv, &now],
    )? == 1)
}

/// Moves a job from one status to another; false when it was not in `from`.
pub fn transition<'a>(
    db: impl Into<Sql<'a>>,
    id: &str,
    from: &[&str],
    to: &str,
    now: i64,
) -> Result<bool, StoreError> {
    if from.is_empty() {
        return Ok(false);
    }
    let placeholders = (0..from.len())
        .map(|i| format!("?{}", i + 4))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "UPDATE user_import_jobs SET status = ?2,
           started_at = CASE WHEN ?2 = 'Pending' THEN ?3 ELSE started_at END
         WHERE id = ?1 AND status IN ({placeholders})"
    );
    let mut params: Vec<&dyn Param> = vec![&id, &to, &now];
    for f in from {
        params.push(f);
    }
    Ok(db.into().execute(&sql, &params)? == 1)
}

/// Takes a `Pending` job for running: it becomes `InProgress` and is returned to the one
/// caller that moved it (one conditional statement: of two instances starting the same job,
/// the second finds it no longer `Pending` and gets `None`).
pub fn take<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<Option<Job>, StoreError> {
    db.into().query_opt(
        &format!(
            "UPDATE user_import_jobs SET status = 'InProgress'
             WHERE id = ?1 AND status = 'Pending' RETURNING {COLUMNS}"
        ),
        &[&id],
        row,
    )
}

/// Records a batch: counters, resume point and report lines, in the batch's own transaction.
/// Only from the resume point the batch started at (`rows_done` still `done_before`): false
/// when another runner recorded a batch first, and the caller must roll its batch back.
pub fn record_batch<'a>(
    db: impl Into<Sql<'a>>,
    id: &str,
    done_before: i64,
    rows: i64,
    counts: [i64; 3],
    report: &str,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE user_import_jobs SET rows_done = rows_done + ?2, imported = imported + ?3,
           skipped = skipped + ?4, failed = failed + ?5, report = report || ?6
         WHERE id = ?1 AND rows_done = ?7",
        &[
            &id,
            &rows,
            &counts[0],
            &counts[1],
            &counts[2],
            &report,
            &done_before,
        ],
    )? == 1)
}

/// Ends a job: its final status and message; the uploaded file is dropped.
pub fn finish<'a>(
    db: impl Into<Sql<'a>>,
    id: &str,
    status: &str,
    message: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE user_import_jobs SET status = ?2, message = ?3, completed_at = ?4, csv = NULL WHERE id = ?1",
        &[&id, &status, &message, &now],
    )?;
    Ok(())
}

pub fn csv<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT csv FROM user_import_jobs WHERE id = ?1",
            &[&id],
            |r| r.get::<Option<Vec<u8>>>(0),
        )?
        .flatten())
}

pub fn report<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id: &str,
) -> Result<Option<String>, StoreError> {
    db.into().query_opt(
        "SELECT report FROM user_import_jobs WHERE pool_id = ?1 AND id = ?2",
        &[&pool_id, &id],
        |r| r.get(0),
    )
}

/// Jobs a restart must pick up again: (pool id, job id), oldest first.
pub fn running<'a>(db: impl Into<Sql<'a>>) -> Result<Vec<(String, String)>, StoreError> {
    db.into().query_all(
        "SELECT pool_id, id FROM user_import_jobs
         WHERE status IN ('Pending', 'InProgress', 'Stopping') ORDER BY created_at, id",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}
