//! Verifies a SAML `Response` from an identity provider and reads the one assertion in it.
//!
//! samael does the cryptography: `reduce_xml_to_signed` verifies every signature against the
//! IdP's certificates and returns only the content they cover, and the xmlenc primitives
//! decrypt an `EncryptedAssertion` with our key. Everything else is checked here, with our
//! clock: the shape first (`guard`: one assertion, no DTD, allowed algorithms), then Issuer,
//! Destination, Recipient, Audience (required, ours), the time window, `InResponseTo` (or
//! none at all for an IdP-initiated sign-in), and that the assertion read is the one a
//! signature covers. Replays are the caller's to refuse, by `Verified::assertion_id` until
//! `expires_at`.

use std::collections::BTreeMap;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::pkey::{PKey, Private};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider, ReduceMode};
use samael::schema::{Assertion, Response};

use super::{BEARER, STATUS_SUCCESS, SamlError, guard};

/// Cognito's limit on a posted `SAMLResponse`.
pub const MAX_RESPONSE_CHARS: usize = 100_000;
/// Clock difference tolerated between the IdP and us.
pub const CLOCK_SKEW_SECS: i64 = 180;
/// How old an assertion may be when it arrives.
pub const MAX_AGE_SECS: i64 = 300;

/// What a response is checked against.
pub struct Expected<'a> {
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub idp_entity_id: &'a str,
    pub idp_certificates: &'a [CertificateDer],
    /// The AuthnRequest's id; `None` for an IdP-initiated (unsolicited) response.
    pub request_id: Option<&'a str>,
    pub require_encrypted: bool,
    pub allow_sha1: bool,
    /// Our key, for encrypted assertions.
    pub decryption_key: Option<&'a PKey<Private>>,
    pub now: i64,
}

/// A verified assertion's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub assertion_id: String,
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
    /// Attribute name → values.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Until when the assertion id must be remembered.
    pub expires_at: i64,
}

/// Verifies the base64 `SAMLResponse` of the POST binding.
pub fn verify_base64(encoded: &str, expected: &Expected<'_>) -> Result<Verified, SamlError> {
    if encoded.len() > MAX_RESPONSE_CHARS {
        return Err(SamlError::Malformed("longer than 100,000 characters"));
    }
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| SamlError::Malformed("not base64"))?;
    let xml = String::from_utf8(bytes).map_err(|_| SamlError::Malformed("not UTF-8"))?;
    verify(&xml, expected)
}

/// Verifies a `Response` document. Third-party parsing of hostile input runs behind a panic
/// guard: whatever goes wrong in there is a refusal, never a crashed request.
pub fn verify(xml: &str, expected: &Expected<'_>) -> Result<Verified, SamlError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| verify_inner(xml, expected)))
        .unwrap_or(Err(SamlError::Malformed("could not be processed")))
}

fn verify_inner(xml: &str, expected: &Expected<'_>) -> Result<Verified, SamlError> {
    // An IdP's error answer is often unsigned and has no assertion: say what it said.
    refuse_unsuccessful(xml)?;
    let shape = guard::check(xml, "Response", expected.allow_sha1)?;
    if expected.require_encrypted && !shape.encrypted {
        return Err(SamlError::NotEncrypted);
    }
    let (response, assertion) = if shape.encrypted {
        encrypted(xml, shape, expected)?
    } else {
        plain(xml, expected)?
    };
    if let Some(response) = &response {
        check_response(response, expected)?;
    }
    check_assertion(&assertion, expected)
}

/// The signed response (if the response itself is signed) and the assertion a signature covers.
fn plain(xml: &str, expected: &Expected<'_>) -> Result<(Option<Response>, Assertion), SamlError> {
    let signed = reduce(xml, expected)?;
    match guard::root_name(&signed).as_deref() {
        Some("Response") => {
            let response = Response::from_str(&signed)
                .map_err(|_| SamlError::Malformed("the signed response does not parse"))?;
            let assertion = response.assertion.clone().ok_or(SamlError::Unsigned)?;
            Ok((Some(response), assertion))
        }
        Some("Assertion") => Ok((None, parse_assertion(&signed)?)),
        _ => Err(SamlError::Unsigned),
    }
}

fn encrypted(
    xml: &str,
    shape: guard::Shape,
    expected: &Expected<'_>,
) -> Result<(Option<Response>, Assertion), SamlError> {
    // A signed response covers the ciphertext; otherwise the assertion inside must be signed.
    let (response, source) = if shape.root_signed {
        let signed = reduce(xml, expected)?;
        (Some(parse_response(&signed)?), signed)
    } else {
        (None, xml.to_string())
    };
    let outer = parse_response(&source)?;
    let encrypted = outer
        .encrypted_assertion
        .as_ref()
        .ok_or(SamlError::Unsigned)?;
    let inside = decrypt(encrypted, expected)
        .and_then(|plaintext| inner_assertion(&plaintext, response.is_some(), expected));
    match inside {
        Ok(assertion) => Ok((response, assertion)),
        // Unauthenticated ciphertext: one answer for every failure from decryption on, so
        // that the answers are no padding oracle (XML Encryption's CBC mode).
        Err(_) if response.is_none() => Err(SamlError::Decrypt),
        Err(e) => Err(e),
    }
}

/// The only key transport accepted: RSA-OAEP (RSA PKCS#1 v1.5 is Bleichenbacher's oracle).
const KEY_TRANSPORT: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

fn decrypt(
    encrypted: &samael::schema::EncryptedAssertion,
    expected: &Expected<'_>,
) -> Result<String, SamlError> {
    let key = expected.decryption_key.ok_or(SamlError::Decrypt)?;
    let (key_value, key_method) = encrypted
        .encrypted_key_info()
        .ok_or(SamlError::Malformed("no encrypted key"))?;
    let (value, value_method) = encrypted
        .encrypted_value_info()
        .ok_or(SamlError::Malformed("no encrypted data"))?;
    if key_method != KEY_TRANSPORT {
        return Err(SamlError::Algorithm(
            "key transport",
            key_method.chars().take(100).collect(),
        ));
    }
    // samael slices the ciphertext by the cipher's IV and tag lengths without checking them.
    let ciphertext_len = STANDARD
        .decode(value.value.split_whitespace().collect::<String>())
        .map_err(|_| SamlError::Decrypt)?
        .len();
    if ciphertext_len < 32 {
        return Err(SamlError::Decrypt);
    }
    let content_key = Crypto::decrypt_assertion_key_info(key_value, key_method, key)
        .map_err(|_| SamlError::Decrypt)?;
    let plaintext = Crypto::decrypt_assertion_value_info(value, value_method, &content_key)
        .map_err(|_| SamlError::Decrypt)?;
    trim_to_element(&plaintext).ok_or(SamlError::Decrypt)
}

/// The decrypted assertion: signed itself, or covered by the response's signature.
fn inner_assertion(
    plaintext: &str,
    response_signed: bool,
    expected: &Expected<'_>,
) -> Result<Assertion, SamlError> {
    let inner = guard::check(plaintext, "Assertion", expected.allow_sha1)?;
    if inner.root_signed {
        let signed = reduce(plaintext, expected)?;
        if guard::root_name(&signed).as_deref() != Some("Assertion") {
            return Err(SamlError::Unsigned);
        }
        parse_assertion(&signed)
    } else if response_signed {
        parse_assertion(plaintext)
    } else {
        Err(SamlError::Unsigned)
    }
}

/// The decrypted bytes from the first `<` to the last `>` (block-cipher padding may trail).
fn trim_to_element(plaintext: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(plaintext);
    let (first, last) = (text.find('<')?, text.rfind('>')?);
    (first < last).then(|| text[first..=last].to_string())
}

/// Only what a signature by one of the IdP's certificates covers.
fn reduce(xml: &str, expected: &Expected<'_>) -> Result<String, SamlError> {
    if expected.idp_certificates.is_empty() {
        return Err(SamlError::Signature);
    }
    Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        expected.idp_certificates,
        ReduceMode::ValidateAndMarkNoAncestors,
        // The guard allow-lists algorithms (SHA-1 included when configured, which samael's
        // list cannot name); samael's own list is the second lock when SHA-1 is off.
        (!expected.allow_sha1).then_some(SAMAEL_ALGORITHMS),
    )
    .map_err(|_| SamlError::Signature)
}

const SAMAEL_ALGORITHMS: &[samael::crypto::AllowedSignatureAlgorithm] = {
    use samael::crypto::AllowedSignatureAlgorithm::*;
    &[
        RsaSha256,
        RsaSha384,
        RsaSha512,
        EcdsaSha256,
        EcdsaSha384,
        EcdsaSha512,
    ]
};

fn parse_response(xml: &str) -> Result<Response, SamlError> {
    Response::from_str(xml).map_err(|_| SamlError::Malformed("the response does not parse"))
}

fn parse_assertion(xml: &str) -> Result<Assertion, SamlError> {
    Assertion::from_str(xml).map_err(|_| SamlError::Malformed("the assertion does not parse"))
}

fn refuse_unsuccessful(xml: &str) -> Result<(), SamlError> {
    if let Ok(response) = Response::from_str(xml)
        && let Some(code) = response.status.and_then(|s| s.status_code.value)
        && code != STATUS_SUCCESS
    {
        return Err(SamlError::Status(code.chars().take(200).collect()));
    }
    Ok(())
}

fn time(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp()
}

fn invalid(what: impl Into<String>) -> SamlError {
    SamlError::Invalid(what.into())
}

fn check_response(response: &Response, expected: &Expected<'_>) -> Result<(), SamlError> {
    if let Some(destination) = &response.destination
        && destination != expected.acs_url
    {
        return Err(invalid("the response is for another destination"));
    }
    if let Some(issuer) = &response.issuer
        && issuer.value.as_deref() != Some(expected.idp_entity_id)
    {
        return Err(invalid("the response comes from another issuer"));
    }
    match (&response.in_response_to, expected.request_id) {
        (Some(got), Some(sent)) if got == sent => {}
        (None, None) => {}
        (Some(_), None) => return Err(invalid("a solicited response without its request")),
        _ => return Err(invalid("the response answers another request")),
    }
    if let Some(code) = response
        .status
        .as_ref()
        .and_then(|s| s.status_code.value.as_ref())
        && code != STATUS_SUCCESS
    {
        return Err(SamlError::Status(code.chars().take(200).collect()));
    }
    let issued = time(response.issue_instant);
    if issued > expected.now + CLOCK_SKEW_SECS
        || issued + MAX_AGE_SECS + CLOCK_SKEW_SECS < expected.now
    {
        return Err(invalid("the response is outside its time window"));
    }
    Ok(())
}

fn check_assertion(assertion: &Assertion, expected: &Expected<'_>) -> Result<Verified, SamlError> {
    let now = expected.now;
    if assertion.issuer.value.as_deref() != Some(expected.idp_entity_id) {
        return Err(invalid("the assertion comes from another issuer"));
    }
    let issued = time(assertion.issue_instant);
    if issued > now + CLOCK_SKEW_SECS || issued + MAX_AGE_SECS + CLOCK_SKEW_SECS < now {
        return Err(invalid("the assertion is outside its time window"));
    }
    let conditions = assertion
        .conditions
        .as_ref()
        .ok_or_else(|| invalid("the assertion has no conditions"))?;
    if let Some(t) = conditions.not_before
        && now + CLOCK_SKEW_SECS < time(t)
    {
        return Err(invalid("the assertion is not valid yet"));
    }
    if let Some(t) = conditions.not_on_or_after
        && time(t) + CLOCK_SKEW_SECS <= now
    {
        return Err(invalid("the assertion has expired"));
    }
    // samael checks the audience only when one is given; we require ours.
    let ours = conditions.audience_restrictions.as_ref().is_some_and(|rs| {
        !rs.is_empty()
            && rs
                .iter()
                .all(|r| r.audience.iter().any(|a| a == expected.sp_entity_id))
    });
    if !ours {
        return Err(invalid(
            "the assertion is not for this service provider (Audience)",
        ));
    }
    let subject = assertion
        .subject
        .as_ref()
        .ok_or_else(|| invalid("the assertion has no subject"))?;
    let name_id = subject
        .name_id
        .as_ref()
        .filter(|n| !n.value.trim().is_empty() && n.value.len() <= 256)
        .ok_or_else(|| invalid("the assertion has no usable NameID"))?;
    let confirmed_until = bearer_confirmation(subject, expected)?;
    let session_index = assertion
        .authn_statements
        .iter()
        .flatten()
        .find_map(|s| s.session_index.clone());
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in assertion.attribute_statements.iter().flatten() {
        for attribute in &statement.attributes {
            let Some(name) = attribute.name.as_ref() else {
                continue;
            };
            let values = attributes.entry(name.clone()).or_default();
            values.extend(attribute.values.iter().filter_map(|v| v.value.clone()));
        }
    }
    let expires_at = conditions
        .not_on_or_after
        .map(time)
        .unwrap_or(confirmed_until)
        .max(confirmed_until)
        + CLOCK_SKEW_SECS;
    Ok(Verified {
        assertion_id: assertion.id.clone(),
        issuer: expected.idp_entity_id.to_string(),
        name_id: name_id.value.trim().to_string(),
        name_id_format: name_id.format.clone(),
        session_index,
        attributes,
        expires_at,
    })
}

/// A bearer confirmation for our ACS, in time, answering our request (or none, unsolicited);
/// returns its NotOnOrAfter.
fn bearer_confirmation(
    subject: &samael::schema::Subject,
    expected: &Expected<'_>,
) -> Result<i64, SamlError> {
    let mut why = "the assertion has no bearer confirmation";
    for confirmation in subject.subject_confirmations.iter().flatten() {
        if confirmation.method.as_deref() != Some(BEARER) {
            continue;
        }
        let Some(data) = &confirmation.subject_confirmation_data else {
            continue;
        };
        if data.recipient.as_deref() != Some(expected.acs_url) {
            why = "the assertion is for another recipient";
            continue;
        }
        let Some(until) = data.not_on_or_after.map(time) else {
            why = "the confirmation has no NotOnOrAfter";
            continue;
        };
        if until + CLOCK_SKEW_SECS <= expected.now {
            why = "the confirmation has expired";
            continue;
        }
        if let Some(t) = data.not_before
            && expected.now + CLOCK_SKEW_SECS < time(t)
        {
            why = "the confirmation is not valid yet";
            continue;
        }
        if data.in_response_to.as_deref() != expected.request_id {
            why = "the assertion answers another request";
            continue;
        }
        return Ok(until);
    }
    Err(invalid(why))
}

#[cfg(test)]
mod tests {
    //! crewjam/saml's published vectors (tests/data/saml/crewjam, MIT, commit 3465403): a real
    //! OneLogin response (RSA-SHA1, so the provider must allow SHA-1) that verifies, and the
    //! nine signature-wrapping permutations of it that must not.
    use super::*;
    use crate::federation::saml::metadata;

    const METADATA: &str = include_str!(
        "../../../tests/data/saml/crewjam/TestSPCanHandleOneloginResponse_IDPMetadata"
    );
    /// 2016-01-05T17:53:12Z, a second after the response was issued.
    const THEN: i64 = 1_452_016_392;
    const REQUEST: &str = "id-d40c15c104b52691eccf0a2a5c8a15595be75423";

    fn onelogin() -> metadata::IdpMetadata {
        metadata::parse_idp(METADATA, THEN).unwrap()
    }

    fn expected<'a>(idp: &'a metadata::IdpMetadata) -> Expected<'a> {
        Expected {
            sp_entity_id: "https://29ee6d2e.ngrok.io/saml/metadata",
            acs_url: "https://29ee6d2e.ngrok.io/saml/acs",
            idp_entity_id: &idp.entity_id,
            idp_certificates: &idp.signing_certificates,
            request_id: Some(REQUEST),
            require_encrypted: false,
            allow_sha1: true,
            decryption_key: None,
            now: THEN,
        }
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/data/saml/crewjam/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn the_genuine_onelogin_response_verifies() {
        let idp = onelogin();
        let verified = verify_base64(
            &fixture("TestSPCanHandleOneloginResponse_response"),
            &expected(&idp),
        )
        .unwrap();
        assert_eq!(
            verified.issuer,
            "https://app.onelogin.com/saml/metadata/503983"
        );
        assert_eq!(verified.name_id, "ross@kndr.org");
        assert!(verified.expires_at > THEN);
    }

    #[test]
    fn the_same_response_is_refused_when_anything_expected_differs() {
        let idp = onelogin();
        let response = fixture("TestSPCanHandleOneloginResponse_response");
        let base = expected(&idp);
        let cases: Vec<(&str, Expected<'_>)> = vec![
            (
                "sha-1 not allowed",
                Expected {
                    allow_sha1: false,
                    ..expected(&idp)
                },
            ),
            (
                "another request",
                Expected {
                    request_id: Some("id-other"),
                    ..expected(&idp)
                },
            ),
            (
                "unsolicited",
                Expected {
                    request_id: None,
                    ..expected(&idp)
                },
            ),
            (
                "another audience",
                Expected {
                    sp_entity_id: "urn:other",
                    ..expected(&idp)
                },
            ),
            (
                "another acs",
                Expected {
                    acs_url: "https://evil.example/acs",
                    ..expected(&idp)
                },
            ),
            (
                "a day later",
                Expected {
                    now: THEN + 86_400,
                    ..expected(&idp)
                },
            ),
            (
                "a day earlier",
                Expected {
                    now: THEN - 86_400,
                    ..expected(&idp)
                },
            ),
            (
                "another issuer",
                Expected {
                    idp_entity_id: "https://evil.example",
                    ..expected(&idp)
                },
            ),
            (
                "no certificates",
                Expected {
                    idp_certificates: &[],
                    ..expected(&idp)
                },
            ),
            (
                "must be encrypted",
                Expected {
                    require_encrypted: true,
                    ..expected(&idp)
                },
            ),
        ];
        assert!(verify_base64(&response, &base).is_ok());
        for (why, e) in cases {
            assert!(verify_base64(&response, &e).is_err(), "{why}: accepted");
        }
    }

    #[test]
    fn the_nine_signature_wrapping_permutations_are_refused() {
        let idp = onelogin();
        for n in [
            "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
        ] {
            let response = fixture(&format!("TestXswPermutation{n}IsRejected_response"));
            let got = verify_base64(&response, &expected(&idp));
            assert!(got.is_err(), "XSW permutation {n} was accepted: {got:?}");
        }
    }

    #[test]
    fn garbage_is_refused_without_a_panic() {
        let idp = onelogin();
        for bad in [
            "",
            "%%%",
            "PHg+",
            "PFJlc3BvbnNlLz4=",
            &"A".repeat(MAX_RESPONSE_CHARS + 4),
        ] {
            assert!(verify_base64(bad, &expected(&idp)).is_err());
        }
    }
}
