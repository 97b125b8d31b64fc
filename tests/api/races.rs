//! Single-use things redeemed twice at the same moment (as two instances behind a load
//! balancer would): exactly one redemption wins, and a refresh token or code presented twice
//! at once counts as a replay. Requests race through the real server's request pool.

use serde_json::Value;

use crate::helpers::{TestApp, create_user, pkce_pair, spawn_app};

pub(crate) async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A fresh authorization code (PKCE) and its verifier, for scope `openid offline_access`.
async fn code(app: &TestApp, email: &str) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let q = app
        .login_for_code(
            &app.browser(),
            email,
            &[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("scope", "openid offline_access"),
            ],
        )
        .await;
    (q["code"].clone(), verifier)
}

#[tokio::test]
async fn a_code_redeemed_twice_at_once_is_issued_once() {
    let app = spawn_app().await;
    create_user(&app, "race@example.com", "Race");
    for _ in 0..3 {
        let (code, verifier) = code(&app, "race@example.com").await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("client_id", app.client_id.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let (a, b) = tokio::join!(token_request(&app, &form), token_request(&app, &form));
        let wins = [&a, &b].iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(wins, 1, "exactly one redemption succeeds: {a:?} {b:?}");
        let (_, lost) = if a.0 == 200 { &b } else { &a };
        assert_eq!(lost["error"], "invalid_grant");
        // The replay revoked what the winner got: its refresh token is dead.
        let (_, won) = if a.0 == 200 { &a } else { &b };
        let refresh = won["refresh_token"].as_str().expect("a refresh token");
        let (s, e) = token_request(
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", app.client_id.as_str()),
            ],
        )
        .await;
        assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    }
}

#[tokio::test]
async fn a_refresh_token_redeemed_twice_at_once_is_one_success_and_a_reuse_alarm() {
    let app = spawn_app().await;
    create_user(&app, "twice@example.com", "Twice");
    for _ in 0..3 {
        let (code, verifier) = code(&app, "twice@example.com").await;
        let tokens = crate::helpers::exchange_code(&app, &code, &verifier).await;
        let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", app.client_id.as_str()),
        ];
        let (a, b) = tokio::join!(token_request(&app, &form), token_request(&app, &form));
        let wins: Vec<&(u16, Value)> = [&a, &b].into_iter().filter(|(s, _)| *s == 200).collect();
        assert_eq!(wins.len(), 1, "exactly one refresh succeeds: {a:?} {b:?}");
        // The loser was a reuse: the family is revoked, so the winner's new token is dead too.
        let next = wins[0].1["refresh_token"].as_str().expect("rotated");
        let (s, e) = token_request(
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", next),
                ("client_id", app.client_id.as_str()),
            ],
        )
        .await;
        assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    }
    let reuse = crate::audit::wait_for(&app, "refresh_token_reuse", "family_revoked");
    assert_eq!(reuse["door"], "core");
}

#[tokio::test]
async fn failures_counted_at_the_same_time_are_all_counted() {
    let app = spawn_app().await;
    create_user(&app, "count@example.com", "Count");
    let attempts = 4;
    let mut racing = Vec::new();
    for _ in 0..attempts {
        let app_address = app.address.clone();
        let pool = app.pool_id.clone();
        racing.push(tokio::spawn(async move {
            let browser = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let url = format!("{app_address}/{pool}/login");
            let html = browser
                .get(&url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = crate::helpers::hidden_field(&html, "csrf_token").expect("csrf");
            browser
                .post(&url)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("username", "count@example.com"),
                    ("password", "not the password"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for r in racing {
        assert_eq!(r.await.unwrap(), 401);
    }
    let (pool, subject) = (app.pool_id.clone(), "count@example.com".to_string());
    let counted = app
        .state
        .store
        .read_sync(move |db| incognito::store::throttle::get(db, &pool, &subject))
        .unwrap()
        .map(|(failures, _)| failures);
    assert_eq!(counted, Some(attempts));
    // And the right password still works (four failures are below the lock-out).
    let (code, _) = code(&app, "count@example.com").await;
    assert!(!code.is_empty());
}
