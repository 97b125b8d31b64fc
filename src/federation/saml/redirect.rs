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
