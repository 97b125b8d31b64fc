use super::{Db, StoreError};

pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub private_jwk: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub active: bool,
    pub retired_at: Option<i64>,
}

pub fn insert(db: &Db, pool_id: &str, k: &KeyRow) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO signing_keys (kid, pool_id, alg, private_jwk, public_jwk, created_at, active, retired_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![k.kid, pool_id, k.alg, k.private_jwk, k.public_jwk, k.created_at, k.active, k.retired_at])?;
    Ok(())
}

/// Retires the pool's active key(s): they stop signing but stay published for a while.
pub fn retire_active(db: &Db, pool_id: &str, now: i64) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE signing_keys SET active = 0, retired_at = ?2 WHERE pool_id = ?1 AND active = 1",
    )?
    .execute(rusqlite::params![pool_id, now])?;
    Ok(())
}

/// Keys still worth publishing: the active one and those retired after `published_since`.
pub fn published(db: &Db, pool_id: &str, published_since: i64) -> Result<Vec<KeyRow>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT kid, alg, private_jwk, public_jwk, created_at, active, retired_at FROM signing_keys
         WHERE pool_id = ?1 AND (active = 1 OR retired_at >= ?2) ORDER BY active DESC, created_at DESC",
    )?;
    Ok(stmt
        .query_map(rusqlite::params![pool_id, published_since], |r| {
            Ok(KeyRow {
                kid: r.get(0)?,
                alg: r.get(1)?,
                private_jwk: r.get(2)?,
                public_jwk: r.get(3)?,
                created_at: r.get(4)?,
                active: r.get(5)?,
                retired_at: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Every key of a pool, newest first, published or not (for `incognito keys list`).
pub fn list_all(db: &Db, pool_id: &str) -> Result<Vec<KeyRow>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT kid, alg, private_jwk, public_jwk, created_at, active, retired_at FROM signing_keys
         WHERE pool_id = ?1 ORDER BY created_at DESC, active DESC, kid",
    )?;
    Ok(stmt
        .query_map([pool_id], |r| {
            Ok(KeyRow {
                kid: r.get(0)?,
                alg: r.get(1)?,
                private_jwk: r.get(2)?,
                public_jwk: r.get(3)?,
                created_at: r.get(4)?,
                active: r.get(5)?,
                retired_at: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}
