//! Browser sessions of the hosted pages and the authorization requests waiting on them. On the
//! `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::{Row, Sql};

#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub id_hash: String,
    pub pool_id: String,
    pub user_id: String,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
}

fn row(r: &Row<'_>) -> Result<BrowserSession, StoreError> {
    Ok(BrowserSession {
        id_hash: r.get(0)?,
        pool_id: r.get(1)?,
        user_id: r.get(2)?,
        auth_time: r.get(3)?,
        amr: r.get(4)?,
        created_at: r.get(5)?,
        last_seen: r.get(6)?,
        expires_at: r.get(7)?,
    })
}

pub fn insert<'a>(db: impl Into<Sql<'a>>, s: &BrowserSession) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO browser_sessions (id_hash, pool_id, user_id, auth_time, amr, created_at, last_seen, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[&s.id_hash, &s.pool_id, &s.user_id, &s.auth_time, &s.amr, &s.created_at, &s.last_seen, &s.expires_at],
    )?;
    Ok(())
}

pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id_hash: &str,
) -> Result<Option<BrowserSession>, StoreError> {
    db.into().query_opt(
        "SELECT id_hash, pool_id, user_id, auth_time, amr, created_at, last_seen, expires_at
         FROM browser_sessions WHERE pool_id = ?1 AND id_hash = ?2",
        &[&pool_id, &id_hash],
        row,
    )
}

pub fn touch<'a>(db: impl Into<Sql<'a>>, id_hash: &str, now: i64) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE browser_sessions SET last_seen = ?2 WHERE id_hash = ?1",
        &[&id_hash, &now],
    )?;
    Ok(())
}

pub fn delete<'a>(db: impl Into<Sql<'a>>, id_hash: &str) -> Result<(), StoreError> {
    db.into().execute(
        "DELETE FROM browser_sessions WHERE id_hash = ?1",
        &[&id_hash],
    )?;
    Ok(())
}

pub fn delete_for_user<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM browser_sessions WHERE user_id = ?1",
        &[&user_id],
    )? as usize)
}

pub fn insert_pending<'a>(
    db: impl Into<Sql<'a>>,
    id: &str,
    pool_id: &str,
    request_json: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO pending_authorizations (id, pool_id, request, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[&id, &pool_id, &request_json, &now, &expires_at],
    )?;
    Ok(())
}

/// The stored request JSON and its creation time, if the request exists and has not expired.
pub fn get_pending<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<(String, i64)>, StoreError> {
    db.into().query_opt(
        "SELECT request, created_at FROM pending_authorizations WHERE pool_id = ?1 AND id = ?2 AND expires_at > ?3",
        &[&pool_id, &id, &now],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

pub fn delete_pending<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<(), StoreError> {
    db.into()
        .execute("DELETE FROM pending_authorizations WHERE id = ?1", &[&id])?;
    Ok(())
}

pub fn purge_expired<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    let db = db.into();
    let a = db.execute(
        "DELETE FROM browser_sessions WHERE expires_at < ?1",
        &[&now],
    )?;
    let b = db.execute(
        "DELETE FROM pending_authorizations WHERE expires_at < ?1",
        &[&now],
    )?;
    Ok((a + b) as usize)
}

pub fn list_for_user<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    now: i64,
) -> Result<Vec<BrowserSession>, StoreError> {
    db.into().query_all(
        "SELECT id_hash, pool_id, user_id, auth_time, amr, created_at, last_seen, expires_at
         FROM browser_sessions WHERE user_id = ?1 AND expires_at > ?2 ORDER BY last_seen DESC LIMIT 50",
        &[&user_id, &now],
        row,
    )
}

/// Ends one session of a user (the user may only end their own).
pub fn delete_for_user_by_hash<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    id_hash: &str,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM browser_sessions WHERE user_id = ?1 AND id_hash = ?2",
        &[&user_id, &id_hash],
    )? == 1)
}

pub fn delete_others<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    keep_hash: &str,
) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM browser_sessions WHERE user_id = ?1 AND id_hash != ?2",
        &[&user_id, &keep_hash],
    )? as usize)
}
