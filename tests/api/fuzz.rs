//! Hostile input at every endpoint: random bytes, broken encodings, repeated and oversized
//! parameters, wrong content types. Whatever comes in, the answer is a protocol error or a
//! page, never a 5xx, and the server stays up. Seeded, so a failure can be replayed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::helpers::*;

const ROUNDS: usize = 30;

fn junk(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..7) {
        0 => (0..rng.gen_range(0..400))
            .map(|_| rng.r#gen::<u8>())
            .collect(),
        1 => b"a=%ff%fe&b=%&c=%zz&=&&&==".to_vec(),
        2 => format!(
            "client_id={0}&client_id={0}&grant_type=authorization_code",
            "x"
        )
        .into_bytes(),
        3 => format!(
            "code={}&grant_type=refresh_token&refresh_token={}",
            "9".repeat(70_000),
            "y".repeat(10)
        )
        .into_bytes(),
        4 => b"{\"json\": true, \"grant_type\": \"client_credentials\"}".to_vec(),
        5 => {
            let keys = [
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "code",
                "code_verifier",
                "grant_type",
                "token",
                "username",
                "password",
                "csrf_token",
                "email",
                "code_challenge",
                "prompt",
                "max_age",
                "id_token_hint",
                "post_logout_redirect_uri",
                "request",
                "nonce",
            ];
            let vals = [
                "",
                "%00",
                "\u{202e}",
                "<script>",
                "'; DROP TABLE users;--",
                "../../etc/passwd",
                "openid%20admin",
                "-1",
                "99999999999999999999",
                "http://evil.example",
                "S256",
                "none",
                "a b c",
            ];
            (0..rng.gen_range(1..12))
                .map(|_| {
                    format!(
                        "{}={}",
                        keys[rng.gen_range(0..keys.len())],
                        url::form_urlencoded::byte_serialize(
                            vals[rng.gen_range(0..vals.len())].as_bytes()
                        )
                        .collect::<String>()
                    )
                })
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        }
        _ => vec![b'x'; rng.gen_range(0..2000)],
    }
}

#[tokio::test]
async fn random_input_never_gets_a_server_error() {
    let app = spawn_app().await;
    create_user(&app, "fuzz@example.com", "Fuzz");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(0x1c06_0170);
    let posts = [
        "/oauth2/authorize",
        "/oauth2/token",
        "/oauth2/userInfo",
        "/oauth2/revoke",
        "/oauth2/introspect",
        "/logout",
        "/login",
        "/signup",
        "/confirm",
        "/confirm/resend",
        "/forgot-password",
        "/reset-password",
        "/mfa",
        "/mfa/setup",
        "/new-password",
        "/consent",
        "/account/profile",
        "/account/password",
        "/account/mfa",
        "/oauth2/idpresponse",
        "/mfa/resend",
        "/login/link",
        "/account/mfa/email",
    ];
    let gets = [
        "/oauth2/authorize",
        "/oauth2/userInfo",
        "/logout",
        "/login",
        "/signup",
        "/confirm",
        "/reset-password",
        "/consent",
        "/login/resume",
        "/account",
        "/oauth2/idp",
        "/oauth2/idpresponse",
        "/login/link",
    ];
    let content_types = [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ];
    for round in 0..ROUNDS {
        for path in posts {
            let body = junk(&mut rng);
            let ct = content_types[rng.gen_range(0..content_types.len())];
            let mut req = http.post(app.url(path)).body(body);
            if !ct.is_empty() {
                req = req.header("content-type", ct);
            }
            if rng.gen_bool(0.3) {
                req = req.header(
                    "authorization",
                    if rng.gen_bool(0.5) {
                        "Basic %%%%"
                    } else {
                        "Bearer a.b.c"
                    },
                );
            }
            let status = req.send().await.unwrap().status();
            assert!(
                !status.is_server_error(),
                "round {round}: POST {path} answered {status}"
            );
        }
        for path in gets {
            // Keep the query's structure characters, percent-encode everything else.
            let q: String = junk(&mut rng)
                .into_iter()
                .take(8000)
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"&=%._-".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            let status = http
                .get(format!("{}?{}", app.url(path), q))
                .send()
                .await
                .unwrap()
                .status();
            assert!(
                !status.is_server_error(),
                "round {round}: GET {path}?… answered {status}"
            );
        }
    }
    // Still serving, and the stored user is intact.
    assert_eq!(
        http.get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let pool = app.pool_id.clone();
    let users = app
        .state
        .store
        .read_sync(move |db| incognito::store::users::list(db, &pool, 10, ""))
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email.as_deref(), Some("fuzz@example.com"));
}

#[test]
fn the_parameter_parser_survives_arbitrary_bytes() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..20_000 {
        let len = rng.gen_range(0..300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
        if let Ok(p) = incognito::oidc::params::Params::parse(&bytes) {
            // Whatever it accepted is valid UTF-8 with no repeated names.
            let _ = p.get("a");
        }
    }
}

#[tokio::test]
async fn the_token_verifier_survives_arbitrary_tokens() {
    let app = spawn_app().await;
    let entry = app.state.pool(&app.pool_id).await.unwrap().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    use base64::Engine;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    for _ in 0..5_000 {
        let parts: Vec<String> = (0..rng.gen_range(1..5))
            .map(|_| match rng.gen_range(0..4) {
                0 => b64(br#"{"alg":"none","kid":"x"}"#),
                1 => b64(&(0..rng.gen_range(0..64))
                    .map(|_| rng.r#gen::<u8>())
                    .collect::<Vec<_>>()),
                2 => b64(br#"{"alg":"RS256","crit":["x"],"kid":1}"#),
                _ => "%%%".into(),
            })
            .collect();
        assert!(entry.keys.verify(&parts.join(".")).is_err());
    }
}
