//! Federation's browser flow against a stand-in upstream (`fake_idp`): the sign-in page's
//! button and `identity_provider=` go upstream, the callback makes the federated user as
//! Cognito does, and the relying party gets Cognito-shaped tokens; every bad upstream answer
//! ends at the relying party as an error, with nobody created.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fake_idp::FakeIdp;
use crate::helpers::{
    TestApp, exchange_code, jwt_claims, location, pkce_pair, query_of, spawn_app_with,
};

/// Adds an identity provider to the default pool and offers it on the default client.
pub(crate) fn add_provider(
    app: &TestApp,
    name: &str,
    kind: &str,
    details: &[(&str, &str)],
    mapping: &[(&str, &str)],
) {
    let (pool_id, client_id) = (app.pool_id.clone(), app.client_id.clone());
    let input = incognito::federation::providers::ProviderInput {
        name: name.into(),
        provider_type: kind.into(),
        details: details
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        attribute_mapping: mapping
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        idp_identifiers: vec![format!("{}.example.com", name.to_lowercase())],
    };
    let name = name.to_string();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<()> {
            incognito::federation::providers::create(db, &app.state.sealer, &pool_id, input, 0)?;
            let pool = incognito::store::pools::get(db, &pool_id)?.expect("pool");
            let mut client =
                incognito::store::clients::get(db, &pool_id, &client_id)?.expect("client");
            let list = &mut client.settings.supported_identity_providers;
            if list.is_empty() {
                list.push("COGNITO".into());
            }
            list.push(name);
            incognito::pools::service::update_client(db, &pool, &client)
        })
        .unwrap();
}

fn oidc_details(idp: &FakeIdp) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", idp.client_id.clone()),
        ("client_secret", idp.client_secret.clone()),
        ("oidc_issuer", idp.url.clone()),
        ("authorize_scopes", "openid email profile".into()),
    ]
}

fn add_oidc(app: &TestApp, idp: &FakeIdp) {
    let details = oidc_details(idp);
    let d: Vec<(&str, &str)> = details.iter().map(|(k, v)| (*k, v.as_str())).collect();
    add_provider(
        app,
        "Corp",
        "OIDC",
        &d,
        &[
            ("email", "email"),
            ("name", "name"),
            ("email_verified", "email_verified"),
            ("locale", "locale"),
        ],
    );
}

/// Follows redirects from `url` (on the app, the upstream, and back) until the relying
/// party's redirect URI; returns its query.
async fn follow(app: &TestApp, browser: &reqwest::Client, url: &str) -> BTreeMap<String, String> {
    let mut url = url.to_string();
    for _ in 0..10 {
        let absolute = if url.starts_with('/') {
            format!("{}{}", app.address, url)
        } else {
            url.clone()
        };
        if absolute.starts_with(&app.redirect_uri) {
            return query_of(&absolute).into_iter().collect();
        }
        let r = browser.get(&absolute).send().await.unwrap();
        let status = r.status().as_u16();
        assert!(
            (300..400).contains(&status),
            "{absolute} answered {status}: {}",
            r.text().await.unwrap_or_default()
        );
        url = location(&r);
    }
    panic!("too many redirects");
}

/// `/oauth2/authorize` with PKCE and `extra`; the verifier.
pub(crate) fn authorize(app: &TestApp, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let mut params = vec![
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "rp-state"),
        ("scope", "openid email profile"),
    ];
    params.extend_from_slice(extra);
    (app.authorize_url(&params), verifier)
}

async fn sign_in_upstream(app: &TestApp, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let (url, verifier) = authorize(app, extra);
    let mut answer = follow(app, &app.browser(), &url).await;
    answer.insert("verifier".into(), verifier);
    answer
}

pub(crate) fn user_count(app: &TestApp) -> i64 {
    let pool_id = app.pool_id.clone();
    app.state
        .store
        .read_sync(move |db| incognito::store::users::count(db, &pool_id))
        .unwrap()
}

#[tokio::test]
async fn an_oidc_upstream_signs_in_from_the_button_and_from_identity_provider() {
    let idp = FakeIdp::start(
        json!({"sub": "u-1", "email": "fed@example.com", "email_verified": true, "name": "Fed One", "locale": "en"}),
    );
    let app = spawn_app_with(|_| {}).await;
    add_oidc(&app, &idp);

    // The sign-in page offers the provider; its button goes upstream and back.
    let browser = app.browser();
    let (url, verifier) = authorize(&app, &[]);
    let r = browser.get(&url).send().await.unwrap();
    let login = location(&r);
    let html = browser
        .get(format!("{}{login}", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let href = html
        .split("id=\"idp-Corp\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a Corp button")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let answer = follow(&app, &browser, &href).await;
    assert_eq!(answer.get("state").map(String::as_str), Some("rp-state"));
    let tokens = exchange_code(&app, &answer["code"], &verifier).await;
    let id = jwt_claims(tokens["id_token"].as_str().expect("an id_token"));
    assert_eq!(id["cognito:username"], "Corp_u-1");
    assert_eq!(id["email"], "fed@example.com");
    assert_eq!(id["name"], "Fed One");
    assert_eq!(id["iss"], app.issuer());
    assert_eq!(id["identities"][0]["providerName"], "Corp");
    assert_eq!(id["identities"][0]["providerType"], "OIDC");
    assert_eq!(id["identities"][0]["userId"], "u-1");
    assert_eq!(id["identities"][0]["primary"], "true");
    let group = format!("{}_Corp", app.pool_id);
    assert_eq!(id["cognito:groups"], json!([group]));
    let sub = id["sub"].as_str().unwrap().to_string();

    // identity_provider= goes straight upstream; a changed upstream name is applied, the
    // user (and sub) stay the same.
    idp.person.lock().unwrap()["name"] = json!("Fed Renamed");
    let answer = sign_in_upstream(&app, &[("identity_provider", "Corp")]).await;
    let tokens = exchange_code(&app, &answer["code"], &answer["verifier"]).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], sub.as_str());
    assert_eq!(id["name"], "Fed Renamed");
    assert_eq!(user_count(&app), 1);
    // idp_identifier routes too.
    let answer = sign_in_upstream(&app, &[("idp_identifier", "corp.example.com")]).await;
    assert!(answer.contains_key("code"), "{answer:?}");
    // Client authentication at the token endpoint worked every time.
    assert_eq!(*idp.authenticated_token_requests.lock().unwrap(), 3);

    // The user is Cognito's federated user: EXTERNAL_PROVIDER, no password sign-in.
    let key = crate::cognito::admin_key(&app);
    let (s, v) = crate::cognito::admin_api(
        &app,
        &key,
        "AdminGetUser",
        json!({"UserPoolId": app.pool_id, "Username": "Corp_u-1"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["UserStatus"], "EXTERNAL_PROVIDER");

    // The monthly-active-users count calls them federated, and /metrics counts the exchanges.
    crate::audit::wait_for(&app, "sign_in", "success");
    let now = app.state.now();
    let active = app
        .state
        .store
        .read_sync(move |db| incognito::audit::active_users_this_month(db, now))
        .unwrap();
    let ours = active.iter().find(|(p, _, _)| *p == app.pool_id).unwrap();
    assert_eq!((ours.1, ours.2), (0, 1), "local, federated");
    let metrics = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("incognito_upstream_idp_calls_total{")
                && l.contains("provider_type=\"OIDC\"")
                && l.contains("outcome=\"success\"")),
        "{metrics}"
    );
}

/// Turns on one misbehaviour of the stand-in.
type Misbehave = fn(&mut crate::fake_idp::Behaviour);

#[tokio::test]
async fn bad_upstream_answers_reach_the_relying_party_and_create_nobody() {
    let idp = FakeIdp::start(
        json!({"sub": "u-2", "email": "bad@example.com", "name": "Bad", "locale": "en"}),
    );
    let app = spawn_app_with(|_| {}).await;
    add_oidc(&app, &idp);
    let cases: Vec<(&str, Misbehave, &str)> = vec![
        ("deny", |b| b.deny = true, "access_denied"),
        ("wrong nonce", |b| b.wrong_nonce = true, "access_denied"),
        (
            "wrong audience",
            |b| b.wrong_audience = true,
            "access_denied",
        ),
        ("wrong issuer", |b| b.wrong_issuer = true, "access_denied"),
        ("foreign key", |b| b.foreign_key = true, "access_denied"),
        ("alg none", |b| b.alg_none = true, "access_denied"),
        ("expired", |b| b.expired = true, "access_denied"),
        (
            "userinfo for someone else",
            |b| b.userinfo_other_subject = true,
            "access_denied",
        ),
    ];
    for (what, set, error) in cases {
        idp.set(set);
        let answer = sign_in_upstream(&app, &[("identity_provider", "Corp")]).await;
        assert_eq!(
            answer.get("error").map(String::as_str),
            Some(error),
            "{what}: {answer:?}"
        );
        assert!(
            answer
                .get("error_description")
                .is_some_and(|d| !d.is_empty()),
            "{what}"
        );
        assert_eq!(
            answer.get("state").map(String::as_str),
            Some("rp-state"),
            "{what}"
        );
        assert!(!answer.contains_key("code"), "{what}");
        assert_eq!(user_count(&app), 0, "{what}: nobody is created");
    }

    // A replayed callback: the state is used up, nothing is issued the second time.
    idp.set(|_| {});
    let (url, _) = authorize(&app, &[("identity_provider", "Corp")]);
    let browser = app.browser();
    let mut next = url;
    let mut callback = String::new();
    for _ in 0..6 {
        let absolute = if next.starts_with('/') {
            format!("{}{}", app.address, next)
        } else {
            next.clone()
        };
        if absolute.contains("/oauth2/idpresponse") {
            callback = absolute.clone();
        }
        if absolute.starts_with(&app.redirect_uri) {
            break;
        }
        next = location(&browser.get(&absolute).send().await.unwrap());
    }
    assert!(!callback.is_empty());
    let again = browser.get(&callback).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 400);
    // A forged state leads nowhere either.
    let forged = browser
        .get(app.url("/oauth2/idpresponse?code=x&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 400);

    // An upstream that is down: the relying party hears it, nobody is created.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    add_provider(
        &app,
        "Down",
        "OIDC",
        &[
            ("client_id", "c"),
            ("oidc_issuer", &down),
            ("authorize_scopes", "openid"),
        ],
        &[],
    );
    let answer = sign_in_upstream(&app, &[("identity_provider", "Down")]).await;
    assert_eq!(
        answer.get("error").map(String::as_str),
        Some("temporarily_unavailable"),
        "{answer:?}"
    );
    // A provider the client does not offer.
    let answer = sign_in_upstream(&app, &[("identity_provider", "Nope")]).await;
    assert_eq!(
        answer.get("error").map(String::as_str),
        Some("invalid_request"),
        "{answer:?}"
    );
    assert_eq!(user_count(&app), 1, "only the replay test's user");
}

#[tokio::test]
async fn social_presets_with_their_quirks() {
    let idp = FakeIdp::start(json!({}));
    let base = idp.url.clone();
    let app = spawn_app_with(|c| {
        c.google_endpoint = Some(base.clone());
        c.facebook_endpoint = Some(base.clone());
        c.amazon_endpoint = Some(base.clone());
        c.apple_endpoint = Some(base.clone());
    })
    .await;
    let secret = [
        ("client_id", idp.client_id.as_str()),
        ("client_secret", idp.client_secret.as_str()),
    ];
    add_provider(
        &app,
        "Google",
        "Google",
        &[
            secret[0],
            secret[1],
            ("authorize_scopes", "openid email profile"),
        ],
        &[("email", "email"), ("name", "name"), ("locale", "locale")],
    );
    add_provider(
        &app,
        "Facebook",
        "Facebook",
        &[
            secret[0],
            secret[1],
            ("authorize_scopes", "public_profile,email"),
        ],
        &[("email", "email"), ("name", "name"), ("locale", "locale")],
    );
    add_provider(
        &app,
        "LoginWithAmazon",
        "LoginWithAmazon",
        &[secret[0], secret[1], ("authorize_scopes", "profile")],
        &[("email", "email"), ("name", "name"), ("locale", "locale")],
    );
    add_provider(
        &app,
        "SignInWithApple",
        "SignInWithApple",
        &[
            ("client_id", idp.client_id.as_str()),
            ("team_id", "TEAM123"),
            ("key_id", "KEY123"),
            ("private_key", idp.apple_private_key.as_str()),
            ("authorize_scopes", "name email"),
        ],
        &[("email", "email"), ("name", "name"), ("locale", "locale")],
    );

    let people: [(&str, Value, &str); 3] = [
        (
            "Google",
            json!({"sub": "g-1", "email": "g@example.com", "name": "Gee", "locale": "en"}),
            "Google_g-1",
        ),
        (
            "Facebook",
            json!({"id": "1234567", "email": "f@example.com", "name": "Eff", "locale": "en"}),
            "Facebook_1234567",
        ),
        (
            "LoginWithAmazon",
            json!({"user_id": "amzn1.account.X", "email": "a@example.com", "name": "Ay", "locale": "en"}),
            "LoginWithAmazon_amzn1.account.X",
        ),
    ];
    for (provider, person, username) in people {
        *idp.person.lock().unwrap() = person.clone();
        let answer = sign_in_upstream(&app, &[("identity_provider", provider)]).await;
        assert!(answer.contains_key("code"), "{provider}: {answer:?}");
        let tokens = exchange_code(&app, &answer["code"], &answer["verifier"]).await;
        let id = jwt_claims(
            tokens["id_token"]
                .as_str()
                .unwrap_or_else(|| panic!("{provider}: {answer:?} {tokens}")),
        );
        assert_eq!(id["cognito:username"], username, "{provider}");
        assert_eq!(id["email"], person["email"], "{provider}");
        assert_eq!(id["name"], person["name"], "{provider}");
        assert_eq!(id["identities"][0]["providerType"], provider, "{provider}");
    }

    // Apple: form_post back with the one-time `user` JSON; the client secret is an ES256 JWT.
    *idp.person.lock().unwrap() =
        json!({"sub": "apple-1", "email": "ap@example.com", "locale": "en"});
    let (url, verifier) = authorize(&app, &[("identity_provider", "SignInWithApple")]);
    let browser = app.browser();
    let r = browser.get(&url).send().await.unwrap();
    let r = browser
        .get(format!("{}{}", app.address, location(&r)))
        .send()
        .await
        .unwrap();
    let upstream = location(&r);
    assert!(upstream.contains("response_mode=form_post"), "{upstream}");
    let answer: Value = browser
        .get(&upstream)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user =
        json!({"name": {"firstName": "Ada", "lastName": "Apple"}, "email": "ap@example.com"})
            .to_string();
    let posted = browser
        .post(answer["redirect_uri"].as_str().unwrap())
        .form(&[
            ("code", answer["code"].as_str().unwrap()),
            ("state", answer["state"].as_str().unwrap()),
            ("user", user.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let back = location(&posted);
    assert!(back.starts_with(&app.redirect_uri), "{back}");
    let q = query_of(&back);
    let tokens = exchange_code(&app, &q["code"], &verifier).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], "SignInWithApple_apple-1");
    assert_eq!(id["name"], "Ada Apple");
    assert_eq!(*idp.authenticated_token_requests.lock().unwrap(), 4);
}

#[tokio::test]
async fn linking_is_explicit_and_a_linked_sign_in_yields_the_destination_user() {
    let idp = FakeIdp::start(
        json!({"sub": "up-9", "email": "other@example.com", "name": "Upstream Name", "locale": "en"}),
    );
    let app = spawn_app_with(|_| {}).await;
    add_oidc(&app, &idp);
    let key = crate::cognito::admin_key(&app);
    let ann = crate::helpers::create_user(&app, "ann@example.com", "Ann");
    let link = |subject: &str| {
        json!({
            "UserPoolId": app.pool_id,
            "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "ann@example.com"},
            "SourceUser": {"ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": subject},
        })
    };
    let (s, v) =
        crate::cognito::admin_api(&app, &key, "AdminLinkProviderForUser", link("up-9")).await;
    assert_eq!(s, 200, "{v}");

    // Signing in with the linked identity is Ann: her sub, her e-mail (verified, kept).
    let answer = sign_in_upstream(&app, &[("identity_provider", "Corp")]).await;
    let tokens = exchange_code(&app, &answer["code"], &answer["verifier"]).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], ann.as_str());
    assert_eq!(id["email"], "ann@example.com");
    assert_eq!(id["identities"][0]["providerName"], "Corp");
    assert_eq!(id["identities"][0]["primary"], "false");
    assert_eq!(user_count(&app), 1);

    // Refused as at Cognito: the same identity twice, a sixth identity, an unknown
    // destination or provider.
    let refused = async |body: Value, expected: &str| {
        let (s, v) = crate::cognito::admin_api(&app, &key, "AdminLinkProviderForUser", body).await;
        assert_eq!((s, v["__type"].as_str()), (400, Some(expected)), "{v}");
    };
    refused(link("up-9"), "InvalidParameterException").await;
    for n in 1..=4 {
        let body = link(&format!("extra-{n}"));
        let (s, v) = crate::cognito::admin_api(&app, &key, "AdminLinkProviderForUser", body).await;
        assert_eq!(s, 200, "{v}");
    }
    refused(link("extra-5"), "LimitExceededException").await;
    let mut bad = link("x");
    bad["DestinationUser"]["ProviderAttributeValue"] = json!("nobody@example.com");
    refused(bad, "UserNotFoundException").await;
    let mut bad = link("x");
    bad["SourceUser"]["ProviderName"] = json!("Nope");
    refused(bad, "ResourceNotFoundException").await;

    // Unlinked: the next sign-in with that identity makes a federated user of its own.
    let (s, v) = crate::cognito::admin_api(
        &app,
        &key,
        "AdminDisableProviderForUser",
        json!({"UserPoolId": app.pool_id, "User": {"ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "up-9"}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let answer = sign_in_upstream(&app, &[("identity_provider", "Corp")]).await;
    let tokens = exchange_code(&app, &answer["code"], &answer["verifier"]).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_ne!(id["sub"], ann.as_str());
    assert_eq!(id["cognito:username"], "Corp_up-9");
    assert_eq!(user_count(&app), 2);
}

#[tokio::test]
async fn chromium_signs_in_with_the_providers_button() {
    if !crate::browser::have_chromium("federation::chromium_signs_in_with_the_providers_button") {
        return;
    }
    let idp = FakeIdp::start(
        json!({"sub": "web-1", "email": "web-fed@example.com", "name": "Web Fed", "locale": "en"}),
    );
    let app = spawn_app_with(|_| {}).await;
    add_oidc(&app, &idp);
    let callback = format!("{}/callback", crate::helpers::callback_listener());
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![callback.clone()],
        supported_identity_providers: vec!["COGNITO".into(), "Corp".into()],
        ..Default::default()
    };
    let (client_id, _) = crate::helpers::create_client(&app, settings, false);
    let (_, challenge) = pkce_pair();
    let mut url = url::Url::parse(&app.url("/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("state", "browser-state")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let driver = crate::browser::start_driver().await;
    let c = crate::browser::chromium_with(&driver, &[]).await;
    c.goto(url.as_str()).await.unwrap();
    c.find(fantoccini::Locator::Css("#idp-Corp"))
        .await
        .expect("the Corp button")
        .click()
        .await
        .unwrap();
    let mut landed = String::new();
    for _ in 0..200 {
        landed = c.current_url().await.unwrap().to_string();
        if landed.starts_with(&callback) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        landed.starts_with(&callback),
        "landed on {landed}: {}",
        c.source().await.unwrap_or_default()
    );
    let q = query_of(&landed);
    assert_eq!(q["state"], "browser-state");
    assert!(!q["code"].is_empty());
    assert_eq!(user_count(&app), 1);
    c.close().await.unwrap();
}

#[tokio::test]
async fn abandoned_upstream_sign_ins_are_purged() {
    let idp = FakeIdp::start(json!({"sub": "gone"}));
    let app = spawn_app_with(|_| {}).await;
    add_oidc(&app, &idp);
    let browser = app.browser();
    let (url, _) = authorize(&app, &[("identity_provider", "Corp")]);
    let start = location(&browser.get(&url).send().await.unwrap());
    let upstream = location(
        &browser
            .get(format!("{}{start}", app.address))
            .send()
            .await
            .unwrap(),
    );
    assert!(upstream.starts_with(&idp.url), "{upstream}");
    let count = |app: &TestApp| {
        app.state
            .store
            .read_sync(|db| {
                db.query_one("SELECT count(*) FROM federation_states", &[], |r| {
                    r.get::<i64>(0)
                })
            })
            .unwrap()
    };
    assert_eq!(count(&app), 1);
    let later = app.state.now() + incognito::federation::pending::TTL_SECS + 1;
    app.state
        .store
        .write_sync(|db| incognito::jobs::purge(db, later))
        .unwrap();
    assert_eq!(count(&app), 0);
}

#[tokio::test]
async fn link_by_verified_email_needs_the_accounts_password_once() {
    let idp = FakeIdp::start(
        json!({"sub": "ann-up", "email": "ann@example.com", "email_verified": true, "name": "Ann Upstream", "locale": "en"}),
    );
    let app = spawn_app_with(|_| {}).await;
    let details = oidc_details(&idp);
    let mut d: Vec<(&str, &str)> = details.iter().map(|(k, v)| (*k, v.as_str())).collect();
    d.push(("link_by_verified_email", "true"));
    add_provider(
        &app,
        "Corp",
        "OIDC",
        &d,
        &[
            ("email", "email"),
            ("email_verified", "email_verified"),
            ("name", "name"),
            ("locale", "locale"),
        ],
    );
    let ann = crate::helpers::create_user(&app, "ann@example.com", "Ann");

    // The first sign-in stops at the proof page; a wrong password links nothing and ends it.
    let browser = app.browser();
    let link_page = async |browser: &reqwest::Client| -> (String, String, String) {
        let (url, verifier) = authorize(&app, &[("identity_provider", "Corp")]);
        let mut next = url;
        for _ in 0..6 {
            let absolute = if next.starts_with('/') {
                format!("{}{}", app.address, next)
            } else {
                next.clone()
            };
            if absolute.contains("/login/link") {
                let html = browser
                    .get(&absolute)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                return (absolute, html, verifier);
            }
            next = location(&browser.get(&absolute).send().await.unwrap());
        }
        panic!("no link page");
    };
    let (page_url, html, _) = link_page(&browser).await;
    assert!(
        html.contains("a***@e***") && html.contains("Corp"),
        "{html}"
    );
    let csrf = crate::helpers::hidden_field(&html, "csrf_token").unwrap();
    let r = browser
        .post(&page_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let again = browser
        .post(&page_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", crate::helpers::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 400, "the request was used up");
    assert_eq!(user_count(&app), 1);

    // With the right password: linked, and the sign-in is Ann's.
    let (page_url, html, verifier) = link_page(&browser).await;
    let csrf = crate::helpers::hidden_field(&html, "csrf_token").unwrap();
    let r = browser
        .post(&page_url)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", crate::helpers::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert!(back.starts_with(&app.redirect_uri), "{back}");
    let tokens = exchange_code(&app, &query_of(&back)["code"], &verifier).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], ann.as_str());
    assert_eq!(id["identities"][0]["providerName"], "Corp");
    // The next sign-in with Corp goes straight to Ann.
    let answer = sign_in_upstream(&app, &[("identity_provider", "Corp")]).await;
    let tokens = exchange_code(&app, &answer["code"], &answer["verifier"]).await;
    assert_eq!(
        jwt_claims(tokens["id_token"].as_str().unwrap())["sub"],
        ann.as_str()
    );
    assert_eq!(user_count(&app), 1);
}
