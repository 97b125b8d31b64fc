//! The request context of an API call (state, clock reading, caller address), its store
//! work on the request pool, and the client and pool a request names.

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use crate::accounts::User;
use crate::cognito::error::CognitoError;
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::{self, Db};

use super::*;

pub type Result<T, E = CognitoError> = std::result::Result<T, E>;

/// One API request: the server state, its clock reading and the caller's address.
pub struct Ctx {
    pub state: AppState,
    pub now: i64,
    pub ip: IpAddr,
}

impl Ctx {
    pub fn issuer(&self, pool_id: &str) -> String {
        self.state.issuer(pool_id)
    }

    /// Runs `f` in a write transaction on the request pool (`request_pool`, like the OIDC
    /// endpoints). What `f` wrote is committed even when it answers with a client error (a
    /// spent challenge or code, a recorded failure must stick); only an internal error rolls
    /// back. So check inputs before writing.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T> + Send + 'static,
    {
        let store = self.state.store.clone();
        self.state
            .request_pool
            .run(move || store.write_sync(move |db| commit_unless_internal(f(db))))
            .await
            .map_err(|Wrapped(e)| e)?
    }

    /// `write` for sign-ins: `f` prepares the outcome inside the transaction; tokens are
    /// signed after the commit, outside the writer's turn, in the same call.
    pub async fn sign_in<F>(&self, f: F) -> Result<Value>
    where
        F: FnOnce(&Db) -> Result<Outcome> + Send + 'static,
    {
        let store = self.state.store.clone();
        self.state
            .request_pool
            .run(move || {
                let outcome = store.write_sync(move |db| commit_unless_internal(f(db)))?;
                Ok(outcome.and_then(Outcome::finish))
            })
            .await
            .map_err(|Wrapped(e)| e)?
    }

    /// Runs `f` on a pooled connection on the request pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T> + Send + 'static,
    {
        let store = self.state.store.clone();
        self.state
            .request_pool
            .run(move || store.read_sync(move |db| f(db).map_err(Wrapped)))
            .await
            .map_err(|Wrapped(e)| e)
    }
}

/// Inside `Ctx::write`: an internal error rolls the transaction back; any other answer,
/// success or client error, commits what was written.
fn commit_unless_internal<T>(r: Result<T>) -> std::result::Result<Result<T>, Wrapped> {
    match r {
        Err(e) if e.name == "InternalErrorException" => Err(Wrapped(e)),
        other => Ok(other),
    }
}

/// A new password for the user called `username`, prepared on the blocking pool before the
/// write transaction that sets it (see `service::NewPassword`).
pub async fn prepare_password(
    pool: &crate::pools::Pool,
    username: &str,
    password: &str,
) -> Result<crate::accounts::service::NewPassword> {
    let (pool, username, password) = (pool.clone(), username.to_string(), password.to_string());
    Ok(crate::store::blocking(move || {
        crate::accounts::service::NewPassword::prepare(&pool, &username, &password)
    })
    .await?)
}

/// Carries a `CognitoError` through the store's error type parameter.
struct Wrapped(CognitoError);

impl From<crate::store::StoreError> for Wrapped {
    fn from(e: crate::store::StoreError) -> Wrapped {
        Wrapped(e.into())
    }
}

/// A client of some pool, with the pool's cached entry.
#[derive(Clone)]
pub struct ClientRef {
    pub entry: Arc<PoolEntry>,
    pub client: Client,
}

impl ClientRef {
    pub fn pool_id(&self) -> &str {
        &self.entry.pool.id
    }
    /// Unknown users: a wrong password (PreventUserExistenceErrors) or `UserNotFoundException`.
    pub fn unknown_user(&self) -> CognitoError {
        if self.client.settings.prevent_user_existence_errors {
            CognitoError::bad_credentials()
        } else {
            CognitoError::user_not_found()
        }
    }
    pub fn require_flow(&self, flow: &str) -> Result<()> {
        if self.client.allows_auth_flow(flow) {
            Ok(())
        } else {
            Err(CognitoError::invalid_parameter(format!(
                "{} flow not enabled for this client",
                flow.trim_start_matches("ALLOW_")
            )))
        }
    }
}

/// Looks up a client by id (ids are unique across pools).
pub async fn client(ctx: &Ctx, client_id: &str) -> Result<ClientRef> {
    crate::cognito::wire::check_id("clientId", client_id)?;
    let id = client_id.to_string();
    let found = ctx
        .read(move |db| {
            let Some(pool_id) = store::cognito::client_pool(db, &id)? else {
                return Ok(None);
            };
            Ok(store::clients::get(db, &pool_id, &id)?)
        })
        .await?;
    let Some(client) = found else {
        return Err(CognitoError::resource_not_found(
            "User pool client does not exist.",
        ));
    };
    let entry = pool(ctx, &client.pool_id).await?;
    Ok(ClientRef { entry, client })
}

pub async fn pool(ctx: &Ctx, pool_id: &str) -> Result<Arc<PoolEntry>> {
    ctx.state.pool(pool_id).await?.ok_or_else(|| {
        CognitoError::resource_not_found(format!("User pool {pool_id} does not exist."))
    })
}

/// The language of a user's emails: the `locale` attribute, else English.
pub fn lang_of(user: &User) -> String {
    user.attributes
        .get("locale")
        .cloned()
        .unwrap_or_else(|| "en".into())
}

/// Fires PostConfirmation once the confirmation is committed (`client_id` `None` for the
/// admin API); Cognito's empty answer when it succeeds, its error when not.
pub async fn post_confirmation(
    ctx: &Ctx,
    pool: &crate::pools::Pool,
    source: crate::triggers::post_confirmation::Source,
    user: User,
    client_id: Option<&str>,
    metadata: crate::cognito::wire::StringMap,
) -> Result<serde_json::Value> {
    crate::triggers::post_confirmation::after_commit(
        ctx.state.triggers.clone(),
        pool.clone(),
        source,
        user,
        client_id.map(String::from),
        (!metadata.is_empty()).then_some(metadata),
    )
    .await?;
    Ok(serde_json::json!({}))
}
