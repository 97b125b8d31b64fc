//! Online backups with SQLite's backup API, and restores from them.
//!
//! `backup_to` copies the database while servers keep running: the copy is taken in steps
//! from one read snapshot (WAL lets writers go on meanwhile), so it is consistent — exactly
//! the transactions committed before it began — and never restarts under write load.
//! The result is a single self-contained file (rollback journal, no `-wal`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// Pages copied per step; between steps other connections of this process get the lock.
const PAGES_PER_STEP: std::ffi::c_int = 1024;
const PAUSE: Duration = Duration::from_millis(1);

/// Tables every Incognito database has had since its first migration.
const KNOWN_TABLES: &[&str] = &["meta", "pools", "clients", "users", "signing_keys"];

#[derive(Debug)]
pub struct Summary {
    pub schema_version: i64,
    pub pools: i64,
    pub users: i64,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not an Incognito database: {1}")]
    NotOurs(PathBuf, String),
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> BackupError {
        BackupError::Store(e.into())
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `dest` with a `.partial` suffix: written there, renamed when complete.
fn partial(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Copies `from` into a new file at `dest` page by page, inside `from`'s current read
/// snapshot, and leaves `dest` in rollback-journal mode.
fn copy(from: &Connection, dest: &Path) -> Result<(), BackupError> {
    let tmp = partial(dest);
    let _ = std::fs::remove_file(&tmp);
    {
        let mut out = Connection::open(&tmp)?;
        {
            let backup = Backup::new(from, &mut out)?;
            backup.run_to_completion(PAGES_PER_STEP, PAUSE, None)?;
        }
        // The copy carries the WAL flag of the source; one file is easier to keep.
        out.pragma_update(None, "journal_mode", "DELETE")?;
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, dest).map_err(io(dest))?;
    Ok(())
}

/// A consistent copy of the live database at `db` into `dest` (which must not exist).
pub fn backup_to(db: &Path, dest: &Path) -> Result<Summary, BackupError> {
    if !db.exists() {
        return Err(BackupError::Io {
            path: db.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database here"),
        });
    }
    let source = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    source.busy_timeout(Duration::from_secs(5))?;
    // One read transaction for the whole copy: every step sees the same snapshot, and
    // writers (on the WAL) are not held up by it.
    source.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM sqlite_master;")?;
    let copied = copy(&source, dest);
    source.execute_batch("COMMIT")?;
    copied?;
    check(dest)
}

/// Checks that `file` is a sound Incognito database of a schema version this build knows.
pub fn check(file: &Path) -> Result<Summary, BackupError> {
    let not_ours = |why: String| BackupError::NotOurs(file.to_path_buf(), why);
    let bytes = std::fs::metadata(file).map_err(io(file))?.len();
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let quick: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| not_ours(e.to_string()))?;
    if quick != "ok" {
        return Err(not_ours(format!("integrity check: {quick}")));
    }
    let schema_version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = super::MIGRATIONS.len() as i64;
    if !(1..=known).contains(&schema_version) {
        return Err(not_ours(format!(
            "schema version {schema_version}, this build knows 1 to {known}"
        )));
    }
    for table in KNOWN_TABLES {
        let present: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [table],
            |r| r.get(0),
        )?;
        if !present {
            return Err(not_ours(format!("no {table} table")));
        }
    }
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    Ok(Summary {
        schema_version,
        pools: count("SELECT count(*) FROM pools")?,
        users: count("SELECT count(*) FROM users")?,
        bytes,
    })
}

/// Puts the backup `file` in place as the database at `db`. Nothing may have `db` open (the
/// caller holds the data directory's lock). An existing database is first moved aside to
/// `aside` (its WAL folded in), so a restore never destroys data.
pub fn restore_from(file: &Path, db: &Path, aside: &Path) -> Result<Summary, BackupError> {
    let summary = check(file)?;
    let source = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let staged = partial(db);
    copy(&source, &staged)?;
    if db.exists() {
        {
            let old = Connection::open(db)?;
            old.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            old.pragma_update(None, "journal_mode", "DELETE")?;
        }
        std::fs::rename(db, aside).map_err(io(aside))?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    std::fs::rename(&staged, db).map_err(io(db))?;
    Ok(summary)
}
