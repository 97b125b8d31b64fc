//! Groups of a pool and their members. On the `Sql` seam: one text for both engines.

use serde::Serialize;

use super::StoreError;
use super::sql::{Row, Sql};

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

fn row(r: &Row<'_>) -> Result<Group, StoreError> {
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

pub fn insert<'a>(db: impl Into<Sql<'a>>, g: &Group) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO groups (pool_id, name, description, precedence, role_arn, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            &g.pool_id,
            &g.name,
            &g.description,
            &g.precedence,
            &g.role_arn,
            &g.created_at,
            &g.updated_at,
        ],
    )?;
    Ok(())
}

/// Writes description, precedence, role and `updated_at` of an existing group (`created_at`
/// stays); true when it exists. Binds only what the statement uses: PostgreSQL cannot type a
/// parameter the text never mentions.
pub fn update<'a>(db: impl Into<Sql<'a>>, g: &Group) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE groups SET description = ?3, precedence = ?4, role_arn = ?5, updated_at = ?6
         WHERE pool_id = ?1 AND name = ?2",
        &[
            &g.pool_id,
            &g.name,
            &g.description,
            &g.precedence,
            &g.role_arn,
            &g.updated_at,
        ],
    )? == 1)
}

/// Deletes a group and (by cascade) its memberships; true when it existed.
pub fn delete<'a>(db: impl Into<Sql<'a>>, pool_id: &str, name: &str) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM groups WHERE pool_id = ?1 AND name = ?2",
        &[&pool_id, &name],
    )? == 1)
}

pub fn list<'a>(db: impl Into<Sql<'a>>, pool_id: &str) -> Result<Vec<Group>, StoreError> {
    db.into().query_all(
        &format!("SELECT {COLUMNS} FROM groups WHERE pool_id = ?1 ORDER BY name"),
        &[&pool_id],
        row,
    )
}

pub fn exists<'a>(db: impl Into<Sql<'a>>, pool_id: &str, name: &str) -> Result<bool, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT 1 FROM groups WHERE pool_id = ?1 AND name = ?2",
            &[&pool_id, &name],
            |_| Ok(()),
        )?
        .is_some())
}

/// Removes a membership; true when there was one.
pub fn remove_member<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    group: &str,
    user_id: &str,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM group_members WHERE pool_id = ?1 AND group_name = ?2 AND user_id = ?3",
        &[&pool_id, &group, &user_id],
    )? == 1)
}

/// Adds a membership; one already there stays as it is.
pub fn add_member<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    group: &str,
    user_id: &str,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO group_members (pool_id, group_name, user_id) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        &[&pool_id, &group, &user_id],
    )?;
    Ok(())
}

/// The user's group names, ordered by precedence (lowest first) then name, as Cognito lists them.
pub fn of_user<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(groups_of_user(db, user_id)?
        .into_iter()
        .map(|g| g.name)
        .collect())
}

/// The user's groups, ordered by precedence (lowest first; none last) then name.
pub fn groups_of_user<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<Vec<Group>, StoreError> {
    db.into().query_all(
        "SELECT g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at,
                COALESCE(g.updated_at, g.created_at)
         FROM group_members m JOIN groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
         WHERE m.user_id = ?1 ORDER BY g.precedence IS NULL, g.precedence, g.name",
        &[&user_id],
        row,
    )
}

/// One group of a pool.
pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    name: &str,
) -> Result<Option<Group>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {COLUMNS} FROM groups WHERE pool_id = ?1 AND name = ?2"),
        &[&pool_id, &name],
        row,
    )
}

/// How many users belong to a group.
pub fn member_count<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    name: &str,
) -> Result<i64, StoreError> {
    db.into().query_one(
        "SELECT COUNT(*) FROM group_members WHERE pool_id = ?1 AND group_name = ?2",
        &[&pool_id, &name],
        |r| r.get(0),
    )
}
