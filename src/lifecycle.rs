//! The server's life around its requests: readiness, the data directory's lock, SIGHUP
//! (certificates) and SIGTERM/SIGINT (graceful shutdown).
//!
//! Shutdown order: `/readyz` answers 503 at once (`/healthz` stays 200), for
//! `shutdown_delay_secs` the server goes on serving so that a load balancer can notice, then
//! the listener closes and requests in flight get up to `shutdown_timeout_secs` to finish;
//! the mail task finishes the message it is sending; the process exits 0.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;

use crate::config::Config;
use crate::tls::Certificates;

/// Held (shared) by every server on a data directory; `incognito restore` needs it exclusive.
pub const LOCK_FILE: &str = "incognito.lock";

pub fn lock_path(config: &Config) -> PathBuf {
    config.data_dir.join(LOCK_FILE)
}

/// Shared lock on the data directory for the server's lifetime (several servers may share a
/// directory; a restore may not run under any of them).
pub fn lock_shared(config: &Config) -> std::io::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(config))?;
    file.try_lock_shared().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => {
            std::io::Error::other("the data directory is locked by a restore in progress")
        }
        std::fs::TryLockError::Error(e) => e,
    })?;
    Ok(file)
}

/// What operations need to reach at run time.
pub struct Ops {
    ready: AtomicBool,
    /// The served certificates when the server terminates TLS.
    pub tls: Option<Arc<Certificates>>,
    _lock: Option<File>,
}

impl Ops {
    pub fn new(tls: Option<Arc<Certificates>>, lock: Option<File>) -> Ops {
        Ops {
            ready: AtomicBool::new(true),
            tls,
            _lock: lock,
        }
    }

    /// False from the moment shutdown begins.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    pub fn set_unready(&self) {
        self.ready.store(false, Ordering::Relaxed);
    }

    /// Re-reads the certificate files (SIGHUP); the old pair stays when the new one fails.
    pub fn reload_certificates(&self) {
        let Some(tls) = &self.tls else { return };
        match tls.reload() {
            Ok(()) => tracing::info!("TLS certificate reloaded"),
            Err(e) => {
                tracing::error!(error = %e, "TLS certificate not reloaded; the old one stays")
            }
        }
    }
}

/// Reloads the certificates on every SIGHUP.
pub fn spawn_reload_on_hangup(ops: Arc<Ops>) {
    if ops.tls.is_none() {
        return;
    }
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP: certificates will not reload");
            return;
        };
        while hangups.recv().await.is_some() {
            let ops = ops.clone();
            let _ = tokio::task::spawn_blocking(move || ops.reload_certificates()).await;
        }
    });
}

/// Waits for SIGTERM or SIGINT, then shuts down as the module says.
pub fn spawn_shutdown_on_signal(ops: Arc<Ops>, config: &Config, servers: Vec<ServerHandle>) {
    let delay = Duration::from_secs(config.shutdown_delay_secs.max(0) as u64);
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM/SIGINT");
            return;
        };
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        ops.set_unready();
        tracing::info!(
            signal = name,
            delay_secs = delay.as_secs(),
            "shutting down: /readyz answers 503, then requests in flight are drained"
        );
        tokio::time::sleep(delay).await;
        for server in servers {
            server.stop(true).await;
        }
    });
}
