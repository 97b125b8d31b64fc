//! Users of a pool. On the `Sql` seam: one text for both engines.

use super::sql::{Row, Sql};
use super::{StoreError, from_json, to_json};
use crate::accounts::{User, UserStatus};

const COLUMNS: &str = "id, pool_id, username, email, status, enabled, email_verified, password_hash, attributes, created_at, updated_at";

fn row(r: &Row<'_>) -> Result<User, StoreError> {
    let status: String = r.get(4)?;
    let attributes: String = r.get(8)?;
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
}

pub fn insert<'a>(db: impl Into<Sql<'a>>, u: &User) -> Result<(), StoreError> {
    db.into().execute(
        &format!(
            "INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ),
        &[
            &u.id,
            &u.pool_id,
            &u.username,
            &u.email,
            &u.status.as_str(),
            &u.enabled,
            &u.email_verified,
            &u.password_hash,
            &to_json(&u.attributes)?,
            &u.created_at,
            &u.updated_at,
        ],
    )?;
    Ok(())
}

pub fn update<'a>(db: impl Into<Sql<'a>>, u: &User) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE users SET username = ?2, email = ?3, status = ?4, enabled = ?5, email_verified = ?6,
         password_hash = ?7, attributes = ?8, updated_at = ?9 WHERE id = ?1",
        &[
            &u.id,
            &u.username,
            &u.email,
            &u.status.as_str(),
            &u.enabled,
            &u.email_verified,
            &u.password_hash,
            &to_json(&u.attributes)?,
            &u.updated_at,
        ],
    )?;
    Ok(())
}

pub fn set_password_hash<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        &[&user_id, &hash, &now],
    )?;
    Ok(())
}

fn one(db: Sql<'_>, filter: &str, a: &str, b: &str) -> Result<Option<User>, StoreError> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE pool_id = ?1 AND {filter} = ?2"),
        &[&a, &b],
        row,
    )
}

pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id: &str,
) -> Result<Option<User>, StoreError> {
    one(db.into(), "id", pool_id, id)
}

pub fn by_username<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    username: &str,
) -> Result<Option<User>, StoreError> {
    one(db.into(), "username", pool_id, username)
}

pub fn by_email<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    email: &str,
) -> Result<Option<User>, StoreError> {
    one(db.into(), "email", pool_id, email)
}

/// A page of a pool's users, ordered by username, after `after`, at most `limit`.
pub fn list<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    limit: i64,
    after: &str,
) -> Result<Vec<User>, StoreError> {
    db.into().query_all(
        &format!(
            "SELECT {COLUMNS} FROM users WHERE pool_id = ?1 AND username > ?2 ORDER BY username LIMIT ?3"
        ),
        &[&pool_id, &after, &limit],
        row,
    )
}

pub fn delete<'a>(db: impl Into<Sql<'a>>, pool_id: &str, id: &str) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM users WHERE pool_id = ?1 AND id = ?2",
        &[&pool_id, &id],
    )? == 1)
}

/// Every user of a pool, ordered by username (for the CLI and bootstrap; pages through `list`).
pub fn list_all<'a>(db: impl Into<Sql<'a>>, pool_id: &str) -> Result<Vec<User>, StoreError> {
    let db = db.into();
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
pub fn pending_email<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT pending_email FROM users WHERE id = ?1",
            &[&user_id],
            |r| r.get::<Option<String>>(0),
        )?
        .flatten())
}

pub fn set_pending_email<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    email: Option<&str>,
) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE users SET pending_email = ?2 WHERE id = ?1",
        &[&user_id, &email],
    )?;
    Ok(())
}

/// The number of users in a pool (Cognito's `EstimatedNumberOfUsers`).
pub fn count<'a>(db: impl Into<Sql<'a>>, pool_id: &str) -> Result<i64, StoreError> {
    db.into().query_one(
        "SELECT COUNT(*) FROM users WHERE pool_id = ?1",
        &[&pool_id],
        |r| r.get(0),
    )
}
