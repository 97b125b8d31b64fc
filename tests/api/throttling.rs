//! Throttling of secret guessing: client secrets per (client, address) at the token endpoint,
//! and failed sign-ins per address (password spraying) at the hosted form and the Cognito
//! API. A fixed clock moves only when told, so the windows are exact.

use serde_json::json;

use crate::cognito::api_raw;
use crate::helpers::*;

/// Behind a trusted proxy (127.0.0.1, the test client), `X-Forwarded-For` names the caller.
fn behind_proxy(c: &mut incognito::config::Config) {
    c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}

async fn token_request(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    from: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")]);
    if let Some(ip) = from {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn secret_guessing_does_not_lock_out_the_genuine_client() {
    let clock = fixed_clock();
    let app = spawn_app_with_clock(clock.clone(), behind_proxy).await;
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![],
        flows: vec![incognito::pools::OAuthFlow::ClientCredentials],
        scopes: vec!["api/read".into()],
        ..Default::default()
    };
    let (client_id, secret) = create_client(&app, settings, true);
    let secret = secret.unwrap();
    let attacker = Some("203.0.113.9");
    for _ in 0..incognito::oidc::client_auth::MAX_FAILURES {
        let r = token_request(&app, &client_id, "guess", attacker).await;
        assert_eq!(r.status(), 401);
    }
    // The guessing address is slowed down, even with the right secret.
    let r = token_request(&app, &client_id, &secret, attacker).await;
    assert_eq!(r.status(), 429);
    let retry: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=incognito::oidc::client_auth::WINDOW_SECS).contains(&retry),
        "{retry}"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    // The genuine client, from its own address (or straight, not through the proxy), is
    // never locked out.
    for from in [Some("198.51.100.7"), None] {
        let r = token_request(&app, &client_id, &secret, from).await;
        assert_eq!(r.status(), 200, "from {from:?}");
    }
    // Once the window has passed, the guessing address may try again.
    clock.advance(incognito::oidc::client_auth::WINDOW_SECS);
    let r = token_request(&app, &client_id, &secret, attacker).await;
    assert_eq!(r.status(), 200);
}

/// Spraying: one address tries many user names. The default limit is 20 failures per 5
/// minutes per address; the 21st attempt is 429 with `Retry-After`, on the form and as
/// `TooManyRequestsException` on the Cognito API; other addresses are unaffected.
#[tokio::test]
async fn password_spraying_from_one_address_is_throttled() {
    let clock = fixed_clock();
    let app = spawn_app_with_clock(clock.clone(), behind_proxy).await;
    create_user(&app, "victim@example.com", "Victim");
    let config = &app.state.config;
    assert_eq!(config.address_failure_limit, 20, "the default limit");
    assert_eq!(
        config.address_failure_window_secs, 300,
        "the default window"
    );
    let sprayer = "203.0.113.50";
    let attempt = |user: String, password: &'static str, ip: &'static str| {
        let app = &app;
        async move { sign_in_from(app, &user, password, Some(ip)).await }
    };
    // A success does not count towards the limit.
    let r = attempt("victim@example.com".into(), PASSWORD, sprayer).await;
    assert_eq!(r.status(), 303);
    for i in 0..20 {
        let r = attempt(format!("user{i}@example.com"), "Spring2026!", sprayer).await;
        assert_eq!(r.status(), 401, "failure {i} is an ordinary failure");
    }
    let r = attempt("user99@example.com".into(), "Spring2026!", sprayer).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "300");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Even a right password from the spraying address waits (it is not checked at all).
    let r = attempt("victim@example.com".into(), PASSWORD, sprayer).await;
    assert_eq!(r.status(), 429);
    // The Cognito API refuses the address the same way.
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec!["ALLOW_USER_PASSWORD_AUTH".into()],
        ..Default::default()
    };
    let (client, _) = create_client(&app, settings, false);
    let body = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
        "AuthParameters": {"USERNAME": "victim@example.com", "PASSWORD": PASSWORD}})
    .to_string();
    let (status, e, _) = api_raw(
        &app,
        "InitiateAuth",
        body.clone(),
        &[("x-forwarded-for", sprayer)],
    )
    .await;
    assert_eq!(
        (status, e["__type"].as_str()),
        (400, Some("TooManyRequestsException")),
        "{e}"
    );
    // Another address signs in normally.
    let r = attempt("victim@example.com".into(), PASSWORD, "198.51.100.8").await;
    assert_eq!(r.status(), 303);
    let (status, r, _) = api_raw(
        &app,
        "InitiateAuth",
        body,
        &[("x-forwarded-for", "198.51.100.8")],
    )
    .await;
    assert_eq!(status, 200, "{r}");
    // After the window the address may try again.
    clock.advance(300);
    let r = attempt("victim@example.com".into(), PASSWORD, sprayer).await;
    assert_eq!(r.status(), 303);
}

/// `X-Forwarded-For` is believed only from `trusted_proxies`: without them, a sprayer that
/// varies the header is still one address.
#[tokio::test]
async fn forwarded_addresses_are_ignored_from_untrusted_peers() {
    let app = spawn_app_with(|c| {
        c.address_failure_limit = 3;
    })
    .await;
    create_user(&app, "vic@example.com", "Vic");
    for i in 0..4 {
        let ip = format!("198.51.100.{i}");
        let r = sign_in_from(
            &app,
            &format!("u{i}@example.com"),
            "wrong password",
            Some(&ip),
        )
        .await;
        let expected = if i < 3 { 401 } else { 429 };
        assert_eq!(r.status(), expected, "attempt {i}");
    }
}

/// One sign-in on the hosted form from a fresh browser with its own authorization request,
/// optionally through the proxy on behalf of `ip`.
async fn sign_in_from(
    app: &TestApp,
    user: &str,
    password: &str,
    ip: Option<&str>,
) -> reqwest::Response {
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    let url = format!("{}{}", app.address, login);
    let with_ip = |req: reqwest::RequestBuilder| match ip {
        Some(ip) => req.header("x-forwarded-for", ip),
        None => req,
    };
    let page = with_ip(browser.get(&url)).send().await.unwrap();
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf_token").expect("csrf token");
    with_ip(browser.post(&url))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}
