//! Pool, client and key administration shared by the CLI, bootstrap and start-up.

use super::clients::{ClientSettings, is_resource_scope};
use super::{Client, OAuthFlow, Pool, PoolSettings, is_valid_pool_id, new_pool_id};
use crate::keys::{self, Alg, KeyMaterial, KeySet, LoadedKey, seal::Sealer};
use crate::store::{self, Db};
use crate::{Error, Result};

#[allow(clippy::too_many_arguments)]
pub fn create_pool(
    db: &Db,
    id: Option<&str>,
    name: &str,
    region: &str,
    settings: PoolSettings,
    alg: Alg,
    sealer: &Sealer,
    now: i64,
) -> Result<Pool> {
    validate_name(name)?;
    settings.validate()?;
    let id = match id {
        Some(id) if is_valid_pool_id(id) => id.to_string(),
        Some(id) => {
            return Err(Error::invalid(format!(
                "pool id {id:?}: expected region_alphanumerics"
            )));
        }
        None => new_pool_id(region),
    };
    if store::pools::get(db, &id)?.is_some() {
        return Err(Error::AlreadyExists(format!("pool {id}")));
    }
    let pool = Pool {
        id,
        name: name.to_string(),
        settings,
        created_at: now,
        updated_at: now,
    };
    store::pools::insert(db, &pool)?;
    add_key(db, &pool.id, alg, sealer, now)?;
    Ok(pool)
}

fn validate_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(Error::invalid("name: 1 to 128 printable characters"));
    }
    Ok(())
}

pub fn require_pool(db: &Db, id: &str) -> Result<Pool> {
    store::pools::get(db, id)?.ok_or_else(|| Error::not_found(format!("pool {id:?}")))
}

/// Deletes a pool with everything in it (users, clients, keys: the schema cascades).
pub fn delete_pool(db: &Db, id: &str) -> Result<()> {
    if !store::pools::delete(db, id)? {
        return Err(Error::not_found(format!("pool {id:?}")));
    }
    Ok(())
}

pub fn update_pool(db: &Db, pool: &mut Pool, now: i64) -> Result<()> {
    validate_name(&pool.name)?;
    pool.settings.validate()?;
    pool.updated_at = now;
    store::pools::update(db, pool)?;
    Ok(())
}

/// How a new client gets its secret.
pub enum SecretChoice {
    Public,
    Generate,
    Fixed(String),
}

pub fn create_client(
    db: &Db,
    pool: &Pool,
    id: Option<&str>,
    name: &str,
    settings: ClientSettings,
    secret: SecretChoice,
    now: i64,
) -> Result<(Client, Option<String>)> {
    validate_name(name)?;
    settings.validate()?;
    let id = match id {
        // Cognito's ClientId pattern `[\w+]+`, so the Cognito API accepts every client id.
        Some(id)
            if !id.is_empty()
                && id.len() <= 128
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+') =>
        {
            id.to_string()
        }
        Some(id) => {
            return Err(Error::invalid(format!(
                "client id {id:?}: 1 to 128 letters, digits, '_' or '+' (Cognito's pattern)"
            )));
        }
        None => crate::random::lower_alnum(26),
    };
    let secret = match secret {
        SecretChoice::Public => None,
        SecretChoice::Generate => Some(crate::random::alnum(51)),
        SecretChoice::Fixed(s) if s.len() >= 16 && s.len() <= 256 => Some(s),
        SecretChoice::Fixed(_) => {
            return Err(Error::invalid("client secret: 16 to 256 characters"));
        }
    };
    let client = Client {
        id,
        pool_id: pool.id.clone(),
        name: name.to_string(),
        secret_hash: secret.as_deref().map(crate::random::sha256_hex),
        settings,
        created_at: now,
        updated_at: now,
    };
    check_flows(&client)?;
    check_identity_providers(db, pool, &client)?;
    if store::clients::get(db, &pool.id, &client.id)?.is_some() {
        return Err(Error::AlreadyExists(format!("client {}", client.id)));
    }
    store::clients::insert(db, &client).map_err(|e| {
        if e.is_unique_violation() {
            Error::AlreadyExists(format!("client {}", client.id))
        } else {
            e.into()
        }
    })?;
    declare_scopes(db, pool, &client.settings.scopes)?;
    Ok((client, secret))
}

/// The client_credentials flow needs a client secret (a machine client authenticates).
fn check_flows(client: &Client) -> Result<()> {
    if client.is_public()
        && client
            .settings
            .flows
            .contains(&OAuthFlow::ClientCredentials)
    {
        return Err(Error::invalid(
            "OAuth flow client_credentials: it needs a confidential client (with a secret)",
        ));
    }
    Ok(())
}

/// A client offers only `COGNITO` and the pool's own identity providers.
fn check_identity_providers(db: &Db, pool: &Pool, client: &Client) -> Result<()> {
    let names = &client.settings.supported_identity_providers;
    match crate::federation::providers::unknown_provider(db, &pool.id, names)? {
        Some(name) => Err(Error::invalid(format!(
            "SupportedIdentityProviders: the provider {name} does not exist for User Pool {}",
            pool.id
        ))),
        None => Ok(()),
    }
}

/// The resource-server scopes among `scopes` that the pool has not declared (the Cognito API
/// refuses them; the CLI and bootstrap declare them with `declare_scopes`).
pub fn undeclared_scopes(db: &Db, pool: &Pool, scopes: &[String]) -> Result<Vec<String>> {
    let declared = store::pools::resource_scopes(db, &pool.id)?;
    Ok(scopes
        .iter()
        .filter(|s| is_resource_scope(s) && !declared.contains(s))
        .cloned()
        .collect())
}

/// Deletes a client; returns what it was.
pub fn delete_client(db: &Db, pool: &Pool, id: &str) -> Result<Client> {
    let client = require_client(db, pool, id)?;
    store::clients::delete(db, &pool.id, &client.id)?;
    Ok(client)
}

/// Naming a resource-server scope on a client declares it in the pool (like Cognito's resource servers).
pub fn declare_scopes(db: &Db, pool: &Pool, scopes: &[String]) -> Result<()> {
    for s in scopes.iter().filter(|s| is_resource_scope(s)) {
        store::pools::add_resource_scope(db, &pool.id, s)?;
    }
    Ok(())
}

pub fn require_client(db: &Db, pool: &Pool, id: &str) -> Result<Client> {
    store::clients::get(db, &pool.id, id)?.ok_or_else(|| Error::not_found(format!("client {id:?}")))
}

pub fn add_key(db: &Db, pool_id: &str, alg: Alg, sealer: &Sealer, now: i64) -> Result<String> {
    let new = keys::generate(alg).map_err(|e| Error::Crypto(e.to_string()))?;
    store::keys::insert(
        db,
        pool_id,
        &store::keys::KeyRow {
            kid: new.kid.clone(),
            alg: alg.name().to_string(),
            private_jwk: sealer.seal(&new.private_jwk),
            public_jwk: new.public_jwk,
            created_at: now,
            active: true,
            retired_at: None,
        },
    )?;
    Ok(new.kid)
}

/// Makes a new key active; the old one stops signing but stays in the JWKS until the tokens it
/// signed have expired.
pub fn rotate_key(db: &Db, pool_id: &str, alg: Alg, sealer: &Sealer, now: i64) -> Result<String> {
    store::keys::retire_active(db, pool_id, now)?;
    add_key(db, pool_id, alg, sealer, now)
}

pub fn load_keyset(db: &Db, pool_id: &str, sealer: &Sealer, now: i64) -> Result<KeySet> {
    let rows = store::keys::published(db, pool_id, now - keys::RETIRED_KEY_PUBLISHED_SECS)?;
    // A key rotated in less than KEY_PUBLISH_SECS ago is published, not yet signing: the key
    // its rotation retired signs until then.
    let handover = rows
        .iter()
        .find(|r| r.active && now < r.created_at + keys::KEY_PUBLISH_SECS)
        .and_then(|new| {
            rows.iter()
                .filter(|r| !r.active && r.retired_at.is_some_and(|at| at >= new.created_at))
                .max_by_key(|r| r.retired_at)
                .map(|old| (old.kid.clone(), new.created_at + keys::KEY_PUBLISH_SECS))
        });
    let mut loaded = Vec::with_capacity(rows.len());
    for row in rows {
        let active = match &handover {
            Some((signing, _)) => row.kid == *signing,
            None => row.active,
        };
        let private_jwk = sealer.open(&row.private_jwk).map_err(Error::Crypto)?;
        let material = KeyMaterial {
            kid: row.kid,
            alg: row.alg,
            private_jwk,
            public_jwk: row.public_jwk,
            active,
        };
        loaded.push(LoadedKey::load(&material).map_err(|e| Error::Crypto(e.to_string()))?);
    }
    Ok(match handover {
        Some((_, takes_over)) => KeySet::new(loaded).reload_at(takes_over),
        None => KeySet::new(loaded),
    })
}

/// Saves a changed client (name, secret hash, settings) after the same checks as
/// `create_client`, and declares the resource-server scopes it names.
pub fn update_client(db: &Db, pool: &Pool, client: &Client) -> Result<()> {
    validate_name(&client.name)?;
    client.settings.validate()?;
    check_flows(client)?;
    check_identity_providers(db, pool, client)?;
    store::clients::update(db, client)?;
    declare_scopes(db, pool, &client.settings.scopes)?;
    Ok(())
}

/// The stored form of a fixed client secret, with the same length rule as `create_client`.
pub fn hash_client_secret(secret: &str) -> Result<String> {
    if secret.len() < 16 || secret.len() > 256 {
        return Err(Error::invalid("client secret: 16 to 256 characters"));
    }
    Ok(crate::random::sha256_hex(secret))
}

/// A pool by id, or else by its name when exactly one pool carries it (for the CLI).
pub fn find_pool(db: &Db, id_or_name: &str) -> Result<Pool> {
    if let Some(pool) = store::pools::get(db, id_or_name)? {
        return Ok(pool);
    }
    let mut named: Vec<Pool> = store::pools::list(db)?
        .into_iter()
        .filter(|p| p.name == id_or_name)
        .collect();
    match named.len() {
        1 => Ok(named.remove(0)),
        0 => Err(Error::not_found(format!("pool {id_or_name:?}"))),
        n => Err(Error::invalid(format!(
            "pool {id_or_name:?}: {n} pools have this name, use the pool id"
        ))),
    }
}
