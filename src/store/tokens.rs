//! Token families and refresh tokens. A family is everything issued from one authentication
//! of one user to one client (or a revoked client-credentials token, which is stored only
//! then); its id is the access tokens' `origin_jti`. Refresh tokens are stored as SHA-256 hex, never in the clear.

use super::{Db, OptionalExtension, StoreError};

#[derive(Debug, Clone)]
pub struct Family {
    pub id: String,
    pub pool_id: String,
    pub client_id: String,
    /// None for (revoked) client-credentials tokens.
    pub user_id: Option<String>,
    /// Space-separated granted scope.
    pub scope: String,
    pub auth_time: i64,
    /// JSON array, e.g. ["pwd"].
    pub amr: String,
    pub created_at: i64,
    /// Absolute lifetime of the refresh chain.
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: String,
    pub created_at: i64,
    /// Set when a newer token replaced this one.
    pub rotated_at: Option<i64>,
}

const FAMILY_COLUMNS: &str =
    "id, pool_id, client_id, user_id, scope, auth_time, amr, created_at, expires_at, revoked_at";

fn family_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Family> {
    Ok(Family {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        client_id: r.get(2)?,
        user_id: r.get(3)?,
        scope: r.get(4)?,
        auth_time: r.get(5)?,
        amr: r.get(6)?,
        created_at: r.get(7)?,
        expires_at: r.get(8)?,
        revoked_at: r.get(9)?,
    })
}

pub fn insert_family(db: &Db, f: &Family) -> Result<(), StoreError> {
    db.prepare_cached(&format!(
        "INSERT INTO token_families ({FAMILY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(rusqlite::params![
        f.id,
        f.pool_id,
        f.client_id,
        f.user_id,
        f.scope,
        f.auth_time,
        f.amr,
        f.created_at,
        f.expires_at,
        f.revoked_at
    ])?;
    Ok(())
}

/// A family of the given pool (a family of another pool is "not found").
pub fn get_family(db: &Db, pool_id: &str, id: &str) -> Result<Option<Family>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "SELECT {FAMILY_COLUMNS} FROM token_families WHERE id = ?1 AND pool_id = ?2"
        ))?
        .query_row([id, pool_id], family_row)
        .optional()?)
}

/// Revokes a family (idempotent). Returns true when it was active until now.
pub fn revoke_family(db: &Db, pool_id: &str, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE token_families SET revoked_at = ?3 WHERE id = ?1 AND pool_id = ?2 AND revoked_at IS NULL",
        )?
        .execute(rusqlite::params![id, pool_id, now])?
        == 1)
}

/// Revokes every family of a user (global sign-out, password reset, disable). Returns how many.
pub fn revoke_user_families(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE token_families SET revoked_at = ?3 WHERE pool_id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
        )?
        .execute(rusqlite::params![pool_id, user_id, now])?)
}

pub fn insert_refresh(
    db: &Db,
    token_hash: &str,
    family_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, rotated_at) VALUES (?1, ?2, ?3, NULL)",
    )?
    .execute(rusqlite::params![token_hash, family_id, now])?;
    Ok(())
}

pub fn get_refresh(db: &Db, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT token_hash, family_id, created_at, rotated_at FROM refresh_tokens WHERE token_hash = ?1",
        )?
        .query_row([token_hash], |r| {
            Ok(RefreshToken {
                token_hash: r.get(0)?,
                family_id: r.get(1)?,
                created_at: r.get(2)?,
                rotated_at: r.get(3)?,
            })
        })
        .optional()?)
}

/// Marks a refresh token as replaced. Returns false when it already was.
pub fn mark_rotated(db: &Db, token_hash: &str, now: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE refresh_tokens SET rotated_at = ?2 WHERE token_hash = ?1 AND rotated_at IS NULL",
        )?
        .execute(rusqlite::params![token_hash, now])?
        == 1)
}

/// Takes back a rotation made at `rotated_at` (the tokens it led to were never sent): the
/// token is current again. A later rotation or reuse is left alone.
pub fn unrotate(db: &Db, token_hash: &str, rotated_at: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE refresh_tokens SET rotated_at = NULL WHERE token_hash = ?1 AND rotated_at = ?2",
        )?
        .execute(rusqlite::params![token_hash, rotated_at])?
        == 1)
}

/// Deletes one refresh token (one that was never handed out).
pub fn delete_refresh(db: &Db, token_hash: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM refresh_tokens WHERE token_hash = ?1")?
        .execute([token_hash])?
        == 1)
}

/// Deletes families whose refresh chain ended more than `keep_secs` ago (their refresh tokens
/// go with them). For the background purge: keep `keep_secs` at least the longest access-token
/// lifetime, since an access token refreshed just before the chain ended outlives it and is
/// only accepted while its family row exists.
pub fn purge_expired(db: &Db, now: i64, keep_secs: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM token_families WHERE expires_at < ?1")?
        .execute([now - keep_secs])?)
}
