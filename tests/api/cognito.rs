//! The Cognito-compatible API (`POST /` with X-Amz-Target): transport, errors, SRP with a
//! client written here from the protocol notes (not the server's code), and hostile input.

use base64::Engine;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, create_user, spawn_app};

pub async fn api(app: &TestApp, action: &str, body: Value) -> (u16, Value) {
    let (s, v, _) = api_raw(app, action, body.to_string(), &[]).await;
    (s, v)
}

/// A public client allowed USER_PASSWORD_AUTH, SRP and refreshes.
pub fn password_client(app: &TestApp) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    crate::helpers::create_client(app, settings, false).0
}

/// InitiateAuth USER_PASSWORD_AUTH.
pub async fn password_auth(
    app: &TestApp,
    client: &str,
    user: &str,
    password: &str,
) -> (u16, Value) {
    api(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
               "AuthParameters": {"USERNAME": user, "PASSWORD": password}}),
    )
    .await
}

pub async fn api_raw(
    app: &TestApp,
    action: &str,
    body: String,
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/", app.address))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{action}"),
        )
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body: {text}"));
    (status, v, headers)
}

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

// ---- an SRP client, from COGNITO-PROTOCOL.md §3 ----

const N_HEX: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

fn big_n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap()
}

/// Java-style padHex, as hex text.
fn pad_hex(x: &BigUint) -> String {
    let mut h = x.to_str_radix(16);
    if h.len() % 2 == 1 {
        h.insert(0, '0');
    } else if "89abcdef".contains(&h[..1]) {
        h.insert_str(0, "00");
    }
    h
}

fn hex_hash(hex_text: &str) -> BigUint {
    BigUint::from_bytes_be(&Sha256::digest(hex::decode(hex_text).unwrap()))
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

pub struct SrpClient {
    a: BigUint,
    pub big_a: BigUint,
}

impl SrpClient {
    pub fn new() -> SrpClient {
        let mut bytes = [0u8; 128];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        let a = BigUint::from_bytes_be(&bytes);
        let big_a = BigUint::from(2u32).modpow(&a, &big_n());
        SrpClient { a, big_a }
    }

    pub fn a_hex(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// PASSWORD_CLAIM_SIGNATURE for the challenge parameters.
    pub fn signature(
        &self,
        pool_id: &str,
        params: &Value,
        password: &str,
        timestamp: &str,
    ) -> String {
        let n = big_n();
        let g = BigUint::from(2u32);
        let k = hex_hash(&format!("{}{}", pad_hex(&n), pad_hex(&g)));
        let b = BigUint::parse_bytes(params["SRP_B"].as_str().unwrap().as_bytes(), 16).unwrap();
        let salt = BigUint::parse_bytes(params["SALT"].as_str().unwrap().as_bytes(), 16).unwrap();
        let user = params["USER_ID_FOR_SRP"].as_str().unwrap();
        let pool_name = pool_id.split_once('_').unwrap().1;
        let u = hex_hash(&format!("{}{}", pad_hex(&self.big_a), pad_hex(&b)));
        let inner = hex::encode(Sha256::digest(
            format!("{pool_name}{user}:{password}").as_bytes(),
        ));
        let x = hex_hash(&format!("{}{inner}", pad_hex(&salt)));
        let gx = g.modpow(&x, &n);
        let base = (&b + &n * &k - (&k * &gx) % &n) % &n;
        let s = base.modpow(&(&self.a + &u * &x), &n);
        let prk = hmac(
            &hex::decode(pad_hex(&u)).unwrap(),
            &[&hex::decode(pad_hex(&s)).unwrap()],
        );
        let key = &hmac(&prk, &[b"Caldera Derived Key\x01"])[..16];
        let block = base64::engine::general_purpose::STANDARD
            .decode(params["SECRET_BLOCK"].as_str().unwrap())
            .unwrap();
        let sig = hmac(
            key,
            &[
                pool_name.as_bytes(),
                user.as_bytes(),
                &block,
                timestamp.as_bytes(),
            ],
        );
        base64::engine::general_purpose::STANDARD.encode(sig)
    }
}

/// Cognito's TIMESTAMP, by hand: `Tue Jan 7 09:05:03 UTC 2025`.
pub fn timestamp(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t / 86400;
    let secs = t % 86400;
    // Walk the calendar from 1970 (fine for tests).
    let (mut y, mut d) = (1970i64, days);
    loop {
        let len = if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
            366
        } else {
            365
        };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let lens = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= lens[m] {
        d -= lens[m];
        m += 1;
    }
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {y}",
        DAYS[(days % 7) as usize],
        MONTHS[m],
        d + 1,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// InitiateAuth USER_SRP_AUTH; returns the client and the whole answer.
pub async fn srp_start(app: &TestApp, client_id: &str, username: &str) -> (SrpClient, Value) {
    let c = SrpClient::new();
    let (s, v) = api(
        app,
        "InitiateAuth",
        json!({
            "AuthFlow": "USER_SRP_AUTH",
            "ClientId": client_id,
            "AuthParameters": { "USERNAME": username, "SRP_A": c.a_hex() },
        }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ChallengeName"], "PASSWORD_VERIFIER");
    (c, v)
}

pub fn verifier_answer(
    app: &TestApp,
    client_id: &str,
    c: &SrpClient,
    v: &Value,
    password: &str,
) -> Value {
    let params = &v["ChallengeParameters"];
    let ts = timestamp(now());
    json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "ClientId": client_id,
        "Session": v["Session"],
        "ChallengeResponses": {
            "USERNAME": params["USER_ID_FOR_SRP"],
            "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
            "TIMESTAMP": ts,
            "PASSWORD_CLAIM_SIGNATURE": c.signature(&app.pool_id, params, password, &ts),
        },
    })
}

/// A full SRP sign-in; returns the AuthenticationResult.
pub async fn srp_sign_in(app: &TestApp, client_id: &str, email: &str, password: &str) -> Value {
    let (c, v) = srp_start(app, client_id, email).await;
    let (s, r) = api(
        app,
        "RespondToAuthChallenge",
        verifier_answer(app, client_id, &c, &v, password),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    r["AuthenticationResult"].clone()
}

#[tokio::test]
async fn transport_errors_are_cognito_shaped() {
    let app = spawn_app().await;
    // Unknown action and missing target.
    let (s, v, h) = api_raw(&app, "NoSuchAction", "{}".into(), &[]).await;
    assert_eq!(s, 400);
    assert_eq!(err_type(&v), "UnknownOperationException");
    assert_eq!(h["x-amzn-errortype"], "UnknownOperationException");
    assert_eq!(h["content-type"], "application/x-amz-json-1.1");
    let r = reqwest::Client::new()
        .post(format!("{}/", app.address))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(err_type(&v), "UnknownOperationException");
    // Malformed bodies.
    for body in ["{not json", "[1,2]", "\"x\"", "null"] {
        let (s, v, _) = api_raw(&app, "SignUp", body.into(), &[]).await;
        assert_eq!(s, 400, "{body}");
        assert_eq!(err_type(&v), "SerializationException", "{body}");
    }
    // Wrong types and missing members.
    let (s, v) = api(
        &app,
        "SignUp",
        json!({"ClientId": 5, "Username": "a@b.c", "Password": "x"}),
    )
    .await;
    assert_eq!((s, err_type(&v)), (400, "SerializationException"));
    let (s, v) = api(&app, "InitiateAuth", json!({"ClientId": app.client_id})).await;
    assert_eq!((s, err_type(&v)), (400, "InvalidParameterException"), "{v}");
    // null members are absent.
    let (s, v) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": null, "ClientId": app.client_id}),
    )
    .await;
    assert_eq!((s, err_type(&v)), (400, "InvalidParameterException"), "{v}");
    let (s, v) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": "nobody@example.com", "SecretHash": null, "ClientMetadata": null}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Oversized body.
    let big = format!("{{\"ClientId\": \"{}\"}}", "x".repeat(100_000));
    let (s, v, _) = api_raw(&app, "SignUp", big, &[]).await;
    assert_eq!((s, err_type(&v)), (400, "SerializationException"));
    // Unknown client.
    let (s, v) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": "nope", "AuthParameters": {"USERNAME": "a", "SRP_A": "02"}}),
    )
    .await;
    assert_eq!((s, err_type(&v)), (400, "ResourceNotFoundException"));
    // A flow the client does not allow.
    let (s, v) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": app.client_id, "AuthParameters": {"USERNAME": "a", "PASSWORD": "b"}}),
    )
    .await;
    assert_eq!((s, err_type(&v)), (400, "InvalidParameterException"));
    // Other paths are untouched by the API route.
    let r = reqwest::get(format!("{}/healthz", app.address))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn srp_sign_in_with_an_independent_client() {
    let app = spawn_app().await;
    let sub = create_user(&app, "srp@example.com", "Srp");
    let (c, v) = srp_start(&app, &app.client_id, "srp@example.com").await;
    assert_eq!(v["ChallengeParameters"]["USER_ID_FOR_SRP"], sub.as_str());
    let (s, r) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &app.client_id, &c, &v, PASSWORD),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let result = &r["AuthenticationResult"];
    assert_eq!(result["TokenType"], "Bearer");
    assert!(result["RefreshToken"].is_string());
    // The access token works for GetUser; the ID token does not.
    let (s, u) = api(
        &app,
        "GetUser",
        json!({"AccessToken": result["AccessToken"]}),
    )
    .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["Username"], sub.as_str());
    let (s, e) = api(&app, "GetUser", json!({"AccessToken": result["IdToken"]})).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, e) = api(&app, "GetUser", json!({"AccessToken": "not.a.jwt"})).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));

    // Replaying the same answer fails: the challenge is single use.
    let answer = verifier_answer(&app, &app.client_id, &c, &v, PASSWORD);
    let (s, e) = api(&app, "RespondToAuthChallenge", answer).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"), "{e}");

    // A wrong password, an unknown user: the same error.
    let (c, v) = srp_start(&app, &app.client_id, "srp@example.com").await;
    let (_, wrong) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &app.client_id, &c, &v, "wrong password"),
    )
    .await;
    let (c, v) = srp_start(&app, &app.client_id, "ghost@example.com").await;
    // Unknown users get a stable fake salt and user id.
    let (_, v2) = srp_start(&app, &app.client_id, "ghost@example.com").await;
    assert_eq!(
        v["ChallengeParameters"]["SALT"],
        v2["ChallengeParameters"]["SALT"]
    );
    assert_eq!(
        v["ChallengeParameters"]["USER_ID_FOR_SRP"],
        v2["ChallengeParameters"]["USER_ID_FOR_SRP"]
    );
    let (_, ghost) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &app.client_id, &c, &v, PASSWORD),
    )
    .await;
    assert_eq!(err_type(&wrong), "NotAuthorizedException");
    assert_eq!(wrong, ghost);
}

#[tokio::test]
async fn hostile_srp_input_is_refused() {
    let app = spawn_app().await;
    create_user(&app, "hostile@example.com", "Hostile");
    let n = big_n();
    let cases = [
        "0".to_string(),
        "00".to_string(),
        n.to_str_radix(16),
        (&n * 2u32).to_str_radix(16),
        (&n + 1u32).to_str_radix(16),
        "-1".into(),
        "-02".into(),
        "xyz".into(),
        "0x02".into(),
        "a".repeat(10_000),
    ];
    for a in cases {
        let (s, v) = api(
            &app,
            "InitiateAuth",
            json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": app.client_id, "AuthParameters": {"USERNAME": "hostile@example.com", "SRP_A": a}}),
        )
        .await;
        assert_eq!(
            (s, err_type(&v)),
            (400, "InvalidParameterException"),
            "SRP_A {}",
            &a[..a.len().min(20)]
        );
    }
    let mut ok = None;
    // Tampered SECRET_BLOCK, tampered signature, bad and stale TIMESTAMP, missing members.
    for case in 0..6 {
        let (c, v) = srp_start(&app, &app.client_id, "hostile@example.com").await;
        let mut answer = verifier_answer(&app, &app.client_id, &c, &v, PASSWORD);
        let r = &mut answer["ChallengeResponses"];
        let expected = match case {
            0 => {
                let block = r["PASSWORD_CLAIM_SECRET_BLOCK"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let mut bytes = base64::engine::general_purpose::STANDARD
                    .decode(block)
                    .unwrap();
                bytes[20] ^= 1;
                r["PASSWORD_CLAIM_SECRET_BLOCK"] =
                    json!(base64::engine::general_purpose::STANDARD.encode(bytes));
                "NotAuthorizedException"
            }
            1 => {
                r["PASSWORD_CLAIM_SIGNATURE"] =
                    json!(base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
                "NotAuthorizedException"
            }
            2 => {
                r["TIMESTAMP"] = json!("yesterday");
                "InvalidParameterException"
            }
            3 => {
                let ts = timestamp(now() - 3600);
                let sig = c.signature(&app.pool_id, &v["ChallengeParameters"], PASSWORD, &ts);
                r["TIMESTAMP"] = json!(ts);
                r["PASSWORD_CLAIM_SIGNATURE"] = json!(sig);
                "NotAuthorizedException"
            }
            4 => {
                r.as_object_mut()
                    .unwrap()
                    .remove("PASSWORD_CLAIM_SIGNATURE");
                "InvalidParameterException"
            }
            _ => {
                ok = Some(answer.clone());
                "none"
            }
        };
        if expected == "none" {
            break;
        }
        let (s, e) = api(&app, "RespondToAuthChallenge", answer).await;
        assert_eq!((s, err_type(&e)), (400, expected), "case {case}: {e}");
    }
    // Five failures lock the name for a while; the lock holds even with the right proof.
    let (s, e) = api(&app, "RespondToAuthChallenge", ok.unwrap()).await;
    assert_eq!(s, 200, "the untouched answer still works: {e}");
}

#[tokio::test]
async fn a_session_of_one_user_cannot_be_answered_as_another() {
    let app = spawn_app().await;
    create_user(&app, "alice@example.com", "Alice");
    let bob = create_user(&app, "bob@example.com", "Bob");
    let (c, v) = srp_start(&app, &app.client_id, "alice@example.com").await;
    let mut answer = verifier_answer(&app, &app.client_id, &c, &v, PASSWORD);
    answer["ChallengeResponses"]["USERNAME"] = json!(bob);
    let (s, e) = api(&app, "RespondToAuthChallenge", answer).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    // Another client cannot answer it either.
    let (other, _) =
        crate::helpers::create_client(&app, incognito::pools::ClientSettings::default(), false);
    let (c, v) = srp_start(&app, &app.client_id, "alice@example.com").await;
    let answer = verifier_answer(&app, &other, &c, &v, PASSWORD);
    let (s, e) = api(&app, "RespondToAuthChallenge", answer).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    // A made-up session for NEW_PASSWORD_REQUIRED.
    let (s, e) = api(
        &app,
        "RespondToAuthChallenge",
        json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": app.client_id, "Session": "forged-session-of-twenty-characters",
               "ChallengeResponses": {"USERNAME": "alice@example.com", "NEW_PASSWORD": "a new long password"}}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
}

#[tokio::test]
async fn global_sign_out_revokes_api_and_hosted_sessions() {
    let app = spawn_app().await;
    let sub = create_user(&app, "gso@example.com", "Gso");
    let result = srp_sign_in(&app, &app.client_id, "gso@example.com", PASSWORD).await;
    // A hosted-page session of the same user (what the login page creates).
    let (config, pool_id, sub2) = (app.state.config.clone(), app.pool_id.clone(), sub.clone());
    app.state
        .store
        .write_sync(move |db| {
            incognito::authn::sessions::create(
                db,
                &config,
                &pool_id,
                &sub2,
                now(),
                &["pwd".into()],
                now(),
            )
        })
        .unwrap();
    let sessions = |app: &TestApp| {
        let sub = sub.clone();
        app.state
            .store
            .read_sync(move |db| incognito::store::sessions::list_for_user(db, &sub, 0))
            .unwrap()
            .len()
    };
    assert_eq!(sessions(&app), 1);
    let (s, _) = api(
        &app,
        "GlobalSignOut",
        json!({"AccessToken": result["AccessToken"]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(sessions(&app), 0);
    let (s, e) = api(
        &app,
        "GetUser",
        json!({"AccessToken": result["AccessToken"]}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, e) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": app.client_id, "AuthParameters": {"REFRESH_TOKEN": result["RefreshToken"]}}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, e) = api(
        &app,
        "GetTokensFromRefreshToken",
        json!({"ClientId": app.client_id, "RefreshToken": result["RefreshToken"]}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
}

#[tokio::test]
async fn password_flow_new_password_and_existence_switch() {
    let app = spawn_app().await;
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        prevent_user_existence_errors: false,
        ..Default::default()
    };
    let (client, _) = crate::helpers::create_client(&app, settings, false);
    let sub = create_user(&app, "pw@example.com", "Pw");
    let login = |user: &str, pass: &str| json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": {"USERNAME": user, "PASSWORD": pass}});
    let (s, r) = api(&app, "InitiateAuth", login("pw@example.com", PASSWORD)).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["IdToken"].is_string());
    let (s, e) = api(&app, "InitiateAuth", login("nobody@example.com", PASSWORD)).await;
    assert_eq!((s, err_type(&e)), (400, "UserNotFoundException"));
    let (s, e) = api(
        &app,
        "InitiateAuth",
        login("pw@example.com", "wrong password"),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    // With the default client (existence errors prevented) an unknown user is a wrong password.
    let (s, e) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": client, "Username": "nobody@example.com"}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "UserNotFoundException"));

    // A temporary password: NEW_PASSWORD_REQUIRED, then tokens.
    let pool_id = app.pool_id.clone();
    let sealer = app.state.sealer.clone();
    let sub2 = sub.clone();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<()> {
            let pool = incognito::store::pools::get(db, &pool_id)?.unwrap();
            let mut u = incognito::store::users::get(db, &pool_id, &sub2)?.unwrap();
            let new = incognito::accounts::service::NewPassword::prepare(
                &pool,
                &u.username,
                "temporary password 1",
            )?;
            incognito::accounts::service::set_password(db, &sealer, &mut u, &new, false, 0)
        })
        .unwrap();
    let (c, v) = srp_start(&app, &client, "pw@example.com").await;
    let (s, r) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &client, &c, &v, "temporary password 1"),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let params = &r["ChallengeParameters"];
    let attrs: Value = serde_json::from_str(params["userAttributes"].as_str().unwrap()).unwrap();
    assert_eq!(attrs["email"], "pw@example.com");
    let _: Vec<String> =
        serde_json::from_str(params["requiredAttributes"].as_str().unwrap()).unwrap();
    let answer = |pw: &str| {
        json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": client, "Session": r["Session"],
               "ChallengeResponses": {"USERNAME": sub, "NEW_PASSWORD": pw}})
    };
    let (s, e) = api(&app, "RespondToAuthChallenge", answer("short")).await;
    assert_eq!((s, err_type(&e)), (400, "InvalidPasswordException"));
    let (s, t) = api(
        &app,
        "RespondToAuthChallenge",
        answer("my permanent password"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert!(t["AuthenticationResult"]["AccessToken"].is_string());
    // The session was spent.
    let (s, e) = api(
        &app,
        "RespondToAuthChallenge",
        answer("my permanent password"),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    // The new password works with SRP.
    srp_sign_in(&app, &client, "pw@example.com", "my permanent password").await;
}

#[tokio::test]
async fn secret_hash_is_required_for_clients_with_a_secret() {
    let app = spawn_app().await;
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    let (client, secret) = crate::helpers::create_client(&app, settings, true);
    let secret = secret.unwrap();
    let (c2, s2) = (client.clone(), secret.clone());
    let sealer = app.state.sealer.clone();
    app.state
        .store
        .write_sync(move |db| incognito::pools::clients::remember_secret(db, &sealer, &c2, &s2))
        .unwrap();
    let sub = create_user(&app, "secret@example.com", "Secret");
    let hash = |user: &str| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(user.as_bytes());
        m.update(client.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    };
    let login = |h: Option<String>| {
        let mut p = json!({"USERNAME": "secret@example.com", "PASSWORD": PASSWORD});
        if let Some(h) = h {
            p["SECRET_HASH"] = json!(h);
        }
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": p})
    };
    let (s, e) = api(&app, "InitiateAuth", login(None)).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, e) = api(&app, "InitiateAuth", login(Some(hash("someone else")))).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, r) = api(
        &app,
        "InitiateAuth",
        login(Some(hash("secret@example.com"))),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    // Refresh: the hash is over the internal username.
    let rt = r["AuthenticationResult"]["RefreshToken"].clone();
    let (s, e) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client, "AuthParameters": {"REFRESH_TOKEN": rt}}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, r) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client, "AuthParameters": {"REFRESH_TOKEN": rt, "SECRET_HASH": hash(&sub)}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
}

#[tokio::test]
async fn sign_up_confirm_and_user_actions() {
    let app = spawn_app().await;
    let sign_up = |email: &str, extra: Value| {
        let mut attrs = vec![
            json!({"Name": "name", "Value": "Sue"}),
            json!({"Name": "locale", "Value": "en"}),
        ];
        if let Value::Array(a) = extra {
            attrs.extend(a);
        }
        json!({"ClientId": app.client_id, "Username": email, "Password": PASSWORD, "UserAttributes": attrs})
    };
    // Users never set email_verified themselves.
    let (s, e) = api(
        &app,
        "SignUp",
        sign_up(
            "sue@example.com",
            json!([{"Name": "email_verified", "Value": "true"}]),
        ),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "InvalidParameterException"));
    // Required attributes are required.
    let (s, e) = api(
        &app,
        "SignUp",
        json!({"ClientId": app.client_id, "Username": "sue@example.com", "Password": PASSWORD}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "InvalidParameterException"));
    let (s, r) = api(&app, "SignUp", sign_up("sue@example.com", json!([]))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["UserConfirmed"], false);
    assert_eq!(r["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    let (s, e) = api(&app, "SignUp", sign_up("SUE@example.com", json!([]))).await;
    assert_eq!((s, err_type(&e)), (400, "UsernameExistsException"));
    // Wrong codes.
    let confirm = |code: &str| json!({"ClientId": app.client_id, "Username": "sue@example.com", "ConfirmationCode": code});
    let (s, e) = api(&app, "ConfirmSignUp", confirm("000000")).await;
    assert_eq!((s, err_type(&e)), (400, "CodeMismatchException"));
    let code = crate::cognito::mailed_code(&app, "sue@example.com").await;
    let (s, r) = api(&app, "ConfirmSignUp", confirm(&code)).await;
    assert_eq!(s, 200, "{r}");
    let (s, e) = api(&app, "ConfirmSignUp", confirm(&code)).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));

    let result = srp_sign_in(&app, &app.client_id, "sue@example.com", PASSWORD).await;
    let at = result["AccessToken"].clone();
    let (s, e) = api(
        &app,
        "UpdateUserAttributes",
        json!({"AccessToken": at, "UserAttributes": [{"Name": "email_verified", "Value": "false"}]}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, r) = api(
        &app,
        "UpdateUserAttributes",
        json!({"AccessToken": at, "UserAttributes": [{"Name": "name", "Value": "Susan"}, {"Name": "custom:team", "Value": "blue"}]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (_, u) = api(&app, "GetUser", json!({"AccessToken": at})).await;
    let attrs: std::collections::HashMap<String, String> = u["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["Name"].as_str().unwrap().into(),
                a["Value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(attrs["name"], "Susan");
    assert_eq!(attrs["custom:team"], "blue");
    assert_eq!(attrs["email_verified"], "true");
    // The refreshed ID token carries the new attributes.
    let (s, r) = api(
        &app,
        "GetTokensFromRefreshToken",
        json!({"ClientId": app.client_id, "RefreshToken": result["RefreshToken"]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let id = r["AuthenticationResult"]["IdToken"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["name"], "Susan");
    // DeleteUser ends everything.
    let (s, _) = api(&app, "DeleteUser", json!({"AccessToken": at})).await;
    assert_eq!(s, 200);
    let (s, e) = api(&app, "GetUser", json!({"AccessToken": at})).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
}

/// The newest 6-digit code mailed to `to` (outbox directory of the test server).
pub async fn mailed_code(app: &TestApp, to: &str) -> String {
    for _ in 0..100 {
        let dir = app.data_path().join("outbox");
        let mut newest: Option<(std::time::SystemTime, String)> = None;
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path())
                    .unwrap_or_default()
                    .replace("=\r\n", "");
                if !text.to_lowercase().contains(&format!("to: {to}")) {
                    continue;
                }
                let modified = e.metadata().and_then(|m| m.modified()).unwrap();
                let code = text
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(String::from);
                if let Some(code) = code
                    && newest.as_ref().is_none_or(|(t, _)| modified > *t)
                {
                    newest = Some((modified, code));
                }
            }
        }
        if let Some((_, code)) = newest {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail to {to}");
}

#[tokio::test]
async fn admin_actions_need_a_fresh_valid_signature() {
    use incognito::cognito::sigv4;
    let app = spawn_app().await;
    let (id, secret) = sigv4::new_key();
    let (sealer, id2, secret2) = (app.state.sealer.clone(), id.clone(), secret.clone());
    app.state
        .store
        .write_sync(move |db| {
            incognito::store::cognito::insert_admin_key(
                db,
                &incognito::store::cognito::AdminKey {
                    access_key_id: id2,
                    secret: sealer.seal(&secret2),
                    description: String::new(),
                    created_at: 0,
                    last_used_at: None,
                    pool_id: None,
                    read_only: false,
                },
            )
        })
        .unwrap();
    let body = json!({"UserPoolId": app.pool_id}).to_string();
    let host = app.address.trim_start_matches("http://").to_string();
    let signed = |t: i64, key: &str, secret: &str| {
        let amz = {
            let ts = timestamp(t);
            // Reuse the calendar above: "Tue Jan 7 09:05:03 UTC 2025" → 20250107T090503Z.
            let p: Vec<&str> = ts.split(' ').collect();
            let month = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .iter()
            .position(|m| *m == p[1])
            .unwrap()
                + 1;
            format!(
                "{}{:02}{:02}T{}Z",
                p[5],
                month,
                p[2].parse::<u32>().unwrap(),
                p[3].replace(':', "")
            )
        };
        let headers = vec![
            (
                "content-type".to_string(),
                "application/x-amz-json-1.1".to_string(),
            ),
            ("host".to_string(), host.clone()),
            ("x-amz-date".to_string(), amz.clone()),
            (
                "x-amz-target".to_string(),
                "AWSCognitoIdentityProviderService.ListGroups".to_string(),
            ),
        ];
        let names: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
        let req = sigv4::Request {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body: body.as_bytes(),
        };
        let sig = sigv4::sign(&req, &names, secret, &amz, "local", "cognito-idp");
        let authz = format!(
            "AWS4-HMAC-SHA256 Credential={key}/{}/local/cognito-idp/aws4_request, SignedHeaders={}, Signature={sig}",
            &amz[..8],
            names.join(";")
        );
        (amz, authz)
    };
    let app_ref = &app;
    let call = |amz: String, authz: String| {
        let body = body.clone();
        async move {
            let headers = [
                ("x-amz-date", amz.as_str()),
                ("authorization", authz.as_str()),
            ];
            api_raw(app_ref, "ListGroups", body, &headers).await
        }
    };
    let (amz, authz) = signed(now(), &id, &secret);
    let (s, v, _) = call(amz, authz).await;
    assert_eq!(s, 200, "{v}");
    let (amz, authz) = signed(now() - 600, &id, &secret);
    let (s, v, _) = call(amz, authz).await;
    assert_eq!((s, err_type(&v)), (400, "InvalidSignatureException"), "{v}");
    let (amz, authz) = signed(now(), &id, "not the secret");
    let (s, v, _) = call(amz, authz).await;
    assert_eq!((s, err_type(&v)), (400, "InvalidSignatureException"), "{v}");
    let (amz, authz) = signed(now(), "AKINNOSUCHKEY0000000", &secret);
    let (s, v, _) = call(amz, authz).await;
    assert_eq!(
        (s, err_type(&v)),
        (400, "UnrecognizedClientException"),
        "{v}"
    );
    let (s, v) = api(&app, "ListGroups", json!({"UserPoolId": app.pool_id})).await;
    assert_eq!(
        (s, err_type(&v)),
        (400, "MissingAuthenticationTokenException")
    );
    // A body changed after signing.
    let (amz, authz) = signed(now(), &id, &secret);
    let headers = [
        ("x-amz-date", amz.as_str()),
        ("authorization", authz.as_str()),
    ];
    let (s, v, _) = api_raw(
        &app,
        "ListGroups",
        json!({"UserPoolId": "local_Other"}).to_string(),
        &headers,
    )
    .await;
    assert_eq!((s, err_type(&v)), (400, "InvalidSignatureException"), "{v}");
}

/// Every action, with empty, null, wrong-typed, oversized and hostile members: always a
/// Cognito-shaped 4xx (or a harmless 200), never a 500, and nothing created.
#[tokio::test]
async fn every_action_survives_hostile_bodies() {
    let app = spawn_app().await;
    create_user(&app, "victim@example.com", "Victim");
    let actions = [
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "InitiateAuth",
        "RespondToAuthChallenge",
        "GetTokensFromRefreshToken",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GetUser",
        "UpdateUserAttributes",
        "GetUserAttributeVerificationCode",
        "VerifyUserAttribute",
        "ChangePassword",
        "DeleteUser",
        "GlobalSignOut",
        "RevokeToken",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        "AdminCreateUser",
        "ListUsers",
        "AdminLinkProviderForUser",
        "AdminDisableProviderForUser",
    ];
    let fields = [
        "ClientId",
        "Username",
        "Password",
        "AccessToken",
        "Session",
        "RefreshToken",
        "Token",
        "ConfirmationCode",
        "UserPoolId",
        "GroupName",
        "AuthFlow",
        "ChallengeName",
        "UserCode",
        "AttributeName",
        "Code",
        "PreviousPassword",
        "ProposedPassword",
        "SecretHash",
        "ClientSecret",
    ];
    let maps = ["AuthParameters", "ChallengeResponses", "ClientMetadata"];
    let with = |value: Value, client: Option<&str>| {
        let mut body = serde_json::Map::new();
        for f in fields {
            body.insert(f.into(), value.clone());
        }
        for m in maps {
            let mut inner = serde_json::Map::new();
            for k in [
                "USERNAME",
                "PASSWORD",
                "SRP_A",
                "REFRESH_TOKEN",
                "SECRET_HASH",
                "NEW_PASSWORD",
                "PASSWORD_CLAIM_SECRET_BLOCK",
                "PASSWORD_CLAIM_SIGNATURE",
                "TIMESTAMP",
                "SOFTWARE_TOKEN_MFA_CODE",
            ] {
                inner.insert(
                    k.into(),
                    if value.is_string() {
                        value.clone()
                    } else {
                        json!("x")
                    },
                );
            }
            body.insert(m.into(), Value::Object(inner));
        }
        body.insert(
            "UserAttributes".into(),
            json!([{"Name": "email", "Value": value}, {"Name": "email_verified", "Value": "true"}]),
        );
        if let Some(c) = client {
            body.insert("ClientId".into(), json!(c));
        }
        Value::Object(body)
    };
    let long = "A".repeat(5000);
    let hostile = [
        json!(null),
        json!(5),
        json!(true),
        json!([1, 2]),
        json!({"a": 1}),
        json!(""),
        json!(long),
        json!("victim@example.com\u{0}"),
        json!("../../etc/passwd"),
        json!("<script>alert(1)</script>"),
        json!("' OR 1=1 --"),
        json!("\u{202e}gnp.exe"),
        json!("-1"),
        json!("0"),
    ];
    for action in actions {
        let (s, v) = api(&app, action, json!({})).await;
        assert_eq!(s, 400, "{action} {{}}: {v}");
        for value in &hostile {
            for client in [None, Some(app.client_id.as_str())] {
                let body = with(value.clone(), client);
                let (s, v) = api(&app, action, body).await;
                assert_ne!(s, 500, "{action} with {value}: {v}");
                assert!(s == 200 || s == 400, "{action} with {value}: {s} {v}");
                if s == 400 {
                    assert!(err_type(&v).ends_with("Exception"), "{action}: {v}");
                    assert!(v["message"].is_string(), "{action}: {v}");
                }
            }
        }
    }
    let pool_id = app.pool_id.clone();
    let users = app
        .state
        .store
        .read_sync(move |db| incognito::store::users::list_all(db, &pool_id))
        .unwrap();
    assert_eq!(users.len(), 1, "no user was created");
}

/// `20250107T090503Z` for a Unix time (via the TIMESTAMP calendar above).
fn amz_date(t: i64) -> String {
    let ts = timestamp(t);
    let p: Vec<&str> = ts.split(' ').collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == p[1]).unwrap() + 1;
    format!(
        "{}{:02}{:02}T{}Z",
        p[5],
        month,
        p[2].parse::<u32>().unwrap(),
        p[3].replace(':', "")
    )
}

/// An admin key stored for the test server; returns (id, secret).
pub fn admin_key(app: &TestApp) -> (String, String) {
    let (id, secret) = incognito::cognito::sigv4::new_key();
    let (sealer, id2, secret2) = (app.state.sealer.clone(), id.clone(), secret.clone());
    app.state
        .store
        .write_sync(move |db| {
            incognito::store::cognito::insert_admin_key(
                db,
                &incognito::store::cognito::AdminKey {
                    access_key_id: id2,
                    secret: sealer.seal(&secret2),
                    description: String::new(),
                    created_at: 0,
                    last_used_at: None,
                    pool_id: None,
                    read_only: false,
                },
            )
        })
        .unwrap();
    (id, secret)
}

/// A SigV4-signed admin call.
pub async fn admin_api(
    app: &TestApp,
    key: &(String, String),
    action: &str,
    body: Value,
) -> (u16, Value) {
    use incognito::cognito::sigv4;
    let body = body.to_string();
    let amz = amz_date(now());
    let headers = vec![
        (
            "content-type".to_string(),
            "application/x-amz-json-1.1".to_string(),
        ),
        (
            "host".to_string(),
            app.address.trim_start_matches("http://").to_string(),
        ),
        ("x-amz-date".to_string(), amz.clone()),
        (
            "x-amz-target".to_string(),
            format!("AWSCognitoIdentityProviderService.{action}"),
        ),
    ];
    let names: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    let req = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers,
        body: body.as_bytes(),
    };
    let sig = sigv4::sign(&req, &names, &key.1, &amz, "local", "cognito-idp");
    let authz = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/local/cognito-idp/aws4_request, SignedHeaders={}, Signature={sig}",
        key.0,
        &amz[..8],
        names.join(";")
    );
    let (s, v, _) = api_raw(
        app,
        action,
        body,
        &[("x-amz-date", &amz), ("authorization", &authz)],
    )
    .await;
    (s, v)
}

#[tokio::test]
async fn admin_created_users_get_an_invitation_and_must_choose_a_password() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminCreateUser",
        json!({"UserPoolId": app.pool_id, "Username": "invited@example.com",
               "UserAttributes": [{"Name": "name", "Value": "Invited"}, {"Name": "locale", "Value": "en"}]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    // The invitation carries the temporary password.
    let mut temporary = None;
    for _ in 0..100 {
        let dir = app.data_path().join("outbox");
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .replace("=\r\n", "");
            if text.to_lowercase().contains("to: invited@example.com") {
                temporary = text
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .find(|w| {
                        w.len() == 14
                            && w.chars()
                                .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
                    })
                    .map(String::from);
            }
        }
        if temporary.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let temporary = temporary.expect("an invitation with the temporary password");
    let (c, v) = srp_start(&app, &app.client_id, "invited@example.com").await;
    let (s, r) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &app.client_id, &c, &v, &temporary),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    let (s, t) = api(
        &app,
        "RespondToAuthChallenge",
        json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": app.client_id, "Session": r["Session"],
               "ChallengeResponses": {"USERNAME": v["ChallengeParameters"]["USER_ID_FOR_SRP"], "NEW_PASSWORD": "chosen by the user"}}),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let at = t["AuthenticationResult"]["AccessToken"].clone();
    // Disabling ends the tokens; the user is refused until enabled again.
    let (s, _) = admin_api(
        &app,
        &key,
        "AdminDisableUser",
        json!({"UserPoolId": app.pool_id, "Username": "invited@example.com"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, e) = api(&app, "GetUser", json!({"AccessToken": at})).await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (c, v) = srp_start(&app, &app.client_id, "invited@example.com").await;
    let (s, e) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &app.client_id, &c, &v, "chosen by the user"),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "NotAuthorizedException"));
    let (s, _) = admin_api(
        &app,
        &key,
        "AdminEnableUser",
        json!({"UserPoolId": app.pool_id, "Username": "invited@example.com"}),
    )
    .await;
    assert_eq!(s, 200);
    srp_sign_in(
        &app,
        &app.client_id,
        "invited@example.com",
        "chosen by the user",
    )
    .await;
    // Unknown users are reported to administrators.
    let (s, e) = admin_api(
        &app,
        &key,
        "AdminGetUser",
        json!({"UserPoolId": app.pool_id, "Username": "ghost@example.com"}),
    )
    .await;
    assert_eq!((s, err_type(&e)), (400, "UserNotFoundException"));
}

#[tokio::test]
async fn admin_reset_requires_a_reset_before_any_sign_in() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
        ],
        ..Default::default()
    };
    let (client, _) = crate::helpers::create_client(&app, settings, false);
    create_user(&app, "reset-required@example.com", "Rr");
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminResetUserPassword",
        json!({"UserPoolId": app.pool_id, "Username": "reset-required@example.com"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminGetUser",
        json!({"UserPoolId": app.pool_id, "Username": "reset-required@example.com"}),
    )
    .await;
    assert_eq!(
        (s, r["UserStatus"].as_str()),
        (200, Some("RESET_REQUIRED")),
        "{r}"
    );
    // The old password no longer signs in, through the API or the hosted page.
    let login = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": {"USERNAME": "reset-required@example.com", "PASSWORD": PASSWORD}});
    let (s, e) = api(&app, "InitiateAuth", login.clone()).await;
    assert_eq!(
        (s, err_type(&e)),
        (400, "PasswordResetRequiredException"),
        "{e}"
    );
    let browser = app.browser();
    let (_, challenge) = crate::helpers::pkce_pair();
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    let r = app
        .submit_login(
            &browser,
            &crate::helpers::location(&r),
            "reset-required@example.com",
            PASSWORD,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        crate::helpers::location(&r).contains("/reset-password"),
        "the hosted page sends the user to the reset"
    );
    // Completing the reset with the mailed code signs in again.
    let code = mailed_code(&app, "reset-required@example.com").await;
    let (s, r) = api(
        &app,
        "ConfirmForgotPassword",
        json!({"ClientId": client, "Username": "reset-required@example.com", "ConfirmationCode": code, "Password": "a fresh passphrase 9"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let login = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": {"USERNAME": "reset-required@example.com", "PASSWORD": "a fresh passphrase 9"}});
    let (s, r) = api(&app, "InitiateAuth", login).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["AccessToken"].is_string());
}

#[tokio::test]
async fn a_changed_email_replaces_the_alias_only_once_verified() {
    let app = spawn_app().await;
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec!["ALLOW_USER_PASSWORD_AUTH".into()],
        ..Default::default()
    };
    let (client, _) = crate::helpers::create_client(&app, settings, false);
    create_user(&app, "old@example.com", "Mover");
    create_user(&app, "taken@example.com", "Other");
    let login = |user: &str| json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD}});
    let (s, r) = api(&app, "InitiateAuth", login("old@example.com")).await;
    assert_eq!(s, 200, "{r}");
    let token = r["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, e) = api(&app, "UpdateUserAttributes", json!({"AccessToken": token, "UserAttributes": [{"Name": "email", "Value": "taken@example.com"}]})).await;
    assert_eq!((s, err_type(&e)), (400, "AliasExistsException"), "{e}");
    let (s, r) = api(&app, "UpdateUserAttributes", json!({"AccessToken": token, "UserAttributes": [{"Name": "email", "Value": "New@Example.com"}]})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["CodeDeliveryDetailsList"][0]["DeliveryMedium"], "EMAIL");
    // Not yet: the old address is still the email and the sign-in name.
    let (s, u) = api(&app, "GetUser", json!({"AccessToken": token})).await;
    assert_eq!(s, 200);
    assert!(
        u.to_string().contains("old@example.com") && !u.to_string().contains("new@example.com"),
        "{u}"
    );
    assert_eq!(
        api(&app, "InitiateAuth", login("new@example.com")).await.0,
        400
    );
    assert_eq!(
        api(&app, "InitiateAuth", login("old@example.com")).await.0,
        200
    );
    // A wrong code changes nothing; the mailed one moves the alias.
    let (s, _) = api(
        &app,
        "VerifyUserAttribute",
        json!({"AccessToken": token, "AttributeName": "email", "Code": "000000x"}),
    )
    .await;
    assert_eq!(s, 400);
    let code = mailed_code(&app, "new@example.com").await;
    let (s, r) = api(
        &app,
        "VerifyUserAttribute",
        json!({"AccessToken": token, "AttributeName": "email", "Code": code}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        api(&app, "InitiateAuth", login("new@example.com")).await.0,
        200
    );
    assert_eq!(
        api(&app, "InitiateAuth", login("old@example.com")).await.0,
        400
    );
}
