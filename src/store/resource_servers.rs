//! Cognito's resource servers (`resource_servers`) and the descriptions of their scopes (kept
//! in `resource_scopes`, the scope list the grants and discovery read). On the `Sql` seam: one
//! text for both engines.

use super::StoreError;
use super::sql::{Row, Sql};
use crate::pools::resource_servers::{ResourceServer, Scope};

fn scopes_of(db: Sql<'_>, pool_id: &str, identifier: &str) -> Result<Vec<Scope>, StoreError> {
    let rows = db.query_all(
        "SELECT name, description FROM resource_scopes WHERE pool_id = ?1 ORDER BY name",
        &[&pool_id],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
    )?;
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

type Fields = (String, String, String, i64, i64);

fn build(
    db: Sql<'_>,
    (pool_id, identifier, name, created_at, updated_at): Fields,
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

fn row(r: &Row<'_>) -> Result<Fields, StoreError> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

const COLUMNS: &str = "pool_id, identifier, name, created_at, updated_at";

pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    identifier: &str,
) -> Result<Option<ResourceServer>, StoreError> {
    let db = db.into();
    let found = db.query_opt(
        &format!("SELECT {COLUMNS} FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2"),
        &[&pool_id, &identifier],
        row,
    )?;
    found.map(|r| build(db, r)).transpose()
}

pub fn list<'a>(db: impl Into<Sql<'a>>, pool_id: &str) -> Result<Vec<ResourceServer>, StoreError> {
    let db = db.into();
    let rows = db.query_all(
        &format!(
            "SELECT {COLUMNS} FROM resource_servers WHERE pool_id = ?1 ORDER BY created_at, identifier"
        ),
        &[&pool_id],
        row,
    )?;
    rows.into_iter().map(|r| build(db, r)).collect()
}

/// Inserts the server (a duplicate identifier is a unique violation) and its scopes.
pub fn insert<'a>(db: impl Into<Sql<'a>>, s: &ResourceServer) -> Result<(), StoreError> {
    let db = db.into();
    db.execute(
        &format!("INSERT INTO resource_servers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
        &[
            &s.pool_id,
            &s.identifier,
            &s.name,
            &s.created_at,
            &s.updated_at,
        ],
    )?;
    put_scopes(db, s)
}

/// Replaces the name and the scopes.
pub fn update<'a>(db: impl Into<Sql<'a>>, s: &ResourceServer) -> Result<(), StoreError> {
    let db = db.into();
    db.execute(
        "UPDATE resource_servers SET name = ?3, updated_at = ?4 WHERE pool_id = ?1 AND identifier = ?2",
        &[&s.pool_id, &s.identifier, &s.name, &s.updated_at],
    )?;
    delete_scopes(db, &s.pool_id, &s.identifier)?;
    put_scopes(db, s)
}

pub fn delete<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    identifier: &str,
) -> Result<bool, StoreError> {
    let db = db.into();
    let n = db.execute(
        "DELETE FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2",
        &[&pool_id, &identifier],
    )?;
    delete_scopes(db, pool_id, identifier)?;
    Ok(n == 1)
}

fn put_scopes(db: Sql<'_>, s: &ResourceServer) -> Result<(), StoreError> {
    for scope in &s.scopes {
        db.execute(
            "INSERT INTO resource_scopes (pool_id, name, description) VALUES (?1, ?2, ?3) \
             ON CONFLICT (pool_id, name) DO UPDATE SET description = excluded.description",
            &[
                &s.pool_id,
                &format!("{}/{}", s.identifier, scope.name),
                &scope.description,
            ],
        )?;
    }
    Ok(())
}

/// Deletes the scopes `<identifier>/<name>` (names never contain `/`).
fn delete_scopes(db: Sql<'_>, pool_id: &str, identifier: &str) -> Result<(), StoreError> {
    for scope in scopes_of(db, pool_id, identifier)? {
        db.execute(
            "DELETE FROM resource_scopes WHERE pool_id = ?1 AND name = ?2",
            &[&pool_id, &format!("{identifier}/{}", scope.name)],
        )?;
    }
    Ok(())
}
