//! Cognito's user import jobs: CreateUserImportJob (a one-time upload URL, 15 minutes),
//! the CSV PUT to it, StartUserImportJob, StopUserImportJob, Describe and List. A started job
//! runs on its own thread through the same row import as `incognito user import` (`import`),
//! 500 rows per write transaction with its progress in that same transaction, so that a
//! restart resumes it exactly (`resume`).

use serde_json::json;

use super::import::{self, Options, Outcome, Row};
use crate::clock::Clock;
use crate::keys::seal::Sealer;
use crate::pools::Pool;
use crate::store::import_jobs::{self as jobs, Job};
use crate::store::{Db, Store};
use crate::{Error, Result};

/// How long the upload URL works (Cognito: 15 minutes).
pub const UPLOAD_TTL_SECS: i64 = 15 * 60;
/// Largest CSV accepted.
pub const MAX_CSV_BYTES: usize = 100 * 1024 * 1024;

/// Creates a job waiting for its CSV; returns it with the one-time upload token.
pub fn create(db: &Db, pool: &Pool, name: &str, role_arn: &str, now: i64) -> Result<(Job, String)> {
    let token = crate::random::token(32);
    let job = Job {
        id: format!("import-{}", crate::random::alnum(10)),
        pool_id: pool.id.clone(),
        name: name.to_string(),
        role_arn: role_arn.to_string(),
        status: "Created".into(),
        upload_expires_at: now + UPLOAD_TTL_SECS,
        rows_done: 0,
        imported: 0,
        skipped: 0,
        failed: 0,
        message: String::new(),
        created_at: now,
        started_at: None,
        completed_at: None,
        uploaded: false,
    };
    jobs::insert(db, &job, &crate::random::sha256_hex(&token))?;
    Ok((job, token))
}

/// Stores the uploaded CSV: once, with the right token, within 15 minutes.
pub fn upload(db: &Db, job_id: &str, token: &str, csv: &[u8], now: i64) -> Result<()> {
    if jobs::claim_upload(db, job_id, &crate::random::sha256_hex(token), csv, now)? {
        Ok(())
    } else {
        Err(Error::NotAuthorized)
    }
}

pub fn require(db: &Db, pool: &Pool, job_id: &str) -> Result<Job> {
    jobs::get(db, &pool.id, job_id)?.ok_or_else(|| Error::not_found(format!("Import job {job_id}")))
}

/// Marks an uploaded job `Pending`; the caller then `spawn`s it.
pub fn start(db: &Db, pool: &Pool, job_id: &str, now: i64) -> Result<Job> {
    let job = require(db, pool, job_id)?;
    if !job.uploaded {
        return Err(Error::invalid("job: no CSV file has been uploaded for it"));
    }
    if !jobs::transition(db, job_id, &["Created"], "Pending", now)? {
        return Err(Error::invalid(format!(
            "job: it is {}, not Created",
            job.status
        )));
    }
    require(db, pool, job_id)
}

/// Asks a job to stop: at once when it has not started, after its current batch otherwise.
pub fn stop(db: &Db, pool: &Pool, job_id: &str, now: i64) -> Result<Job> {
    let job = require(db, pool, job_id)?;
    if job.status == "Created" {
        jobs::finish(db, job_id, "Stopped", "Stopped before it started.", now)?;
    } else if !jobs::transition(db, job_id, &["Pending", "InProgress"], "Stopping", now)? {
        return Err(Error::invalid(format!(
            "job: it is {}, nothing to stop",
            job.status
        )));
    }
    require(db, pool, job_id)
}

/// Runs a job on its own thread (long work: never on the executor or the request pool).
pub fn spawn(store: Store, sealer: Sealer, clock: Clock, pool: Pool, job_id: String) {
    spawn_run(store, sealer, clock, pool, job_id, false);
}

fn spawn_run(
    store: Store,
    sealer: Sealer,
    clock: Clock,
    pool: Pool,
    job_id: String,
    resumed: bool,
) {
    std::thread::spawn(move || {
        if let Err(e) = run(&store, &sealer, &clock, &pool, &job_id, resumed) {
            tracing::error!(job = %job_id, error = %e, "user import job failed");
            let _ = store.write_sync(|db| {
                jobs::finish(
                    db,
                    &job_id,
                    "Failed",
                    "The job stopped on an internal error.",
                    clock.now(),
                )
            });
        }
    });
}

/// Picks up the jobs that were running when the server stopped.
pub fn resume(store: &Store, sealer: &Sealer, clock: &Clock) -> Result<usize> {
    let running = store.read_sync(|db| -> Result<_> {
        let mut found = Vec::new();
        for (pool_id, job_id) in jobs::running(db)? {
            if let Some(pool) = crate::store::pools::get(db, &pool_id)? {
                found.push((pool, job_id));
            }
        }
        Ok(found)
    })?;
    let n = running.len();
    for (pool, job_id) in running {
        spawn_run(
            store.clone(),
            sealer.clone(),
            clock.clone(),
            pool,
            job_id,
            true,
        );
    }
    Ok(n)
}

/// Runs a job: one that this call takes from `Pending` (of two instances starting it, one does;
/// the other returns at once), one asked to stop before it was taken, or, `resumed`, one found
/// `InProgress` when the server started. Each batch is recorded only from the resume point it continued, so a second
/// runner of the same job (two instances resuming it) loses its first batch, rolls it back and
/// stops: no row is imported twice.
fn run(
    store: &Store,
    sealer: &Sealer,
    clock: &Clock,
    pool: &Pool,
    job_id: &str,
    resumed: bool,
) -> Result<()> {
    let end = |status: &str, message: &str| -> Result<()> {
        store.write_sync(|db| jobs::finish(db, job_id, status, message, clock.now()))?;
        Ok(())
    };
    let job = match store.write_sync(|db| jobs::take(db, job_id))? {
        Some(job) => job,
        None => match store.read_sync(|db| require(db, pool, job_id))? {
            // Asked to stop before it was taken (the loop ends it at once), or running when the
            // server stopped (it goes on from its resume point).
            job if job.status == "Stopping" || (resumed && job.status == "InProgress") => job,
            // Another instance took it, or it is over.
            _ => return Ok(()),
        },
    };
    let Some(csv) = store.read_sync(|db| jobs::csv(db, job_id))? else {
        return end("Failed", "The uploaded file is missing.");
    };
    let mut rows = match import::csv_rows(&csv[..], pool) {
        Ok(rows) => rows.skip(job.rows_done.max(0) as usize),
        Err(e) => return end("Failed", &e.to_string()),
    };
    let mut done = job.rows_done;
    loop {
        let status = store.read_sync(|db| require(db, pool, job_id))?.status;
        if status == "Stopping" {
            return end("Stopped", "Stopped by StopUserImportJob.");
        }
        let batch: Vec<Row> = rows.by_ref().take(import::BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let n = batch.len() as i64;
        let overtaken = std::sync::atomic::AtomicBool::new(false);
        let imported = import::import_batch(
            store,
            sealer,
            pool,
            batch,
            &Options::default(),
            clock.now(),
            |db, results| {
                let mut counts = [0i64; 3];
                let mut report = String::new();
                for r in results {
                    let (i, kind, reason) = match &r.outcome {
                        Outcome::Imported => (0, "", ""),
                        Outcome::Skipped(why) => (1, "skipped", why.as_str()),
                        Outcome::Failed(why) => (2, "failed", why.as_str()),
                    };
                    counts[i] += 1;
                    if i > 0 {
                        report.push_str(
                            &json!({"row": r.row, "username": r.username,
                            "outcome": kind, "reason": reason})
                            .to_string(),
                        );
                        report.push('\n');
                    }
                }
                if jobs::record_batch(db, job_id, done, n, counts, &report)? {
                    Ok(())
                } else {
                    // Rolls this batch's users back with it.
                    overtaken.store(true, std::sync::atomic::Ordering::Relaxed);
                    Err(Error::invalid(
                        "job: another runner recorded this batch first",
                    ))
                }
            },
        );
        if overtaken.load(std::sync::atomic::Ordering::Relaxed) {
            tracing::info!(job = %job_id, "user import job: another instance runs it");
            return Ok(());
        }
        imported?;
        done += n;
    }
    end("Succeeded", "Import Job Completed Successfully.")
}
