//! Everything a request handler may touch.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::keys::seal::Sealer;
use crate::pools::directory::{Directory, PoolEntry};
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub public_url: Arc<str>,
    pub store: Store,
    pub sealer: Sealer,
    pub directory: Arc<Directory>,
    pub clock: Clock,
    /// Sends queued mail (`mail::enqueue` + `mailer.wake()`).
    pub mailer: Arc<crate::mail::Mailer>,
    /// Failed sign-ins per client address (password spraying).
    pub address_limiter: Arc<crate::authn::throttle::AddressLimiter>,
    /// Wrong client secrets per (pool, client, address) at the OAuth endpoints.
    pub secret_limiter: Arc<crate::oidc::client_auth::SecretLimiter>,
    /// One thread per core for the OIDC token endpoints and the Cognito API's store work.
    pub request_pool: Arc<crate::request_pool::RequestPool>,
    /// Calls the pools' Lambda triggers (blocking: from the blocking pool).
    pub triggers: Arc<crate::triggers::Triggers>,
    /// Adaptive sign-in: the block list, the GeoIP database, the signing key.
    pub risk: Arc<crate::authn::risk::Engine>,
    /// The audit log's writer (events are queued, written in batches).
    pub audit: Arc<crate::audit::Audit>,
    /// Readiness (false once shutdown begins) and the served TLS certificates.
    pub ops: Arc<crate::lifecycle::Ops>,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// What the core's sign-in (and user migration) needs of the server.
    pub fn sign_in_services(&self) -> crate::authn::flow::Services<'_> {
        crate::authn::flow::Services {
            store: &self.store,
            triggers: &self.triggers,
            sealer: &self.sealer,
            risk: &self.risk,
        }
    }

    /// Tells the mail delivery task that a committed transaction queued mail.
    pub fn wake_mailer(&self) {
        self.mailer.wake();
    }

    /// A pool's cached entry: straight from memory on a hit, from the store on the blocking pool otherwise.
    pub async fn pool(&self, pool_id: &str) -> crate::Result<Option<Arc<PoolEntry>>> {
        let now = self.now();
        if let Some(e) = self.directory.cached(pool_id, now) {
            return Ok(Some(e));
        }
        let directory = self.directory.clone();
        let id = pool_id.to_string();
        tokio::task::spawn_blocking(move || directory.get_sync(&id, now))
            .await
            .map_err(|_| crate::Error::Store(crate::store::StoreError::Join))?
    }

    /// Records an audit event now (queued; never waits for the database).
    pub fn audit(&self, event: crate::audit::Event) {
        self.audit.record(event, self.now());
    }

    pub fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}", self.public_url)
    }
}
