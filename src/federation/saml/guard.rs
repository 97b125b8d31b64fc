//! The shape a SAML document must have before any signature code sees it. samael verifies
//! signatures and keeps only what they cover; this closes what it leaves open: no DTD (no
//! entity tricks), exactly one assertion in the whole document (a second one, wrapped anywhere,
//! is how signature-wrapping attacks smuggle theirs in), no transform or canonicalisation
//! outside a short list (no XPath, no comments), and signature and digest algorithms from an
//! allow-list (SHA-1 only when the provider is configured for it), and no comments (what a
//! signature covers without them is not what a parser reads with them).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::SamlError;

/// What the guard learnt about a document that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The root element carries its own `Signature` child.
    pub root_signed: bool,
    /// The one assertion is an `EncryptedAssertion`.
    pub encrypted: bool,
}

const TRANSFORMS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/2006/12/xml-c14n11",
];

const SIGNATURES: &[&str] = &[
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const DIGESTS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const SHA1_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Deeper than any real SAML document; bounds the work on a hostile one.
const MAX_DEPTH: usize = 48;
const MAX_ELEMENTS: usize = 20_000;

/// Checks `xml`, whose root must be `root` (a local name: `Response`, `Assertion`).
pub fn check(xml: &str, root: &str, allow_sha1: bool) -> Result<Shape, SamlError> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut assertions = 0usize;
    let mut shape = Shape {
        root_signed: false,
        encrypted: false,
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|_| SamlError::Malformed("not well-formed XML"))?;
        let (start, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::DocType(_) => return Err(SamlError::Malformed("a DTD is not allowed")),
            // Canonicalisation drops comments, so a signature covers `a<!---->b` as `ab`
            // while a parser may read `a`: comment injection into the NameID. SAML needs none.
            Event::Comment(_) => return Err(SamlError::Malformed("comments are not allowed")),
            Event::Eof => break,
            _ => continue,
        };
        elements += 1;
        if depth >= MAX_DEPTH || elements > MAX_ELEMENTS {
            return Err(SamlError::Malformed("nested too deeply or too large"));
        }
        let name = start.local_name();
        let name = name.as_ref();
        if depth == 0 {
            if elements > 1 {
                return Err(SamlError::Malformed("more than one root element"));
            }
            if name != root.as_bytes() {
                return Err(SamlError::Malformed("unexpected root element"));
            }
        }
        if depth == 1 && name == b"Signature" {
            shape.root_signed = true;
        }
        match name {
            b"Assertion" => assertions += 1,
            b"EncryptedAssertion" => {
                assertions += 1;
                shape.encrypted = true;
            }
            b"Transform" | b"CanonicalizationMethod" => {
                allowed(start, TRANSFORMS, None, "transform")?;
            }
            b"SignatureMethod" => {
                allowed(
                    start,
                    SIGNATURES,
                    allow_sha1.then_some(SHA1_SIGNATURE),
                    "signature",
                )?;
            }
            b"DigestMethod" => {
                allowed(start, DIGESTS, allow_sha1.then_some(SHA1_DIGEST), "digest")?;
            }
            _ => {}
        }
        if !empty {
            depth += 1;
        }
    }
    if elements == 0 {
        return Err(SamlError::Malformed("empty document"));
    }
    match assertions {
        0 => Err(SamlError::Malformed("no assertion")),
        1 => Ok(shape),
        _ => Err(SamlError::Malformed("more than one assertion")),
    }
}

fn allowed(
    e: &BytesStart<'_>,
    list: &[&str],
    also: Option<&str>,
    what: &'static str,
) -> Result<(), SamlError> {
    let algorithm = e
        .try_get_attribute("Algorithm")
        .ok()
        .flatten()
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        .unwrap_or_default();
    if list.contains(&algorithm.as_str()) || also == Some(algorithm.as_str()) {
        Ok(())
    } else {
        Err(SamlError::Algorithm(
            what,
            algorithm.chars().take(100).collect(),
        ))
    }
}

/// The local name of the root element of a document that has one.
pub fn root_name(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Reference></ds:SignedInfo></ds:Signature><saml:Assertion ID="a"/></samlp:Response>"#;

    #[test]
    fn a_plain_signed_response_passes() {
        let shape = check(OK, "Response", false).unwrap();
        assert!(shape.root_signed);
        assert!(!shape.encrypted);
    }

    #[test]
    fn hostile_shapes_are_refused() {
        let two = OK.replace(
            r#"<saml:Assertion ID="a"/>"#,
            r#"<saml:Assertion ID="a"/><x><saml:Assertion ID="b"/></x>"#,
        );
        let dtd = format!("<!DOCTYPE r [<!ENTITY e \"x\">]>{OK}");
        let xpath = OK.replace(
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
        );
        let comments = OK.replace(
            "http://www.w3.org/2001/10/xml-exc-c14n#\"",
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments\"",
        );
        let sha1 = OK.replace(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SHA1_SIGNATURE,
        );
        let none = OK.replace(r#"<saml:Assertion ID="a"/>"#, "");
        let comment = OK.replace(
            r#"<saml:Assertion ID="a"/>"#,
            r#"<saml:Assertion ID="a"><saml:NameID>jane@corp.test<!---->.evil.test</saml:NameID></saml:Assertion>"#,
        );
        let deep = format!(
            "<samlp:Response xmlns:samlp=\"p\">{}{}</samlp:Response>",
            "<a>".repeat(60),
            "</a>".repeat(60)
        );
        for (bad, why) in [
            (two.as_str(), "two assertions"),
            (dtd.as_str(), "dtd"),
            (xpath.as_str(), "xpath"),
            (comments.as_str(), "comments"),
            (sha1.as_str(), "sha-1"),
            (none.as_str(), "no assertion"),
            (comment.as_str(), "comment injection"),
            (deep.as_str(), "depth"),
            ("<Response>", "unclosed"),
            ("", "empty"),
            ("<Assertion/>", "wrong root"),
        ] {
            assert!(check(bad, "Response", false).is_err(), "{why} passed");
        }
        assert!(check(&sha1, "Response", true).is_ok(), "sha-1 when allowed");
    }
}
