//! A sign-in through a SAML identity provider, for the hosted door. `begin`: an AuthnRequest
//! (signed when the provider asks) whose id is kept server-side under the RelayState.
//! `finish`: the posted `SAMLResponse` verified (`response`), its assertion id remembered
//! (no replay), and the NameID and attributes turned into the same upstream identity the
//! OpenID Connect providers give, so that users, links and PreSignUp_ExternalProvider work
//! alike (`federation::sign_in::federated_user`). Blocking: call on the blocking pool.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::metadata::{self, IdpMetadata};
use super::response::{self, Expected, Verified};
use super::{redirect, sp_entity_id};
use crate::authn::flow::Services;
use crate::federation::pending;
use crate::federation::providers::ProviderType;
use crate::federation::sign_in::{Federated, federated_user};
use crate::federation::upstream::{FedError, UpstreamIdentity};
use crate::keys::saml_sp;
use crate::pools::Pool;
use crate::store::federation::IdentityProvider;
use crate::triggers::target::{Attempt, Caller};

/// What the RelayState of an SP-initiated sign-in finds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SamlFlight {
    /// The pending authorization request (`oidc::authorize`) the sign-in resumes.
    pub request: String,
    /// The AuthnRequest's id: the response must answer it.
    pub request_id: String,
}

/// Where the pool's assertion consumer service is, from its issuer URL.
pub fn acs_url(issuer: &str) -> String {
    format!("{issuer}/saml2/idpresponse")
}

pub fn slo_url(issuer: &str) -> String {
    format!("{issuer}/saml2/logout")
}

fn flag(p: &IdentityProvider, key: &str) -> bool {
    p.details.get(key).is_some_and(|v| v == "true")
}

/// Whether the provider accepts unsolicited (IdP-initiated) responses.
pub fn allows_idp_initiated(p: &IdentityProvider) -> bool {
    flag(p, "IDPInit")
}

/// Starts a sign-in: returns where to send the browser.
pub fn begin(
    services: &Services<'_>,
    provider: &IdentityProvider,
    issuer: &str,
    pending_request: String,
    now: i64,
) -> Result<String, FedError> {
    let idp = idp_metadata(services.triggers.caller(), provider, now)?;
    let destination = idp.sso_redirect.clone().ok_or_else(|| {
        FedError::Config("the IdP has no HTTP-Redirect SingleSignOnService".into())
    })?;
    let sign =
        provider.details.contains_key("RequestSigningAlgorithm") || idp.wants_signed_requests;
    let key = if sign {
        Some(sp_key(services, &provider.pool_id, now)?.key)
    } else {
        None
    };
    let request_id = redirect::message_id();
    let flight = SamlFlight {
        request: pending_request,
        request_id: request_id.clone(),
    };
    let relay_state = services
        .store
        .write_sync(|db| pending::put(db, &provider.pool_id, &provider.name, &flight, now))
        .map_err(FedError::internal)?;
    let sent = redirect::authn_request(&redirect::AuthnRequestParams {
        id: &request_id,
        sp_entity_id: &sp_entity_id(&provider.pool_id),
        acs_url: &acs_url(issuer),
        destination: &destination,
        relay_state: &relay_state,
        key: key.as_ref(),
        now,
    })
    .map_err(FedError::internal)?;
    Ok(sent)
}

/// The pool's SP key, made at first use.
pub fn sp_key(
    services: &Services<'_>,
    pool_id: &str,
    now: i64,
) -> Result<saml_sp::SpKey, FedError> {
    let sealer = services.sealer;
    if let Some(k) = services
        .store
        .read_sync(|db| saml_sp::load(db, sealer, pool_id))
        .map_err(FedError::internal)?
    {
        return Ok(k);
    }
    services
        .store
        .write_sync(|db| saml_sp::get_or_create(db, sealer, pool_id, now))
        .map_err(FedError::internal)
}

/// What the posted response was checked against, besides the provider.
pub struct Posted<'a> {
    pub saml_response: &'a str,
    /// The AuthnRequest's id; `None` for an IdP-initiated response.
    pub request_id: Option<&'a str>,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub pending_request: &'a str,
}

/// Verifies the response and finds or makes the user, whose NameID and SessionIndex are kept
/// for single logout.
pub fn finish(
    services: &Services<'_>,
    pool: &Pool,
    provider: &IdentityProvider,
    posted: &Posted<'_>,
    now: i64,
) -> Result<Federated, FedError> {
    let idp = idp_metadata(services.triggers.caller(), provider, now)?;
    let key = sp_key(services, &pool.id, now)?;
    let sp = sp_entity_id(&pool.id);
    let acs = acs_url(posted.issuer);
    let expected = Expected {
        sp_entity_id: &sp,
        acs_url: &acs,
        idp_entity_id: &idp.entity_id,
        idp_certificates: &idp.signing_certificates,
        request_id: posted.request_id,
        require_encrypted: flag(provider, "EncryptedResponses"),
        allow_sha1: flag(provider, "allow_sha1_signatures"),
        decryption_key: Some(&key.key),
        now,
    };
    let verified = response::verify_base64(posted.saml_response, &expected).map_err(|e| {
        tracing::warn!(pool = %pool.id, provider = %provider.name, error = %e, "SAML response refused");
        match e {
            super::SamlError::Status(code) => FedError::Refused(code),
            other => FedError::Invalid(other.to_string()),
        }
    })?;
    let fresh = services
        .store
        .write_sync(|db| {
            crate::store::saml::remember_assertion(
                db,
                &pool.id,
                &verified.issuer,
                &verified.assertion_id,
                verified.expires_at,
            )
        })
        .map_err(FedError::internal)?;
    if !fresh {
        tracing::warn!(pool = %pool.id, provider = %provider.name, "SAML assertion replayed");
        return Err(FedError::Invalid("the assertion was already used".into()));
    }
    let identity = identity(provider, &verified);
    let federated = federated_user(
        services,
        pool,
        provider,
        &identity,
        posted.client_id,
        posted.pending_request,
        now,
    )?;
    if let Federated::User(user) = &federated {
        // The browser session made next has auth_time `now`: single logout finds it by that.
        let login = crate::store::saml::SamlLogin {
            pool_id: pool.id.clone(),
            user_id: user.id.clone(),
            provider: provider.name.clone(),
            name_id: verified.name_id.clone(),
            name_id_format: verified.name_id_format.clone(),
            session_index: verified.session_index.clone(),
            signed_in_at: now,
        };
        services
            .store
            .write_sync(|db| super::logout::remember(db, &login))
            .map_err(FedError::internal)?;
    }
    Ok(federated)
}

/// The assertion as an upstream identity: the NameID names the user, attributes are claims
/// by their SAML `Name` (several values joined with commas, as Cognito maps them).
fn identity(provider: &IdentityProvider, v: &Verified) -> UpstreamIdentity {
    let mut claims = Map::new();
    for (name, values) in &v.attributes {
        claims.insert(name.clone(), Value::String(values.join(",")));
    }
    UpstreamIdentity {
        provider: provider.name.clone(),
        provider_type: ProviderType::Saml,
        subject: v.name_id.clone(),
        issuer: Some(v.issuer.clone()),
        claims,
    }
}

/// How long a fetched `MetadataURL` document is used before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(6 * 3600);

type MetadataCache = Mutex<HashMap<String, (Instant, String)>>;
static FETCHED: LazyLock<MetadataCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The provider's IdP metadata: its `MetadataFile`, or its `MetadataURL`'s document (fetched
/// with the server's outbound client, 5 s, https or loopback; cached six hours).
pub fn idp_metadata(
    caller: &Caller,
    provider: &IdentityProvider,
    now: i64,
) -> Result<IdpMetadata, FedError> {
    let document = match (
        provider.details.get("MetadataFile"),
        provider.details.get("MetadataURL"),
    ) {
        (Some(file), _) => file.clone(),
        (None, Some(url)) => fetch_metadata(caller, url)?,
        (None, None) => return Err(FedError::Config("no metadata".into())),
    };
    metadata::parse_idp(&document, now).map_err(FedError::Config)
}

fn fetch_metadata(caller: &Caller, url: &str) -> Result<String, FedError> {
    if let Some((at, doc)) = FETCHED.lock().expect("metadata cache").get(url)
        && at.elapsed() < METADATA_TTL
    {
        return Ok(doc.clone());
    }
    let document = match caller.send("GET", url, &[], &[]) {
        Attempt::Answer {
            status: 200, body, ..
        } => String::from_utf8(body)
            .map_err(|_| FedError::Config("the metadata is not UTF-8".into()))?,
        Attempt::Answer { status, .. } => {
            return Err(FedError::Unavailable(format!("metadata: HTTP {status}")));
        }
        Attempt::NoAnswer(e) | Attempt::Refused(e) => {
            return Err(FedError::Unavailable(format!("metadata: {e}")));
        }
    };
    FETCHED
        .lock()
        .expect("metadata cache")
        .insert(url.to_string(), (Instant::now(), document.clone()));
    Ok(document)
}
