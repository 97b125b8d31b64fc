//! User pools and their resource scopes. On the `Sql` seam: one text for both engines.

use super::sql::{Row, Sql};
use super::{StoreError, from_json, to_json};
use crate::pools::Pool;

fn row(r: &Row<'_>) -> Result<Pool, StoreError> {
    let settings: String = r.get(2)?;
    Ok(Pool {
        id: r.get(0)?,
        name: r.get(1)?,
        settings: from_json(&settings)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

pub fn insert<'a>(db: impl Into<Sql<'a>>, pool: &Pool) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO pools (id, name, settings, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[&pool.id, &pool.name, &to_json(&pool.settings)?, &pool.created_at, &pool.updated_at],
    )?;
    Ok(())
}

pub fn update<'a>(db: impl Into<Sql<'a>>, pool: &Pool) -> Result<bool, StoreError> {
    let n = db.into().execute(
        "UPDATE pools SET name = ?2, settings = ?3, updated_at = ?4 WHERE id = ?1",
        &[
            &pool.id,
            &pool.name,
            &to_json(&pool.settings)?,
            &pool.updated_at,
        ],
    )?;
    Ok(n == 1)
}

pub fn get<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<Option<Pool>, StoreError> {
    db.into().query_opt(
        "SELECT id, name, settings, created_at, updated_at FROM pools WHERE id = ?1",
        &[&id],
        row,
    )
}

pub fn list<'a>(db: impl Into<Sql<'a>>) -> Result<Vec<Pool>, StoreError> {
    db.into().query_all(
        "SELECT id, name, settings, created_at, updated_at FROM pools ORDER BY created_at, id",
        &[],
        row,
    )
}

pub fn delete<'a>(db: impl Into<Sql<'a>>, id: &str) -> Result<bool, StoreError> {
    Ok(db
        .into()
        .execute("DELETE FROM pools WHERE id = ?1", &[&id])?
        == 1)
}

/// Adds a scope to the pool's list; one already there is kept as it is.
pub fn add_resource_scope<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    scope: &str,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO resource_scopes (pool_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        &[&pool_id, &scope],
    )?;
    Ok(())
}

pub fn resource_scopes<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
) -> Result<Vec<String>, StoreError> {
    db.into().query_all(
        "SELECT name FROM resource_scopes WHERE pool_id = ?1 ORDER BY name",
        &[&pool_id],
        |r| r.get(0),
    )
}
