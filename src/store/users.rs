use super::{Db, OptionalExtension, StoreError, from_json, to_json};
use crate::accounts::{User, UserStatus};

const COLUMNS: &str = "id, pool_id, username, email, status, enabled, email_verified, password_hash, attributes, created_at, updated_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<User, StoreError>> {
    let status: String = r.get(4)?;
    let attributes: String = r.get(8)?;
    Ok((|| {
        Ok(User {
            id: r.get(0)?,
            pool_id: r.get(1)?,
            username: r.get(2)?,
            email: r.get(3)?,
            status: status
                .parse::<UserStatus>()
                .unwrap_or(UserStatus::Unconfirmed),
            enabled: r.get(5)?,
            email_verified: r.get(6)?,
            password_hash: r.get(7)?,
            attributes: from_json(&attributes)?,
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
        })
    })())
}

pub fn insert(db: &Db, u: &User) -> Result<(), StoreError> {
    db.prepare_cached(&format!(
        "INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(rusqlite::params![
        u.id,
        u.pool_id,
        u.username,
        u.email,
        u.status.as_str(),
        u.enabled,
        u.email_verified,
        u.password_hash,
        to_json(&u.attributes)?,
        u.created_at,
        u.updated_at
    ])?;
    Ok(())
}

pub fn update(db: &Db, u: &User) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE users SET username = ?2, email = ?3, status = ?4, enabled = ?5, email_verified = ?6,
         password_hash = ?7, attributes = ?8, updated_at = ?9 WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        u.id, u.username, u.email, u.status.as_str(), u.enabled, u.email_verified, u.password_hash,
        to_json(&u.attributes)?, u.updated_at
    ])?;
    Ok(())
}

pub fn set_password_hash(db: &Db, user_id: &str, hash: &str, now: i64) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![user_id, hash, now])?;
    Ok(())
}

fn one(db: &Db, filter: &str, a: &str, b: &str) -> Result<Option<User>, StoreError> {
    db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = ?1 AND {filter} = ?2"
    ))?
    .query_row([a, b], row)
    .optional()?
    .transpose()
}

pub fn get(db: &Db, pool_id: &str, id: &str) -> Result<Option<User>, StoreError> {
    one(db, "id", pool_id, id)
}

pub fn by_username(db: &Db, pool_id: &str, username: &str) -> Result<Option<User>, StoreError> {
    one(db, "username", pool_id, username)
}

pub fn by_email(db: &Db, pool_id: &str, email: &str) -> Result<Option<User>, StoreError> {
    one(db, "email", pool_id, email)
}

pub fn list(db: &Db, pool_id: &str, limit: i64, after: &str) -> Result<Vec<User>, StoreError> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE pool_id = ?1 AND username > ?2 ORDER BY username LIMIT ?3"
    ))?;
    stmt.query_map(rusqlite::params![pool_id, after, limit], row)?
        .map(|r| r.map_err(StoreError::from).and_then(|u| u))
        .collect()
}

pub fn delete(db: &Db, pool_id: &str, id: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM users WHERE pool_id = ?1 AND id = ?2")?
        .execute([pool_id, id])?
        == 1)
}

/// Every user of a pool, ordered by username (for the CLI and bootstrap; pages through `list`).
pub fn list_all(db: &Db, pool_id: &str) -> Result<Vec<User>, StoreError> {
    let mut all = Vec::new();
    loop {
        let after = all
            .last()
            .map(|u: &User| u.username.clone())
            .unwrap_or_default();
        let page = list(db, pool_id, 500, &after)?;
        let done = page.len() < 500;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// The new email a user asked for and has not verified yet.
pub fn pending_email(db: &Db, user_id: &str) -> Result<Option<String>, StoreError> {
    Ok(db
        .prepare_cached("SELECT pending_email FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

pub fn set_pending_email(db: &Db, user_id: &str, email: Option<&str>) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE users SET pending_email = ?2 WHERE id = ?1")?
        .execute(rusqlite::params![user_id, email])?;
    Ok(())
}

/// The number of users in a pool (Cognito's `EstimatedNumberOfUsers`).
pub fn count(db: &Db, pool_id: &str) -> Result<i64, StoreError> {
    Ok(db
        .prepare_cached("SELECT COUNT(*) FROM users WHERE pool_id = ?1")?
        .query_row([pool_id], |r| r.get(0))?)
}
