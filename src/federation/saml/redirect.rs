//! The HTTP-Redirect binding for the messages we send: the XML deflated, base64'd and put in
//! the query, signed (rsa-sha256 over the query, samael's `sign_url`) when the provider asks.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use openssl::pkey::{PKey, Private};
use samael::schema::{AuthnRequest, Issuer, NameIdPolicy};
use samael::traits::ToXml;

use super::HTTP_POST;

/// A message id: an xs:ID starts with a letter or `_` (the token's alphabet is URL-safe
/// base64, all of it allowed in an xs:ID).
pub fn message_id() -> String {
    format!("_{}", crate::random::token(24))
}

pub struct AuthnRequestParams<'a> {
    pub id: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub destination: &'a str,
    pub relay_state: &'a str,
    /// Signs the request when given.
    pub key: Option<&'a PKey<Private>>,
    pub now: i64,
}

/// Where to send the browser with an AuthnRequest.
pub fn authn_request(p: &AuthnRequestParams<'_>) -> Result<String, String> {
    let request = AuthnRequest {
        id: p.id.to_string(),
        version: "2.0".into(),
        issue_instant: Utc
            .timestamp_opt(p.now, 0)
            .single()
            .ok_or("clock out of range")?,
        destination: Some(p.destination.into()),
        issuer: Some(Issuer {
            value: Some(p.sp_entity_id.into()),
            ..Issuer::default()
        }),
        name_id_policy: Some(NameIdPolicy {
            allow_create: Some(true),
            format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".into()),
            ..NameIdPolicy::default()
        }),
        assertion_consumer_service_url: Some(p.acs_url.into()),
        protocol_binding: Some(HTTP_POST.into()),
        ..AuthnRequest::default()
    };
    let xml = request.to_string().map_err(|e| e.to_string())?;
    encode(p.destination, "SAMLRequest", &xml, p.relay_state, p.key)
}

/// `destination` with `name`=the deflated, base64'd `xml`, the RelayState and, with a key,
/// SigAlg and Signature.
pub fn encode(
    destination: &str,
    name: &str,
    xml: &str,
    relay_state: &str,
    key: Option<&PKey<Private>>,
) -> Result<String, String> {
    let mut deflated = DeflateEncoder::new(Vec::new(), Compression::default());
    deflated
        .write_all(xml.as_bytes())
        .map_err(|e| e.to_string())?;
    let deflated = deflated.finish().map_err(|e| e.to_string())?;
    let mut url = url::Url::parse(destination).map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .append_pair(name, &STANDARD.encode(deflated));
    if !relay_state.is_empty() {
        url.query_pairs_mut().append_pair("RelayState", relay_state);
    }
    let url = match key {
        Some(key) => samael::crypto::sign_url(url, key).map_err(|e| e.to_string())?,
        None => url,
    };
    Ok(url.to_string())
}

/// The largest message we inflate from a redirect (a LogoutRequest is well under 4 KB).
const MAX_INFLATED: u64 = 64 * 1024;

/// A received redirect-binding message's XML: base64, then inflated (bounded), then checked
/// to have no DTD.
pub fn decode(value: &str) -> Result<String, super::SamlError> {
    use super::SamlError;
    use std::io::Read;
    if value.len() > 32 * 1024 {
        return Err(SamlError::Malformed("longer than 32 KB"));
    }
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let deflated = STANDARD
        .decode(compact)
        .map_err(|_| SamlError::Malformed("not base64"))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .take(MAX_INFLATED)
        .read_to_string(&mut xml)
        .map_err(|_| SamlError::Malformed("not deflated UTF-8"))?;
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(SamlError::Malformed("a DTD is not allowed"));
    }
    Ok(xml)
}

/// Checks a received redirect-binding signature (`SigAlg` RSA- or ECDSA-SHA256 over the query
/// as sent, samael's `UrlVerifier`) against any of `certificates`. `path_and_query`: the request
/// target as received. Unsigned messages are refused.
pub fn verify(
    path_and_query: &str,
    is_request: bool,
    certificates: &[samael::crypto::CertificateDer],
) -> Result<(), super::SamlError> {
    use super::SamlError;
    let url = url::Url::parse(&format!("http://received{path_and_query}"))
        .map_err(|_| SamlError::Malformed("not a URL"))?;
    // samael indexes these without looking: make sure they are there.
    let has = |k: &str| url.query_pairs().any(|(name, _)| name == k);
    if !has("Signature") || !has("SigAlg") {
        return Err(SamlError::Unsigned);
    }
    for cert in certificates {
        let Ok(verifier) = samael::crypto::UrlVerifier::from_x509(cert) else {
            continue;
        };
        let verified = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if is_request {
                verifier.verify_signed_request_url(&url)
            } else {
                verifier.verify_signed_response_url(&url)
            }
        }));
        if matches!(verified, Ok(Ok(true))) {
            return Ok(());
        }
    }
    Err(SamlError::Signature)
}
