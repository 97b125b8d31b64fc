use serde::Serialize;

use super::{Db, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub pool_id: String,
    pub name: String,
    pub description: String,
    pub precedence: Option<i64>,
    /// An IAM role ARN (Cognito's `RoleArn`): `cognito:roles` / `cognito:preferred_role`.
    pub role_arn: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "pool_id, name, description, precedence, role_arn, created_at, COALESCE(updated_at, created_at)";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        pool_id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        precedence: r.get(3)?,
        role_arn: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

/// The parameters ?1..?7 of `insert` and `update`, in column order.
fn params(g: &Group) -> [&dyn rusqlite::ToSql; 7] {
    [
        &g.pool_id,
        &g.name,
        &g.description,
        &g.precedence,
        &g.role_arn,
        &g.created_at,
        &g.updated_at,
    ]
}

pub fn insert(db: &Db, g: &Group) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO groups (pool_id, name, description, precedence, role_arn, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params(g))?;
    Ok(())
}

/// Writes description, precedence, role and `updated_at` of an existing group (`created_at`,
/// ?6, stays: SQLite allows a numbered parameter to go unused); true when it exists.
pub fn update(db: &Db, g: &Group) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE groups SET description = ?3, precedence = ?4, role_arn = ?5, updated_at = ?7
             WHERE pool_id = ?1 AND name = ?2",
        )?
        .execute(params(g))?
        == 1)
}

/// Deletes a group and (by cascade) its memberships; true when it existed.
pub fn delete(db: &Db, pool_id: &str, name: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM groups WHERE pool_id = ?1 AND name = ?2")?
        .execute([pool_id, name])?
        == 1)
}

pub fn list(db: &Db, pool_id: &str) -> Result<Vec<Group>, StoreError> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM groups WHERE pool_id = ?1 ORDER BY name"
    ))?;
    Ok(stmt
        .query_map([pool_id], row)?
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
    Ok(groups_of_user(db, user_id)?
        .into_iter()
        .map(|g| g.name)
        .collect())
}

/// The user's groups, ordered by precedence (lowest first; none last) then name.
pub fn groups_of_user(db: &Db, user_id: &str) -> Result<Vec<Group>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at,
                COALESCE(g.updated_at, g.created_at)
         FROM group_members m JOIN groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
         WHERE m.user_id = ?1 ORDER BY g.precedence IS NULL, g.precedence, g.name",
    )?;
    Ok(stmt
        .query_map([user_id], row)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// One group of a pool.
pub fn get(db: &Db, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
    use super::OptionalExtension;
    Ok(db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM groups WHERE pool_id = ?1 AND name = ?2"
        ))?
        .query_row([pool_id, name], row)
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
