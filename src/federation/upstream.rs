//! One upstream sign-in: the authorization request we send the browser to, and the callback's
//! code turned into an `UpstreamIdentity`. The code exchange and the ID token's validation
//! (issuer, audience, signature by the provider's JWKS, expiry, nonce; `alg: none` refused)
//! are the `openidconnect` crate's, over the server's own blocking HTTP client (5 s per call,
//! metadata addresses refused). Discovery documents and JWKS are cached for ten minutes; a
//! signature that does not verify refetches the JWKS once (key rotation).
//!
//! Blocking: call on the blocking pool.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreClient, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, IssuerUrl, JsonWebKeySetUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, TokenResponse,
};
use serde_json::{Map, Value};

use super::pending::InFlight;
use super::providers::{ProviderType, effective_details};
use crate::config::Config;
use crate::keys::seal::Sealer;
use crate::store::federation::IdentityProvider;
use crate::triggers::target::{Attempt, Caller};

/// Why an upstream sign-in did not give an identity.
#[derive(Debug, thiserror::Error)]
pub enum FedError {
    /// The provider answered the browser with an error (`error=access_denied`, ...).
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    /// Down, slow or unreachable.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// An answer that does not verify or parse (a token for someone else, a wrong nonce...).
    #[error("the identity provider's answer could not be verified: {0}")]
    Invalid(String),
    /// The provider's configuration here cannot be used (a secret that does not open, ...).
    #[error("the identity provider is misconfigured: {0}")]
    Config(String),
    /// The provider was deleted while the person was upstream.
    #[error("the identity provider no longer exists")]
    Gone,
    /// Our own storage failed.
    #[error("{0}")]
    Internal(String),
}

impl FedError {
    /// Our own failure (storage, a key that does not open), whatever its type.
    pub fn internal(e: impl std::fmt::Display) -> FedError {
        FedError::Internal(e.to_string())
    }
}

/// Who the upstream says signed in.
#[derive(Debug, Clone)]
pub struct UpstreamIdentity {
    pub provider: String,
    pub provider_type: ProviderType,
    /// The fixed source claim of the type (`sub`, Facebook's `id`, Amazon's `user_id`).
    pub subject: String,
    /// The ID token's issuer, for the providers that have one.
    pub issuer: Option<String>,
    /// Every claim and attribute the upstream gave.
    pub claims: Map<String, Value>,
}

/// A provider ready for a sign-in: its endpoints (preset, given or discovered) and secrets.
pub struct Upstream {
    provider: IdentityProvider,
    kind: ProviderType,
    details: BTreeMap<String, String>,
    client_secret: Option<String>,
    apple_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// The `openidconnect` crate's HTTP client: the server's `Caller`.
fn http(
    caller: &Caller,
) -> impl Fn(openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, HttpError> + '_ {
    move |request: openidconnect::HttpRequest| {
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let url = request.uri().to_string();
        match caller.send(request.method().as_str(), &url, &headers, request.body()) {
            Attempt::Answer {
                status,
                content_type,
                body,
                ..
            } => {
                let mut response = openidconnect::http::Response::builder().status(status);
                if let Some(ct) = content_type {
                    response = response.header("content-type", ct);
                }
                response.body(body).map_err(|e| HttpError(e.to_string()))
            }
            Attempt::NoAnswer(why) | Attempt::Refused(why) => Err(HttpError(why)),
        }
    }
}

/// Discovery documents and key sets, by URL, for ten minutes.
type Cache = Mutex<HashMap<String, (Instant, Arc<Resolved>)>>;
static CACHE: LazyLock<Cache> = LazyLock::new(Default::default);
const CACHE_FOR: Duration = Duration::from_secs(600);

/// What a provider's ID tokens are checked against.
struct Resolved {
    authorize_url: String,
    token_url: String,
    userinfo_url: Option<String>,
    issuer: String,
    jwks: CoreJsonWebKeySet,
}

fn cached(key: &str) -> Option<Arc<Resolved>> {
    let cache = CACHE.lock().expect("cache lock");
    cache
        .get(key)
        .filter(|(at, _)| at.elapsed() < CACHE_FOR)
        .map(|(_, r)| r.clone())
}

fn forget(key: &str) {
    CACHE.lock().expect("cache lock").remove(key);
}

impl Upstream {
    pub fn open(
        provider: IdentityProvider,
        config: &Config,
        sealer: &Sealer,
    ) -> Result<Upstream, FedError> {
        let kind = ProviderType::parse(&provider.provider_type)
            .map_err(|e| FedError::Config(e.to_string()))?;
        let details = effective_details(&provider, config);
        let open = |k: &str| {
            details
                .get(k)
                .map(|s| sealer.open(s))
                .transpose()
                .map_err(|_| FedError::Config(format!("{k} cannot be opened with this master key")))
        };
        let client_secret = open("client_secret")?;
        let apple_key = open("private_key")?;
        Ok(Upstream {
            provider,
            kind,
            details,
            client_secret,
            apple_key,
        })
    }

    pub fn name(&self) -> &str {
        &self.provider.name
    }

    fn detail(&self, k: &str) -> Result<&str, FedError> {
        self.details
            .get(k)
            .map(String::as_str)
            .ok_or_else(|| FedError::Config(format!("{k} is not set")))
    }

    /// The endpoints and keys: given or preset, else discovered from `oidc_issuer` (cached).
    fn resolve(&self, caller: &Caller, fresh: bool) -> Result<Arc<Resolved>, FedError> {
        let key = format!(
            "{}|{}",
            self.details.get("oidc_issuer").map_or("", String::as_str),
            self.details.get("jwks_uri").map_or("", String::as_str)
        );
        if fresh {
            forget(&key);
        } else if let Some(r) = cached(&key) {
            return Ok(r);
        }
        let client = http(caller);
        let explicit = |k: &str| self.details.get(k).cloned();
        let resolved = if !self.kind.has_id_token() {
            Resolved {
                authorize_url: self.detail("authorize_url")?.to_string(),
                token_url: self.detail("token_url")?.to_string(),
                userinfo_url: explicit("attributes_url"),
                issuer: String::new(),
                jwks: CoreJsonWebKeySet::new(vec![]),
            }
        } else if let (Some(a), Some(t), Some(j)) = (
            explicit("authorize_url"),
            explicit("token_url"),
            explicit("jwks_uri"),
        ) {
            let jwks_url = JsonWebKeySetUrl::new(j).map_err(|e| FedError::Config(e.to_string()))?;
            let jwks = CoreJsonWebKeySet::fetch(&jwks_url, &client)
                .map_err(|e| FedError::Unavailable(format!("JWKS: {e}")))?;
            Resolved {
                authorize_url: a,
                token_url: t,
                userinfo_url: explicit("attributes_url")
                    .filter(|_| self.kind == ProviderType::Oidc),
                issuer: self.detail("oidc_issuer")?.to_string(),
                jwks,
            }
        } else {
            let issuer = IssuerUrl::new(self.detail("oidc_issuer")?.to_string())
                .map_err(|e| FedError::Config(e.to_string()))?;
            let metadata = CoreProviderMetadata::discover(&issuer, &client).map_err(|e| {
                FedError::Unavailable(format!("discovery of {}: {e}", issuer.as_str()))
            })?;
            Resolved {
                authorize_url: explicit("authorize_url")
                    .unwrap_or_else(|| metadata.authorization_endpoint().to_string()),
                token_url: explicit("token_url")
                    .or_else(|| metadata.token_endpoint().map(|t| t.to_string()))
                    .ok_or_else(|| FedError::Config("the provider has no token endpoint".into()))?,
                userinfo_url: explicit("attributes_url")
                    .or_else(|| metadata.userinfo_endpoint().map(|u| u.to_string())),
                issuer: issuer.to_string(),
                jwks: metadata.jwks().clone(),
            }
        };
        let resolved = Arc::new(resolved);
        CACHE
            .lock()
            .expect("cache lock")
            .insert(key, (Instant::now(), resolved.clone()));
        Ok(resolved)
    }

    /// Where to send the browser: code flow with PKCE (S256), `state` and, for the OpenID
    /// types, `nonce`; Apple answers by `form_post` when it is asked for the name or e-mail.
    pub fn authorize_url(
        &self,
        caller: &Caller,
        redirect_uri: &str,
        state: &str,
        flight: &InFlight,
    ) -> Result<String, FedError> {
        let resolved = self.resolve(caller, false)?;
        let mut url = url::Url::parse(&resolved.authorize_url)
            .map_err(|_| FedError::Config("authorize_url is not a URL".into()))?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            flight.pkce_verifier.clone(),
        ));
        let scopes = self
            .details
            .get("authorize_scopes")
            .map(|s| {
                s.split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.detail("client_id")?)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", state)
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256");
            if !scopes.is_empty() {
                q.append_pair("scope", &scopes);
            }
            if self.kind.has_id_token() {
                q.append_pair("nonce", &flight.nonce);
            }
            if self.kind == ProviderType::SignInWithApple && !scopes.is_empty() {
                q.append_pair("response_mode", "form_post");
            }
        }
        Ok(url.to_string())
    }

    /// The callback's code → tokens → a verified identity (and the attributes endpoint's
    /// answer for the types that need it).
    pub fn finish(
        &self,
        caller: &Caller,
        redirect_uri: &str,
        code: &str,
        flight: &InFlight,
        now: i64,
    ) -> Result<UpstreamIdentity, FedError> {
        let started = Instant::now();
        let result = self.exchange(caller, redirect_uri, code, flight, now);
        let outcome = match &result {
            Ok(_) => "success",
            Err(FedError::Unavailable(_)) => "unavailable",
            Err(FedError::Invalid(_)) => "invalid",
            Err(FedError::Refused(_)) => "refused",
            Err(FedError::Config(_) | FedError::Gone) => "misconfigured",
            Err(FedError::Internal(_)) => "error",
        };
        crate::metrics::upstream_idp_call(self.kind.as_str(), outcome, started.elapsed());
        result
    }

    fn exchange(
        &self,
        caller: &Caller,
        redirect_uri: &str,
        code: &str,
        flight: &InFlight,
        now: i64,
    ) -> Result<UpstreamIdentity, FedError> {
        let resolved = self.resolve(caller, false)?;
        let client = http(caller);
        let secret = match self.kind {
            ProviderType::SignInWithApple => Some(
                crate::keys::es256_client_assertion(
                    self.apple_key.as_deref().unwrap_or_default(),
                    self.detail("key_id")?,
                    self.detail("team_id")?,
                    self.detail("client_id")?,
                    &resolved.issuer,
                    now,
                )
                .map_err(FedError::Config)?,
            ),
            _ => self.client_secret.clone(),
        };
        let oidc = self.oidc_client(&resolved, redirect_uri, secret)?;
        let exchanged = oidc
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(flight.pkce_verifier.clone()))
            .request(&client);
        let tokens = match exchanged {
            Ok(t) => t,
            Err(openidconnect::RequestTokenError::Request(e)) => {
                return Err(FedError::Unavailable(format!("token endpoint: {e}")));
            }
            Err(e) => return Err(FedError::Invalid(format!("token endpoint: {e}"))),
        };
        let mut claims = Map::new();
        let mut issuer = None;
        if self.kind.has_id_token() {
            let id_token = tokens
                .id_token()
                .ok_or_else(|| FedError::Invalid("no id_token".into()))?;
            let nonce = Nonce::new(flight.nonce.clone());
            match id_token.claims(&oidc.id_token_verifier(), &nonce) {
                Ok(_) => {}
                // Perhaps a rotated key: fetch the key set again, once.
                Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                    let fresh = self.resolve(caller, true)?;
                    let again = self.oidc_client(&fresh, redirect_uri, None)?;
                    id_token
                        .claims(&again.id_token_verifier(), &nonce)
                        .map_err(|e| FedError::Invalid(format!("id_token: {e}")))?;
                }
                Err(e) => return Err(FedError::Invalid(format!("id_token: {e}"))),
            }
            claims = payload(&id_token.to_string())?;
            issuer = Some(resolved.issuer.clone());
        }
        if let Some(url) = &resolved.userinfo_url {
            let extra = self.attributes(caller, url, tokens.access_token().secret())?;
            // OpenID Connect: the attributes must be the ID token's subject's.
            if self.kind.has_id_token()
                && extra.get("sub").is_some()
                && extra.get("sub") != claims.get("sub")
            {
                return Err(FedError::Invalid("userinfo is for another subject".into()));
            }
            for (k, v) in extra {
                claims.entry(k).or_insert(v);
            }
        }
        let subject = match claims.get(self.kind.subject_claim()) {
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(FedError::Invalid(format!(
                    "no {} in the upstream's answer",
                    self.kind.subject_claim()
                )));
            }
        };
        Ok(UpstreamIdentity {
            provider: self.provider.name.clone(),
            provider_type: self.kind,
            subject,
            issuer,
            claims,
        })
    }

    fn oidc_client(
        &self,
        resolved: &Resolved,
        redirect_uri: &str,
        secret: Option<String>,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
        >,
        FedError,
    > {
        let bad = |e: String| FedError::Config(e);
        let issuer = IssuerUrl::new(if resolved.issuer.is_empty() {
            "https://issuer.invalid".to_string()
        } else {
            resolved.issuer.clone()
        })
        .map_err(|e| bad(e.to_string()))?;
        let mut client = CoreClient::new(
            ClientId::new(self.detail("client_id")?.to_string()),
            issuer,
            resolved.jwks.clone(),
        )
        .set_auth_uri(
            openidconnect::AuthUrl::new(resolved.authorize_url.clone())
                .map_err(|e| bad(e.to_string()))?,
        )
        .set_token_uri(
            openidconnect::TokenUrl::new(resolved.token_url.clone())
                .map_err(|e| bad(e.to_string()))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string()).map_err(|e| bad(e.to_string()))?,
        )
        .set_auth_type(AuthType::RequestBody);
        if let Some(s) = secret {
            client = client.set_client_secret(ClientSecret::new(s));
        }
        Ok(client)
    }

    /// The attributes endpoint (OIDC userinfo, Facebook Graph `/me`, Amazon `/user/profile`)
    /// with the access token as a bearer token.
    fn attributes(
        &self,
        caller: &Caller,
        url: &str,
        access_token: &str,
    ) -> Result<Map<String, Value>, FedError> {
        let mut url = url.to_string();
        if self
            .details
            .get("attributes_url_add_attributes")
            .is_some_and(|v| v == "true")
            && url.ends_with('=')
        {
            // Facebook's Graph API answers only the fields it is asked for.
            let mut fields: Vec<&str> = vec![self.kind.subject_claim()];
            for upstream in self.provider.attribute_mapping.values() {
                if !fields.contains(&upstream.as_str()) {
                    fields.push(upstream);
                }
            }
            url.push_str(&fields.join(","));
        }
        let method = match self
            .details
            .get("attributes_request_method")
            .map(String::as_str)
        {
            Some("POST") => "POST",
            _ => "GET",
        };
        let headers = vec![
            (
                "authorization".to_string(),
                format!("Bearer {access_token}"),
            ),
            ("accept".to_string(), "application/json".to_string()),
        ];
        match caller.send(method, &url, &headers, b"") {
            Attempt::Answer {
                status: 200, body, ..
            } => match serde_json::from_slice(&body) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(FedError::Invalid(
                    "the attributes endpoint answered no JSON object".into(),
                )),
            },
            Attempt::Answer { status, .. } => Err(FedError::Invalid(format!(
                "the attributes endpoint answered HTTP {status}"
            ))),
            Attempt::NoAnswer(why) | Attempt::Refused(why) => Err(FedError::Unavailable(why)),
        }
    }
}

/// The claims of a token whose signature has been verified.
fn payload(jwt: &str) -> Result<Map<String, Value>, FedError> {
    jwt.split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| FedError::Invalid("id_token payload".into()))
}
