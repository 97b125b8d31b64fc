use serde::Serialize;

use super::{Db, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub pool_id: String,
    pub name: String,
    pub description: String,
    pub precedence: Option<i64>,
    pub created_at: i64,
}

pub fn insert(db: &Db, g: &Group) -> Result<(), StoreError> {
    db.prepare_cached("INSERT INTO groups (pool_id, name, description, precedence, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(rusqlite::params![g.pool_id, g.name, g.description, g.precedence, g.created_at])?;
    Ok(())
}

pub fn upsert(db: &Db, g: &Group) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO groups (pool_id, name, description, precedence, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (pool_id, name) DO UPDATE SET description = excluded.description, precedence = excluded.precedence",
    )?
    .execute(rusqlite::params![g.pool_id, g.name, g.description, g.precedence, g.created_at])?;
    Ok(())
}

pub fn list(db: &Db, pool_id: &str) -> Result<Vec<Group>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT pool_id, name, description, precedence, created_at FROM groups WHERE pool_id = ?1 ORDER BY name",
    )?;
    Ok(stmt
        .query_map([pool_id], |r| {
            Ok(Group {
                pool_id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
                precedence: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

pub fn exists(db: &Db, pool_id: &str, name: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("SELECT 1 FROM groups WHERE pool_id = ?1 AND name = ?2")?
        .exists([pool_id, name])?)
}

/// Removes a membership; true when there was one.
pub fn remove_member(
    db: &Db,
    pool_id: &str,
    group: &str,
    user_id: &str,
) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "DELETE FROM group_members WHERE pool_id = ?1 AND group_name = ?2 AND user_id = ?3",
        )?
        .execute([pool_id, group, user_id])?
        == 1)
}

pub fn add_member(db: &Db, pool_id: &str, group: &str, user_id: &str) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT OR IGNORE INTO group_members (pool_id, group_name, user_id) VALUES (?1, ?2, ?3)",
    )?
    .execute([pool_id, group, user_id])?;
    Ok(())
}

/// The user's group names, ordered by precedence (lowest first) then name, as Cognito lists them.
pub fn of_user(db: &Db, user_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT g.name FROM group_members m JOIN groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
         WHERE m.user_id = ?1 ORDER BY g.precedence IS NULL, g.precedence, g.name",
    )?;
    Ok(stmt
        .query_map([user_id], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?)
}

/// One group of a pool.
pub fn get(db: &Db, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
    use super::OptionalExtension;
    Ok(db
        .prepare_cached(
            "SELECT pool_id, name, description, precedence, created_at FROM groups WHERE pool_id = ?1 AND name = ?2",
        )?
        .query_row([pool_id, name], |r| {
            Ok(Group {
                pool_id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
                precedence: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
        .optional()?)
}

/// How many users belong to a group.
pub fn member_count(db: &Db, pool_id: &str, name: &str) -> Result<i64, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT COUNT(*) FROM group_members WHERE pool_id = ?1 AND group_name = ?2",
        )?
        .query_row([pool_id, name], |r| r.get(0))?)
}
