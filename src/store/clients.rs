use super::{Db, OptionalExtension, StoreError, from_json, to_json};
use crate::pools::Client;

type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn build(
    (id, pool_id, name, secret_hash, settings, created_at, updated_at): Row,
) -> Result<Client, StoreError> {
    Ok(Client {
        id,
        pool_id,
        name,
        secret_hash,
        settings: from_json(&settings)?,
        created_at,
        updated_at: updated_at.unwrap_or(created_at),
    })
}

const COLUMNS: &str = "id, pool_id, name, secret_hash, settings, created_at, updated_at";

pub fn insert(db: &Db, c: &Client) -> Result<(), StoreError> {
    db.prepare_cached(&format!(
        "INSERT INTO clients ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(rusqlite::params![
        c.id,
        c.pool_id,
        c.name,
        c.secret_hash,
        to_json(&c.settings)?,
        c.created_at,
        c.updated_at
    ])?;
    Ok(())
}

pub fn update(db: &Db, c: &Client) -> Result<(), StoreError> {
    db.prepare_cached(
        "UPDATE clients SET name = ?2, secret_hash = ?3, settings = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        c.id,
        c.name,
        c.secret_hash,
        to_json(&c.settings)?,
        c.updated_at
    ])?;
    Ok(())
}

/// A client of the given pool (a client id from another pool is "not found").
pub fn get(db: &Db, pool_id: &str, id: &str) -> Result<Option<Client>, StoreError> {
    db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM clients WHERE id = ?1 AND pool_id = ?2"
    ))?
    .query_row([id, pool_id], row)
    .optional()?
    .map(build)
    .transpose()
}

pub fn list(db: &Db, pool_id: &str) -> Result<Vec<Client>, StoreError> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM clients WHERE pool_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([pool_id], row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(build).collect()
}

pub fn delete(db: &Db, pool_id: &str, id: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM clients WHERE id = ?1 AND pool_id = ?2")?
        .execute([id, pool_id])?
        == 1)
}
