//! Browser sessions of the hosted pages and the authorization requests waiting on them.

use super::{Db, OptionalExtension, StoreError};

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

pub fn insert(db: &Db, s: &BrowserSession) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO browser_sessions (id_hash, pool_id, user_id, auth_time, amr, created_at, last_seen, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![s.id_hash, s.pool_id, s.user_id, s.auth_time, s.amr, s.created_at, s.last_seen, s.expires_at])?;
    Ok(())
}

pub fn get(db: &Db, pool_id: &str, id_hash: &str) -> Result<Option<BrowserSession>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT id_hash, pool_id, user_id, auth_time, amr, created_at, last_seen, expires_at
             FROM browser_sessions WHERE pool_id = ?1 AND id_hash = ?2",
        )?
        .query_row([pool_id, id_hash], |r| {
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
        })
        .optional()?)
}

pub fn touch(db: &Db, id_hash: &str, now: i64) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE browser_sessions SET last_seen = ?2 WHERE id_hash = ?1")?
        .execute(rusqlite::params![id_hash, now])?;
    Ok(())
}

pub fn delete(db: &Db, id_hash: &str) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM browser_sessions WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

pub fn delete_for_user(db: &Db, user_id: &str) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM browser_sessions WHERE user_id = ?1")?
        .execute([user_id])?)
}

pub fn insert_pending(
    db: &Db,
    id: &str,
    pool_id: &str,
    request_json: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO pending_authorizations (id, pool_id, request, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![id, pool_id, request_json, now, expires_at])?;
    Ok(())
}

/// The stored request JSON and its creation time, if the request exists and has not expired.
pub fn get_pending(
    db: &Db,
    pool_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<(String, i64)>, StoreError> {
    Ok(db
        .prepare_cached("SELECT request, created_at FROM pending_authorizations WHERE pool_id = ?1 AND id = ?2 AND expires_at > ?3")?
        .query_row(rusqlite::params![pool_id, id, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn delete_pending(db: &Db, id: &str) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM pending_authorizations WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn purge_expired(db: &Db, now: i64) -> Result<usize, StoreError> {
    let a = db
        .prepare_cached("DELETE FROM browser_sessions WHERE expires_at < ?1")?
        .execute([now])?;
    let b = db
        .prepare_cached("DELETE FROM pending_authorizations WHERE expires_at < ?1")?
        .execute([now])?;
    Ok(a + b)
}

pub fn list_for_user(db: &Db, user_id: &str, now: i64) -> Result<Vec<BrowserSession>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT id_hash, pool_id, user_id, auth_time, amr, created_at, last_seen, expires_at
         FROM browser_sessions WHERE user_id = ?1 AND expires_at > ?2 ORDER BY last_seen DESC LIMIT 50",
    )?;
    let rows = stmt.query_map(rusqlite::params![user_id, now], |r| {
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
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Ends one session of a user (the user may only end their own).
pub fn delete_for_user_by_hash(db: &Db, user_id: &str, id_hash: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM browser_sessions WHERE user_id = ?1 AND id_hash = ?2")?
        .execute([user_id, id_hash])?
        == 1)
}

pub fn delete_others(db: &Db, user_id: &str, keep_hash: &str) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM browser_sessions WHERE user_id = ?1 AND id_hash != ?2")?
        .execute([user_id, keep_hash])?)
}
