//! The pools' signing keys. On the `Sql` seam: one text for both engines (`active` is BOOLEAN
//! in PostgreSQL, so its literals are `TRUE` / `FALSE`, which SQLite reads as 1 / 0).

use super::StoreError;
use super::sql::{Row, Sql};

pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub private_jwk: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub active: bool,
    pub retired_at: Option<i64>,
}

fn row(r: &Row<'_>) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        kid: r.get(0)?,
        alg: r.get(1)?,
        private_jwk: r.get(2)?,
        public_jwk: r.get(3)?,
        created_at: r.get(4)?,
        active: r.get(5)?,
        retired_at: r.get(6)?,
    })
}

pub fn insert<'a>(db: impl Into<Sql<'a>>, pool_id: &str, k: &KeyRow) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO signing_keys (kid, pool_id, alg, private_jwk, public_jwk, created_at, active, retired_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[&k.kid, &pool_id, &k.alg, &k.private_jwk, &k.public_jwk, &k.created_at, &k.active, &k.retired_at],
    )?;
    Ok(())
}

/// Retires the pool's active key(s): they stop signing but stay published for a while.
pub fn retire_active<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE signing_keys SET active = FALSE, retired_at = ?2 WHERE pool_id = ?1 AND active = TRUE",
        &[&pool_id, &now],
    )?;
    Ok(())
}

/// Keys still worth publishing: the active one and those retired after `published_since`.
pub fn published<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    published_since: i64,
) -> Result<Vec<KeyRow>, StoreError> {
    db.into().query_all(
        "SELECT kid, alg, private_jwk, public_jwk, created_at, active, retired_at FROM signing_keys
         WHERE pool_id = ?1 AND (active = TRUE OR retired_at >= ?2) ORDER BY active DESC, created_at DESC",
        &[&pool_id, &published_since],
        row,
    )
}

/// Every key of a pool, newest first, published or not (for `incognito keys list`).
pub fn list_all<'a>(db: impl Into<Sql<'a>>, pool_id: &str) -> Result<Vec<KeyRow>, StoreError> {
    db.into().query_all(
        "SELECT kid, alg, private_jwk, public_jwk, created_at, active, retired_at FROM signing_keys
         WHERE pool_id = ?1 ORDER BY created_at DESC, active DESC, kid",
        &[&pool_id],
        row,
    )
}
