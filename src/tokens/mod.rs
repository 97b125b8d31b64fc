//! Token issuance and verification, shared by every door (OAuth token endpoint, Cognito API).
//!
//! - `prepare` does the store work of a user grant inside the caller's write transaction (a
//!   token family, whose id is the access tokens' `origin_jti`, and a refresh token) and
//!   builds the claims; after the commit, `Prepared::sign_unless_trigger` signs them, or hands
//!   them to `Signing::finish`, which calls the pool's PreTokenGeneration trigger on the
//!   blocking pool first. That is the only way from a `Prepared` to a `TokenSet`.
//! - `issue_client_credentials` builds a machine access token (stored only if revoked).
//! - `refresh::refresh` redeems a refresh token (rotation, reuse detection).
//! - `verify_access_token` is how every endpoint accepting an access token checks it,
//!   including whether its family was revoked.
//!
//! All functions take an open store connection (inside the caller's transaction) and `now`.

pub mod claims;
pub mod refresh;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::accounts::User;
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::store::{self, Db, StoreError};
use crate::triggers::Triggers;
use crate::triggers::pre_token_generation as ptg;
use crate::{Error, Result};

/// What caused a token issue (PreTokenGeneration's `triggerSource`).
pub use ptg::Source as TokenSource;

/// What one authentication (or one refresh) grants.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Granted scope, already checked against the client.
    pub scope: Vec<String>,
    /// When the user authenticated (unchanged by refreshes).
    pub auth_time: i64,
    /// Authentication methods, e.g. ["pwd"] or ["pwd", "otp"].
    pub amr: Vec<String>,
    /// The authorization request's nonce (code flow only; never on refresh).
    pub nonce: Option<String>,
    /// An existing family (refresh), or None to start a new one.
    pub family_id: Option<String>,
    /// Hand out a (new) refresh token in the family.
    pub refresh_token: bool,
    /// What caused the issue, for the PreTokenGeneration trigger.
    pub source: TokenSource,
}

#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: String,
    /// When the scope contains `openid` (or the Cognito API scope) and a user is involved.
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    /// Lifetime of the access token, seconds.
    pub expires_in: i64,
    /// The access token's scope, space-separated.
    pub scope: String,
    /// The family (`origin_jti`).
    pub family_id: String,
}

/// A verified access token.
#[derive(Debug, Clone)]
pub struct AccessClaims {
    pub sub: String,
    pub client_id: String,
    /// Absent for client-credentials tokens.
    pub username: Option<String>,
    /// The user id (sub) for user tokens; None for client-credentials tokens.
    pub user_id: Option<String>,
    pub scope: Vec<String>,
    pub groups: Vec<String>,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: Option<i64>,
    pub jti: String,
    pub origin_jti: String,
    /// Every claim, as signed.
    pub claims: Map<String, Value>,
}

impl AccessClaims {
    pub fn has_scope(&self, s: &str) -> bool {
        self.scope.iter().any(|x| x == s)
    }

    /// A client-credentials token: issued to the client itself, no user.
    pub fn is_machine(&self) -> bool {
        self.username.is_none() && self.sub == self.client_id
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token is not acceptable; the reason is for logs, not for clients.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Core(#[from] Error),
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> TokenError {
        TokenError::Core(e.into())
    }
}

fn sign(entry: &PoolEntry, claims: Map<String, Value>, typ: &str) -> Result<String> {
    entry
        .keys
        .sign(claims, typ)
        .map_err(|e| Error::Crypto(e.to_string()))
}

#[allow(clippy::too_many_arguments)]
fn new_family(
    db: &Db,
    entry: &PoolEntry,
    client: &Client,
    user_id: &str,
    scope: &[String],
    auth_time: i64,
    amr: &[String],
    now: i64,
    lifetime: i64,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    store::tokens::insert_family(
        db,
        &store::tokens::Family {
            id: id.clone(),
            pool_id: entry.pool.id.clone(),
            client_id: client.id.clone(),
            user_id: Some(user_id.to_string()),
            scope: scope.join(" "),
            auth_time,
            amr: serde_json::to_string(amr).map_err(StoreError::from)?,
            created_at: now,
            expires_at: now + lifetime,
            revoked_at: None,
        },
    )?;
    Ok(id)
}

/// Adds a fresh refresh token to a family and returns its plaintext (stored hashed).
pub(crate) fn new_refresh_token(db: &Db, family_id: &str, now: i64) -> Result<String> {
    let token = crate::random::token(32);
    store::tokens::insert_refresh(db, &crate::random::sha256_hex(&token), family_id, now)?;
    Ok(token)
}

/// Issues the tokens of one user grant inside the caller's transaction, without the
/// PreTokenGeneration trigger: only for set-up code (the load generator, benchmarks). Grants
/// use `prepare` and `Prepared::sign_unless_trigger`.
pub fn issue_untriggered(
    db: &Db,
    entry: &PoolEntry,
    client: &Client,
    user: &User,
    grant: &Grant,
    issuer: &str,
    now: i64,
) -> Result<TokenSet> {
    prepare(db, entry, client, user, grant, issuer, now)?.sign(entry)
}

/// A token response whose store work is done (family, refresh token) and whose JWTs remain
/// to be signed. Grants prepare inside their write transaction and sign after the commit
/// (in the same call on the request pool), so that a signature (0.2 ms for RS256) never holds
/// the writer's turn. When the pool's PreTokenGeneration fires for this issue, the claims go
/// to the trigger first, on the blocking pool (`Signing::finish`).
/// Should signing fail after the commit (no active key), the grant answers an error and the
/// client signs in again: nothing issued is lost that was ever sent.
#[derive(Debug, Clone)]
pub struct Prepared {
    access: Map<String, Value>,
    /// ID token claims; `at_hash` is filled in once the access token is signed.
    id: Option<Map<String, Value>>,
    refresh_token: Option<String>,
    expires_in: i64,
    scope: String,
    family_id: String,
    /// Set only when the pool's PreTokenGeneration fires for this issue.
    trigger: Option<Box<TriggerCall>>,
}

/// The PreTokenGeneration call an issue owes, and what to take back if it fails.
#[derive(Debug, Clone)]
struct TriggerCall {
    config: ptg::Config,
    request: ptg::Request,
    undo: Undo,
}

/// What a failed trigger takes back, so that an issue that sent nothing costs the user
/// nothing: a new family is revoked; a refresh's rotation is undone (the presented refresh
/// token is current again and the unsent new one is deleted).
#[derive(Debug, Clone)]
enum Undo {
    Nothing,
    RevokeFamily { at: i64 },
    Unrotate { old_hash: String, rotated_at: i64 },
}

impl Prepared {
    pub fn family_id(&self) -> &str {
        &self.family_id
    }

    /// The new refresh token (plaintext), if the grant hands one out.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }

    /// Corrects the trigger source where the caller knows more than the grant (a sign-in that
    /// set a new password).
    pub fn set_source(&mut self, source: TokenSource) {
        if let Some(call) = &mut self.trigger {
            call.request.source = source;
        }
    }

    /// The caller's `ClientMetadata`, passed to the trigger.
    pub fn set_client_metadata(&mut self, metadata: std::collections::BTreeMap<String, String>) {
        if let Some(call) = &mut self.trigger
            && !metadata.is_empty()
        {
            call.request.client_metadata = Some(metadata);
        }
    }

    /// A refresh rotated `old_hash` at `rotated_at`: undone if the trigger fails.
    pub(crate) fn undo_rotation_on_failure(&mut self, old_hash: &str, rotated_at: i64) {
        if let Some(call) = &mut self.trigger {
            call.undo = Undo::Unrotate {
                old_hash: old_hash.to_string(),
                rotated_at,
            };
        }
    }

    /// After the commit, on the request pool: the signed tokens, or, when the pool's
    /// PreTokenGeneration fires for this issue, the work `Signing::finish` completes.
    pub fn sign_unless_trigger(mut self, entry: &Arc<PoolEntry>) -> Result<Signing> {
        match self.trigger.take() {
            None => Ok(Signing::Signed(self.sign(entry)?)),
            Some(call) => Ok(Signing::Pending(Box::new(Pending {
                prepared: self,
                call: *call,
                entry: entry.clone(),
            }))),
        }
    }

    /// Signs the access token, then the ID token (with the access token's `at_hash`).
    fn sign(self, entry: &PoolEntry) -> Result<TokenSet> {
        let access_token = sign(entry, self.access, "at+jwt")?;
        let id_token = match self.id {
            Some(mut c) => {
                let alg = entry
                    .keys
                    .active()
                    .map(|k| k.alg)
                    .ok_or_else(|| Error::Crypto("pool has no active signing key".into()))?;
                c.insert(
                    "at_hash".into(),
                    Value::String(claims::at_hash(&access_token, alg)),
                );
                Some(sign(entry, c, "JWT")?)
            }
            None => None,
        };
        Ok(TokenSet {
            access_token,
            id_token,
            refresh_token: self.refresh_token,
            expires_in: self.expires_in,
            scope: self.scope,
            family_id: self.family_id,
        })
    }
}

/// Tokens signed on the request pool, or waiting for the PreTokenGeneration trigger.
pub enum Signing {
    Signed(TokenSet),
    Pending(Box<Pending>),
}

/// Claims waiting for the trigger (see `Signing::finish`).
pub struct Pending {
    prepared: Prepared,
    call: TriggerCall,
    entry: Arc<PoolEntry>,
}

impl Signing {
    /// The tokens: at once when signed, else after the trigger, which runs on the blocking
    /// pool (never on the executor, never in a transaction). A failing trigger issues
    /// nothing: its error (Cognito's message) is the answer, and what the grant stored for
    /// the unsent tokens is taken back (`Undo`).
    pub async fn finish(self, triggers: &Arc<Triggers>, store: &store::Store) -> Result<TokenSet> {
        match self {
            Signing::Signed(set) => Ok(set),
            Signing::Pending(pending) => {
                let (triggers, store) = (triggers.clone(), store.clone());
                store::blocking(move || pending.run(&triggers, &store)).await
            }
        }
    }
}

impl Pending {
    fn run(self, triggers: &Triggers, store: &store::Store) -> Result<TokenSet> {
        let Pending {
            mut prepared,
            call,
            entry,
        } = self;
        let fired = ptg::fire(
            triggers,
            &entry.pool,
            &call.config,
            &call.request,
            ptg::Claims {
                id: prepared.id.as_mut(),
                access: &mut prepared.access,
            },
        );
        if let Err(e) = fired {
            undo(store, &entry.pool.id, &prepared, &call.undo);
            return Err(e.into());
        }
        // The handler may have added or suppressed scopes (V2/V3).
        if let Some(scope) = prepared.access.get("scope").and_then(Value::as_str) {
            prepared.scope = scope.to_string();
        }
        prepared.sign(&entry)
    }
}

/// Takes back what a grant stored for tokens that were never sent. Best effort: the
/// trigger's error is the answer either way.
fn undo(store: &store::Store, pool_id: &str, prepared: &Prepared, undo: &Undo) {
    let new_hash = prepared
        .refresh_token
        .as_deref()
        .map(crate::random::sha256_hex);
    let done = store.write_sync(|db| -> Result<()> {
        match undo {
            Undo::Nothing => {}
            Undo::RevokeFamily { at } => {
                revoke_family(db, pool_id, &prepared.family_id, *at)?;
            }
            Undo::Unrotate {
                old_hash,
                rotated_at,
            } => {
                store::tokens::unrotate(db, old_hash, *rotated_at)?;
                if let Some(h) = &new_hash {
                    store::tokens::delete_refresh(db, h)?;
                }
            }
        }
        Ok(())
    });
    if let Err(e) = done {
        tracing::warn!(pool = %pool_id, error = %e, "could not take back the tokens of a failed trigger");
    }
}

/// The store work and the claims of one user grant. Starts a family when `grant.family_id` is
/// None (its absolute lifetime is the client's refresh-token lifetime when a refresh token is
/// issued, else the access token's). The caller has checked the user may sign in and the scope.
pub fn prepare(
    db: &Db,
    entry: &PoolEntry,
    client: &Client,
    user: &User,
    grant: &Grant,
    issuer: &str,
    now: i64,
) -> Result<Prepared> {
    let pool = &entry.pool;
    let access_ttl = client.access_token_ttl(pool);
    let id_ttl = client.id_token_ttl(pool);
    let family_id = match &grant.family_id {
        Some(id) => id.clone(),
        None => {
            let lifetime = if grant.refresh_token {
                client.refresh_token_ttl(pool)
            } else {
                access_ttl.max(id_ttl)
            };
            new_family(
                db,
                entry,
                client,
                &user.id,
                &grant.scope,
                grant.auth_time,
                &grant.amr,
                now,
                lifetime,
            )?
        }
    };
    let memberships = store::groups::groups_of_user(db, &user.id)?;
    let (roles, preferred_role) = crate::accounts::service::group_roles(&memberships);
    let groups: Vec<String> = memberships.into_iter().map(|g| g.name).collect();
    let event_id = uuid::Uuid::new_v4().to_string();
    let access_jti = uuid::Uuid::new_v4().to_string();
    let access = claims::access_token(&claims::AccessTokenFields {
        issuer,
        sub: &user.id,
        client_id: &client.id,
        username: Some(&user.username),
        groups: &groups,
        scope: &grant.scope,
        auth_time: grant.auth_time,
        jti: &access_jti,
        origin_jti: &family_id,
        event_id: &event_id,
        iat: now,
        exp: now + access_ttl,
    });
    let id = if claims::wants_id_token(&grant.scope) {
        let jti = uuid::Uuid::new_v4().to_string();
        Some(claims::id_token(&claims::IdTokenFields {
            issuer,
            client_id: &client.id,
            user,
            groups: &groups,
            roles: &roles,
            preferred_role: preferred_role.as_deref(),
            scope: &grant.scope,
            read_attributes: &client.settings.read_attributes,
            auth_time: grant.auth_time,
            amr: &grant.amr,
            nonce: grant.nonce.as_deref(),
            // Replaced by the real value when signed.
            at_hash: "",
            jti: &jti,
            origin_jti: &family_id,
            event_id: &event_id,
            iat: now,
            exp: now + id_ttl,
        }))
    } else {
        None
    };
    let refresh_token = if grant.refresh_token {
        Some(new_refresh_token(db, &family_id, now)?)
    } else {
        None
    };
    let trigger = ptg::config(pool)
        .filter(|c| grant.source.fires(c.version))
        .map(|config| {
            Box::new(TriggerCall {
                config,
                request: ptg::Request {
                    source: grant.source,
                    client_id: client.id.clone(),
                    user: Some(user.clone()),
                    groups,
                    roles,
                    preferred_role,
                    scopes: grant.scope.clone(),
                    client_metadata: None,
                },
                undo: if grant.family_id.is_none() {
                    Undo::RevokeFamily { at: now }
                } else {
                    Undo::Nothing
                },
            })
        });
    Ok(Prepared {
        access,
        id,
        refresh_token,
        expires_in: access_ttl,
        scope: grant.scope.join(" "),
        family_id,
        trigger,
    })
}

/// Builds a client-credentials access token (`sub` = client id, no ID or refresh token),
/// to be signed like a user grant's (only a V3 PreTokenGeneration fires for it).
/// Nothing is stored: a machine token is a plain JWT, as at Cognito, so the grant needs no
/// write. Its `origin_jti` is fresh; revoking the token stores a revoked family under it
/// (`revoke_machine_token`), and `verify_access_token` accepts a machine token without a
/// family while its client exists.
pub fn prepare_client_credentials(
    entry: &PoolEntry,
    client: &Client,
    scope: &[String],
    issuer: &str,
    now: i64,
) -> Prepared {
    let access_ttl = client.access_token_ttl(&entry.pool);
    let origin_jti = uuid::Uuid::new_v4().to_string();
    let jti = uuid::Uuid::new_v4().to_string();
    let event_id = uuid::Uuid::new_v4().to_string();
    let access = claims::access_token(&claims::AccessTokenFields {
        issuer,
        sub: &client.id,
        client_id: &client.id,
        username: None,
        groups: &[],
        scope,
        auth_time: now,
        jti: &jti,
        origin_jti: &origin_jti,
        event_id: &event_id,
        iat: now,
        exp: now + access_ttl,
    });
    let source = TokenSource::ClientCredentials;
    let trigger = ptg::config(&entry.pool)
        .filter(|c| source.fires(c.version))
        .map(|config| {
            Box::new(TriggerCall {
                config,
                request: ptg::Request {
                    source,
                    client_id: client.id.clone(),
                    user: None,
                    groups: vec![],
                    roles: vec![],
                    preferred_role: None,
                    scopes: scope.to_vec(),
                    client_metadata: None,
                },
                undo: Undo::Nothing,
            })
        });
    Prepared {
        access,
        id: None,
        refresh_token: None,
        expires_in: access_ttl,
        scope: scope.join(" "),
        family_id: origin_jti,
        trigger,
    }
}

/// Revokes a client-credentials access token, which has no family until then: stores its
/// `origin_jti` as a revoked family that lives as long as the token. Idempotent.
pub fn revoke_machine_token(
    db: &Db,
    entry: &PoolEntry,
    token: &AccessClaims,
    now: i64,
) -> Result<()> {
    if store::tokens::get_family(db, &entry.pool.id, &token.origin_jti)?.is_some() {
        revoke_family(db, &entry.pool.id, &token.origin_jti, now)?;
        return Ok(());
    }
    store::tokens::insert_family(
        db,
        &store::tokens::Family {
            id: token.origin_jti.clone(),
            pool_id: entry.pool.id.clone(),
            client_id: token.client_id.clone(),
            user_id: None,
            scope: token.scope.join(" "),
            auth_time: token.auth_time.unwrap_or(token.iat),
            amr: "[]".into(),
            created_at: now,
            expires_at: token.exp,
            revoked_at: Some(now),
        },
    )?;
    Ok(())
}

fn str_claim(c: &Map<String, Value>, name: &'static str) -> Result<String, TokenError> {
    c.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .ok_or(TokenError::Invalid(name))
}

fn int_claim(c: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, TokenError> {
    match c.get(name) {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or(TokenError::Invalid(name)),
    }
}

/// Verifies an access token of this pool: signature (algorithm pinned by `kid`; `none` and
/// HMAC never accepted), `iss`, `token_use == "access"` (an ID token is never an access
/// token), `exp`, `nbf`, and that its family (`origin_jti`) exists and is not revoked.
pub fn verify_access_token(
    db: &Db,
    entry: &PoolEntry,
    issuer: &str,
    token: &str,
    now: i64,
) -> Result<AccessClaims, TokenError> {
    let c = entry
        .keys
        .verify(token)
        .map_err(|_| TokenError::Invalid("signature"))?;
    let claims = check_access_claims(c, issuer, now)?;
    let user_id = match store::tokens::get_family(db, &entry.pool.id, &claims.origin_jti)? {
        Some(family) => {
            if family.revoked_at.is_some() {
                return Err(TokenError::Invalid("revoked"));
            }
            if family.client_id != claims.client_id {
                return Err(TokenError::Invalid("client_id"));
            }
            family.user_id
        }
        // A machine token (never stored, see `issue_client_credentials`): valid while its
        // client exists and is still confidential.
        None if claims.is_machine() => {
            match store::clients::get(db, &entry.pool.id, &claims.client_id)? {
                Some(c) if !c.is_public() => None,
                _ => return Err(TokenError::Invalid("client")),
            }
        }
        None => return Err(TokenError::Invalid("unknown family")),
    };
    Ok(AccessClaims { user_id, ..claims })
}

/// The stateless checks of `verify_access_token` (everything but the family lookup).
fn check_access_claims(
    c: Map<String, Value>,
    issuer: &str,
    now: i64,
) -> Result<AccessClaims, TokenError> {
    let iss = str_claim(&c, "iss")?;
    if iss != issuer {
        return Err(TokenError::Invalid("iss"));
    }
    if c.get("token_use").and_then(Value::as_str) != Some("access") {
        return Err(TokenError::Invalid("token_use"));
    }
    let exp = int_claim(&c, "exp")?.ok_or(TokenError::Invalid("exp"))?;
    if exp <= now {
        return Err(TokenError::Invalid("expired"));
    }
    if let Some(nbf) = int_claim(&c, "nbf")?
        && nbf > now
    {
        return Err(TokenError::Invalid("nbf"));
    }
    let iat = int_claim(&c, "iat")?.ok_or(TokenError::Invalid("iat"))?;
    let scope = c
        .get("scope")
        .map(|v| v.as_str().ok_or(TokenError::Invalid("scope")))
        .transpose()?
        .map(split_scope)
        .unwrap_or_default();
    let groups = match c.get("cognito:groups") {
        None => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .map(|g| g.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .ok_or(TokenError::Invalid("cognito:groups"))?,
        Some(_) => return Err(TokenError::Invalid("cognito:groups")),
    };
    Ok(AccessClaims {
        sub: str_claim(&c, "sub")?,
        client_id: str_claim(&c, "client_id")?,
        username: c.get("username").and_then(Value::as_str).map(String::from),
        user_id: None,
        scope,
        groups,
        iss,
        exp,
        iat,
        auth_time: int_claim(&c, "auth_time")?,
        jti: str_claim(&c, "jti")?,
        origin_jti: str_claim(&c, "origin_jti")?,
        claims: c,
    })
}

/// Revokes a family: its refresh tokens stop working and its access tokens are refused by
/// `verify_access_token`. Returns true when it was active.
pub fn revoke_family(db: &Db, pool_id: &str, family_id: &str, now: i64) -> Result<bool> {
    Ok(store::tokens::revoke_family(db, pool_id, family_id, now)?)
}

/// Revokes every family of a user (global sign-out, password reset, disable, delete).
pub fn revoke_user(db: &Db, pool_id: &str, user_id: &str, now: i64) -> Result<usize> {
    Ok(store::tokens::revoke_user_families(
        db, pool_id, user_id, now,
    )?)
}

/// Splits a space-delimited scope string into distinct scopes, preserving order.
pub fn split_scope(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}
