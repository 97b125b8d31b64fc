//! `Application::build(config)` → a bound server. Used by `incognito serve` and by the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::clock::Clock;
use crate::config::Config;
use crate::keys::{Alg, seal::Sealer};
use crate::pools::directory::Directory;
use crate::pools::service::{self, SecretChoice};
use crate::pools::{ClientSettings, PoolSettings};
use crate::request_pool::RequestPool;
use crate::state::AppState;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Core(#[from] crate::Error),
    #[error("setting `breached_passwords_file`: {0}")]
    BreachedPasswords(String),
    /// `geoip_database` or `risk_block_list` cannot be read or parsed.
    #[error("adaptive sign-in: {0}")]
    RiskIntel(String),
    #[error("bootstrap: {0}")]
    Bootstrap(String),
    #[error("mail: {0}")]
    Mail(#[from] crate::mail::MailError),
    #[error("cannot start the request pool: {0}")]
    RequestPool(std::io::Error),
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error(
        "database_url needs master_key: every instance must open the secrets the others sealed (set the same master_key, or INCOGNITO_MASTER_KEY, on each)"
    )]
    PostgresNeedsMasterKey,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// What a fresh install created, printed at start so a person can use it at once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DefaultSetup {
    pub pool_id: String,
    pub client_id: String,
    pub redirect_uri: String,
}

/// Opens the store, ready for the CLI or the server: PostgreSQL at `database_url` when set
/// (migrated), else SQLite in the data directory (created).
pub fn open_store(config: &Config) -> Result<Store, StartupError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2);
    if let Some(url) = config.postgres_url() {
        // A master.key file per instance would seal secrets the other instances cannot open.
        if config.master_key.is_none() {
            return Err(StartupError::PostgresNeedsMasterKey);
        }
        return Ok(Store::open_postgres(url, workers * 2 + 2)?);
    }
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).map_err(|source| StartupError::DataDir {
        path: dir.display().to_string(),
        source,
    })?;
    // Fail early and clearly on a read-only directory, before SQLite says something vaguer.
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|source| StartupError::DataDir {
        path: dir.display().to_string(),
        source,
    })?;
    let _ = std::fs::remove_file(probe);
    ensure_master_key_file(config)?;
    Ok(Store::open(&config.database_path(), workers * 2 + 2)?)
}

/// The key that seals secrets at rest (private signing keys, TOTP secrets, SRP verifiers,
/// client-secret copies): `master_key` from the configuration, or else a random key kept in
/// `{data_dir}/master.key` — outside the database, created by `open_store`.
pub fn sealer(config: &Config) -> Sealer {
    match &config.master_key {
        Some(k) => Sealer::new(Some(k.0.as_str())),
        None => {
            let key = std::fs::read_to_string(master_key_path(config)).ok();
            if key.is_none() {
                tracing::error!(
                    "no master_key and no readable master.key: new secrets are stored unsealed"
                );
            }
            Sealer::new(key.as_deref().map(str::trim))
        }
    }
}

pub fn master_key_path(config: &Config) -> std::path::PathBuf {
    config.data_dir.join("master.key")
}

/// Creates `{data_dir}/master.key` (random, owner-only) when no `master_key` is configured.
fn ensure_master_key_file(config: &Config) -> Result<(), StartupError> {
    if config.master_key.is_some() {
        return Ok(());
    }
    let path = master_key_path(config);
    let dir_error = |source| StartupError::DataDir {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        std::fs::read_to_string(&path).map_err(dir_error)?;
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(crate::random::token(32).as_bytes())
                .map_err(dir_error)?;
            tracing::info!(path = %path.display(), "created a master key for secrets at rest; back it up apart from the database");
            Ok(())
        }
        // Another process (the CLI, a second server) created it first.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(dir_error(e)),
    }
}

/// Creates a default pool with one public client when the database has no pool at all.
pub fn ensure_default_pool(
    store: &Store,
    config: &Config,
    sealer: &Sealer,
    now: i64,
) -> Result<Option<DefaultSetup>, StartupError> {
    let alg = Alg::parse(&config.key_algorithm).unwrap_or(Alg::RS256);
    let region = config.region.clone();
    let sealer = sealer.clone();
    Ok(
        store.write_sync(move |db| -> crate::Result<Option<DefaultSetup>> {
            if !crate::store::pools::list(db)?.is_empty() {
                return Ok(None);
            }
            let settings = PoolSettings {
                required_attributes: vec!["email".into(), "name".into(), "locale".into()],
                ..PoolSettings::default()
            };
            let pool = service::create_pool(
                db,
                None,
                "Default pool",
                &region,
                settings,
                alg,
                &sealer,
                now,
            )?;
            let redirect_uri = "http://127.0.0.1:8080/callback".to_string();
            let client_settings = ClientSettings {
                redirect_uris: vec![redirect_uri.clone()],
                logout_uris: vec!["http://127.0.0.1:8080/".into()],
                scopes: vec![
                    "openid".into(),
                    "email".into(),
                    "profile".into(),
                    "offline_access".into(),
                ],
                ..ClientSettings::default()
            };
            let (client, _) = service::create_client(
                db,
                &pool,
                None,
                "Default client",
                client_settings,
                SecretChoice::Public,
                now,
            )?;
            Ok(Some(DefaultSetup {
                pool_id: pool.id,
                client_id: client.id,
                redirect_uri,
            }))
        })?,
    )
}

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` alone, when `metrics_listen` is set.
    metrics_server: Option<(u16, Server)>,
    pub state: AppState,
    pub default_setup: Option<DefaultSetup>,
}

impl Application {
    pub fn build(config: Config, clock: Clock) -> Result<Application, StartupError> {
        Application::build_with_mailer(config, clock, None)
    }

    /// `build` with a given mailer (tests pass `Mailer::memory()`); `None` builds it from the
    /// SMTP settings.
    pub fn build_with_mailer(
        config: Config,
        clock: Clock,
        mailer: Option<crate::mail::Mailer>,
    ) -> Result<Application, StartupError> {
        let mailer = match mailer {
            Some(m) => m,
            None => crate::mail::Mailer::from_config(&config)?,
        };
        if let Some(path) = &config.breached_passwords_file {
            crate::authn::breached::configure(path).map_err(StartupError::BreachedPasswords)?;
        }
        // Before anything else opens: a corrupt file is a start-up error, never a sign-in's.
        let intel = crate::authn::risk::Intel::load(
            config.risk_block_list.as_deref(),
            config.geoip_database.as_deref(),
        )
        .map_err(StartupError::RiskIntel)?;
        let store = open_store(&config)?;
        let lock =
            crate::lifecycle::lock_shared(&config).map_err(|source| StartupError::DataDir {
                path: crate::lifecycle::lock_path(&config).display().to_string(),
                source,
            })?;
        crate::metrics::set_enabled(config.metrics_enabled);
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::Certificates::open(cert, key)?),
            _ => None,
        };
        let sealer = sealer(&config);
        let now = clock.now();
        // A bootstrap file declares the pools itself.
        let default_setup = if config.create_default_pool && config.bootstrap.is_none() {
            ensure_default_pool(&store, &config, &sealer, now)?
        } else {
            None
        };
        if let Some(path) = &config.bootstrap {
            let report = crate::bootstrap::apply_file(&store, &config, &sealer, path, now)
                .map_err(|e| StartupError::Bootstrap(e.to_string()))?;
            tracing::info!(
                pools = report.pools,
                clients = report.clients,
                users = report.users,
                "bootstrap applied"
            );
        }
        if let (Some(id), Some(secret)) =
            (&config.admin_access_key_id, &config.admin_secret_access_key)
        {
            let row = crate::store::cognito::AdminKey {
                access_key_id: id.clone(),
                secret: sealer.seal(&secret.0),
                description: "from the admin_access_key_id setting".into(),
                created_at: now,
                last_used_at: None,
                pool_id: None,
                read_only: false,
            };
            store
                .write_sync(|db| -> Result<(), crate::store::StoreError> {
                    crate::store::cognito::put_admin_key(db, &row)
                })
                .map_err(|e| StartupError::Core(e.into()))?;
        }
        let directory = Arc::new(Directory::new(store.clone(), sealer.clone()));
        directory.refresh_sync().map_err(StartupError::Core)?;
        let (listener, port) = bind(config.listen)?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) if config.metrics_enabled => Some(bind(addr)?),
            _ => None,
        };
        let mut config = config;
        if config.public_url.is_none() {
            // Port 0 (tests) resolves to the real port here.
            config.public_url = Some(format!(
                "{}://{}:{port}",
                config.scheme(),
                config.listen.ip()
            ));
        }
        let public_url: Arc<str> = config.public_url().into();
        let request_pool =
            Arc::new(RequestPool::new(config.request_threads).map_err(StartupError::RequestPool)?);
        let address_limiter = crate::authn::throttle::AddressLimiter::new(
            config.address_failure_limit,
            config.address_failure_window_secs,
        );
        let triggers = Arc::new(crate::triggers::Triggers::new(&config, sealer.clone()));
        let risk = Arc::new(
            crate::authn::risk::Engine::start(&store, &sealer, intel, &public_url, now)
                .map_err(StartupError::Core)?,
        );
        let audit = Arc::new(crate::audit::Audit::start(
            store.clone(),
            config.audit_log == crate::config::AuditLog::Stderr,
        ));
        let state = AppState {
            config: Arc::new(config),
            public_url,
            store,
            sealer,
            directory,
            clock,
            mailer: Arc::new(mailer),
            address_limiter: Arc::new(address_limiter),
            secret_limiter: Arc::new(crate::oidc::client_auth::secret_limiter()),
            request_pool,
            triggers,
            risk,
            audit,
            ops: Arc::new(crate::lifecycle::Ops::new(tls, Some(lock))),
        };
        let server = serve(listener, state.clone())?;
        let metrics_server = match metrics_listener {
            Some((listener, port)) => Some((port, serve_metrics(listener, state.clone())?)),
            None => None,
        };
        Ok(Application {
            port,
            server,
            metrics_server,
            state,
            default_setup,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate `/metrics` listener (`metrics_listen`).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(port, _)| *port)
    }

    /// Serves until the process ends (tests: no signal handlers, so Ctrl-C still ends a test
    /// run).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run(false).await
    }

    /// Serves until SIGTERM/SIGINT, then drains and returns (see `lifecycle`); reloads the
    /// TLS certificates on SIGHUP.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        self.run(true).await
    }

    async fn run(self, signals: bool) -> std::io::Result<()> {
        spawn_cache_watch(self.state.clone());
        // WAL checkpoints are SQLite's; PostgreSQL does its own.
        if let Store::Sqlite(_) = &self.state.store {
            spawn_checkpoints(self.state.store.clone());
        }
        crate::jobs::spawn_purge(self.state.clone());
        if let Err(e) = crate::accounts::import_jobs::resume(
            &self.state.store,
            &self.state.sealer,
            &self.state.clock,
        ) {
            tracing::error!(error = %e, "cannot resume the user import jobs");
        }
        let (stop_mail, mail_stopped) = tokio::sync::watch::channel(false);
        let mail = crate::mail::spawn_delivery(
            self.state.store.clone(),
            self.state.mailer.clone(),
            self.state.clock.clone(),
            mail_stopped,
        );
        let mut handles = vec![self.server.handle()];
        if let Some((_, metrics)) = self.metrics_server {
            handles.push(metrics.handle());
            tokio::spawn(metrics);
        }
        if signals {
            crate::lifecycle::spawn_reload_on_hangup(self.state.ops.clone());
            crate::lifecycle::spawn_shutdown_on_signal(
                self.state.ops.clone(),
                &self.state.config,
                handles,
            );
        }
        let served = self.server.await;
        let _ = stop_mail.send(true);
        let grace = Duration::from_secs(self.state.config.shutdown_timeout_secs.max(1) as u64);
        if tokio::time::timeout(grace, mail).await.is_err() {
            tracing::warn!("the mail task did not finish in time");
        }
        tracing::info!("stopped");
        served
    }
}

fn bind(addr: std::net::SocketAddr) -> Result<(TcpListener, u16), StartupError> {
    let bind_error = |source| StartupError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    Ok((listener, port))
}

/// Checkpoints the WAL in the background, off the writers' path (see `Store::checkpoint`).
fn spawn_checkpoints(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::store::CHECKPOINT_EVERY);
        loop {
            tick.tick().await;
            let store = store.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.checkpoint()).await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

/// Notices changes made by the CLI (or another instance) to pools, keys and scopes: the
/// generation every second, and on PostgreSQL also at once by LISTEN/NOTIFY.
fn spawn_cache_watch(state: AppState) {
    if let Store::Postgres(pg) = &state.store {
        let directory = std::sync::Arc::downgrade(&state.directory);
        pg.listen_for_changes(move || match directory.upgrade() {
            Some(directory) => {
                if let Err(e) = directory.refresh_sync() {
                    tracing::warn!(error = %e, "cache refresh failed");
                }
                true
            }
            None => false,
        });
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let directory = state.directory.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || directory.refresh_sync()).await
            {
                tracing::warn!(error = %e, "cache refresh failed");
            }
        }
    });
}

fn serve(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    let workers = match state.config.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n,
    };
    let https = state.config.is_https();
    // On the public listener unless it has its own.
    let public_metrics = state.config.metrics_enabled && state.config.metrics_listen.is_none();
    let tls = state.ops.tls.clone();
    let shutdown_timeout = state.config.shutdown_timeout_secs.max(0) as u64;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(
                crate::http::observe::observe,
            ))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .wrap(actix_web::middleware::ErrorHandlers::new().handler(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                crate::http::pages::oversized_body,
            ))
            .wrap(crate::http::security_headers(https))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .configure(|c| {
                if public_metrics {
                    c.route("/metrics", web::get().to(metrics));
                }
            })
            .configure(crate::oidc::routes)
            .configure(crate::oidc::authorize::routes)
            .configure(crate::ui::routes)
            .configure(crate::cognito::routes)
            .configure(crate::cognito::upload::routes)
            .default_service(web::to(not_found))
    })
    .workers(workers)
    .on_connect(|_, extensions| {
        extensions.insert(crate::metrics::connection_opened());
    })
    // Signals are ours (lifecycle): readiness turns first, then actix drains.
    .disable_signals()
    .shutdown_timeout(shutdown_timeout);
    let bind_error = |source| StartupError::Bind {
        addr: "listener".into(),
        source,
    };
    let server = match tls {
        Some(certificates) => server
            .listen_rustls_0_23(listener, certificates.server_config()?)
            .map_err(bind_error)?,
        None => server.listen(listener).map_err(bind_error)?,
    };
    Ok(server.run())
}

/// The `metrics_listen` server: `/metrics` and nothing else.
fn serve_metrics(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/metrics", web::get().to(metrics))
            .default_service(web::to(not_found))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        addr: "metrics listener".into(),
        source,
    })?
    .run();
    Ok(server)
}

/// The Prometheus exposition; the gauges that need the store are read here, off the executor.
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let request_pool_queue = state.request_pool.queue_len() as i64;
    let mail_queue = state
        .store
        .read(|db| crate::store::outbox::pending_count(db))
        .await
        .unwrap_or_else(|e: crate::store::StoreError| {
            tracing::warn!(error = %e, "metrics: mail queue not read");
            -1
        });
    let snapshot = crate::metrics::Snapshot {
        mail_queue,
        request_pool_queue,
        argon2_queue: crate::authn::password::queue_len() as i64,
    };
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .insert_header(crate::http::NO_STORE)
        .body(crate::metrics::render(&snapshot))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if !state.ops.is_ready() {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("shutting down");
    }
    let store = state.store.clone();
    match crate::store::blocking(move || store.ping()).await {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not_found" }))
}
