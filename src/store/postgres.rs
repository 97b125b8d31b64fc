//! PostgreSQL, the scale-out backend (issue #18, docs/scale-out.md). Built so far: connecting
//! (a pooled, blocking client: store work runs as synchronous closures on blocking threads),
//! migrating, and read/write transactions through the `Sql` seam. Most table families still
//! speak SQLite only, so nothing serves from here yet; `incognito db migrate` does.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use std::collections::HashMap;

use postgres::{Client, NoTls, Statement};

use super::sql::Sql;
use super::{MIGRATIONS, Migrated, StoreError};

thread_local! {
    /// Set on the blocking pool's threads (`store::blocking`): never driving async tasks, they
    /// may block on the client directly.
    static BLOCKING_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this thread as one that never drives async tasks (the blocking pool's).
pub fn mark_blocking_thread() {
    BLOCKING_THREAD.set(true);
}

/// Runs `f`, which uses the blocking `postgres` client, where it may: the client runs a
/// runtime of its own, which panics when started on a thread that drives async tasks (start-up
/// runs inside the server's runtime; the tests' async bodies call the store). There, `f` runs
/// on a scoped thread of its own; everywhere else (the blocking pool, the CLI) right here.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if BLOCKING_THREAD.get() || tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// True for the URLs this backend takes: libpq's two spellings.
pub fn is_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Key of the session-level advisory lock held while migrating: instances that boot together
/// queue on it instead of racing to create the same tables. A constant that another
/// application sharing the database is unlikely to use: "incognit" in ASCII.
const MIGRATION_LOCK: i64 = 0x696e_636f_676e_6974;

/// The bookkeeping table, SQLite's `user_version` in PostgreSQL: one row per applied
/// migration, so that its count is the schema version and its names show which build made it.
/// Created outside the numbered migrations (as `user_version` is) and under the lock.
const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    position   BIGINT PRIMARY KEY,  -- 1, 2, ...: the place in the build's migration list
    name       TEXT NOT NULL,       -- e.g. 0001_init
    applied_at BIGINT NOT NULL      -- epoch seconds, the database server's clock
)";

pub type PgPool = r2d2::Pool<Manager>;
/// A pooled client.
pub type PgConn = r2d2::PooledConnection<Manager>;

/// Most statements the store runs: kept prepared per connection (rusqlite's `prepare_cached`),
/// which saves a Parse round trip on every later call. Past this many the cache starts over.
const PREPARED_PER_CONNECTION: usize = 256;

/// A client and the statements it has prepared. Derefs to the client.
pub struct PgConnection {
    client: Client,
    prepared: HashMap<String, Statement>,
}

impl PgConnection {
    /// The prepared statement for `text` (the store's `?N` form), preparing it on first use.
    pub fn prepared(&mut self, text: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.prepared.get(text) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&super::sql::postgres_text(text))?;
        if self.prepared.len() >= PREPARED_PER_CONNECTION {
            self.prepared.clear();
        }
        self.prepared.insert(text.to_string(), statement.clone());
        Ok(statement)
    }

    /// Forgets `text`'s statement (after it failed: a schema change, by a newer instance's
    /// migration, can invalidate a prepared statement's plan).
    pub fn forget(&mut self, text: &str) {
        self.prepared.remove(text);
    }
}

impl std::ops::Deref for PgConnection {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConnection {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// Makes the pool's connections. Checked out without a test query (a round trip per
/// transaction); a connection the server closed is noticed by `has_broken` and replaced.
pub struct Manager {
    config: Arc<postgres::Config>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConnection, postgres::Error> {
        Ok(PgConnection {
            client: self.config.connect(NoTls)?,
            prepared: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        conn.client.is_closed()
    }
}

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    // Shared: a `Store` is cloned per request.
    config: Arc<postgres::Config>,
    pool: Arc<ClosingPool>,
}

/// The pool, closed where its clients may close: a blocking client's drop runs a runtime of its
/// own, which panics on a thread that drives async tasks (a server dropping its state, a
/// start-up error inside the runtime). Shared, so that only the last `PgStore` closes it.
struct ClosingPool(Option<PgPool>);

impl Drop for ClosingPool {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            off_runtime(move || drop(pool));
        }
    }
}

impl PgStore {
    /// Parses `url` and makes a pool of at most `connections`. Connects lazily: a database
    /// that is down fails the first use, not this call. TLS is not built yet (NoTls): a URL
    /// asking for `sslmode=require` fails to connect.
    pub fn connect(url: &str, connections: u32) -> Result<PgStore, StoreError> {
        let mut config: postgres::Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let config = Arc::new(config);
        let pool = r2d2::Pool::builder()
            .max_size(connections.max(1))
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .build_unchecked(Manager {
                config: config.clone(),
            });
        Ok(PgStore {
            config,
            pool: Arc::new(ClosingPool(Some(pool))),
        })
    }

    /// A pooled connection (blocking: call from the blocking pool or the CLI).
    pub fn client(&self) -> Result<PgConn, StoreError> {
        let pool = self.pool.0.as_ref().expect("open until dropped");
        Ok(pool.get()?)
    }

    /// The readiness probe's question, answered within two seconds: a load balancer's probe
    /// must not wait out the pool's ten-second connect timeout while the database is away.
    pub fn ping(&self) -> Result<(), StoreError> {
        let pool = self.pool.0.as_ref().expect("open until dropped");
        let mut conn = pool.get_timeout(Duration::from_secs(2))?;
        conn.simple_query("SELECT 1")?;
        Ok(())
    }

    /// Runs `f` on a pooled connection, each statement on its own (autocommit), as SQLite's
    /// `read_sync` does.
    pub fn read_sync<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(Sql<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = RefCell::new(self.client()?);
        f(Sql::Postgres(&conn))
    }

    /// Runs `f` in one transaction (READ COMMITTED): committed when `f` returns Ok, rolled back
    /// otherwise. No write gate: other instances write at the same time, so what `f` claims it
    /// claims with conditional statements (docs/scale-out.md, "Transactions").
    pub fn write_sync<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(Sql<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = Transaction::begin(self.client()?)?;
        let out = f(Sql::Postgres(&tx.conn))?;
        tx.commit()?;
        Ok(out)
    }

    /// Calls `changed` whenever a transaction that changed pools, clients, keys or scopes
    /// commits on any instance (the migrations' `bump_cache_generation` notifies
    /// `incognito_cache`), and once after each (re)connect, since notifications sent while not
    /// listening are lost. A thread of its own with one connection outside the pool; it ends
    /// when `changed` returns false. Reconnects every second while the database is away.
    pub fn listen_for_changes(&self, changed: impl Fn() -> bool + Send + 'static) {
        let config = self.config.clone();
        let spawned = std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || {
                loop {
                    if let Err(e) = listen(&config, &changed) {
                        tracing::warn!(error = %e, "listening for cache changes failed; reconnecting");
                    }
                    if !changed() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the cache listener; polling only");
        }
    }

    /// Applies the migrations the database lacks, each in its own transaction, under an
    /// advisory lock. Refuses a database migrated by a newer build (or by a build whose list
    /// differs), as the SQLite path does.
    pub fn migrate(&self) -> Result<Migrated, StoreError> {
        // A connection of its own, closed at the end: the session-level lock then goes with it
        // whatever happens, instead of riding back into the pool.
        let mut client = self.config.connect(NoTls)?;
        client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
        let out = migrate_locked(&mut client);
        let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
        out
    }
}

/// One listening session: returns when the connection fails, or `Ok` when `changed` says stop.
fn listen(config: &postgres::Config, changed: &dyn Fn() -> bool) -> Result<(), StoreError> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute("LISTEN incognito_cache")?;
    if !changed() {
        return Ok(());
    }
    loop {
        // A notification, or five quiet seconds (to notice when to stop), then `changed`.
        let mut notifications = client.notifications();
        let _ = notifications.timeout_iter(Duration::from_secs(5)).next()?;
        if !changed() {
            return Ok(());
        }
    }
}

/// BEGIN ... COMMIT on a pooled client, rolled back when dropped uncommitted (an error, or a
/// panic in the closure): a client never goes back to the pool inside a transaction.
struct Transaction {
    conn: RefCell<PgConn>,
    open: bool,
}

impl Transaction {
    fn begin(mut conn: PgConn) -> Result<Transaction, StoreError> {
        conn.batch_execute("BEGIN")?;
        Ok(Transaction {
            conn: RefCell::new(conn),
            open: true,
        })
    }

    fn commit(mut self) -> Result<(), StoreError> {
        // A failed COMMIT ends the transaction too: nothing is left to roll back.
        self.open = false;
        self.conn.get_mut().batch_execute("COMMIT")?;
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.get_mut().batch_execute("ROLLBACK");
        }
    }
}

fn migrate_locked(client: &mut Client) -> Result<Migrated, StoreError> {
    client.batch_execute(SCHEMA_MIGRATIONS)?;
    let applied = client.query(
        "SELECT position, name FROM schema_migrations ORDER BY position",
        &[],
    )?;
    let known = MIGRATIONS.len() as i64;
    let found = applied.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (index, row) in applied.iter().enumerate() {
        let position: i64 = row.get(0);
        let name: String = row.get(1);
        let expected = MIGRATIONS[index].name;
        if position != index as i64 + 1 || name != expected {
            return Err(StoreError::MigrationMismatch {
                position,
                found: name,
                expected,
            });
        }
    }
    for (index, m) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        // DDL is transactional in PostgreSQL: a migration and its bookkeeping row land together.
        let mut tx = client.transaction()?;
        tx.batch_execute(m.postgres)
            .map_err(|source| StoreError::PostgresMigration {
                name: m.name,
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (position, name, applied_at)
             VALUES ($1, $2, EXTRACT(EPOCH FROM now())::BIGINT)",
            &[&(index as i64 + 1), &m.name],
        )?;
        tx.commit()?;
    }
    Ok(Migrated {
        from: found,
        to: known,
    })
}
