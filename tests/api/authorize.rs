//! The authorization endpoint and the hosted sign-in, driven like a browser (cookie jar, forms).

use crate::helpers::*;

#[tokio::test]
async fn code_flow_login_then_single_sign_on_then_logout() {
    let app = spawn_app().await;
    create_user(&app, "alice@example.com", "Alice");
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let extra = [
        ("scope", "openid email"),
        ("state", "s1"),
        ("nonce", "n1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];

    let r = browser.get(app.authorize_url(&extra)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let login = location(&r);
    assert!(
        login.starts_with(&format!("/{}/login?request=", app.pool_id)),
        "{login}"
    );
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "no CORS on authorize"
    );

    let r = app
        .submit_login(&browser, &login, "alice@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let set_cookie: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session_cookie = set_cookie
        .iter()
        .find(|c| c.starts_with("incognito_session_"))
        .expect("session cookie");
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"),
        "{session_cookie}"
    );
    let q = query_of(&location(&r));
    assert_eq!(q["state"], "s1");
    assert_eq!(q["iss"], app.issuer());
    assert!(q["code"].len() >= 43, "code has ≥ 256 bits");

    // Within the session a second authorize needs no password.
    let r = browser.get(app.authorize_url(&extra)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let q2 = query_of(&location(&r));
    assert_ne!(q2["code"], q["code"], "a fresh code every time");
    assert_eq!(q2["iss"], app.issuer());

    // prompt=login forces the password again.
    let mut forced = extra.to_vec();
    forced.push(("prompt", "login"));
    let r = browser
        .get(app.authorize_url(&forced))
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("/login?request="));

    // Logout ends the session: the next authorize asks for the password.
    let r = browser.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = browser.get(app.authorize_url(&extra)).send().await.unwrap();
    assert!(location(&r).contains("/login?request="), "session ended");
}

#[tokio::test]
async fn prompt_none_without_session_returns_login_required_to_the_client() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let r = app
        .browser()
        .get(app.authorize_url(&[
            ("prompt", "none"),
            ("state", "xyz"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let target = location(&r);
    assert!(target.starts_with(&app.redirect_uri));
    let q = query_of(&target);
    assert_eq!(q["error"], "login_required");
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["iss"], app.issuer());
}

#[tokio::test]
async fn unregistered_redirect_uris_get_an_error_page_and_no_redirect() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let registered = app.redirect_uri.clone();
    let variants = [
        format!("{registered}/"),
        format!("{registered}/extra"),
        format!("{registered}?a=b"),
        format!("{registered}#frag"),
        registered.replace("callback", "CALLBACK"),
        registered.replace("http://", "https://"),
        registered.replace("127.0.0.1", "127.0.0.1.evil.example"),
        registered.replace("http://", "http://user@"),
        registered.replace("/callback", "/%2e%2e/callback"),
        "https://evil.example/callback".to_string(),
    ];
    for uri in variants {
        let mut url = url::Url::parse(&app.url("/oauth2/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", &uri)
            .append_pair("response_type", "code")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let r = app.browser().get(url.as_str()).send().await.unwrap();
        assert_eq!(r.status(), 400, "{uri} is refused");
        assert!(
            r.headers().get("location").is_none(),
            "{uri} is not redirected to"
        );
        assert!(
            r.text().await.unwrap().contains("redirect"),
            "the page explains"
        );
    }
    // Unknown client: error page too.
    let r = app
        .browser()
        .get(app.url("/oauth2/authorize?client_id=nope&response_type=code"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn verified_client_errors_go_to_the_redirect_uri() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![
                ("code_challenge_method", "plain"),
                ("code_challenge", challenge.as_str()),
            ],
            "invalid_request",
        ),
        (vec![], "invalid_request"), // public client without PKCE
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("request", "eyJ.x.y")], "request_not_supported"),
        (
            vec![("request_uri", "https://x")],
            "request_uri_not_supported",
        ),
        (vec![("max_age", "-1")], "invalid_request"),
        (vec![("prompt", "none login")], "invalid_request"),
    ];
    for (params, expected) in cases {
        let mut url = url::Url::parse(&app.url("/oauth2/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", &app.redirect_uri)
            .append_pair("state", "st");
        if !params.iter().any(|(k, _)| *k == "response_type") {
            url.query_pairs_mut().append_pair("response_type", "code");
        }
        let needs_pkce =
            !params.is_empty() && !params.iter().any(|(k, _)| k.starts_with("code_challenge"));
        if needs_pkce {
            for (k, v) in pkce {
                url.query_pairs_mut().append_pair(k, v);
            }
        }
        for (k, v) in &params {
            url.query_pairs_mut().append_pair(k, v);
        }
        let r = app.browser().get(url.as_str()).send().await.unwrap();
        assert_eq!(r.status(), 302, "{params:?}");
        let q = query_of(&location(&r));
        assert_eq!(q["error"], expected, "{params:?}");
        assert_eq!(q["state"], "st");
        assert_eq!(q["iss"], app.issuer());
    }
    // A duplicated parameter is invalid_request; before the client is verified it is a page.
    let r = app
        .browser()
        .get(format!(
            "{}&client_id={}",
            app.authorize_url(&[]),
            app.client_id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = spawn_app().await;
    create_user(&app, "bob@example.com", "Bob");
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    let wrong = app
        .submit_login(&browser, &login, "bob@example.com", "not the password")
        .await;
    let (s1, b1) = (wrong.status(), wrong.text().await.unwrap());
    let unknown = app
        .submit_login(&browser, &login, "nobody@example.com", "not the password")
        .await;
    let (s2, b2) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(s1, 401);
    assert_eq!(s1, s2);
    assert!(b1.contains("Incorrect email or password."));
    assert!(b2.contains("Incorrect email or password."));
    // The right password still works afterwards (below the lock-out threshold).
    let ok = app
        .submit_login(&browser, &login, "bob@example.com", PASSWORD)
        .await;
    assert_eq!(ok.status(), 303);
}

#[tokio::test]
async fn repeated_failures_lock_the_login_name() {
    let app = spawn_app().await;
    create_user(&app, "carol@example.com", "Carol");
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    for _ in 0..5 {
        let r = app
            .submit_login(&browser, &login, "carol@example.com", "wrong password!")
            .await;
        assert_eq!(r.status(), 401);
    }
    // Now even the right password is refused until the lock-out passes.
    let r = app
        .submit_login(&browser, &login, "carol@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn a_successful_sign_in_clears_earlier_failures() {
    let app = spawn_app().await;
    create_user(&app, "erin@example.com", "Erin");
    // Each attempt from a fresh browser with its own authorization request.
    let attempt = |password: &'static str| {
        let app = &app;
        async move {
            let browser = app.browser();
            let login = app.login_path(&browser).await;
            app.submit_login(&browser, &login, "erin@example.com", password)
                .await
                .status()
        }
    };
    for _ in 0..4 {
        assert_eq!(attempt("wrong password!").await, 401);
    }
    assert_eq!(attempt(PASSWORD).await, 303);
    // Had the success not cleared them, these would make eight failures and a lock-out.
    for _ in 0..4 {
        assert_eq!(attempt("wrong password!").await, 401);
    }
    assert_eq!(
        attempt(PASSWORD).await,
        303,
        "four fresh failures do not lock"
    );
}

#[tokio::test]
async fn login_post_without_csrf_token_or_from_another_origin_is_refused() {
    let app = spawn_app().await;
    create_user(&app, "dave@example.com", "Dave");
    let browser = app.browser();
    let login = format!("{}{}", app.address, app.login_path(&browser).await);
    let html = browser
        .get(&login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let r = browser
        .post(&login)
        .form(&[("username", "dave@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = browser
        .post(&login)
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "dave@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A fresh browser (no CSRF cookie) replaying the token is refused.
    let r = app
        .browser()
        .post(&login)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "dave@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn form_post_response_mode_and_consent() {
    let app = spawn_app().await;
    create_user(&app, "erin@example.com", "Erin");
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let mut extra = pkce.to_vec();
    extra.extend([("response_mode", "form_post"), ("state", "fp")]);
    let r = browser.get(app.authorize_url(&extra)).send().await.unwrap();
    let r = app
        .submit_login(&browser, &location(&r), "erin@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "action=\"{}\"",
            app.redirect_uri.replace('/', "&#x2f;")
        )) || html.contains(&app.redirect_uri),
        "{html}"
    );
    assert!(hidden_field(&html, "code").is_some());
    assert_eq!(hidden_field(&html, "state").as_deref(), Some("fp"));

    // prompt=consent shows the consent page; deny sends access_denied.
    let mut extra = pkce.to_vec();
    extra.extend([
        ("prompt", "consent"),
        ("state", "c1"),
        ("scope", "openid email"),
    ]);
    let r = browser.get(app.authorize_url(&extra)).send().await.unwrap();
    let consent = location(&r);
    assert!(consent.contains("/consent?request="), "{consent}");
    let page = browser
        .get(format!("{}{}", app.address, consent))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("email"));
    let csrf = hidden_field(&page, "csrf_token").unwrap();
    let r = browser
        .post(format!("{}{}", app.address, consent))
        .form(&[("csrf_token", csrf.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(query_of(&location(&r))["error"], "access_denied");

    let r = browser.get(app.authorize_url(&extra)).send().await.unwrap();
    let consent = location(&r);
    let page = browser
        .get(format!("{}{}", app.address, consent))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf_token").unwrap();
    let r = browser
        .post(format!("{}{}", app.address, consent))
        .form(&[("csrf_token", csrf.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let q = query_of(&location(&r));
    assert!(q.contains_key("code"));
    assert_eq!(q["state"], "c1");
}

#[tokio::test]
async fn logout_redirects_only_to_registered_uris() {
    let app = spawn_app().await;
    let browser = app.browser();
    let r = browser
        .get(app.url(&format!(
            "/logout?client_id={}&logout_uri=http%3A%2F%2F127.0.0.1%3A8080%2F&state=bye",
            app.client_id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "http://127.0.0.1:8080/?state=bye");
    let r = browser
        .get(app.url(&format!(
            "/logout?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            app.client_id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let r = browser
        .get(app.url("/logout?post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "no client, no redirect");
    let r = browser
        .get(app.url("/logout?id_token_hint=not.a.token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn hosted_pages_carry_security_headers() {
    let app = spawn_app().await;
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    let r = browser
        .get(format!("{}{}", app.address, login))
        .send()
        .await
        .unwrap();
    let h = r.headers();
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("object-src 'none'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    let css = browser
        .get(format!("{}/static/style.css", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
