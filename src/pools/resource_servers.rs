//! Resource servers (Cognito's): an identifier and a name with scopes, granted to clients as
//! `<identifier>/<scope name>`. A client that names an undeclared `server/scope` through the
//! CLI or bootstrap still declares the scope alone (`service::declare_scopes`).

use super::Pool;
use super::clients::is_resource_server_identifier;
use crate::store::{self, Db};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ResourceServer {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// At most this many scopes per server (Cognito's limit).
pub const MAX_SCOPES: usize = 100;

fn validate(s: &ResourceServer) -> Result<()> {
    if !is_resource_server_identifier(&s.identifier) {
        return Err(Error::invalid(format!(
            "resource server identifier {:?}: 1 to 256 printable characters, no quotes or backslashes",
            s.identifier
        )));
    }
    if s.name.trim().is_empty() || s.name.len() > 256 || s.name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "resource server name: 1 to 256 printable characters",
        ));
    }
    if s.scopes.len() > MAX_SCOPES {
        return Err(Error::invalid(format!("scopes: at most {MAX_SCOPES}")));
    }
    for (i, scope) in s.scopes.iter().enumerate() {
        let full = format!("{}/{}", s.identifier, scope.name);
        if scope.name.contains('/') || !super::clients::is_resource_scope(&full) {
            return Err(Error::invalid(format!(
                "scope name {:?}: 1 to 256 printable characters, no '/', quotes or backslashes",
                scope.name
            )));
        }
        if scope.description.is_empty()
            || scope.description.chars().count() > 256
            || scope.description.chars().any(char::is_control)
        {
            return Err(Error::invalid(format!(
                "description of scope {:?}: 1 to 256 characters",
                scope.name
            )));
        }
        if s.scopes[..i].iter().any(|o| o.name == scope.name) {
            return Err(Error::invalid(format!(
                "scope {:?} given twice",
                scope.name
            )));
        }
    }
    Ok(())
}

pub fn create(
    db: &Db,
    pool: &Pool,
    mut server: ResourceServer,
    now: i64,
) -> Result<ResourceServer> {
    server.pool_id = pool.id.clone();
    server.created_at = now;
    server.updated_at = now;
    validate(&server)?;
    if store::resource_servers::get(db, &pool.id, &server.identifier)?.is_some() {
        return Err(Error::AlreadyExists(format!(
            "resource server {:?}",
            server.identifier
        )));
    }
    store::resource_servers::insert(db, &server)?;
    Ok(server)
}

pub fn require(db: &Db, pool: &Pool, identifier: &str) -> Result<ResourceServer> {
    store::resource_servers::get(db, &pool.id, identifier)?
        .ok_or_else(|| Error::not_found(format!("resource server {identifier:?}")))
}

/// Replaces the name and the scopes of an existing server.
pub fn update(db: &Db, pool: &Pool, server: ResourceServer, now: i64) -> Result<ResourceServer> {
    let existing = require(db, pool, &server.identifier)?;
    let server = ResourceServer {
        pool_id: pool.id.clone(),
        created_at: existing.created_at,
        updated_at: now,
        ..server
    };
    validate(&server)?;
    store::resource_servers::update(db, &server)?;
    drop_undeclared_scopes(db, pool, &server.identifier)?;
    Ok(server)
}

/// Deletes the server and its scopes, also from the clients that named them.
pub fn delete(db: &Db, pool: &Pool, identifier: &str) -> Result<()> {
    require(db, pool, identifier)?;
    store::resource_servers::delete(db, &pool.id, identifier)?;
    drop_undeclared_scopes(db, pool, identifier)
}

/// Removes from the pool's clients the scopes of server `identifier` it no longer declares,
/// so that no grant hands them out.
fn drop_undeclared_scopes(db: &Db, pool: &Pool, identifier: &str) -> Result<()> {
    let declared = store::pools::resource_scopes(db, &pool.id)?;
    let gone = |s: &String| {
        s.rsplit_once('/')
            .is_some_and(|(server, _)| server == identifier)
            && !declared.contains(s)
    };
    for mut client in store::clients::list(db, &pool.id)? {
        if client.settings.scopes.iter().any(gone) {
            client.settings.scopes.retain(|s| !gone(s));
            store::clients::update(db, &client)?;
        }
    }
    Ok(())
}
