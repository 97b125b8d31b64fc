//! Identity providers, federated links and in-flight upstream sign-ins (migration 0011). On
//! the `Sql` seam: one text for both engines.

use std::collections::BTreeMap;

use super::sql::{Row, Sql};
use super::{StoreError, from_json, to_json};

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

fn json_col<T: serde::de::DeserializeOwned>(r: &Row<'_>, i: usize) -> Result<T, StoreError> {
    from_json(&r.get::<String>(i)?)
}

fn row(r: &Row<'_>) -> Result<IdentityProvider, StoreError> {
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

/// The JSON columns: details, attribute mapping, identifiers.
fn json_columns(p: &IdentityProvider) -> Result<[String; 3], StoreError> {
    Ok([
        to_json(&p.details)?,
        to_json(&p.attribute_mapping)?,
        to_json(&p.idp_identifiers)?,
    ])
}

pub fn insert<'a>(db: impl Into<Sql<'a>>, p: &IdentityProvider) -> Result<(), StoreError> {
    let [details, mapping, identifiers] = &json_columns(p)?;
    db.into().execute(
        &format!(
            "INSERT INTO identity_providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ),
        &[
            &p.pool_id,
            &p.name,
            &p.provider_type,
            details,
            mapping,
            identifiers,
            &p.created_at,
            &p.updated_at,
        ],
    )?;
    Ok(())
}

/// Replaces details, mapping and identifiers; false when there is no such provider.
pub fn update<'a>(db: impl Into<Sql<'a>>, p: &IdentityProvider) -> Result<bool, StoreError> {
    let [details, mapping, identifiers] = &json_columns(p)?;
    let n = db.into().execute(
        "UPDATE identity_providers SET details = ?3, attribute_mapping = ?4, \
         idp_identifiers = ?5, updated_at = ?6 WHERE pool_id = ?1 AND name = ?2",
        &[
            &p.pool_id,
            &p.name,
            details,
            mapping,
            identifiers,
            &p.updated_at,
        ],
    )?;
    Ok(n == 1)
}

pub fn get<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    name: &str,
) -> Result<Option<IdentityProvider>, StoreError> {
    db.into().query_opt(
        &format!("SELECT {COLUMNS} FROM identity_providers WHERE pool_id = ?1 AND name = ?2"),
        &[&pool_id, &name],
        row,
    )
}

/// The pool's providers ordered by name, after `after`.
pub fn list<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    limit: i64,
    after: &str,
) -> Result<Vec<IdentityProvider>, StoreError> {
    db.into().query_all(
        &format!(
            "SELECT {COLUMNS} FROM identity_providers WHERE pool_id = ?1 AND name > ?2 \
             ORDER BY name LIMIT ?3"
        ),
        &[&pool_id, &after, &limit],
        row,
    )
}

/// Deletes a provider and the links through it.
pub fn delete<'a>(db: impl Into<Sql<'a>>, pool_id: &str, name: &str) -> Result<bool, StoreError> {
    let db = db.into();
    let n = db.execute(
        "DELETE FROM identity_providers WHERE pool_id = ?1 AND name = ?2",
        &[&pool_id, &name],
    )?;
    db.execute(
        "DELETE FROM federated_links WHERE pool_id = ?1 AND provider = ?2",
        &[&pool_id, &name],
    )?;
    Ok(n == 1)
}

/// The user an upstream identity is linked to.
pub fn linked_user<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    provider: &str,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    db.into().query_opt(
        "SELECT user_id FROM federated_links WHERE pool_id = ?1 AND provider = ?2 AND subject = ?3",
        &[&pool_id, &provider, &subject],
        |r| r.get(0),
    )
}

pub fn link<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    provider: &str,
    subject: &str,
    user_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO federated_links (pool_id, provider, subject, user_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[&pool_id, &provider, &subject, &user_id, &now],
    )?;
    Ok(())
}

/// A user's links: (provider, subject, created_at), oldest first.
pub fn links_of<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    db.into().query_all(
        "SELECT provider, subject, created_at FROM federated_links WHERE user_id = ?1 \
         ORDER BY created_at, provider",
        &[&user_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

pub fn unlink<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    provider: &str,
    subject: &str,
) -> Result<bool, StoreError> {
    let n = db.into().execute(
        "DELETE FROM federated_links WHERE pool_id = ?1 AND provider = ?2 AND subject = ?3",
        &[&pool_id, &provider, &subject],
    )?;
    Ok(n == 1)
}

pub fn put_state<'a>(
    db: impl Into<Sql<'a>>,
    state_hash: &str,
    pool_id: &str,
    provider: &str,
    data: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO federation_states (state_hash, pool_id, provider, data, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[&state_hash, &pool_id, &provider, &data, &expires_at],
    )?;
    Ok(())
}

/// Takes a state once: (provider, data) when it exists for the pool and has not expired. The
/// row goes whatever it holds (one `DELETE ... RETURNING`: of two concurrent takes, one gets it).
pub fn take_state<'a>(
    db: impl Into<Sql<'a>>,
    state_hash: &str,
    pool_id: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    let taken: Option<(String, String, String, i64)> = db.into().query_opt(
        "DELETE FROM federation_states WHERE state_hash = ?1 \
         RETURNING pool_id, provider, data, expires_at",
        &[&state_hash],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(taken
        .filter(|(pool, _, _, expires)| pool == pool_id && *expires > now)
        .map(|(_, provider, data, _)| (provider, data)))
}

pub fn purge_states<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM federation_states WHERE expires_at <= ?1",
        &[&now],
    )? as usize)
}

/// Reads a state without taking it (the page that asks for a password before a link).
pub fn peek_state<'a>(
    db: impl Into<Sql<'a>>,
    state_hash: &str,
    pool_id: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    db.into().query_opt(
        "SELECT provider, data FROM federation_states \
         WHERE state_hash = ?1 AND pool_id = ?2 AND expires_at > ?3",
        &[&state_hash, &pool_id, &now],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}
