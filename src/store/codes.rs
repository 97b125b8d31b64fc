//! Authorization codes: stored hashed, single use, bound to client, redirect URI and PKCE. On
//! the `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::Sql;

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub code_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    /// JSON array, e.g. ["pwd"].
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub family_id: Option<String>,
}

pub fn insert<'a>(db: impl Into<Sql<'a>>, c: &AuthCode) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO auth_codes (code_hash, pool_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge,
         auth_time, amr, created_at, expires_at, consumed_at, family_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &[
            &c.code_hash, &c.pool_id, &c.client_id, &c.user_id, &c.redirect_uri, &c.scope, &c.nonce,
            &c.code_challenge, &c.auth_time, &c.amr, &c.created_at, &c.expires_at, &c.consumed_at,
            &c.family_id,
        ],
    )?;
    Ok(())
}

pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    code_hash: &str,
) -> Result<Option<AuthCode>, StoreError> {
    db.into().query_opt(
        "SELECT code_hash, pool_id, client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, amr,
         created_at, expires_at, consumed_at, family_id FROM auth_codes WHERE pool_id = ?1 AND code_hash = ?2",
        &[&pool_id, &code_hash],
        |r| {
            Ok(AuthCode {
                code_hash: r.get(0)?,
                pool_id: r.get(1)?,
                client_id: r.get(2)?,
                user_id: r.get(3)?,
                redirect_uri: r.get(4)?,
                scope: r.get(5)?,
                nonce: r.get(6)?,
                code_challenge: r.get(7)?,
                auth_time: r.get(8)?,
                amr: r.get(9)?,
                created_at: r.get(10)?,
                expires_at: r.get(11)?,
                consumed_at: r.get(12)?,
                family_id: r.get(13)?,
            })
        },
    )
}

/// Marks the code used and records the token family it produced. Returns false when the code
/// was already used: a conditional update, so that of two redemptions racing on two
/// instances exactly one wins.
pub fn mark_consumed<'a>(
    db: impl Into<Sql<'a>>,
    code_hash: &str,
    family_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE auth_codes SET consumed_at = ?2, family_id = ?3
         WHERE code_hash = ?1 AND consumed_at IS NULL",
        &[&code_hash, &now, &family_id],
    )? == 1)
}

pub fn purge_expired<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    // Consumed codes are kept until expiry so that a replay is still recognised.
    Ok(db.into().execute(
        "DELETE FROM auth_codes WHERE expires_at < ?1",
        &[&(now - 3600)],
    )? as usize)
}
