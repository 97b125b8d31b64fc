//! Token families and refresh tokens. A family is everything issued from one authentication
//! of one user to one client (or a revoked client-credentials token, which is stored only
//! then); its id is the access tokens' `origin_jti`. Refresh tokens are stored as SHA-256 hex, never in the clear.
//! On the `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::{Row, Sql};

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

fn family_row(r: &Row<'_>) -> Result<Family, StoreError> {
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

pub fn insert_family<'a>(db: impl Into<Sql<'a>>, f: &Family) -> Result<(), StoreError> {
    db.into().execute(
        &format!(
            "INSERT INTO token_families ({FAMILY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        &[
            &f.id, &f.pool_id, &f.client_id, &f.user_id, &f.scope, &f.auth_time, &f.amr,
            &f.created_at, &f.expires_at, &f.revoked_at,
        ],
    )?;
    Ok(())
}

/// A family of the given pool (a family of another pool is "not found").
pub fn get_family<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id: &str,
) -> Result<Option<Family>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {FAMILY_COLUMNS} FROM token_families WHERE id = ?1 AND pool_id = ?2"),
        &[&id, &pool_id],
        family_row,
    )
}

/// Revokes a family (idempotent). Returns true when it was active until now.
pub fn revoke_family<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE token_families SET revoked_at = ?3 WHERE id = ?1 AND pool_id = ?2 AND revoked_at IS NULL",
        &[&id, &pool_id, &now],
    )? == 1)
}

/// Revokes every family of a user (global sign-out, password reset, disable). Returns how many.
pub fn revoke_user_families<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "UPDATE token_families SET revoked_at = ?3 WHERE pool_id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
        &[&pool_id, &user_id, &now],
    )? as usize)
}

pub fn insert_refresh<'a>(
    db: impl Into<Sql<'a>>,
    token_hash: &str,
    family_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, rotated_at) VALUES (?1, ?2, ?3, NULL)",
        &[&token_hash, &family_id, &now],
    )?;
    Ok(())
}

pub fn get_refresh<'a>(
    db: impl Into<Sql<'a>>,
    token_hash: &str,
) -> Result<Option<RefreshToken>, StoreError> {
    db.into().query_opt(
        "SELECT token_hash, family_id, created_at, rotated_at FROM refresh_tokens WHERE token_hash = ?1",
        &[&token_hash],
        |r| {
            Ok(RefreshToken {
                token_hash: r.get(0)?,
                family_id: r.get(1)?,
                created_at: r.get(2)?,
                rotated_at: r.get(3)?,
            })
        },
    )
}

/// Marks a refresh token as replaced: the rotation's claim. Returns false when it already
/// was. One conditional update, so that of two redemptions racing on two instances exactly
/// one wins (the second waits for the first's commit, re-checks `rotated_at IS NULL` and
/// changes nothing); the caller treats the loser as a reuse.
pub fn mark_rotated<'a>(
    db: impl Into<Sql<'a>>,
    token_hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE refresh_tokens SET rotated_at = ?2 WHERE token_hash = ?1 AND rotated_at IS NULL",
        &[&token_hash, &now],
    )? == 1)
}

/// Takes back a rotation made at `rotated_at` (the tokens it led to were never sent): the
/// token is current again. A later rotation or reuse is left alone.
pub fn unrotate<'a>(
    db: impl Into<Sql<'a>>,
    token_hash: &str,
    rotated_at: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE refresh_tokens SET rotated_at = NULL WHERE token_hash = ?1 AND rotated_at = ?2",
        &[&token_hash, &rotated_at],
    )? == 1)
}

/// Deletes one refresh token (one that was never handed out).
pub fn delete_refresh<'a>(db: impl Into<Sql<'a>>, token_hash: &str) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM refresh_tokens WHERE token_hash = ?1",
        &[&token_hash],
    )? == 1)
}

/// Deletes families whose refresh chain ended more than `keep_secs` ago (their refresh tokens
/// go with them). For the background purge: keep `keep_secs` at least the longest access-token
/// lifetime, since an access token refreshed just before the chain ended outlives it and is
/// only accepted while its family row exists.
pub fn purge_expired<'a>(
    db: impl Into<Sql<'a>>,
    now: i64,
    keep_secs: i64,
) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM token_families WHERE expires_at < ?1",
        &[&(now - keep_secs)],
    )? as usize)
}
