//! Several instances on one PostgreSQL database (issue #18): what one instance does, every
//! other sees at once — sign-ins, refreshes, revocations, signing keys — and concurrent
//! redemptions on two instances behave as on one. Two real servers on one test database (in
//! this process), plus a server process killed with SIGKILL in the middle of writes.

use std::collections::BTreeSet;
use std::io::BufReader;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use incognito::config::Secret;
use serde_json::{Value, json};

use crate::cognito::api;
use crate::helpers::{
    PASSWORD, TestApp, binary, create_client, create_user, free_port, pkce_pair, read_welcome,
    spawn_app_with,
};
use crate::pg;
use crate::races::token_request;

/// A fresh database on the test cluster (off this async thread) and the master key the
/// instances share.
async fn shared_database(test: &'static str) -> Option<(pg::TestDatabase, String)> {
    let db = tokio::task::spawn_blocking(move || pg::database(test))
        .await
        .unwrap()?;
    Some((db, incognito::random::token(32)))
}

/// An instance serving `url` (its own data directory, listener and caches). Behind a load
/// balancer every instance has the same public URL, which is in the tokens' `iss`.
async fn instance(url: &str, master_key: &str, public_url: Option<&str>) -> TestApp {
    let (url, key) = (url.to_string(), master_key.to_string());
    let public_url = public_url.map(str::to_string);
    spawn_app_with(move |c| {
        c.database_url = Some(Secret(url));
        c.master_key = Some(Secret(key));
        c.public_url = public_url;
    })
    .await
}

/// Instance B serves the pool and client the first instance created.
fn same_pool(b: TestApp, a: &TestApp) -> TestApp {
    TestApp {
        pool_id: a.pool_id.clone(),
        client_id: a.client_id.clone(),
        redirect_uri: a.redirect_uri.clone(),
        ..b
    }
}

fn password_client(app: &TestApp) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    create_client(app, settings, false).0
}

async fn jwks_kids(app: &TestApp) -> BTreeSet<String> {
    let doc: Value = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// `incognito --json <args>` in another process on the database; its one JSON value.
async fn cli_json(url: &str, master_key: &str, args: &[&str]) -> Value {
    let (url, master_key) = (url.to_string(), master_key.to_string());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(binary())
            .arg("--data-dir")
            .arg(tempfile::tempdir().unwrap().path())
            .arg("--json")
            .args(&args)
            .env("INCOGNITO_DATABASE_URL", url)
            .env("INCOGNITO_MASTER_KEY", master_key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn kid_of(jwt: &str) -> String {
    use base64::Engine;
    let header = jwt.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn two_instances_share_sign_ins_refreshes_revocations_and_rotated_keys() {
    let Some((db, key)) =
        shared_database("two_instances_share_sign_ins_refreshes_revocations_and_rotated_keys")
            .await
    else {
        return;
    };
    let public = Some("https://login.example.com");
    let a = instance(&db.url, &key, public).await;
    let b = same_pool(instance(&db.url, &key, public).await, &a);
    assert_ne!(a.port, b.port);
    let client = password_client(&a);
    create_user(&a, "both@example.com", "Both");

    // Sign in on A; B accepts A's access token and refreshes A's refresh token.
    let login = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
        "AuthParameters": {"USERNAME": "both@example.com", "PASSWORD": PASSWORD}});
    let (s, signed_in) = api(&a, "InitiateAuth", login.clone()).await;
    assert_eq!(s, 200, "{signed_in}");
    let access = signed_in["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh = signed_in["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, me) = api(&b, "GetUser", json!({"AccessToken": access})).await;
    assert_eq!(s, 200, "{me}");
    let refresh_auth = json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client,
        "AuthParameters": {"REFRESH_TOKEN": refresh}});
    let (s, refreshed) = api(&b, "InitiateAuth", refresh_auth.clone()).await;
    assert_eq!(s, 200, "{refreshed}");
    assert!(refreshed["AuthenticationResult"]["AccessToken"].is_string());

    // Revoke on B: A refuses the refresh token and the access tokens at once.
    let (s, revoked) = api(
        &b,
        "RevokeToken",
        json!({"ClientId": client, "Token": refresh}),
    )
    .await;
    assert_eq!(s, 200, "{revoked}");
    let (s, refused) = api(&a, "InitiateAuth", refresh_auth).await;
    assert_eq!(s, 400, "{refused}");
    assert_eq!(refused["__type"], "NotAuthorizedException");

    // Rotate the pool's key with the CLI, against the same database: both instances publish
    // the new key, and a token A signs with it verifies on B.
    let old: BTreeSet<String> = jwks_kids(&a).await;
    assert_eq!(old, jwks_kids(&b).await);
    let rotating = Instant::now();
    let rotated = cli_json(&db.url, &key, &["keys", "rotate", "--pool", &a.pool_id]).await;
    let new_kid = rotated
        .as_array()
        .map(|a| a[0]["kid"].clone())
        .unwrap_or_else(|| rotated["kid"].clone());
    let new_kid = new_kid.as_str().expect("the new kid").to_string();
    // Published before it signs: right after the rotation A still signs with the old key.
    let (s, first) = api(&a, "InitiateAuth", login.clone()).await;
    assert_eq!(s, 200, "{first}");
    let first = first["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap();
    if rotating.elapsed() < Duration::from_millis(1500) {
        assert!(
            old.contains(&kid_of(first)),
            "the old key signs for a moment"
        );
    }
    let began = Instant::now();
    for app in [&a, &b] {
        loop {
            if jwks_kids(app).await.contains(&new_kid) {
                break;
            }
            assert!(
                began.elapsed() < Duration::from_secs(2),
                "instance on port {} publishes the new key within a second or so",
                app.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Then the new key signs, once both instances publish it.
    let access = loop {
        let (s, again) = api(&a, "InitiateAuth", login.clone()).await;
        assert_eq!(s, 200, "{again}");
        let access = again["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap()
            .to_string();
        if kid_of(&access) == new_kid {
            break access;
        }
        assert!(
            rotating.elapsed() < Duration::from_secs(6),
            "A signs with the new key a couple of seconds after the rotation"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(rotating.elapsed() >= Duration::from_secs(1));
    let (s, me) = api(&b, "GetUser", json!({"AccessToken": access})).await;
    assert_eq!(s, 200, "B verifies it: {me}");
}

#[tokio::test]
async fn one_refresh_token_redeemed_on_two_instances_at_once_is_one_success_and_a_revoked_family() {
    let Some((db, key)) = shared_database(
        "one_refresh_token_redeemed_on_two_instances_at_once_is_one_success_and_a_revoked_family",
    )
    .await
    else {
        return;
    };
    let a = instance(&db.url, &key, None).await;
    let b = same_pool(instance(&db.url, &key, None).await, &a);
    create_user(&a, "race@example.com", "Race");
    for _ in 0..3 {
        // The code from A's hosted pages, exchanged on B.
        let (verifier, challenge) = pkce_pair();
        let q = a
            .login_for_code(
                &a.browser(),
                "race@example.com",
                &[
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("scope", "openid offline_access"),
                ],
            )
            .await;
        let tokens = crate::helpers::exchange_code(&b, &q["code"], &verifier).await;
        let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", a.client_id.as_str()),
        ];
        let (on_a, on_b) = tokio::join!(token_request(&a, &form), token_request(&b, &form));
        let wins: Vec<&(u16, Value)> = [&on_a, &on_b]
            .into_iter()
            .filter(|(s, _)| *s == 200)
            .collect();
        assert_eq!(wins.len(), 1, "one refresh succeeds: {on_a:?} {on_b:?}");
        let lost = if on_a.0 == 200 { &on_b } else { &on_a };
        assert_eq!(lost.1["error"], "invalid_grant");
        // The family is revoked: the winner's new refresh token is dead on both instances.
        let next = wins[0].1["refresh_token"].as_str().expect("rotated");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", next),
            ("client_id", a.client_id.as_str()),
        ];
        for app in [&a, &b] {
            let (s, e) = token_request(app, &form).await;
            assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
        }
    }
}

#[tokio::test]
async fn an_instance_killed_during_writes_loses_no_acknowledged_write() {
    let Some((db, key)) =
        shared_database("an_instance_killed_during_writes_loses_no_acknowledged_write").await
    else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.path())
        .env("INCOGNITO_DATABASE_URL", &db.url)
        .env("INCOGNITO_MASTER_KEY", &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (client_id, pool_id) = read_welcome(&mut stdout);
    let base = format!("http://127.0.0.1:{port}");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (base, client_id, acknowledged) =
            (base.clone(), client_id.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for n in 0.. {
                let name = format!("kill-{w}-{n}@example.com");
                let body = json!({"ClientId": client_id, "Username": name, "Password": PASSWORD,
                    "UserAttributes": [{"Name": "email", "Value": name}, {"Name": "name", "Value": "K"}, {"Name": "locale", "Value": "en"}]});
                let sent = http
                    .post(format!("{base}/"))
                    .header("content-type", "application/x-amz-json-1.1")
                    .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
                    .body(body.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(name),
                    Ok(r) => panic!("sign-up answered {}", r.status()),
                    // The connection dies with the process.
                    Err(_) => return,
                }
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 8 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    let _ = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged: BTreeSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    // Every acknowledged sign-up is in the database, read by another process.
    let list = cli_json(&db.url, &key, &["user", "list", "--pool", &pool_id]).await;
    let stored: BTreeSet<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str().map(String::from))
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(acknowledged.len() >= 8);
}

#[tokio::test]
async fn readiness_fails_while_the_database_is_unreachable() {
    let Some((db, key)) =
        shared_database("readiness_fails_while_the_database_is_unreachable").await
    else {
        return;
    };
    let a = instance(&db.url, &key, None).await;
    let get = |path: &'static str| {
        let url = format!("{}{path}", a.address);
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/readyz").await, 200);
    let db = Arc::new(db);
    let gone = db.clone();
    tokio::task::spawn_blocking(move || gone.drop_now())
        .await
        .unwrap();
    assert_eq!(get("/readyz").await, 503, "no database, not ready");
    assert_eq!(get("/healthz").await, 200, "but alive");
    // A request that needs the database gets a clear error, not a hang or a crash.
    let (s, _) = api(
        &a,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": a.client_id, "AuthParameters": {"USERNAME": "x", "PASSWORD": "y"}}),
    )
    .await;
    assert!(s >= 400, "{s}");
}
