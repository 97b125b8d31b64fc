//! App clients of a pool. On the `Sql` seam: one text for both engines.

use super::sql::{Row, Sql};
use super::{StoreError, from_json, to_json};
use crate::pools::Client;

fn row(r: &Row<'_>) -> Result<Client, StoreError> {
    let settings: String = r.get(4)?;
    let created_at = r.get(5)?;
    Ok(Client {
        id: r.get(0)?,
        pool_id: r.get(1)?,
        name: r.get(2)?,
        secret_hash: r.get(3)?,
        settings: from_json(&settings)?,
        created_at,
        updated_at: r.get::<Option<i64>>(6)?.unwrap_or(created_at),
    })
}

const COLUMNS: &str = "id, pool_id, name, secret_hash, settings, created_at, updated_at";

pub fn insert<'a>(db: impl Into<Sql<'a>>, c: &Client) -> Result<(), StoreError> {
    db.into().execute(
        &format!("INSERT INTO clients ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        &[
            &c.id,
            &c.pool_id,
            &c.name,
            &c.secret_hash,
            &to_json(&c.settings)?,
            &c.created_at,
            &c.updated_at,
        ],
    )?;
    Ok(())
}

pub fn update<'a>(db: impl Into<Sql<'a>>, c: &Client) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE clients SET name = ?2, secret_hash = ?3, settings = ?4, updated_at = ?5 WHERE id = ?1",
        &[&c.id, &c.name, &c.secret_hash, &to_json(&c.settings)?, &c.updated_at],
    )?;
    Ok(())
}

/// A client of the given pool (a client id from another pool is "not found").
pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id: &str,
) -> Result<Option<Client>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {COLUMNS} FROM clients WHERE id = ?1 AND pool_id = ?2"),
        &[&id, &pool_id],
        row,
    )
}

pub fn list<'a>(db: impl Into<Sql<'a>>, pool_id: &str) -> Result<Vec<Client>, StoreError> {
    db.into().query_all(
        &format!("SELECT {COLUMNS} FROM clients WHERE pool_id = ?1 ORDER BY created_at, id"),
        &[&pool_id],
        row,
    )
}

pub fn delete<'a>(db: impl Into<Sql<'a>>, pool_id: &str, id: &str) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM clients WHERE id = ?1 AND pool_id = ?2",
        &[&id, &pool_id],
    )? == 1)
}
