//! What several actions need: the request context, client and access-token checks,
//! `SECRET_HASH`, challenge sessions, the server's AEAD key, and finishing a sign-in.

use std::net::IpAddr;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::error::CognitoError;
use crate::accounts::{User, UserStatus};
use crate::keys::seal::Sealer;
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::{self, Db};
use crate::tokens::{self, AccessClaims, Grant, TokenSet, claims::COGNITO_ADMIN_SCOPE};

/// How long a challenge `Session` (and a `SECRET_BLOCK`) may be answered.
pub const CHALLENGE_TTL_SECS: i64 = 180;

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
    super::wire::check_id("clientId", client_id)?;
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

/// The client's secret in the clear, from its sealed copy (only when it still matches the
/// hash the OAuth door checks).
pub fn client_secret(db: &Db, sealer: &Sealer, client: &Client) -> Result<Option<String>> {
    let Some(hash) = &client.secret_hash else {
        return Ok(None);
    };
    let Some(sealed) = store::cognito::client_secret_sealed(db, &client.id)? else {
        return Ok(None);
    };
    let secret = sealer.open(&sealed).map_err(|e| {
        tracing::error!(error = %e, "cannot open a client secret");
        CognitoError::internal()
    })?;
    Ok(crate::random::ct_eq(&crate::random::sha256_hex(&secret), hash).then_some(secret))
}

/// `Base64(HMAC_SHA256(secret, username ‖ clientId))`.
pub fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `SECRET_HASH` for clients with a secret (public clients need none).
pub fn check_secret_hash(
    db: &Db,
    sealer: &Sealer,
    client: &Client,
    usernames: &[&str],
    presented: Option<&str>,
) -> Result<()> {
    if client.is_public() {
        return Ok(());
    }
    let fail = || {
        CognitoError::not_authorized(format!(
            "Unable to verify secret hash for client {}",
            client.id
        ))
    };
    let presented = presented.ok_or_else(fail)?;
    let secret = client_secret(db, sealer, client)?.ok_or_else(fail)?;
    let ok = usernames
        .iter()
        .any(|u| crate::random::ct_eq(&secret_hash(&secret, u, &client.id), presented));
    if ok { Ok(()) } else { Err(fail()) }
}

/// Checks a client secret sent as such (`GetTokensFromRefreshToken`, `RevokeToken`).
pub fn check_client_secret(client: &Client, presented: Option<&str>) -> Result<()> {
    if client.is_public() {
        return Ok(());
    }
    match presented {
        Some(s) if client.secret_matches(s) => Ok(()),
        _ => Err(CognitoError::not_authorized(format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            client.id
        ))),
    }
}

/// A signed-in user behind an access token: signature, issuer, `token_use`, expiry,
/// revocation, the `aws.cognito.signin.user.admin` scope, and a user who may still sign in.
pub async fn access_token_user(
    ctx: &Ctx,
    token: &str,
) -> Result<(Arc<PoolEntry>, User, AccessClaims)> {
    if token.is_empty() || token.len() > 16 * 1024 {
        return Err(CognitoError::invalid_token());
    }
    let pool_id =
        unverified_pool(&ctx.state.public_url, token).ok_or_else(CognitoError::invalid_token)?;
    let entry = ctx
        .state
        .pool(&pool_id)
        .await?
        .ok_or_else(CognitoError::invalid_token)?;
    let issuer = ctx.issuer(&pool_id);
    let (e2, token, now) = (entry.clone(), token.to_string(), ctx.now);
    let (user, claims) = ctx
        .read(move |db| {
            let claims = tokens::verify_access_token(db, &e2, &issuer, &token, now)?;
            if !claims.has_scope(COGNITO_ADMIN_SCOPE) {
                return Err(CognitoError::not_authorized(
                    "Access Token does not have required scopes",
                ));
            }
            let user = claims
                .user_id
                .as_deref()
                .map(|id| store::users::get(db, &e2.pool.id, id))
                .transpose()?
                .flatten()
                .ok_or_else(CognitoError::invalid_token)?;
            if !user.enabled {
                return Err(CognitoError::not_authorized("User is disabled."));
            }
            Ok((user, claims))
        })
        .await?;
    Ok((entry, user, claims))
}

/// The pool id named by a JWT's `iss`, read before verification only to pick the keys.
fn unverified_pool(public_url: &str, token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let iss = claims.get("iss")?.as_str()?;
    let pool = iss.strip_prefix(public_url)?.strip_prefix('/')?;
    crate::pools::is_valid_pool_id(pool).then(|| pool.to_string())
}

// ---- challenges ----

/// Starts a challenge and returns its id and the `Session` the client must send back.
#[allow(clippy::too_many_arguments)]
pub fn new_challenge(
    db: &Db,
    pool_id: &str,
    client_id: &str,
    user_id: Option<&str>,
    srp_user: &str,
    challenge: &str,
    data: Value,
    now: i64,
) -> Result<(String, String)> {
    // Unanswered challenges go here (indexed by expiry), so they cannot pile up.
    store::cognito::purge_expired_challenges(db, now)?;
    let id = crate::random::token(16);
    let session = crate::random::token(48);
    store::cognito::insert_challenge(
        db,
        &store::cognito::Challenge {
            id: id.clone(),
            session_hash: crate::random::sha256_hex(&session),
            pool_id: pool_id.to_string(),
            client_id: client_id.to_string(),
            user_id: user_id.map(String::from),
            srp_user: srp_user.to_string(),
            challenge: challenge.to_string(),
            data: data.to_string(),
            created_at: now,
            expires_at: now + CHALLENGE_TTL_SECS,
        },
    )?;
    Ok((id, session))
}

/// Takes (and so spends) the challenge behind a `Session`, checking that it belongs to this
/// client and challenge, is unexpired and is answered for its own user.
pub fn take_challenge(
    db: &Db,
    client: &ClientRef,
    session: &str,
    challenge: &str,
    username: Option<&str>,
    now: i64,
) -> Result<store::cognito::Challenge> {
    let invalid = || CognitoError::not_authorized("Invalid session for the user.");
    if session.is_empty() || session.len() > 512 {
        return Err(invalid());
    }
    let c = store::cognito::take_challenge_by_session(db, &crate::random::sha256_hex(session))?
        .ok_or_else(invalid)?;
    if c.expires_at <= now {
        return Err(CognitoError::not_authorized(
            "Invalid session for the user, session is expired.",
        ));
    }
    if c.client_id != client.client.id
        || c.pool_id != client.entry.pool.id
        || c.challenge != challenge
    {
        return Err(invalid());
    }
    if let Some(username) = username
        && !answers_for(db, client, &c, username)?
    {
        return Err(invalid());
    }
    Ok(c)
}

/// Whether `username` (as the client sends it in ChallengeResponses) names the challenge's user.
pub fn answers_for(
    db: &Db,
    client: &ClientRef,
    c: &store::cognito::Challenge,
    username: &str,
) -> Result<bool> {
    if username == c.srp_user {
        return Ok(true);
    }
    let Some(uid) = &c.user_id else {
        return Ok(false);
    };
    let found = crate::accounts::service::find_by_login(db, &client.entry.pool, username)?;
    Ok(found.is_some_and(|u| &u.id == uid))
}

// ---- the server's own key (SECRET_BLOCK, decoys) ----

const SERVER_KEY: &str = "cognito_aead_key";

/// The server's random 32-byte key, made on first use and kept sealed in the database.
pub fn server_key(db: &Db, sealer: &Sealer, now: i64) -> Result<[u8; 32]> {
    if let Some(k) = load_server_key(db, sealer)? {
        return Ok(k);
    }
    let mut fresh = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
    let stored =
        store::cognito::init_server_secret(db, SERVER_KEY, &sealer.seal(&hex::encode(fresh)), now)?;
    open_server_key(sealer, &stored)
}

/// The server key if it exists (read-only).
pub fn load_server_key(db: &Db, sealer: &Sealer) -> Result<Option<[u8; 32]>> {
    store::cognito::server_secret(db, SERVER_KEY)?
        .map(|stored| open_server_key(sealer, &stored))
        .transpose()
}

fn open_server_key(sealer: &Sealer, stored: &str) -> Result<[u8; 32]> {
    let opened = sealer.open(stored).map_err(|e| {
        tracing::error!(error = %e, "cannot open the server key");
        CognitoError::internal()
    })?;
    let bytes = hex::decode(opened)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            tracing::error!("the stored server key is corrupt");
            CognitoError::internal()
        })?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// AES-256-GCM with associated data; base64 of nonce ‖ ciphertext.
pub fn seal_block(key: &[u8; 32], plain: &[u8], aad: &[u8]) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ct = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .expect("AES-GCM encryption cannot fail");
    let mut blob = nonce.to_vec();
    blob.extend_from_slice(&ct);
    STANDARD.encode(blob)
}

/// Decodes a block as the client echoes it (standard or URL-safe base64).
pub fn decode_block(b64: &str) -> Option<Vec<u8>> {
    if b64.len() > 8192 {
        return None;
    }
    STANDARD
        .decode(b64)
        .or_else(|_| URL_SAFE.decode(b64))
        .or_else(|_| URL_SAFE_NO_PAD.decode(b64))
        .ok()
}

pub fn open_block(key: &[u8; 32], blob: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if blob.len() < 12 + 16 {
        return None;
    }
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let (nonce, ct) = blob.split_at(12);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .ok()
}

/// HMAC of the server key over a label, for stable decoys (fake salts and user ids).
pub fn derive(key: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

// ---- finishing a sign-in ----

pub fn authentication_result(set: &TokenSet) -> Value {
    let mut r = json!({
        "AccessToken": set.access_token,
        "ExpiresIn": set.expires_in,
        "TokenType": "Bearer",
    });
    if let Some(id) = &set.id_token {
        r["IdToken"] = json!(id);
    }
    if let Some(rt) = &set.refresh_token {
        r["RefreshToken"] = json!(rt);
    }
    r
}

/// After the password (or SRP proof) was right: the next challenge, or the tokens. Run in the
/// write transaction that spent the challenge.
#[allow(clippy::too_many_arguments)]
pub fn finish_sign_in(
    db: &Db,
    client: &ClientRef,
    user: &User,
    amr: &[String],
    auth_time: i64,
    issuer: &str,
    now: i64,
) -> Result<Outcome> {
    if !user.enabled {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    match user.status {
        UserStatus::Unconfirmed => Err(CognitoError::new(
            "UserNotConfirmedException",
            "User is not confirmed.",
        )),
        UserStatus::ResetRequired => Err(crate::cognito::error::password_reset_required()),
        UserStatus::ForceChangePassword => {
            let (_, session) = new_challenge(
                db,
                client.pool_id(),
                &client.client.id,
                Some(&user.id),
                &user.username,
                "NEW_PASSWORD_REQUIRED",
                json!({ "amr": amr, "auth_time": auth_time }),
                now,
            )?;
            let mut attrs = serde_json::Map::new();
            if let Some(e) = &user.email {
                attrs.insert("email".into(), json!(e));
            }
            for (k, v) in &user.attributes {
                attrs.insert(k.clone(), json!(v));
            }
            let required: Vec<String> = client
                .entry
                .pool
                .settings
                .required_attributes
                .iter()
                .filter(|a| *a != "email" && !user.attributes.contains_key(*a))
                .map(|a| format!("userAttributes.{a}"))
                .collect();
            Ok(Outcome::Ready(json!({
                "ChallengeName": "NEW_PASSWORD_REQUIRED",
                "Session": session,
                "ChallengeParameters": {
                    "USER_ID_FOR_SRP": user.username,
                    "userAttributes": Value::Object(attrs).to_string(),
                    "requiredAttributes": json!(required).to_string(),
                },
            })))
        }
        UserStatus::Confirmed => {
            use crate::authn::mfa::Step;
            // The same second-factor policy as the hosted pages.
            let (name, params) =
                match crate::authn::mfa::next_step(db, &client.entry.pool, user, false)? {
                    Step::Done => {
                        return issue_tokens(db, client, user, amr, auth_time, issuer, now);
                    }
                    Step::Verify => (
                        "SOFTWARE_TOKEN_MFA",
                        json!({ "USER_ID_FOR_SRP": user.username }),
                    ),
                    Step::Enrol => (
                        "MFA_SETUP",
                        json!({
                            "USER_ID_FOR_SRP": user.username,
                            "MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]",
                        }),
                    ),
                };
            let (_, session) = new_challenge(
                db,
                client.pool_id(),
                &client.client.id,
                Some(&user.id),
                &user.username,
                name,
                json!({ "amr": amr, "auth_time": auth_time, "attempts": 0 }),
                now,
            )?;
            Ok(Outcome::Ready(json!({
                "ChallengeName": name,
                "Session": session,
                "ChallengeParameters": params,
            })))
        }
    }
}

/// What a sign-in step answers: a challenge (or other JSON) now, or tokens to sign once the
/// transaction has committed.
pub enum Outcome {
    Ready(Value),
    Tokens(Box<tokens::Prepared>, Arc<PoolEntry>),
    /// A refresh: only the `AuthenticationResult`.
    Refreshed(Box<tokens::Prepared>, Arc<PoolEntry>),
}

impl Outcome {
    pub fn finish(self) -> Result<Value> {
        Ok(match self {
            Outcome::Ready(v) => v,
            Outcome::Tokens(p, entry) => json!({
                "ChallengeParameters": {},
                "AuthenticationResult": authentication_result(&p.sign(&entry)?),
            }),
            Outcome::Refreshed(p, entry) => authentication_result(&p.sign(&entry)?),
        })
    }
}

/// The tokens of a completed sign-in (access, ID and refresh token, one new family).
pub fn issue_tokens(
    db: &Db,
    client: &ClientRef,
    user: &User,
    amr: &[String],
    auth_time: i64,
    issuer: &str,
    now: i64,
) -> Result<Outcome> {
    if !user.can_sign_in() {
        return Err(CognitoError::not_authorized("User is disabled."));
    }
    let grant = Grant {
        scope: vec![COGNITO_ADMIN_SCOPE.to_string()],
        auth_time,
        amr: amr.to_vec(),
        nonce: None,
        family_id: None,
        refresh_token: true,
    };
    let prepared = tokens::prepare(db, &client.entry, &client.client, user, &grant, issuer, now)?;
    tracing::info!(pool = %client.pool_id(), user = %user.id, client = %client.client.id, "sign-in succeeded (Cognito API)");
    Ok(Outcome::Tokens(Box::new(prepared), client.entry.clone()))
}

/// Puts a challenge back after a wrong answer, with one more attempt counted; false (and
/// gone for good) after five.
pub fn retry_challenge(db: &Db, c: &store::cognito::Challenge) -> Result<bool> {
    let mut data: Value = serde_json::from_str(&c.data).unwrap_or_else(|_| json!({}));
    let attempts = data["attempts"].as_i64().unwrap_or(0) + 1;
    if attempts >= crate::authn::mfa::MAX_CHALLENGE_ATTEMPTS {
        return Ok(false);
    }
    data["attempts"] = json!(attempts);
    store::cognito::insert_challenge(
        db,
        &store::cognito::Challenge {
            data: data.to_string(),
            ..c.clone()
        },
    )?;
    Ok(true)
}

/// The language of a user's emails: the `locale` attribute, else English.
pub fn lang_of(user: &User) -> String {
    user.attributes
        .get("locale")
        .cloned()
        .unwrap_or_else(|| "en".into())
}

/// Records a failed sign-in for the login name and the address.
pub fn record_failure(ctx: &Ctx, db: &Db, pool_id: &str, login: &str) -> Result<()> {
    crate::authn::throttle::record_failure(db, pool_id, &login.trim().to_lowercase(), ctx.now)?;
    ctx.state.address_limiter.record_failure(ctx.ip, ctx.now);
    Ok(())
}

/// Refuses a sign-in while the login name is locked out or the address is spraying.
pub fn check_throttle(ctx: &Ctx, db: &Db, pool_id: &str, login: &str) -> Result<()> {
    if ctx.state.address_limiter.is_blocked(ctx.ip, ctx.now) {
        return Err(CognitoError::new(
            "TooManyRequestsException",
            "Too many requests.",
        ));
    }
    if crate::authn::throttle::locked_for(db, pool_id, &login.trim().to_lowercase(), ctx.now)?
        .is_some()
    {
        return Err(CognitoError::not_authorized("Password attempts exceeded"));
    }
    Ok(())
}
