//! Metadata both ways: an identity provider's (what `MetadataFile` / `MetadataURL` give us,
//! read with samael's types and checked as Cognito does) and our service provider's, served
//! at `/{pool_id}/saml2/metadata` for the IdP's administrators to import.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use samael::crypto::CertificateDer;
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{
    Endpoint, EntityDescriptor, IndexedEndpoint, KeyDescriptor, SpSsoDescriptor,
};
use samael::traits::ToXml;

use super::{HTTP_POST, HTTP_REDIRECT, guard};

/// Cognito's limit on `MetadataFile`.
pub const MAX_METADATA_CHARS: usize = 131_072;

/// What an identity provider's metadata tells us.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub signing_certificates: Vec<CertificateDer>,
    /// Where AuthnRequests go (HTTP-Redirect binding, the one Incognito sends them with).
    pub sso_redirect: Option<String>,
    /// Where LogoutRequests go (HTTP-Redirect binding), if the IdP does single logout.
    pub slo_redirect: Option<String>,
    /// Where LogoutResponses go, when the IdP names a separate `ResponseLocation`.
    pub slo_response: Option<String>,
    pub wants_signed_requests: bool,
}

/// Reads and checks an IdP's metadata: one `EntityDescriptor` with an `IDPSSODescriptor`, at
/// least one signing certificate (samael verifies nothing without one: refused here), none of
/// them expired at `now`. A provider also needs `sso_redirect` (checked where it is configured).
pub fn parse_idp(xml: &str, now: i64) -> Result<IdpMetadata, String> {
    if xml.len() > MAX_METADATA_CHARS {
        return Err("the metadata is longer than 131,072 characters".into());
    }
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err("the metadata may not have a DTD".into());
    }
    if guard::root_name(xml).as_deref() != Some("EntityDescriptor") {
        return Err("the metadata must be one EntityDescriptor".into());
    }
    let parsed = std::panic::catch_unwind(|| xml.parse::<EntityDescriptor>())
        .map_err(|_| "the metadata could not be read".to_string())?
        .map_err(|_| "the metadata is not a SAML EntityDescriptor".to_string())?;
    let entity_id = parsed
        .entity_id
        .clone()
        .filter(|e| !e.trim().is_empty())
        .ok_or("the metadata has no entityID")?;
    let idp = parsed
        .idp_sso_descriptors
        .as_ref()
        .and_then(|d| d.first())
        .ok_or("the metadata has no IDPSSODescriptor")?;
    let mut signing = vec![];
    for descriptor in &idp.key_descriptors {
        let usable = matches!(
            descriptor.key_use.as_deref(),
            None | Some("") | Some("signing")
        );
        if !usable {
            continue;
        }
        for text in descriptor
            .key_info
            .x509_data
            .iter()
            .flat_map(|d| d.certificates.iter())
        {
            let der = samael::crypto::decode_x509_cert(text)
                .map_err(|_| "a certificate in the metadata is not base64")?;
            let cert = openssl::x509::X509::from_der(der.der_data())
                .map_err(|_| "a certificate in the metadata is not X.509")?;
            let now = openssl::asn1::Asn1Time::from_unix(now)
                .map_err(|_| "the clock is out of range".to_string())?;
            if cert.not_after() < now {
                return Err("the metadata's signing certificate has expired".into());
            }
            signing.push(der);
        }
    }
    if signing.is_empty() {
        return Err("the metadata has no signing certificate".into());
    }
    let location = |endpoints: &[Endpoint]| {
        endpoints
            .iter()
            .find(|e| e.binding == HTTP_REDIRECT)
            .map(|e| e.location.clone())
    };
    let sso_redirect = location(&idp.single_sign_on_services);
    if let Some(u) = &sso_redirect {
        url::Url::parse(u).map_err(|_| "the SingleSignOnService is not a URL")?;
    }
    Ok(IdpMetadata {
        entity_id: entity_id.trim().to_string(),
        signing_certificates: signing,
        sso_redirect,
        slo_redirect: location(&idp.single_logout_services),
        slo_response: idp
            .single_logout_services
            .iter()
            .find(|e| e.binding == HTTP_REDIRECT)
            .and_then(|e| e.response_location.clone()),
        wants_signed_requests: idp.want_authn_requests_signed == Some(true),
    })
}

/// Our service provider's metadata: entity id, the POST assertion consumer service, the
/// redirect single logout service, and the pool's certificate for signing and encryption.
pub fn sp_metadata(
    entity_id: &str,
    acs_url: &str,
    slo_url: &str,
    certificate_der: &[u8],
    valid_until: i64,
) -> Result<String, String> {
    let key = |key_use: &str| KeyDescriptor {
        key_use: Some(key_use.to_string()),
        key_info: KeyInfo {
            id: None,
            x509_data: Some(X509Data {
                certificates: vec![STANDARD.encode(certificate_der)],
            }),
        },
        encryption_methods: None,
    };
    let descriptor = SpSsoDescriptor {
        protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
        key_descriptors: Some(vec![key("signing"), key("encryption")]),
        single_logout_services: Some(vec![Endpoint {
            binding: HTTP_REDIRECT.into(),
            location: slo_url.into(),
            response_location: None,
        }]),
        name_id_formats: Some(vec![
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".into(),
        ]),
        authn_requests_signed: Some(true),
        want_assertions_signed: Some(true),
        assertion_consumer_services: vec![IndexedEndpoint {
            binding: HTTP_POST.into(),
            location: acs_url.into(),
            index: 1,
            is_default: Some(true),
            ..IndexedEndpoint::default()
        }],
        ..SpSsoDescriptor::default()
    };
    let document = EntityDescriptor {
        entity_id: Some(entity_id.into()),
        valid_until: Utc.timestamp_opt(valid_until, 0).single(),
        sp_sso_descriptors: Some(vec![descriptor]),
        ..EntityDescriptor::default()
    };
    document.to_string().map_err(|e| e.to_string())
}
