//! A stand-in upstream identity provider on loopback for the federation tests: OpenID Connect
//! (discovery, authorize, token, JWKS, userinfo) and the social types' quirks (Facebook's
//! Graph `/me`, Login with Amazon's `/user/profile`, Apple's ES256 client secret and
//! `form_post`), with switches for each misbehaviour. ID tokens are signed here with josekit.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::trigger_stub::read_request;

/// What the provider does wrong (or how it behaves) on the next sign-ins.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Answers the browser with `error=access_denied`.
    pub deny: bool,
    pub wrong_nonce: bool,
    pub wrong_audience: bool,
    pub wrong_issuer: bool,
    /// Signs with a key that is not in its JWKS.
    pub foreign_key: bool,
    pub alg_none: bool,
    pub expired: bool,
    /// The userinfo answer is for another subject.
    pub userinfo_other_subject: bool,
}

#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    nonce: Option<String>,
    challenge: Option<String>,
}

pub struct FakeIdp {
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The person who signs in upstream: `sub` (or `id` / `user_id`), name, email...
    pub person: Arc<Mutex<Value>>,
    pub behaviour: Arc<Mutex<Behaviour>>,
    /// For Sign in with Apple: the EC private key (PEM) Incognito signs its client secret with.
    pub apple_private_key: String,
    /// Token requests whose client authentication verified (secret or Apple's ES256 JWT).
    pub authenticated_token_requests: Arc<Mutex<u32>>,
}

fn key_pair(kid: &str) -> (Jwk, Jwk) {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut private = pair.to_jwk_private_key();
    private.set_key_id(kid);
    let mut public = pair.to_jwk_public_key();
    public.set_key_id(kid);
    public.set_algorithm("RS256");
    public.set_key_use("sig");
    (private, public)
}

fn query(path: &str) -> HashMap<String, String> {
    let q = path.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

fn respond(stream: &mut std::net::TcpStream, status: u16, headers: &[(&str, String)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn json_reply(stream: &mut std::net::TcpStream, status: u16, v: &Value) {
    respond(
        stream,
        status,
        &[("content-type", "application/json".into())],
        &v.to_string(),
    );
}

impl FakeIdp {
    pub fn start(person: Value) -> FakeIdp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (private, public) = key_pair("fake-1");
        let (foreign, _) = key_pair("fake-1");
        let apple = josekit::jws::ES256.generate_key_pair().unwrap();
        let apple_private_key = String::from_utf8(apple.to_pem_private_key()).unwrap();
        let apple_verifier = josekit::jws::ES256
            .verifier_from_pem(apple.to_pem_public_key())
            .unwrap();
        let idp = FakeIdp {
            url: url.clone(),
            client_id: "upstream-client".into(),
            client_secret: "upstream-secret".into(),
            person: Arc::new(Mutex::new(person)),
            behaviour: Arc::new(Mutex::new(Behaviour::default())),
            apple_private_key,
            authenticated_token_requests: Arc::new(Mutex::new(0)),
        };
        let grants: Arc<Mutex<HashMap<String, Grant>>> = Arc::default();
        let (person, behaviour, counted) = (
            idp.person.clone(),
            idp.behaviour.clone(),
            idp.authenticated_token_requests.clone(),
        );
        let (client_id, client_secret) = (idp.client_id.clone(), idp.client_secret.clone());
        let jwks = json!({ "keys": [serde_json::to_value(&public).unwrap()] });
        let apple_verifier = Arc::new(apple_verifier);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let (grants, person, behaviour, counted) = (
                    grants.clone(),
                    person.clone(),
                    behaviour.clone(),
                    counted.clone(),
                );
                let (url, client_id, client_secret, jwks) = (
                    url.clone(),
                    client_id.clone(),
                    client_secret.clone(),
                    jwks.clone(),
                );
                let (private, foreign, apple_verifier) =
                    (private.clone(), foreign.clone(), apple_verifier.clone());
                std::thread::spawn(move || {
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    let path = request.path.clone();
                    let route = path.split('?').next().unwrap_or("").to_string();
                    let b = behaviour.lock().unwrap().clone();
                    if route == "/.well-known/openid-configuration" {
                        return json_reply(
                            &mut stream,
                            200,
                            &json!({
                                "issuer": url,
                                "authorization_endpoint": format!("{url}/authorize"),
                                "token_endpoint": format!("{url}/token"),
                                "jwks_uri": format!("{url}/jwks"),
                                "userinfo_endpoint": format!("{url}/userinfo"),
                                "response_types_supported": ["code"],
                                "subject_types_supported": ["public"],
                                "id_token_signing_alg_values_supported": ["RS256"],
                            }),
                        );
                    }
                    if ["/jwks", "/oauth2/v3/certs", "/auth/keys"].contains(&route.as_str()) {
                        return json_reply(&mut stream, 200, &jwks);
                    }
                    if [
                        "/authorize",
                        "/o/oauth2/v2/auth",
                        "/v17.0/dialog/oauth",
                        "/ap/oa",
                        "/auth/authorize",
                    ]
                    .contains(&route.as_str())
                    {
                        let q = query(&path);
                        let back = q.get("redirect_uri").cloned().unwrap_or_default();
                        let state = q.get("state").cloned().unwrap_or_default();
                        let mut target = url::Url::parse(&back).unwrap();
                        if b.deny {
                            target
                                .query_pairs_mut()
                                .append_pair("error", "access_denied")
                                .append_pair("error_description", "the user said no")
                                .append_pair("state", &state);
                        } else {
                            let code = crate::helpers::pkce_pair().0;
                            grants.lock().unwrap().insert(
                                code.clone(),
                                Grant {
                                    client_id: q.get("client_id").cloned().unwrap_or_default(),
                                    nonce: q.get("nonce").cloned(),
                                    challenge: q.get("code_challenge").cloned(),
                                },
                            );
                            // Apple answers by form_post: the test posts these itself.
                            if q.get("response_mode").map(String::as_str) == Some("form_post") {
                                return json_reply(
                                    &mut stream,
                                    200,
                                    &json!({"code": code, "state": state, "redirect_uri": back}),
                                );
                            }
                            target
                                .query_pairs_mut()
                                .append_pair("code", &code)
                                .append_pair("state", &state);
                        }
                        return respond(&mut stream, 302, &[("location", target.to_string())], "");
                    }
                    if [
                        "/token",
                        "/oauth2/v4/token",
                        "/v17.0/oauth/access_token",
                        "/auth/o2/token",
                        "/auth/token",
                    ]
                    .contains(&route.as_str())
                    {
                        let form: HashMap<String, String> =
                            url::form_urlencoded::parse(&request.body)
                                .into_owned()
                                .collect();
                        let Some(grant) = form
                            .get("code")
                            .and_then(|c| grants.lock().unwrap().remove(c))
                        else {
                            return json_reply(
                                &mut stream,
                                400,
                                &json!({"error": "invalid_grant"}),
                            );
                        };
                        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                        let s256 = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                        if grant.challenge.as_deref() != Some(s256.as_str())
                            || form.get("client_id") != Some(&grant.client_id)
                        {
                            return json_reply(
                                &mut stream,
                                400,
                                &json!({"error": "invalid_grant"}),
                            );
                        }
                        let secret = form.get("client_secret").cloned().unwrap_or_default();
                        let authenticated = if route == "/auth/token" {
                            jwt::decode_with_verifier(&secret, apple_verifier.as_ref()).is_ok_and(
                                |(p, _)| {
                                    p.subject() == Some(client_id.as_str())
                                        && p.issuer() == Some("TEAM123")
                                },
                            )
                        } else {
                            secret == client_secret
                        };
                        if !authenticated {
                            return json_reply(
                                &mut stream,
                                401,
                                &json!({"error": "invalid_client"}),
                            );
                        }
                        *counted.lock().unwrap() += 1;
                        let p = person.lock().unwrap().clone();
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs() as i64;
                        let mut claims = p.as_object().cloned().unwrap_or_default();
                        claims.insert(
                            "iss".into(),
                            json!(if b.wrong_issuer {
                                "https://evil.example.com".to_string()
                            } else {
                                url.clone()
                            }),
                        );
                        claims.insert(
                            "aud".into(),
                            json!(if b.wrong_audience {
                                "someone-else"
                            } else {
                                grant.client_id.as_str()
                            }),
                        );
                        claims.insert("iat".into(), json!(now));
                        claims.insert(
                            "exp".into(),
                            json!(if b.expired { now - 600 } else { now + 600 }),
                        );
                        let with_id_token = grant.nonce.is_some();
                        if let Some(n) = grant.nonce {
                            claims.insert(
                                "nonce".into(),
                                json!(if b.wrong_nonce {
                                    "not-the-nonce".to_string()
                                } else {
                                    n
                                }),
                            );
                        }
                        let id_token = if b.alg_none {
                            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                            let body = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
                            format!("{header}.{body}.")
                        } else {
                            let key = if b.foreign_key { &foreign } else { &private };
                            let signer = RS256.signer_from_jwk(key).unwrap();
                            let mut header = JwsHeader::new();
                            header.set_token_type("JWT");
                            let payload = JwtPayload::from_map(claims).unwrap();
                            jwt::encode_with_signer(&payload, &header, &signer).unwrap()
                        };
                        let mut answer = json!({
                            "access_token": format!("at-{}", STANDARD.encode(p.to_string())),
                            "token_type": "bearer",
                            "expires_in": 3600,
                        });
                        // OAuth-only providers (Facebook, Amazon) are asked no nonce and send no ID token.
                        if with_id_token {
                            answer["id_token"] = json!(id_token);
                        }
                        return json_reply(&mut stream, 200, &answer);
                    }
                    if ["/userinfo", "/v17.0/me", "/user/profile"].contains(&route.as_str()) {
                        let bearer = request
                            .header("authorization")
                            .unwrap_or_default()
                            .to_string();
                        let Some(encoded) = bearer.strip_prefix("Bearer at-") else {
                            return json_reply(
                                &mut stream,
                                401,
                                &json!({"error": "invalid_token"}),
                            );
                        };
                        let mut p: Value =
                            serde_json::from_slice(&STANDARD.decode(encoded).unwrap()).unwrap();
                        if b.userinfo_other_subject {
                            p["sub"] = json!("someone-else");
                        }
                        return json_reply(&mut stream, 200, &p);
                    }
                    json_reply(
                        &mut stream,
                        404,
                        &json!({"error": "not_found", "path": path}),
                    );
                });
            }
        });
        idp
    }

    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        let mut b = self.behaviour.lock().unwrap();
        *b = Behaviour::default();
        f(&mut b);
    }
}
