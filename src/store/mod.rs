//! The only owner of rusqlite: a pooled SQLite database in WAL mode, versioned migrations,
//! and one file per table family. Core code receives a `&Db` inside `read`/`write`.

pub mod audit;
pub mod backup;
pub mod clients;
pub mod code_send_limits;
pub mod codes;
pub mod cognito;
pub mod copy;
pub mod email_codes;
pub mod federation;
pub mod groups;
pub mod import_jobs;
pub mod keys;
pub mod mfa;
pub mod outbox;
pub mod pools;
pub mod postgres;
pub mod resource_servers;
pub mod risk;
pub mod saml;
pub mod sessions;
pub mod sql;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// A connection or an open transaction of either engine (`sql::Sql`): what core code
/// receives inside `read` / `write` and hands to the table families.
pub type Db<'a> = sql::Sql<'a>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("migration {name}: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("PostgreSQL: {}", with_causes(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("PostgreSQL migration {name}: {}", with_causes(.source))]
    PostgresMigration {
        name: &'static str,
        source: ::postgres::Error,
    },
    #[error(
        "the database's migration {position} is {found:?} where this build has {expected:?}: it was migrated by a different build"
    )]
    MigrationMismatch {
        position: i64,
        found: String,
        expected: &'static str,
    },
    #[error("database schema version {found} is newer than this build knows ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("blocking task failed")]
    Join,
    #[error("another write did not finish in time")]
    WriterBusy,
}

/// The driver's error and its causes on one line: `postgres::Error` alone says only "db error"
/// or "error connecting to server"; the cause says which.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl StoreError {
    /// True when the statement broke a UNIQUE or PRIMARY KEY constraint, on either engine
    /// (PostgreSQL's SQLSTATE 23505). On PostgreSQL the open transaction is then aborted: a
    /// caller that goes on writing after one must have run the statement in a savepoint.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            StoreError::Postgres(e) => {
                e.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }
}

/// One schema step, in both dialects: `migrations/NNNN_name.sql` for SQLite and
/// `migrations/postgres/NNNN_name.sql` for PostgreSQL. The macro reads both files, so a SQLite
/// migration without its PostgreSQL twin does not compile; the schema parity test
/// (tests/api/postgres.rs) checks that the twins make the same tables and columns.
pub(crate) struct Migration {
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sqlite: include_str!(concat!("../../migrations/", $name, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $name, ".sql")),
        }
    };
}

/// Applied in this order; a database records how many it has (SQLite: `user_version`;
/// PostgreSQL: the rows of `schema_migrations`).
pub(crate) const MIGRATIONS: &[Migration] = &[
    migration!("0001_init"),
    migration!("0002_email"),
    migration!("0003_mfa"),
    migration!("0004_cognito"),
    migration!("0005_pending_email"),
    migration!("0006_code_send_limits"),
    migration!("0007_group_roles_key_scopes"),
    migration!("0008_resource_servers"),
    migration!("0009_audit"),
    migration!("0010_user_import_jobs"),
    migration!("0011_federation"),
    migration!("0012_audit_by_target"),
    migration!("0013_email_mfa"),
    migration!("0014_adaptive_sign_in"),
    migration!("0015_saml"),
];

/// The names of the migrations this build knows, in order (`incognito db migrate --json`, tests).
pub fn migration_names() -> impl Iterator<Item = &'static str> {
    MIGRATIONS.iter().map(|m| m.name)
}

/// What a migration run found and did: the schema version (migrations applied) before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub from: i64,
    pub to: i64,
}

struct Manager {
    path: std::path::PathBuf,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -2000; \
             PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _conn: &mut Connection) -> bool {
        false
    }
}

/// The database: SQLite in the data directory (the default), or PostgreSQL (`database_url`).
/// Core code sees only `read` / `write` and the `Db` they hand it.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(postgres::PgStore),
}

#[derive(Clone)]
pub struct SqliteStore {
    pool: r2d2::Pool<Manager>,
    writer: Arc<WriteGate>,
}

/// One writer at a time inside this process. SQLite allows one writer anyway; queueing here
/// instead of in SQLite's busy handler (which sleeps 1, 2, 5, 10... ms between retries) wakes
/// the next writer the moment the previous one commits. Another process (the CLI) still meets
/// the busy handler. Waiting is bounded like the busy timeout, so a mistaken nested write
/// fails instead of hanging.
struct WriteGate {
    busy: Mutex<bool>,
    free: Condvar,
}

const WRITE_WAIT: Duration = Duration::from_secs(5);

/// How often the server checkpoints the WAL (`Store::checkpoint`).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

struct WriteTurn<'a>(&'a WriteGate);

impl WriteGate {
    fn enter(&self) -> Result<WriteTurn<'_>, StoreError> {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let (mut busy, timeout) = self
            .free
            .wait_timeout_while(busy, WRITE_WAIT, |busy| *busy)
            .unwrap_or_else(|e| e.into_inner());
        if timeout.timed_out() && *busy {
            return Err(StoreError::WriterBusy);
        }
        *busy = true;
        Ok(WriteTurn(self))
    }
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.0.free.notify_one();
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database file, switches it to WAL and applies
    /// migrations.
    pub fn open(path: &Path, connections: u32) -> Result<Store, StoreError> {
        SqliteStore::open(path, connections).map(Store::Sqlite)
    }

    /// Connects to PostgreSQL and applies the migrations it lacks (under the advisory lock,
    /// so instances starting together do not race).
    pub fn open_postgres(url: &str, connections: u32) -> Result<Store, StoreError> {
        let pg = postgres::PgStore::connect(url, connections)?;
        postgres::off_runtime(|| pg.migrate())?;
        Ok(Store::Postgres(pg))
    }

    /// Runs `f` on a pooled connection (blocking: call from the blocking pool or the CLI).
    pub fn read_sync<T: Send, E: From<StoreError> + Send>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E> + Send,
    ) -> Result<T, E> {
        let began = crate::metrics::start();
        let out = match self {
            Store::Sqlite(s) => s.read_sync(f),
            Store::Postgres(pg) => postgres::off_runtime(|| pg.read_sync(|db| f(&db))),
        };
        crate::metrics::db_transaction("read", began);
        out
    }

    /// Runs `f` in one write transaction: committed when `f` returns Ok, rolled back otherwise.
    /// SQLite: IMMEDIATE, one writer at a time. PostgreSQL: READ COMMITTED, many writers on
    /// many instances, so what `f` claims it claims with conditional statements.
    pub fn write_sync<T: Send, E: From<StoreError> + Send>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E> + Send,
    ) -> Result<T, E> {
        match self {
            Store::Sqlite(s) => s.write_sync(f),
            Store::Postgres(pg) => {
                let began = crate::metrics::start();
                let out = postgres::off_runtime(|| pg.write_sync(|db| f(&db)))?;
                crate::metrics::db_transaction("write", began);
                Ok(out)
            }
        }
    }

    /// `read_sync` on the blocking pool, so the async executor never waits on the database.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        blocking(move || store.read_sync(f)).await
    }

    /// `write_sync` on the blocking pool.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Db) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        blocking(move || store.write_sync(f)).await
    }

    /// SQLite: copies committed pages from the WAL into the database file (`SqliteStore::checkpoint`).
    /// PostgreSQL checkpoints by itself.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.checkpoint(),
            Store::Postgres(_) => Ok(()),
        }
    }

    pub fn cache_generation(&self) -> Result<i64, StoreError> {
        self.read_sync(|db| {
            db.query_one(
                "SELECT value FROM meta WHERE key = 'cache_generation'",
                &[],
                |r| r.get(0),
            )
        })
    }

    /// The readiness probe's question: does the database answer?
    pub fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(_) => self.read_sync(|db| db.query_one("SELECT 1", &[], |_| Ok(()))),
            Store::Postgres(pg) => postgres::off_runtime(|| pg.ping()),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, switches it to WAL and applies migrations.
    fn open(path: &Path, connections: u32) -> Result<SqliteStore, StoreError> {
        let first = Manager {
            path: path.to_path_buf(),
        }
        .connect_checked()?;
        first.pragma_update(None, "journal_mode", "WAL")?;
        migrate(first)?;
        let pool = r2d2::Pool::builder()
            .max_size(connections.max(2))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager {
                path: path.to_path_buf(),
            })?;
        Ok(SqliteStore {
            pool,
            writer: Arc::new(WriteGate {
                busy: Mutex::new(false),
                free: Condvar::new(),
            }),
        })
    }

    /// Runs `f` on a pooled connection (blocking: call from the blocking pool or the CLI).
    fn read_sync<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = self.pool.get().map_err(StoreError::from)?;
        f(&sql::Sql::Sqlite(&conn))
    }

    /// Runs `f` in one IMMEDIATE write transaction: committed when `f` returns Ok, rolled back otherwise.
    fn write_sync<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        // The turn first, then a connection: waiting writers do not hold connections.
        let waiting = crate::metrics::start();
        let _turn = self.writer.enter()?;
        crate::metrics::db_writer_wait(waiting);
        let began = crate::metrics::start();
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&sql::Sql::Sqlite(&tx))?;
        tx.commit().map_err(StoreError::from)?;
        crate::metrics::db_transaction("write", began);
        Ok(out)
    }

    /// Copies committed pages from the WAL into the database file. PASSIVE: it neither waits
    /// for nor blocks readers and writers. The server runs it every `CHECKPOINT_EVERY` on the
    /// blocking pool, so that no request pays for a checkpoint (and its fsync) while holding
    /// the writer's turn; connections checkpoint by themselves only past 10,000 WAL pages, a
    /// backstop for the CLI and for a server whose checkpoints fall behind.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let conn = self.pool.get()?;
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// Runs `f` on the blocking pool: for work that mixes several store calls with CPU-heavy
/// steps (a whole token grant), so that a request crosses from the executor once.
pub async fn blocking<T, E, F>(f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    tokio::task::spawn_blocking(crate::logging::traced(move || {
        postgres::mark_blocking_thread();
        f()
    }))
    .await
    .map_err(|_| StoreError::Join)?
}

trait ConnectChecked {
    fn connect_checked(&self) -> Result<Connection, rusqlite::Error>;
}

impl ConnectChecked for Manager {
    fn connect_checked(&self) -> Result<Connection, rusqlite::Error> {
        use r2d2::ManageConnection;
        self.connect()
    }
}

/// Migrates the SQLite database at `path` (creating it when missing) without opening a pool:
/// `incognito db migrate` for deployments that do not migrate on start.
pub fn migrate_sqlite(path: &Path) -> Result<Migrated, StoreError> {
    let conn = Manager {
        path: path.to_path_buf(),
    }
    .connect_checked()?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    migrate(conn)
}

fn migrate(mut conn: Connection) -> Result<Migrated, StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (index, m) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if now > index as i64 {
            continue;
        }
        tx.execute_batch(m.sqlite)
            .map_err(|source| StoreError::Migration {
                name: m.name,
                source,
            })?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    let to: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(Migrated { from: found, to })
}

/// Reads a JSON column into a typed value.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

/// Runs `f` inside a savepoint of the open write transaction: when `f` fails, what it wrote is
/// undone and the transaction goes on (one bad row of an import batch never half-lands). On
/// PostgreSQL this is also what lets the transaction go on at all after a failed statement.
pub fn savepoint<T, E: From<StoreError>>(
    db: &Db,
    f: impl FnOnce(&Db) -> Result<T, E>,
) -> Result<T, E> {
    db.execute("SAVEPOINT one_row", &[])?;
    match f(db) {
        Ok(v) => {
            db.execute("RELEASE SAVEPOINT one_row", &[])?;
            Ok(v)
        }
        Err(e) => {
            db.execute("ROLLBACK TO SAVEPOINT one_row", &[])?;
            db.execute("RELEASE SAVEPOINT one_row", &[])?;
            Err(e)
        }
    }
}
