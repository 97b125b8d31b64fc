//! An upstream sign-in, for whichever door serves it. `begin`: the state kept for the
//! callback and the provider's authorization URL. `complete`: the code is
//! exchanged and the identity verified (`upstream`), and the identity leads to a user — the
//! one it is linked to (attributes refreshed), a local account to link once the person proves
//! they own it (`link_by_verified_email`), or a new federated user after
//! PreSignUp_ExternalProvider. Blocking: call on the blocking pool.

use super::linking::{self, LinkProof};
use super::pending::{self, InFlight};
use super::providers::ProviderType;
use super::upstream::{FedError, Upstream, UpstreamIdentity};
use super::users;
use crate::accounts::User;
use crate::authn::flow::Services;
use crate::config::Config;
use crate::pools::Pool;
use crate::store::federation::IdentityProvider;
use crate::triggers::pre_sign_up;

/// What the callback brought back.
pub struct Callback<'a> {
    pub provider: &'a str,
    pub code: &'a str,
    pub flight: &'a InFlight,
    /// Apple's one-time `user` form field (the name, at the first sign-in).
    pub apple_user: Option<&'a str>,
    /// Our callback URL, as sent upstream.
    pub redirect_uri: &'a str,
    pub client_id: &'a str,
}

/// What a verified upstream identity leads to.
pub enum Federated {
    User(User),
    /// The person must prove they own the local account with the same verified e-mail: the
    /// token of the waiting link proof.
    Prove(String),
}

/// Starts a sign-in with `provider` for the pending authorization request: keeps the nonce
/// and PKCE verifier (SAML: the AuthnRequest's id) server-side and returns where to send the
/// browser. `issuer`: the pool's URL, under which the callbacks are.
pub fn begin(
    services: &Services<'_>,
    config: &Config,
    pool_id: &str,
    provider: &str,
    pending_request: String,
    issuer: &str,
    now: i64,
) -> Result<String, FedError> {
    let found = services
        .store
        .read_sync(|db| crate::store::federation::get(db, pool_id, provider))
        .map_err(FedError::internal)?
        .ok_or(FedError::Gone)?;
    if found.provider_type == ProviderType::Saml.as_str() {
        return super::saml::sign_in::begin(services, &found, issuer, pending_request, now);
    }
    let redirect_uri = &redirect_uri(issuer);
    let upstream = Upstream::open(found, config, services.sealer)?;
    let flight = InFlight {
        request: pending_request,
        nonce: crate::random::token(24),
        pkce_verifier: crate::random::token(48),
    };
    let state = services
        .store
        .write_sync(|db| pending::put(db, pool_id, provider, &flight, now))
        .map_err(FedError::internal)?;
    upstream.authorize_url(services.triggers.caller(), redirect_uri, &state, &flight)
}

/// The OpenID Connect and OAuth providers' callback, under the pool's URL.
pub fn redirect_uri(issuer: &str) -> String {
    format!("{issuer}/oauth2/idpresponse")
}

pub fn complete(
    services: &Services<'_>,
    config: &Config,
    pool: &Pool,
    callback: &Callback<'_>,
    now: i64,
) -> Result<Federated, FedError> {
    let provider = services
        .store
        .read_sync(|db| crate::store::federation::get(db, &pool.id, callback.provider))
        .map_err(FedError::internal)?
        .ok_or(FedError::Gone)?;
    let upstream = Upstream::open(provider.clone(), config, services.sealer)?;
    let mut identity = upstream
        .finish(
            services.triggers.caller(),
            callback.redirect_uri,
            callback.code,
            callback.flight,
            now,
        )
        .inspect_err(|e| {
            tracing::warn!(pool = %pool.id, provider = %provider.name, error = %e, "upstream sign-in failed");
        })?;
    if identity.provider_type == ProviderType::SignInWithApple
        && let Some(user) = callback.apple_user
    {
        apple_first_sign_in(&mut identity, user);
    }
    let request = &callback.flight.request;
    federated_user(
        services,
        pool,
        &provider,
        &identity,
        callback.client_id,
        request,
        now,
    )
}

pub(crate) fn federated_user(
    services: &Services<'_>,
    pool: &Pool,
    provider: &IdentityProvider,
    identity: &UpstreamIdentity,
    client_id: &str,
    pending_request: &str,
    now: i64,
) -> Result<Federated, FedError> {
    let store = services.store;
    let attributes = users::mapped(provider, identity);
    let existing = store
        .read_sync(|db| users::linked(db, pool, identity))
        .map_err(FedError::internal)?;
    let user = match existing {
        Some(user) => store
            .write_sync(|db| users::refresh(db, pool, user, attributes, now))
            .map_err(FedError::internal)?,
        None => {
            let candidate = store
                .read_sync(|db| linking::link_candidate(db, pool, provider, identity))
                .map_err(FedError::internal)?;
            if let Some(local) = candidate {
                let proof = LinkProof {
                    request: pending_request.to_string(),
                    subject: identity.subject.clone(),
                    user_id: local.id,
                    attributes,
                };
                let token = store
                    .write_sync(|db| pending::put(db, &pool.id, &provider.name, &proof, now))
                    .map_err(FedError::internal)?;
                return Ok(Federated::Prove(token));
            }
            pre_sign_up::fire(
                services.triggers,
                pool,
                pre_sign_up::Source::ExternalProvider,
                &users::username(identity),
                &attributes,
                &pre_sign_up::Context {
                    client_id: Some(client_id.to_string()),
                    ..Default::default()
                },
            )
            .map_err(|e| FedError::Refused(e.to_string()))?;
            store
                .write_sync(|db| {
                    users::create(db, pool, services.sealer, identity, attributes, now)
                })
                .map_err(|e| FedError::Refused(e.to_string()))?
        }
    };
    users::check_can_sign_in(&user).map_err(|_| FedError::Refused("User is disabled.".into()))?;
    Ok(Federated::User(user))
}

/// Apple sends the name once, at the first sign-in, as the `user` form field.
fn apple_first_sign_in(identity: &mut UpstreamIdentity, user_json: &str) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(user_json) else {
        return;
    };
    let part = |key: &str| {
        v["name"][key]
            .as_str()
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .map(str::to_string)
    };
    let (given, family) = (part("firstName"), part("lastName"));
    let full: Vec<String> = [given.clone(), family.clone()]
        .into_iter()
        .flatten()
        .collect();
    if !full.is_empty() {
        identity
            .claims
            .entry("name")
            .or_insert(full.join(" ").into());
    }
    for (claim, value) in [("given_name", given), ("family_name", family)] {
        if let Some(value) = value {
            identity.claims.entry(claim).or_insert(value.into());
        }
    }
}
