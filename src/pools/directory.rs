//! An in-memory cache of pools and their key sets (parsed keys, pre-serialised JWKS).
//! It is dropped whenever the database's cache generation moves (the CLI or another
//! instance changed a pool, a key or a scope) and rebuilt lazily.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use super::Pool;
use crate::keys::KeySet;
use crate::keys::seal::Sealer;
use crate::store::Store;
use crate::{Error, Result};

pub struct PoolEntry {
    pub pool: Pool,
    pub keys: KeySet,
    pub resource_scopes: Vec<String>,
    /// The OIDC door's pre-serialised discovery document, built on first use.
    pub discovery_json: std::sync::OnceLock<String>,
}

pub struct Directory {
    store: Store,
    sealer: Sealer,
    generation: AtomicI64,
    entries: RwLock<HashMap<String, Arc<PoolEntry>>>,
}

impl Directory {
    pub fn new(store: Store, sealer: Sealer) -> Directory {
        Directory {
            store,
            sealer,
            generation: AtomicI64::new(i64::MIN),
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The cached entry, loading it on a miss (blocking: call on the blocking pool).
    pub fn get_sync(&self, pool_id: &str, now: i64) -> Result<Option<Arc<PoolEntry>>> {
        if let Some(e) = self.cached(pool_id, now) {
            return Ok(Some(e));
        }
        if !super::is_valid_pool_id(pool_id) {
            return Ok(None);
        }
        let sealer = self.sealer.clone();
        let loaded = self.store.read_sync(|db| -> Result<Option<PoolEntry>> {
            let Some(pool) = crate::store::pools::get(db, pool_id)? else {
                return Ok(None);
            };
            let keys = super::service::load_keyset(db, pool_id, &sealer, now)?;
            let resource_scopes = crate::store::pools::resource_scopes(db, pool_id)?;
            Ok(Some(PoolEntry {
                pool,
                keys,
                resource_scopes,
                discovery_json: Default::default(),
            }))
        })?;
        let Some(entry) = loaded else { return Ok(None) };
        if entry.keys.active().is_none() {
            return Err(Error::Crypto(format!(
                "pool {pool_id} has no active signing key"
            )));
        }
        let entry = Arc::new(entry);
        self.entries
            .write()
            .expect("lock")
            .insert(pool_id.to_string(), entry.clone());
        Ok(Some(entry))
    }

    /// Fast path for hot requests: a cache hit never leaves the executor. An entry whose
    /// published key should have started signing by `now` is a miss.
    pub fn cached(&self, pool_id: &str, now: i64) -> Option<Arc<PoolEntry>> {
        self.entries
            .read()
            .expect("lock")
            .get(pool_id)
            .filter(|e| e.keys.is_current(now))
            .cloned()
    }

    /// Drops the cache when the stored generation moved. Returns true if it did.
    pub fn refresh_sync(&self) -> Result<bool> {
        let current = self.store.cache_generation()?;
        if self.generation.swap(current, Ordering::AcqRel) != current {
            self.entries.write().expect("lock").clear();
            return Ok(true);
        }
        Ok(false)
    }

    pub fn invalidate(&self) {
        self.entries.write().expect("lock").clear();
    }
}
