//! SAML single logout, HTTP-Redirect binding both ways. SP-initiated: `/logout` ends the
//! browser session and, when the user's session came from a SAML IdP with `IDPSignout` on,
//! sends the IdP a signed LogoutRequest naming the NameID and SessionIndex of that sign-in; the
//! IdP's LogoutResponse at `/{pool_id}/saml2/logout` finishes the logout where `/logout` would
//! have. IdP-initiated: a LogoutRequest signed by the IdP ends every browser session of the
//! user it names, and is answered with a signed LogoutResponse. Blocking: the blocking pool.

use chrono::{TimeZone, Utc};
use quick_xml::escape::escape;
use serde::{Deserialize, Serialize};

use super::sign_in::{idp_metadata, sp_key};
use super::{SamlError, redirect, sp_entity_id};
use crate::authn::flow::Services;
use crate::federation::pending;
use crate::federation::providers::ProviderType;
use crate::federation::upstream::FedError;
use crate::store::federation::IdentityProvider;
use crate::store::saml::SamlLogin;
use crate::store::{self, Db};

const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// What the RelayState of a LogoutRequest we sent finds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogoutFlight {
    pub request_id: String,
    /// Where `/logout` would have sent the browser (none: the signed-out page).
    pub then: Option<String>,
}

fn instant(now: i64) -> String {
    Utc.timestamp_opt(now, 0)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Remembers a SAML sign-in's NameID and SessionIndex for a later single logout.
pub fn remember(db: &Db, login: &SamlLogin) -> crate::Result<()> {
    Ok(store::saml::put_login(db, login)?)
}

/// `/logout` for a session of `user_id` that began at `auth_time`: where to send the browser
/// to log out at the IdP too, when that session came from a SAML IdP with `IDPSignout`.
pub fn begin(
    services: &Services<'_>,
    pool_id: &str,
    user_id: &str,
    auth_time: i64,
    then: Option<String>,
    now: i64,
) -> Result<Option<String>, FedError> {
    let store = services.store;
    let Some(login) = store
        .write_sync(|db| store::saml::take_login(db, pool_id, user_id))
        .map_err(FedError::internal)?
        .filter(|l| l.signed_in_at == auth_time)
    else {
        return Ok(None);
    };
    let Some(provider) = store
        .read_sync(|db| store::federation::get(db, pool_id, &login.provider))
        .map_err(FedError::internal)?
        .filter(|p| p.provider_type == ProviderType::Saml.as_str() && signs_out(p))
    else {
        return Ok(None);
    };
    let idp = idp_metadata(services.triggers.caller(), &provider, now)?;
    let Some(destination) = idp.slo_redirect else {
        return Ok(None);
    };
    let key = sp_key(services, pool_id, now)?;
    let request_id = redirect::message_id();
    let flight = LogoutFlight {
        request_id: request_id.clone(),
        then,
    };
    let relay_state = store
        .write_sync(|db| pending::put(db, pool_id, &provider.name, &flight, now))
        .map_err(FedError::internal)?;
    let xml = logout_request(
        &request_id,
        &sp_entity_id(pool_id),
        &destination,
        &login,
        now,
    );
    redirect::encode(
        &destination,
        "SAMLRequest",
        &xml,
        &relay_state,
        Some(&key.key),
    )
    .map(Some)
    .map_err(FedError::internal)
}

fn signs_out(p: &IdentityProvider) -> bool {
    p.details.get("IDPSignout").is_some_and(|v| v == "true")
}

fn logout_request(
    id: &str,
    issuer: &str,
    destination: &str,
    login: &SamlLogin,
    now: i64,
) -> String {
    let format = login
        .name_id_format
        .as_deref()
        .map(|f| format!(r#" Format="{}""#, escape(f)))
        .unwrap_or_default();
    let session = login
        .session_index
        .as_deref()
        .map(|s| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", escape(s)))
        .unwrap_or_default();
    format!(
        r#"<samlp:LogoutRequest xmlns:samlp="{PROTOCOL}" xmlns:saml="{ASSERTION}" ID="{id}" Version="2.0" IssueInstant="{}" Destination="{}"><saml:Issuer>{}</saml:Issuer><saml:NameID{format}>{}</saml:NameID>{session}</samlp:LogoutRequest>"#,
        instant(now),
        escape(destination),
        escape(issuer),
        escape(login.name_id.as_str()),
    )
}

fn logout_response(
    id: &str,
    in_response_to: &str,
    issuer: &str,
    destination: &str,
    now: i64,
) -> String {
    format!(
        r#"<samlp:LogoutResponse xmlns:samlp="{PROTOCOL}" xmlns:saml="{ASSERTION}" ID="{id}" Version="2.0" IssueInstant="{}" Destination="{}" InResponseTo="{}"><saml:Issuer>{}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{}"/></samlp:Status></samlp:LogoutResponse>"#,
        instant(now),
        escape(destination),
        escape(in_response_to),
        escape(issuer),
        super::STATUS_SUCCESS,
    )
}

/// What `/{pool_id}/saml2/logout` does next.
pub enum Answered {
    /// Our logout is complete: continue where `/logout` would have (none: the signed-out page).
    Done(Option<String>),
    /// The IdP's logout was done here: send the browser back with our LogoutResponse.
    Respond(String),
}

/// A message at `/{pool_id}/saml2/logout`: the IdP's LogoutResponse to ours, or its own
/// LogoutRequest. `path_and_query`: the request target as received (for the signature).
pub fn answer(
    services: &Services<'_>,
    pool_id: &str,
    params: &crate::oidc::params::Params,
    path_and_query: &str,
    now: i64,
) -> Result<Answered, FedError> {
    let invalid = |e: SamlError| FedError::Invalid(e.to_string());
    if let Some(response) = params.get("SAMLResponse") {
        let relay = params.get("RelayState").unwrap_or_default();
        let (provider_name, flight) = services
            .store
            .write_sync(|db| pending::take::<LogoutFlight>(db, pool_id, relay, now))
            .map_err(FedError::internal)?
            .ok_or(FedError::Gone)?;
        let provider = saml_provider(services, pool_id, &provider_name)?;
        let idp = idp_metadata(services.triggers.caller(), &provider, now)?;
        let xml = redirect::decode(response).map_err(invalid)?;
        let parsed = parse::<samael::schema::LogoutResponse>(&xml)?;
        if parsed.in_response_to.as_deref() != Some(flight.request_id.as_str()) {
            return Err(FedError::Invalid(
                "the LogoutResponse answers another request".into(),
            ));
        }
        if params.get("Signature").is_some() {
            redirect::verify(path_and_query, false, &idp.signing_certificates).map_err(invalid)?;
        }
        return Ok(Answered::Done(flight.then));
    }
    let request = params
        .get("SAMLRequest")
        .ok_or_else(|| FedError::Invalid("neither SAMLRequest nor SAMLResponse".into()))?;
    let xml = redirect::decode(request).map_err(invalid)?;
    let parsed = parse::<samael::schema::LogoutRequest>(&xml)?;
    let issuer = parsed
        .issuer
        .as_ref()
        .and_then(|i| i.value.as_deref())
        .map(str::trim)
        .ok_or_else(|| FedError::Invalid("the LogoutRequest has no Issuer".into()))?
        .to_string();
    let (provider, idp) = provider_by_entity(services, pool_id, &issuer, now)?;
    redirect::verify(path_and_query, true, &idp.signing_certificates).map_err(invalid)?;
    let name_id = parsed
        .name_id
        .as_ref()
        .map(|n| n.value.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| FedError::Invalid("the LogoutRequest has no NameID".into()))?;
    let pool = pool_id.to_string();
    services
        .store
        .write_sync(|db| -> crate::Result<()> {
            if let Some(user_id) =
                store::federation::linked_user(db, &pool, &provider.name, &name_id)?
            {
                store::sessions::delete_for_user(db, &user_id)?;
                store::saml::take_login(db, &pool, &user_id)?;
            }
            Ok(())
        })
        .map_err(FedError::internal)?;
    let destination = idp
        .slo_response
        .clone()
        .or(idp.slo_redirect.clone())
        .ok_or_else(|| FedError::Config("the IdP has no SingleLogoutService".into()))?;
    let key = sp_key(services, pool_id, now)?;
    let xml = logout_response(
        &redirect::message_id(),
        parsed.id.as_deref().unwrap_or_default(),
        &sp_entity_id(pool_id),
        &destination,
        now,
    );
    let relay = params.get("RelayState").unwrap_or_default();
    redirect::encode(&destination, "SAMLResponse", &xml, relay, Some(&key.key))
        .map(Answered::Respond)
        .map_err(FedError::internal)
}

/// samael's parser on a received message, behind a panic guard like every hostile input.
fn parse<T: std::str::FromStr>(xml: &str) -> Result<T, FedError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| xml.parse::<T>()))
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| FedError::Invalid("the logout message does not parse".into()))
}

fn saml_provider(
    services: &Services<'_>,
    pool_id: &str,
    name: &str,
) -> Result<IdentityProvider, FedError> {
    services
        .store
        .read_sync(|db| store::federation::get(db, pool_id, name))
        .map_err(FedError::internal)?
        .filter(|p| p.provider_type == ProviderType::Saml.as_str())
        .ok_or(FedError::Gone)
}

/// The pool's SAML provider with single logout on whose metadata names `entity_id`.
fn provider_by_entity(
    services: &Services<'_>,
    pool_id: &str,
    entity_id: &str,
    now: i64,
) -> Result<(IdentityProvider, super::metadata::IdpMetadata), FedError> {
    let providers = services
        .store
        .read_sync(|db| store::federation::list(db, pool_id, 1000, ""))
        .map_err(FedError::internal)?;
    for p in providers {
        if p.provider_type != ProviderType::Saml.as_str() || !signs_out(&p) {
            continue;
        }
        if let Ok(idp) = idp_metadata(services.triggers.caller(), &p, now)
            && idp.entity_id == entity_id
        {
            return Ok((p, idp));
        }
    }
    Err(FedError::Invalid(
        "no SAML provider with single logout has that Issuer".into(),
    ))
}
