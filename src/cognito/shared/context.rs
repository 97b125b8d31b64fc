//! The request context of an API call (state, clock reading, caller address), its store
//! work on the request pool, and the client and pool a request names.

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

use crate::accounts::User;
use crate::cognito::error::CognitoError;
use crate::cognito::wire::StringMap;
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
    /// Where a sign-in comes from, for adaptive sign-in (`cognito::context_data`).
    pub evidence: crate::authn::risk::Evidence,
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
    /// signed after the commit, outside the writer's turn, in the same call (or, when the
    /// pool's PreTokenGeneration trigger must see them first, on the blocking pool).
    pub async fn sign_in<F>(&self, f: F) -> Result<Value>
    where
        F: FnOnce(&Db) -> Result<Outcome> + Send + 'static,
    {
        self.sign_in_with(None, f).await
    }

    /// `sign_in`, with the request's `ClientMetadata` for PostAuthentication. When a sign-in
    /// ends in tokens and the pool has that trigger, it fires after the commit, on the
    /// blocking pool; should it fail, the family just stored is revoked and nothing is
    /// handed out.
    pub async fn sign_in_with<F>(&self, client_metadata: Option<StringMap>, f: F) -> Result<Value>
    where
        F: FnOnce(&Db) -> Result<Outcome> + Send + 'static,
    {
        let store = self.state.store.clone();
        let metadata = client_metadata.clone();
        let staged = self
            .state
            .request_pool
            .run(move || {
                let outcome = store.write_sync(move |db| commit_unless_internal(f(db)))?;
                let outcome = outcome.map(|o| o.with_client_metadata(metadata.as_ref()));
                Ok(match outcome {
                    Ok(o) if o.awaits_post_authentication() => Ok(Staged::Later(o)),
                    other => other.and_then(Outcome::sign).map(Staged::Signed),
                })
            })
            .await
            .map_err(|Wrapped(e)| e)??;
        let signed = match staged {
            Staged::Signed(s) => s,
            Staged::Later(outcome) => self.post_authentication(outcome, client_metadata).await?,
        };
        signed.finish(&self.state).await
    }

    async fn post_authentication(
        &self,
        outcome: Outcome,
        client_metadata: Option<StringMap>,
    ) -> Result<Signed> {
        let Outcome::Tokens(prepared, entry, signed_in) = outcome else {
            return outcome.sign();
        };
        let (triggers, pool) = (self.state.triggers.clone(), entry.pool.clone());
        let (user, client_id) = (signed_in.user.clone(), signed_in.client_id.clone());
        let fired = store::blocking(move || {
            crate::triggers::post_authentication::fire(
                &triggers,
                &pool,
                &user,
                Some(&client_id),
                client_metadata.as_ref().filter(|m| !m.is_empty()),
            )
            .map_err(crate::Error::from)
        })
        .await;
        if let Err(e) = fired {
            let (pool_id, family, now) = (
                entry.pool.id.clone(),
                prepared.family_id().to_string(),
                self.now,
            );
            self.write(move |db| {
                crate::tokens::revoke_family(db, &pool_id, &family, now)?;
                Ok(())
            })
            .await?;
            return Err(e.into());
        }
        self.state
            .request_pool
            .run(move || Ok(Outcome::Tokens(prepared, entry, signed_in).sign()))
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

/// A sign-in's answer now, or its tokens once PostAuthentication has allowed them.
enum Staged {
    /// Signed, or waiting only for PreTokenGeneration.
    Signed(Signed),
    /// Waiting for PostAuthentication (which comes before PreTokenGeneration, as at Cognito).
    Later(Outcome),
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
