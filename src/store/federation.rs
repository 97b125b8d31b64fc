//! Identity providers, federated links and in-flight upstream sign-ins (migration 0011).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::{Db, StoreError};

/// A stored identity provider (`federation::providers` checks and shapes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    pub pool_id: String,
    pub name: String,
    pub provider_type: String,
    /// Cognito's `ProviderDetails`, secrets sealed.
    pub details: BTreeMap<String, String>,
    pub attribute_mapping: BTreeMap<String, String>,
    pub idp_identifiers: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "pool_id, name, provider_type, details, attribute_mapping, idp_identifiers, created_at, updated_at";

fn json_col<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IdentityProvider> {
    Ok(IdentityProvider {
        pool_id: r.get(0)?,
        name: r.get(1)?,
        provider_type: r.get(2)?,
        details: json_col(r, 3)?,
        attribute_mapping: json_col(r, 4)?,
        idp_identifiers: json_col(r, 5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

fn text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("maps and lists of strings serialise")
}

pub fn insert(db: &Db, p: &IdentityProvider) -> Result<(), StoreError> {
    db.prepare_cached(&format!(
        "INSERT INTO identity_providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        p.pool_id,
        p.name,
        p.provider_type,
        text(&p.details),
        text(&p.attribute_mapping),
        text(&p.idp_identifiers),
        p.created_at,
        p.updated_at
    ])?;
    Ok(())
}

/// Replaces details, mapping and identifiers; false when there is no such provider.
pub fn update(db: &Db, p: &IdentityProvider) -> Result<bool, StoreError> {
    let n = db
        .prepare_cached(
            "UPDATE identity_providers SET details = ?3, attribute_mapping = ?4, \
             idp_identifiers = ?5, updated_at = ?6 WHERE pool_id = ?1 AND name = ?2",
        )?
        .execute(params![
            p.pool_id,
            p.name,
            text(&p.details),
            text(&p.attribute_mapping),
            text(&p.idp_identifiers),
            p.updated_at
        ])?;
    Ok(n == 1)
}

pub fn get(db: &Db, pool_id: &str, name: &str) -> Result<Option<IdentityProvider>, StoreError> {
    Ok(db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM identity_providers WHERE pool_id = ?1 AND name = ?2"
        ))?
        .query_row(params![pool_id, name], row)
        .optional()?)
}

/// The pool's providers ordered by name, after `after`.
pub fn list(
    db: &Db,
    pool_id: &str,
    limit: i64,
    after: &str,
) -> Result<Vec<IdentityProvider>, StoreError> {
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE pool_id = ?1 AND name > ?2 \
         ORDER BY name LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![pool_id, after, limit], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn delete(db: &Db, pool_id: &str, name: &str) -> Result<bool, StoreError> {
    let n = db
        .prepare_cached("DELETE FROM identity_providers WHERE pool_id = ?1 AND name = ?2")?
        .execute(params![pool_id, name])?;
    db.prepare_cached("DELETE FROM federated_links WHERE pool_id = ?1 AND provider = ?2")?
        .execute(params![pool_id, name])?;
    Ok(n == 1)
}

/// The user an upstream identity is linked to.
pub fn linked_user(
    db: &Db,
    pool_id: &str,
    provider: &str,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT user_id FROM federated_links WHERE pool_id = ?1 AND provider = ?2 AND subject = ?3",
        )?
        .query_row(params![pool_id, provider, subject], |r| r.get(0))
        .optional()?)
}

pub fn link(
    db: &Db,
    pool_id: &str,
    provider: &str,
    subject: &str,
    user_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO federated_links (pool_id, provider, subject, user_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![pool_id, provider, subject, user_id, now])?;
    Ok(())
}

/// A user's links: (provider, subject, created_at), oldest first.
pub fn links_of(db: &Db, user_id: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT provider, subject, created_at FROM federated_links WHERE user_id = ?1 \
         ORDER BY created_at, provider",
    )?;
    let rows = stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn unlink(db: &Db, pool_id: &str, provider: &str, subject: &str) -> Result<bool, StoreError> {
    let n = db
        .prepare_cached(
            "DELETE FROM federated_links WHERE pool_id = ?1 AND provider = ?2 AND subject = ?3",
        )?
        .execute(params![pool_id, provider, subject])?;
    Ok(n == 1)
}

pub fn put_state(
    db: &Db,
    state_hash: &str,
    pool_id: &str,
    provider: &str,
    data: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO federation_states (state_hash, pool_id, provider, data, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![state_hash, pool_id, provider, data, expires_at])?;
    Ok(())
}

/// Takes a state once: (provider, data) when it exists for the pool and has not expired.
pub fn take_state(
    db: &Db,
    state_hash: &str,
    pool_id: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    let taken: Option<(String, String, String, i64)> = db
        .prepare_cached(
            "DELETE FROM federation_states WHERE state_hash = ?1 \
             RETURNING pool_id, provider, data, expires_at",
        )?
        .query_row([state_hash], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    Ok(taken
        .filter(|(pool, _, _, expires)| pool == pool_id && *expires > now)
        .map(|(_, provider, data, _)| (provider, data)))
}

pub fn purge_states(db: &Db, now: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM federation_states WHERE expires_at <= ?1")?
        .execute([now])?)
}

/// Reads a state without taking it (the page that asks for a password before a link).
pub fn peek_state(
    db: &Db,
    state_hash: &str,
    pool_id: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT provider, data FROM federation_states \
             WHERE state_hash = ?1 AND pool_id = ?2 AND expires_at > ?3",
        )?
        .query_row(params![state_hash, pool_id, now], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}
