//! Cognito's resource servers (`resource_servers`) and the descriptions of their scopes (kept
//! in `resource_scopes`, the scope list the grants and discovery read).

use super::{Db, OptionalExtension, StoreError};
use crate::pools::resource_servers::{ResourceServer, Scope};

fn scopes_of(db: &Db, pool_id: &str, identifier: &str) -> Result<Vec<Scope>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT name, description FROM resource_scopes WHERE pool_id = ?1 ORDER BY name",
    )?;
    let rows = stmt
        .query_map([pool_id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(full, description)| match full.rsplit_once('/') {
            Some((server, name)) if server == identifier => Some(Scope {
                name: name.to_string(),
                description,
            }),
            _ => None,
        })
        .collect())
}

type Row = (String, String, String, i64, i64);

fn build(
    db: &Db,
    (pool_id, identifier, name, created_at, updated_at): Row,
) -> Result<ResourceServer, StoreError> {
    let scopes = scopes_of(db, &pool_id, &identifier)?;
    Ok(ResourceServer {
        pool_id,
        identifier,
        name,
        scopes,
        created_at,
        updated_at,
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

const COLUMNS: &str = "pool_id, identifier, name, created_at, updated_at";

pub fn get(db: &Db, pool_id: &str, identifier: &str) -> Result<Option<ResourceServer>, StoreError> {
    let found = db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2"
        ))?
        .query_row([pool_id, identifier], row)
        .optional()?;
    found.map(|r| build(db, r)).transpose()
}

pub fn list(db: &Db, pool_id: &str) -> Result<Vec<ResourceServer>, StoreError> {
    let rows = db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM resource_servers WHERE pool_id = ?1 ORDER BY created_at, identifier"
        ))?
        .query_map([pool_id], row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(|r| build(db, r)).collect()
}

/// Inserts the server (a duplicate identifier is a unique violation) and its scopes.
pub fn insert(db: &Db, s: &ResourceServer) -> Result<(), StoreError> {
    db.prepare_cached(&format!(
        "INSERT INTO resource_servers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
    ))?
    .execute(rusqlite::params![
        s.pool_id,
        s.identifier,
        s.name,
        s.created_at,
        s.updated_at
    ])?;
    put_scopes(db, s)
}

/// Replaces the name and the scopes.
pub fn update(db: &Db, s: &ResourceServer) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE resource_servers SET name = ?3, updated_at = ?4 WHERE pool_id = ?1 AND identifier = ?2",
    )?
    .execute(rusqlite::params![s.pool_id, s.identifier, s.name, s.updated_at])?;
    delete_scopes(db, &s.pool_id, &s.identifier)?;
    put_scopes(db, s)
}

pub fn delete(db: &Db, pool_id: &str, identifier: &str) -> Result<bool, StoreError> {
    let n = db
        .prepare_cached("DELETE FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2")?
        .execute([pool_id, identifier])?;
    delete_scopes(db, pool_id, identifier)?;
    Ok(n == 1)
}

fn put_scopes(db: &Db, s: &ResourceServer) -> Result<(), StoreError> {
    let mut stmt = db.prepare_cached(
        "INSERT INTO resource_scopes (pool_id, name, description) VALUES (?1, ?2, ?3) \
         ON CONFLICT (pool_id, name) DO UPDATE SET description = excluded.description",
    )?;
    for scope in &s.scopes {
        stmt.execute(rusqlite::params![
            s.pool_id,
            format!("{}/{}", s.identifier, scope.name),
            scope.description
        ])?;
    }
    Ok(())
}

/// Deletes the scopes `<identifier>/<name>` (names never contain `/`).
fn delete_scopes(db: &Db, pool_id: &str, identifier: &str) -> Result<(), StoreError> {
    for scope in scopes_of(db, pool_id, identifier)? {
        db.prepare_cached("DELETE FROM resource_scopes WHERE pool_id = ?1 AND name = ?2")?
            .execute([pool_id, &format!("{identifier}/{}", scope.name)])?;
    }
    Ok(())
}
