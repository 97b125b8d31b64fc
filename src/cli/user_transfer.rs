//! `incognito user export` and `incognito user import`: the users of a pool out as JSON lines
//! and back in (or in from Cognito's CSV), with progress on stderr and a summary at the end;
//! `user import-report`: the per-row report of an import job of the Cognito control plane.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::json;

use super::admin::Ctx;
use super::output::Output;
use super::progress::Progress;
use crate::accounts::export;
use crate::accounts::import::{self, Counts, Options, Outcome, Row};
use crate::authn::legacy_hash::FirebaseParams;
use crate::pools::service as pools;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Also write each user's password hash and TOTP secret (in clear). Keep the file safe.
    #[arg(long)]
    pub with_secrets: bool,
    /// Write to this file (created 0600) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line, as `user export` writes it.
    Jsonl,
    /// Cognito's CSV (GetCSVHeader's columns), plus `incognito:password_hash`.
    Csv,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The file to import.
    pub file: PathBuf,
    /// The file's format (default: csv for a `.csv` file, else jsonl).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Where to write the per-row report of skipped and failed rows (default: FILE.report.jsonl).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Firebase project's base64 signer key (for hashes from `firebase auth:export`).
    #[arg(long, requires_all = ["firebase_salt_separator", "firebase_rounds", "firebase_mem_cost"])]
    pub firebase_signer_key: Option<String>,
    /// Firebase project's base64 salt separator.
    #[arg(long, requires = "firebase_signer_key")]
    pub firebase_salt_separator: Option<String>,
    /// Firebase project's rounds.
    #[arg(long, requires = "firebase_signer_key")]
    pub firebase_rounds: Option<u32>,
    /// Firebase project's memory cost.
    #[arg(long, requires = "firebase_signer_key")]
    pub firebase_mem_cost: Option<u32>,
}

/// Users read per page while exporting.
const EXPORT_PAGE: i64 = 500;

pub(super) fn export(ctx: &Ctx, args: ExportArgs) -> Result<Output, String> {
    let (pool, total) = ctx.read(|db| {
        let pool = pools::find_pool(db, &args.pool)?;
        let total = crate::store::users::count(db, &pool.id)?;
        Ok((pool, total))
    })?;
    if args.with_secrets {
        eprintln!(
            "warning: this export holds password hashes and TOTP secrets in clear; keep it as safe as the database"
        );
    }
    let mut sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(create_private(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut progress = Progress::new("export", total.max(0) as u64, ctx.json);
    let mut after = String::new();
    let mut written = 0u64;
    loop {
        let page = ctx.read(|db| {
            export::page(
                db,
                &ctx.sealer,
                &pool,
                &after,
                EXPORT_PAGE,
                args.with_secrets,
            )
        })?;
        for r in &page {
            let line = serde_json::to_string(r).map_err(|e| e.to_string())?;
            writeln!(sink, "{line}").map_err(|e| format!("cannot write: {e}"))?;
        }
        written += page.len() as u64;
        progress.advance(page.len() as u64);
        match page.last() {
            Some(last) if page.len() as i64 == EXPORT_PAGE => after = last.username.clone(),
            _ => break,
        }
    }
    sink.flush().map_err(|e| format!("cannot write: {e}"))?;
    progress.finish();
    let summary = json!({
        "exported": written,
        "pool_id": pool.id,
        "with_secrets": args.with_secrets,
        "out": args.out,
        "seconds": progress.elapsed().as_secs_f64(),
    });
    let text = format!(
        "Exported {written} users of pool {}{} in {:.1} s.\n",
        pool.id,
        args.out
            .as_ref()
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default(),
        progress.elapsed().as_secs_f64()
    );
    match &args.out {
        Some(_) => Ok(Output {
            json: summary,
            text,
        }),
        // stdout carries the users: the summary goes to stderr.
        None => {
            eprint!("{text}");
            Ok(Output::nothing())
        }
    }
}

/// A new file readable by its owner only (it may hold secrets).
fn create_private(path: &Path) -> Result<File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

pub(super) fn import(ctx: &Ctx, args: ImportArgs) -> Result<Output, String> {
    let pool = ctx.read(|db| pools::find_pool(db, &args.pool))?;
    let format =
        args.format
            .unwrap_or_else(|| match args.file.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
                _ => Format::Jsonl,
            });
    let options = Options {
        firebase: args.firebase_signer_key.map(|signer_key| FirebaseParams {
            signer_key,
            salt_separator: args.firebase_salt_separator.unwrap_or_default(),
            rounds: args.firebase_rounds.unwrap_or_default(),
            mem_cost: args.firebase_mem_cost.unwrap_or_default(),
        }),
    };
    let open = || {
        File::open(&args.file)
            .map(BufReader::new)
            .map_err(|e| format!("cannot open {}: {e}", args.file.display()))
    };
    // A first pass counts the rows for the progress bar (a fraction of the import's time).
    let total = std::io::BufRead::split(open()?, b'\n').count() as u64;
    let mut rows: Box<dyn Iterator<Item = Row>> = match format {
        Format::Jsonl => Box::new(import::jsonl_rows(open()?)),
        Format::Csv => Box::new(import::csv_rows(open()?, &pool).map_err(|e| e.to_string())?),
    };
    let report_path = args.report.clone().unwrap_or_else(|| {
        let mut p = args.file.clone().into_os_string();
        p.push(".report.jsonl");
        PathBuf::from(p)
    });
    import_rows(
        ctx,
        &pool,
        &mut rows,
        total,
        &options,
        &report_path,
        "import",
    )
}

/// Imports `rows` in batches with progress on stderr and the skipped and failed rows in a
/// per-row report at `report_path` (created only when there are some); the summary.
pub(super) fn import_rows(
    ctx: &Ctx,
    pool: &crate::pools::Pool,
    rows: &mut dyn Iterator<Item = Row>,
    total: u64,
    options: &Options,
    report_path: &Path,
    verb: &'static str,
) -> Result<Output, String> {
    let mut report: Option<BufWriter<File>> = None;
    let mut counts = Counts::default();
    let mut progress = Progress::new(verb, total, ctx.json);
    loop {
        let batch: Vec<Row> = (&mut *rows).take(import::BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let n = batch.len() as u64;
        let results = import::import_batch(
            &ctx.store,
            &ctx.sealer,
            pool,
            batch,
            options,
            ctx.now,
            |_, _| Ok(()),
        )
        .map_err(|e| {
            format!(
                "{verb} stopped after {} rows: {e}",
                counts.imported + counts.skipped + counts.failed
            )
        })?;
        for r in &results {
            counts.add(&r.outcome);
            let (kind, reason) = match &r.outcome {
                Outcome::Imported => continue,
                Outcome::Skipped(why) => ("skipped", why),
                Outcome::Failed(why) => ("failed", why),
            };
            let out = match &mut report {
                Some(w) => w,
                None => report
                    .insert(BufWriter::new(File::create(report_path).map_err(|e| {
                        format!("cannot create {}: {e}", report_path.display())
                    })?)),
            };
            let line =
                json!({"row": r.row, "username": r.username, "outcome": kind, "reason": reason});
            writeln!(out, "{line}").map_err(|e| format!("cannot write the report: {e}"))?;
        }
        progress.advance(n);
    }
    if let Some(w) = &mut report {
        w.flush()
            .map_err(|e| format!("cannot write the report: {e}"))?;
    }
    progress.finish();
    let seconds = progress.elapsed().as_secs_f64();
    let report_shown = report.is_some().then(|| report_path.display().to_string());
    Ok(Output {
        json: json!({
            "pool_id": pool.id,
            "imported": counts.imported,
            "skipped": counts.skipped,
            "failed": counts.failed,
            "report": report_shown,
            "seconds": seconds,
            "rows_per_second": progress.rate(),
        }),
        text: format!(
            "Imported {} users into pool {} in {seconds:.1} s ({:.0} rows/s); skipped {}, failed {}.{}\n",
            counts.imported,
            pool.id,
            progress.rate(),
            counts.skipped,
            counts.failed,
            report_shown
                .map(|p| format!(" Per-row report: {p}"))
                .unwrap_or_default()
        ),
    })
}

#[derive(Args, Debug)]
pub struct ImportReportArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The job id (`import-...`) of CreateUserImportJob.
    #[arg(long)]
    pub job: String,
}

pub(super) fn import_report(ctx: &Ctx, args: ImportReportArgs) -> Result<Output, String> {
    let report = ctx.read(|db| {
        let pool = pools::find_pool(db, &args.pool)?;
        crate::accounts::import_jobs::require(db, &pool, &args.job)?;
        Ok(crate::store::import_jobs::report(db, &pool.id, &args.job)?.unwrap_or_default())
    })?;
    let lines: Vec<serde_json::Value> = report
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    Ok(Output {
        json: serde_json::Value::Array(lines),
        text: if report.is_empty() {
            "No skipped or failed rows.\n".into()
        } else {
            report
        },
    })
}
