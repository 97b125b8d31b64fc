//! SAML 2.0 identity providers end to end, against a stand-in IdP written here with samael's
//! own key, certificate and XML-signature functions: the service provider's metadata and
//! GetSigningCertificate agree, `identity_provider=` sends a signed AuthnRequest by the
//! redirect binding, the signed response posted to `/saml2/idpresponse` makes a Cognito-shaped
//! federated user and the relying party gets its code; every bad response (unsigned, signed by
//! another key, for another audience or request, replayed, a comment injected into the NameID,
//! an IdP error, unsolicited without `IDPInit`) ends at the relying party as an error with nobody created.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use samael::crypto::{CertificateDer, Crypto, CryptoProvider};
use samael::idp::{CertificateParams, IdentityProvider, KeyType, Rsa};
use samael::signature::Signature;
use samael::traits::ToXml;
use serde_json::Value;

use crate::federation::{add_provider, authorize, user_count};
use crate::helpers::{TestApp, exchange_code, jwt_claims, location, query_of, spawn_app_with};

const SSO: &str = "https://idp.corp.test/sso";
const IDP_ENTITY: &str = "https://idp.corp.test/metadata";
const EMAIL_ATTR: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
const NAME_ATTR: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

/// A SAML IdP: an RSA key and its self-signed certificate.
struct TestIdp {
    key_der: Vec<u8>,
    cert: CertificateDer,
}

impl TestIdp {
    fn new() -> TestIdp {
        let idp = IdentityProvider::generate_new(KeyType::Rsa(Rsa::Rsa2048)).unwrap();
        let cert = idp
            .create_certificate(&CertificateParams {
                common_name: "idp.corp.test",
                issuer_name: "idp.corp.test",
                days_until_expiration: 30,
            })
            .unwrap();
        TestIdp {
            key_der: idp.export_private_key_der().unwrap(),
            cert,
        }
    }

    fn metadata(&self) -> String {
        format!(
            r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{IDP_ENTITY}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SSO}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
            STANDARD.encode(self.cert.der_data())
        )
    }
}

/// What the stand-in IdP puts in a response.
#[derive(Clone)]
struct Answer {
    acs: String,
    audience: String,
    in_response_to: Option<String>,
    name_id: String,
    email: String,
    sign: Sign,
    status: &'static str,
    issued_offset: i64,
    sha1: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Sign {
    Response,
    Assertion,
    Nothing,
}

fn iso(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// samael's signature template (SHA-1 digests unless `modern`, then RSA-SHA256 and SHA-256).
fn signature_template(id: &str, cert: &CertificateDer, modern: bool) -> String {
    let template = Signature::template(id, cert).to_string().unwrap();
    if !modern {
        return template;
    }
    template
        .replace(
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        )
        .replace(
            "http://www.w3.org/2000/09/xmldsig#sha1",
            "http://www.w3.org/2001/04/xmlenc#sha256",
        )
}

/// A base64 `SAMLResponse`, signed as `a.sign` says by `signer`.
fn respond(signer: &TestIdp, a: &Answer) -> String {
    let t = now() + a.issued_offset;
    let (response_id, assertion_id) = (
        format!("_r{}", incognito::random::token(12)),
        format!("_a{}", incognito::random::token(12)),
    );
    let in_response_to = a
        .in_response_to
        .as_ref()
        .map(|r| format!(r#" InResponseTo="{r}""#))
        .unwrap_or_default();
    let sig = |id: &str, on: Sign| {
        if a.sign == on {
            signature_template(id, &signer.cert, !a.sha1)
        } else {
            String::new()
        }
    };
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{issued}" Destination="{acs}"{in_response_to}><saml:Issuer>{IDP_ENTITY}</saml:Issuer>{response_sig}<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status><saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{IDP_ENTITY}</saml:Issuer>{assertion_sig}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{acs}"{in_response_to}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="{EMAIL_ATTR}"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="{NAME_ATTR}"><saml:AttributeValue>Jane Corp</saml:AttributeValue></saml:Attribute><saml:Attribute Name="locale"><saml:AttributeValue>en</saml:AttributeValue></saml:Attribute><saml:Attribute Name="groups"><saml:AttributeValue>staff</saml:AttributeValue><saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#,
        issued = iso(t),
        until = iso(t + 300),
        acs = a.acs,
        status = a.status,
        name_id = a.name_id,
        email = a.email,
        audience = a.audience,
        response_sig = sig(&response_id, Sign::Response),
        assertion_sig = sig(&assertion_id, Sign::Assertion),
    );
    let xml = if a.sign == Sign::Nothing {
        xml
    } else {
        Crypto::sign_xml(&xml, &signer.key_der).unwrap()
    };
    STANDARD.encode(xml)
}

fn add_saml(app: &TestApp, idp: &TestIdp, extra: &[(&str, &str)]) {
    let metadata = idp.metadata();
    let mut details = vec![
        ("MetadataFile", metadata.as_str()),
        ("RequestSigningAlgorithm", "rsa-sha256"),
    ];
    details.extend_from_slice(extra);
    add_provider(
        app,
        "Corp",
        "SAML",
        &details,
        &[
            ("email", EMAIL_ATTR),
            ("name", NAME_ATTR),
            ("locale", "locale"),
            ("custom:groups", "groups"),
        ],
    );
}

/// Follows the app's redirects from `url` until the IdP; returns that URL as the server wrote
/// it (a signature covers the query in its order).
async fn to_idp(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    let mut url = url.to_string();
    for _ in 0..5 {
        if url.starts_with(SSO) {
            return url;
        }
        let absolute = if url.starts_with('/') {
            format!("{}{url}", app.address)
        } else {
            url.clone()
        };
        let r = browser.get(&absolute).send().await.unwrap();
        assert!(r.status().is_redirection(), "{absolute}: {}", r.status());
        url = location(&r);
    }
    panic!("never reached the IdP");
}

/// The AuthnRequest's XML from the redirect binding's query.
fn authn_request(query: &BTreeMap<String, String>) -> String {
    let deflated = STANDARD.decode(&query["SAMLRequest"]).unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

fn attribute(xml: &str, name: &str) -> String {
    let start = xml.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
    xml[start..start + xml[start..].find('"').unwrap()].to_string()
}

/// Posts a response to the ACS; returns the relying party's redirect query.
async fn post_response(
    app: &TestApp,
    browser: &reqwest::Client,
    response: &str,
    relay_state: &str,
) -> BTreeMap<String, String> {
    let r = browser
        .post(app.url("/saml2/idpresponse"))
        .form(&[("SAMLResponse", response), ("RelayState", relay_state)])
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(
        status.is_redirection(),
        "ACS answered {status}: {}",
        r.text().await.unwrap()
    );
    let to = location(&r);
    assert!(
        to.starts_with(&app.redirect_uri),
        "ACS sent the browser to {to}"
    );
    query_of(&to).into_iter().collect()
}

fn answer(app: &TestApp, request_id: &str) -> Answer {
    Answer {
        acs: app.url("/saml2/idpresponse"),
        audience: format!("urn:amazon:cognito:sp:{}", app.pool_id),
        in_response_to: Some(request_id.to_string()),
        name_id: "jane@corp.test".into(),
        email: "jane@corp.test".into(),
        sign: Sign::Response,
        status: "urn:oasis:names:tc:SAML:2.0:status:Success",
        issued_offset: 0,
        sha1: false,
    }
}

/// Starts a sign-in with `identity_provider=Corp`: (AuthnRequest id, RelayState, verifier).
async fn start(app: &TestApp, browser: &reqwest::Client) -> (String, String, String) {
    let (url, verifier) = authorize(app, &[("identity_provider", "Corp")]);
    let query: BTreeMap<String, String> = query_of(&to_idp(app, browser, &url).await)
        .into_iter()
        .collect();
    let xml = authn_request(&query);
    (attribute(&xml, "ID"), query["RelayState"].clone(), verifier)
}

async fn control(app: &TestApp, action: &str, body: Value) -> Value {
    let key = crate::cognito::admin_key(app);
    let (status, v) = crate::cognito::admin_api(app, &key, action, body).await;
    assert_eq!(status, 200, "{action}: {v}");
    v
}

#[tokio::test]
async fn a_saml_idp_signs_a_user_in_with_a_signed_request_and_response() {
    let app = spawn_app_with(|_| {}).await;
    let idp = TestIdp::new();
    add_saml(&app, &idp, &[]);

    // Our metadata and GetSigningCertificate name the same certificate.
    let metadata = reqwest::get(app.url("/saml2/metadata")).await.unwrap();
    assert_eq!(metadata.status(), 200);
    let metadata = metadata.text().await.unwrap();
    let entity = format!("urn:amazon:cognito:sp:{}", app.pool_id);
    assert!(
        metadata.contains(&format!(r#"entityID="{entity}""#)),
        "{metadata}"
    );
    assert!(metadata.contains(&app.url("/saml2/idpresponse")));
    let cert = control(
        &app,
        "GetSigningCertificate",
        serde_json::json!({"UserPoolId": app.pool_id}),
    )
    .await["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        metadata.contains(&cert),
        "metadata and GetSigningCertificate differ"
    );

    // The AuthnRequest: ours, for our ACS, signed with that certificate's key.
    let browser = app.browser();
    let (url, verifier) = authorize(&app, &[("identity_provider", "Corp")]);
    let sent = to_idp(&app, &browser, &url).await;
    let query: BTreeMap<String, String> = query_of(&sent).into_iter().collect();
    let xml = authn_request(&query);
    assert!(xml.contains(&entity), "{xml}");
    assert_eq!(
        attribute(&xml, "AssertionConsumerServiceURL"),
        app.url("/saml2/idpresponse")
    );
    assert!(query.contains_key("Signature") && query["SigAlg"].ends_with("rsa-sha256"));
    let verifier_key = samael::crypto::UrlVerifier::from_x509(&CertificateDer::from(
        STANDARD.decode(&cert).unwrap(),
    ))
    .unwrap();
    assert!(
        verifier_key
            .verify_signed_request_url(&url::Url::parse(&sent).unwrap())
            .unwrap(),
        "the AuthnRequest's signature does not verify"
    );

    // The IdP answers; the relying party gets a code and Cognito-shaped tokens.
    let request_id = attribute(&xml, "ID");
    let response = respond(&idp, &answer(&app, &request_id));
    let back = post_response(&app, &browser, &response, &query["RelayState"]).await;
    assert_eq!(
        back.get("state").map(String::as_str),
        Some("rp-state"),
        "{back:?}"
    );
    let tokens = exchange_code(&app, &back["code"], &verifier).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], "Corp_jane@corp.test");
    assert_eq!(id["email"], "jane@corp.test");
    assert_eq!(id["custom:groups"], "staff,admins");
    let identities = &id["identities"][0];
    assert_eq!(identities["providerType"], "SAML");
    assert_eq!(identities["providerName"], "Corp");
    assert_eq!(identities["userId"], "jane@corp.test");
    assert_eq!(identities["issuer"], IDP_ENTITY);
    let groups = id["cognito:groups"].as_array().unwrap();
    assert!(
        groups
            .iter()
            .any(|g| g == &Value::from(format!("{}_Corp", app.pool_id)))
    );

    // The same response again is a replay: refused, and nobody new.
    let users = user_count(&app);
    let other = app.browser();
    let (_, relay, _) = start(&app, &other).await;
    let again = post_response(&app, &other, &response, &relay).await;
    assert_eq!(again["error"], "access_denied", "{again:?}");
    assert_eq!(user_count(&app), users);

    // Without IDPSignout, /logout ends our session only: the signed-out page, not the IdP.
    let r = browser.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "logout went elsewhere: {:?}",
        r.headers().get("location")
    );

    // Only the assertion signed (as many IdPs do) is as good.
    let (request_id, relay, verifier) = start(&app, &app.browser()).await;
    let response = respond(
        &idp,
        &Answer {
            sign: Sign::Assertion,
            ..answer(&app, &request_id)
        },
    );
    let back = post_response(&app, &app.browser(), &response, &relay).await;
    let tokens = exchange_code(&app, &back["code"], &verifier).await;
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["cognito:username"],
        "Corp_jane@corp.test"
    );
}

#[tokio::test]
async fn bad_saml_responses_reach_the_relying_party_and_create_nobody() {
    let app = spawn_app_with(|_| {}).await;
    let idp = TestIdp::new();
    let stranger = TestIdp::new();
    add_saml(&app, &idp, &[]);
    let users = user_count(&app);
    // (why, the change to a good answer and whether a stranger signs it, the error expected)
    type Case = (
        &'static str,
        Box<dyn Fn(Answer) -> (Answer, bool)>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "unsigned",
            Box::new(|a| {
                (
                    Answer {
                        sign: Sign::Nothing,
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
        (
            "signed by another key",
            Box::new(|a| (a, true)),
            "access_denied",
        ),
        (
            "another audience",
            Box::new(|a| {
                (
                    Answer {
                        audience: "urn:other".into(),
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
        (
            "another recipient",
            Box::new(|a| {
                (
                    Answer {
                        acs: "https://evil.test/acs".into(),
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
        (
            "another request",
            Box::new(|a| {
                (
                    Answer {
                        in_response_to: Some("_other".into()),
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
        (
            // The IdP signs `jane@corp.test.evil.test` (canonicalisation drops the comment);
            // a parser that stopped at the comment would read jane@corp.test.
            "a comment injected into the NameID",
            Box::new(|a| {
                (
                    Answer {
                        name_id: "jane@corp.test<!---->.evil.test".into(),
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
        (
            "signed with SHA-1 digests",
            Box::new(|a| (Answer { sha1: true, ..a }, false)),
            "access_denied",
        ),
        (
            "an hour old",
            Box::new(|a| {
                (
                    Answer {
                        issued_offset: -3600,
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
        (
            "the IdP said no",
            Box::new(|a| {
                (
                    Answer {
                        status: "urn:oasis:names:tc:SAML:2.0:status:Responder",
                        sign: Sign::Nothing,
                        ..a
                    },
                    false,
                )
            }),
            "access_denied",
        ),
    ];
    for (why, change, error) in cases {
        let browser = app.browser();
        let (request_id, relay, _) = start(&app, &browser).await;
        let (a, by_stranger) = change(answer(&app, &request_id));
        let response = respond(if by_stranger { &stranger } else { &idp }, &a);
        let back = post_response(&app, &browser, &response, &relay).await;
        assert_eq!(
            back.get("error").map(String::as_str),
            Some(error),
            "{why}: {back:?}"
        );
        assert_eq!(
            back.get("state").map(String::as_str),
            Some("rp-state"),
            "{why}"
        );
        assert!(!back.contains_key("code"), "{why}");
    }
    assert_eq!(user_count(&app), users, "a refused response created a user");

    // Garbage, and a RelayState that names nothing: a page, not a crash.
    for (response, relay) in [
        ("%%%", "x"),
        ("PHg+", ""),
        (&*STANDARD.encode("<!DOCTYPE x><x/>"), "nothing"),
    ] {
        let r = app
            .browser()
            .post(app.url("/saml2/idpresponse"))
            .form(&[("SAMLResponse", response), ("RelayState", relay)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{response:?}");
    }
    // An unsolicited response while IDPInit is off: refused at the relying party.
    let (url, _) = authorize(&app, &[("identity_provider", "Corp")]);
    let relay = url.split_once('?').unwrap().1.to_string();
    let mut a = answer(&app, "");
    a.in_response_to = None;
    let back = post_response(&app, &app.browser(), &respond(&idp, &a), &relay).await;
    assert_eq!(back["error"], "access_denied", "{back:?}");
    assert_eq!(user_count(&app), users);
}

#[tokio::test]
async fn idp_initiated_sign_in_works_only_when_the_provider_allows_it() {
    let app = spawn_app_with(|_| {}).await;
    let idp = TestIdp::new();
    add_saml(&app, &idp, &[("IDPInit", "true")]);
    // The RelayState carries the authorization request, as Cognito documents it.
    let (url, verifier) = authorize(&app, &[("identity_provider", "Corp")]);
    let relay = url.split_once('?').unwrap().1.to_string();
    let mut a = answer(&app, "");
    a.in_response_to = None;
    let response = respond(&idp, &a);
    let back = post_response(&app, &app.browser(), &response, &relay).await;
    let tokens = exchange_code(&app, &back["code"], &verifier).await;
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["cognito:username"],
        "Corp_jane@corp.test"
    );
    // A solicited-looking response without a request behind it is not accepted unsolicited.
    let mut b = answer(&app, "_never_sent");
    b.name_id = "other@corp.test".into();
    let (url, _) = authorize(&app, &[("identity_provider", "Corp")]);
    let relay = url.split_once('?').unwrap().1.to_string();
    let back = post_response(&app, &app.browser(), &respond(&idp, &b), &relay).await;
    assert_eq!(back["error"], "access_denied", "{back:?}");
}

/// The signed assertion of `response` (base64), encrypted for the SP's certificate as XML
/// Encryption does it (AES-128-CBC content; the key by RSA-OAEP, or with `oaep` false by RSA
/// PKCS#1 v1.5), in an unsigned response.
fn encrypt_assertion_with(response: &str, sp_cert: &[u8], oaep: bool) -> String {
    use openssl::rsa::Padding;
    use openssl::symm::{Cipher, encrypt};
    let xml = String::from_utf8(STANDARD.decode(response).unwrap()).unwrap();
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    // The assertion alone must carry its namespace once it leaves the response.
    let assertion = xml[start..end].replacen(
        "<saml:Assertion",
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#,
        1,
    );
    let (mut key, mut iv) = ([0u8; 16], [0u8; 16]);
    openssl::rand::rand_bytes(&mut key).unwrap();
    openssl::rand::rand_bytes(&mut iv).unwrap();
    let mut content = iv.to_vec();
    content.extend(encrypt(Cipher::aes_128_cbc(), &key, Some(&iv), assertion.as_bytes()).unwrap());
    let rsa = openssl::x509::X509::from_der(sp_cert)
        .unwrap()
        .public_key()
        .unwrap()
        .rsa()
        .unwrap();
    let mut wrapped = vec![0; rsa.size() as usize];
    let n = rsa
        .public_encrypt(&key, &mut wrapped, Padding::PKCS1_OAEP)
        .unwrap();
    wrapped.truncate(n);
    let encrypted = format!(
        r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{}"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
        if oaep {
            "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
        } else {
            "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
        },
        STANDARD.encode(wrapped),
        STANDARD.encode(content)
    );
    STANDARD.encode(format!("{}{encrypted}{}", &xml[..start], &xml[end..]))
}

#[tokio::test]
async fn encrypted_assertions_are_decrypted_with_the_pools_key_and_required_when_configured() {
    let app = spawn_app_with(|_| {}).await;
    let idp = TestIdp::new();
    add_saml(&app, &idp, &[("EncryptedResponses", "true")]);
    let cert = control(
        &app,
        "GetSigningCertificate",
        serde_json::json!({"UserPoolId": app.pool_id}),
    )
    .await["Certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let cert = STANDARD.decode(cert).unwrap();

    // Unencrypted while the provider requires encryption: refused.
    let (back, _) = round_trip(&app, &idp, Sign::Assertion, str::to_string).await;
    assert_eq!(back["error"], "access_denied", "{back:?}");

    // Encrypted for the pool's certificate, the assertion inside signed: signs in.
    let encrypted = |r: &str| encrypt_assertion_with(r, &cert, true);
    let (back, verifier) = round_trip(&app, &idp, Sign::Assertion, encrypted).await;
    let tokens = exchange_code(&app, &back["code"], &verifier).await;
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["cognito:username"],
        "Corp_jane@corp.test"
    );

    // The key wrapped with RSA PKCS#1 v1.5 (a padding oracle's favourite): refused.
    let v15 = |r: &str| encrypt_assertion_with(r, &cert, false);
    let (back, _) = round_trip(&app, &idp, Sign::Assertion, v15).await;
    assert_eq!(back["error"], "access_denied", "{back:?}");

    // Encrypted but the assertion inside unsigned (and the response unsigned): refused.
    let (back, _) = round_trip(&app, &idp, Sign::Nothing, encrypted).await;
    assert_eq!(back["error"], "access_denied", "{back:?}");
}

/// A sign-in in a new browser whose response the IdP signs as `sign`, posted as `wrap` makes
/// it: the relying party's answer, and the PKCE verifier.
async fn round_trip(
    app: &TestApp,
    idp: &TestIdp,
    sign: Sign,
    wrap: impl Fn(&str) -> String,
) -> (BTreeMap<String, String>, String) {
    let browser = app.browser();
    let (request_id, relay, verifier) = start(app, &browser).await;
    let response = respond(
        idp,
        &Answer {
            sign,
            ..answer(app, &request_id)
        },
    );
    (
        post_response(app, &browser, &wrap(&response), &relay).await,
        verifier,
    )
}

#[tokio::test]
async fn the_sign_in_page_finds_saml_providers_by_the_email_domain() {
    let app = spawn_app_with(|_| {}).await;
    let idp = TestIdp::new();
    // add_provider gives the provider the identifier "corp.example.com".
    add_saml(&app, &idp, &[]);
    let browser = app.browser();
    let (url, _) = authorize(&app, &[]);
    let r = browser.get(&url).send().await.unwrap();
    let login = format!("{}{}", app.address, location(&r));
    let page = browser
        .get(&login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="corporate-email""#), "{page}");
    assert!(
        !page.contains(r#"id="idp-Corp""#),
        "a SAML provider found by e-mail has no button"
    );
    let pending = query_of(&login)["request"].clone();
    let start = |email: &str| {
        format!(
            "{}?request={pending}&email={}",
            app.url("/oauth2/idp"),
            url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
        )
    };
    // The domain routes to the IdP, without case.
    let r = browser
        .get(start("Jane@Corp.Example.com"))
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with(SSO), "{}", location(&r));
    // An unknown domain or no domain: back to the sign-in page, which says so.
    for email in ["jane@elsewhere.test", "jane"] {
        let r = browser.get(start(email)).send().await.unwrap();
        let back = format!("{}{}", app.address, location(&r));
        assert!(back.contains("notice=unknown-domain"), "{back}");
        let page = browser
            .get(&back)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("No sign-in is set up"), "{page}");
    }
}

const SLO: &str = "https://idp.corp.test/slo";

/// The IdP's half of single logout: its metadata with a SingleLogoutService, and signed
/// redirect-binding messages.
impl TestIdp {
    fn metadata_with_logout(&self) -> String {
        self.metadata().replace(
            "<md:SingleSignOnService",
            &format!(r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SLO}"/><md:SingleSignOnService"#),
        )
    }

    /// `{app}/saml2/logout?...` with `name`=`xml`, signed by this IdP's key (`sign`).
    fn redirect(&self, app: &TestApp, name: &str, xml: &str, relay: &str, sign: bool) -> String {
        let rsa = openssl::rsa::Rsa::private_key_from_der(&self.key_der).unwrap();
        let key = openssl::pkey::PKey::from_rsa(rsa).unwrap();
        incognito::federation::saml::redirect::encode(
            &app.url("/saml2/logout"),
            name,
            xml,
            relay,
            sign.then_some(&key),
        )
        .unwrap()
    }
}

/// Signs in through the IdP in `browser`; the session cookie is in its jar afterwards.
async fn signed_in(app: &TestApp, idp: &TestIdp, browser: &reqwest::Client) {
    let (request_id, relay, verifier) = start(app, browser).await;
    let back = post_response(
        app,
        browser,
        &respond(idp, &answer(app, &request_id)),
        &relay,
    )
    .await;
    exchange_code(app, &back["code"], &verifier).await;
}

/// Whether `browser` still has a session: /oauth2/authorize answers with a code, not the page.
async fn has_session(app: &TestApp, browser: &reqwest::Client) -> bool {
    let (url, _) = authorize(app, &[]);
    let r = browser.get(&url).send().await.unwrap();
    location(&r).starts_with(&app.redirect_uri)
}

#[tokio::test]
async fn single_logout_both_ways_when_idpsignout_is_on() {
    let app = spawn_app_with(|_| {}).await;
    let idp = TestIdp::new();
    let metadata = idp.metadata_with_logout();
    add_provider(
        &app,
        "Corp",
        "SAML",
        &[("MetadataFile", metadata.as_str()), ("IDPSignout", "true")],
        &[
            ("email", EMAIL_ATTR),
            ("name", NAME_ATTR),
            ("locale", "locale"),
        ],
    );
    let sp_cert = STANDARD
        .decode(
            control(
                &app,
                "GetSigningCertificate",
                serde_json::json!({"UserPoolId": app.pool_id}),
            )
            .await["Certificate"]
                .as_str()
                .unwrap(),
        )
        .unwrap();

    // SP-initiated: /logout ends our session and sends a signed LogoutRequest upstream.
    let browser = app.browser();
    signed_in(&app, &idp, &browser).await;
    assert!(has_session(&app, &browser).await);
    let r = browser.get(app.url("/logout")).send().await.unwrap();
    let to_idp = location(&r);
    assert!(to_idp.starts_with(SLO), "{to_idp}");
    assert!(
        !has_session(&app, &browser).await,
        "our session outlived /logout"
    );
    let verifier = samael::crypto::UrlVerifier::from_x509(&CertificateDer::from(sp_cert)).unwrap();
    assert!(
        verifier
            .verify_signed_request_url(&url::Url::parse(&to_idp).unwrap())
            .unwrap()
    );
    let query: BTreeMap<String, String> = query_of(&to_idp).into_iter().collect();
    let request = authn_request(&query);
    assert!(
        request.contains("<saml:NameID") && request.contains("jane@corp.test"),
        "{request}"
    );
    assert!(
        request.contains("<samlp:SessionIndex>_s1</samlp:SessionIndex>"),
        "{request}"
    );
    // The IdP's LogoutResponse brings the browser to the signed-out page.
    let response = format!(
        r#"<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" InResponseTo="{}"><saml:Issuer>{IDP_ENTITY}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>"#,
        attribute(&request, "ID")
    );
    let back = idp.redirect(&app, "SAMLResponse", &response, &query["RelayState"], true);
    let r = browser.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The same response again finds nothing to finish.
    assert_eq!(browser.get(&back).send().await.unwrap().status(), 400);

    // IdP-initiated: a signed LogoutRequest ends every session of the user it names, and is
    // answered with our signed LogoutResponse.
    let (one, two) = (app.browser(), app.browser());
    signed_in(&app, &idp, &one).await;
    signed_in(&app, &idp, &two).await;
    let logout = format!(
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_idp1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>{IDP_ENTITY}</saml:Issuer><saml:NameID>jane@corp.test</saml:NameID></samlp:LogoutRequest>"#
    );
    // Unsigned, or signed by someone else: refused, sessions kept.
    let stranger = TestIdp::new();
    for url in [
        idp.redirect(&app, "SAMLRequest", &logout, "r", false),
        stranger.redirect(&app, "SAMLRequest", &logout, "r", true),
    ] {
        assert_eq!(app.browser().get(&url).send().await.unwrap().status(), 400);
    }
    assert!(has_session(&app, &one).await && has_session(&app, &two).await);
    let r = app
        .browser()
        .get(idp.redirect(&app, "SAMLRequest", &logout, "idp-relay", true))
        .send()
        .await
        .unwrap();
    let answer_url = location(&r);
    assert!(answer_url.starts_with(SLO), "{answer_url}");
    let query: BTreeMap<String, String> = query_of(&answer_url).into_iter().collect();
    assert_eq!(query["RelayState"], "idp-relay");
    let answer_xml = authn_request(&BTreeMap::from([(
        "SAMLRequest".to_string(),
        query["SAMLResponse"].clone(),
    )]));
    assert!(
        answer_xml.contains(r#"InResponseTo="_idp1""#),
        "{answer_xml}"
    );
    assert!(
        verifier
            .verify_signed_response_url(&url::Url::parse(&answer_url).unwrap())
            .unwrap()
    );
    assert!(!has_session(&app, &one).await && !has_session(&app, &two).await);
}
