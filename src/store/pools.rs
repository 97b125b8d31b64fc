use super::{Db, OptionalExtension, StoreError, from_json, to_json};
use crate::pools::Pool;

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, i64, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn build(
    (id, name, settings, created_at, updated_at): (String, String, String, i64, i64),
) -> Result<Pool, StoreError> {
    Ok(Pool {
        id,
        name,
        settings: from_json(&settings)?,
        created_at,
        updated_at,
    })
}

pub fn insert(db: &Db, pool: &Pool) -> Result<(), StoreError> {
    db.prepare_cached("INSERT INTO pools (id, name, settings, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(rusqlite::params![pool.id, pool.name, to_json(&pool.settings)?, pool.created_at, pool.updated_at])?;
    Ok(())
}

pub fn update(db: &Db, pool: &Pool) -> Result<bool, StoreError> {
    let n = db
        .prepare_cached("UPDATE pools SET name = ?2, settings = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(rusqlite::params![
            pool.id,
            pool.name,
            to_json(&pool.settings)?,
            pool.updated_at
        ])?;
    Ok(n == 1)
}

pub fn get(db: &Db, id: &str) -> Result<Option<Pool>, StoreError> {
    db.prepare_cached("SELECT id, name, settings, created_at, updated_at FROM pools WHERE id = ?1")?
        .query_row([id], row)
        .optional()?
        .map(build)
        .transpose()
}

pub fn list(db: &Db) -> Result<Vec<Pool>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT id, name, settings, created_at, updated_at FROM pools ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(build).collect()
}

pub fn delete(db: &Db, id: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM pools WHERE id = ?1")?
        .execute([id])?
        == 1)
}

pub fn add_resource_scope(db: &Db, pool_id: &str, scope: &str) -> Result<(), StoreError> {
    db.prepare_cached("INSERT OR IGNORE INTO resource_scopes (pool_id, name) VALUES (?1, ?2)")?
        .execute([pool_id, scope])?;
    Ok(())
}

pub fn resource_scopes(db: &Db, pool_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        db.prepare_cached("SELECT name FROM resource_scopes WHERE pool_id = ?1 ORDER BY name")?;
    Ok(stmt
        .query_map([pool_id], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?)
}
