//! Adaptive (risk-based) sign-in (issue #16 point 2): each signal and each action, through
//! the Cognito API and the hosted sign-in page, with the real server and database.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, api, mailed_code};
use crate::helpers::{PASSWORD, TestApp, create_user, fixed_clock, spawn_app_with};

type Key = (String, String);

const GEOIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/geoip/GeoIP2-City-Test.mmdb"
);
const LONDON: &str = "81.2.69.142";
const MILTON_US: &str = "216.160.83.56";
const BLOCKED: &str = "203.0.113.5";

/// A server (on the system clock: the admin API's SigV4 allows 5 minutes of skew) whose block list holds 203.0.113.0/24, with the test GeoIP
/// database, and trusting 127.0.0.1 as a proxy (so hosted tests can name their address).
async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("block.txt");
    std::fs::write(&list, "# test\n203.0.113.0/24\n").unwrap();
    let app = spawn_app_with(|c| {
        c.risk_block_list = Some(list.clone());
        c.geoip_database = Some(GEOIP.into());
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    std::mem::forget(dir);
    app
}

/// Sets `UserPoolAddOns.AdvancedSecurityMode` (the pool's other settings kept).
pub(crate) fn set_mode(app: &TestApp, mode: &str) {
    let pool_id = app.pool_id.clone();
    let mode = mode.to_string();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<()> {
            let mut pool = incognito::store::pools::get(db, &pool_id)?.unwrap();
            pool.settings.recorded.user_pool_add_ons = Some(json!({"AdvancedSecurityMode": mode}));
            incognito::pools::service::update_pool(db, &mut pool, 1)
        })
        .unwrap();
    app.state.directory.invalidate();
}

async fn set_takeover(app: &TestApp, key: &Key, actions: Value) {
    let (s, v) = admin_api(
        app,
        key,
        "SetRiskConfiguration",
        json!({"UserPoolId": app.pool_id, "AccountTakeoverRiskConfiguration": {"Actions": actions}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

fn admin_client(app: &TestApp) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_ADMIN_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    crate::helpers::create_client(app, settings, false).0
}

/// A server whose pool is ENFORCED with the takeover `actions`, an admin key, a client for
/// the admin flow, and the user `email`.
async fn enforced(email: &str, actions: Value) -> (TestApp, Key, String) {
    let app = app().await;
    let key = admin_key(&app);
    let client = admin_client(&app);
    create_user(&app, email, "Test");
    set_mode(&app, "ENFORCED");
    set_takeover(&app, &key, actions).await;
    (app, key, client)
}

/// AdminInitiateAuth from `ip` (ContextData, trusted from this signed call) with `device`.
async fn sign_in_from(
    app: &TestApp,
    key: &Key,
    client: &str,
    user: &str,
    ip: &str,
    device: &str,
) -> (u16, Value) {
    admin_api(
        app,
        key,
        "AdminInitiateAuth",
        json!({"UserPoolId": app.pool_id, "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD, "DEVICE_KEY": device},
               "ContextData": {"IpAddress": ip, "ServerName": "app.example", "ServerPath": "/login",
                               "HttpHeaders": [{"headerName": "User-Agent", "headerValue": "TestBrowser/1"}]}}),
    )
    .await
}

/// The user's sign-in events once there are `n` (the audit writer is asynchronous, and it
/// is the event's writing that makes a successful sign-in's device and network known).
async fn events(app: &TestApp, key: &Key, user: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (s, v) = admin_api(
            app,
            key,
            "AdminListUserAuthEvents",
            json!({"UserPoolId": app.pool_id, "Username": user}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let list = v["AuthEvents"].as_array().unwrap().clone();
        if list.len() >= n || Instant::now() > deadline {
            assert_eq!(list.len(), n, "{v}");
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    std::fs::read_dir(app.data_path().join("outbox"))
        .map(|d| {
            d.flatten()
                .map(|e| {
                    std::fs::read_to_string(e.path())
                        .unwrap_or_default()
                        .replace("=\r\n", "")
                })
                .filter(|t| t.to_lowercase().contains(&format!("to: {to}")))
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_for_mail(app: &TestApp, to: &str, containing: &str) -> String {
    for _ in 0..100 {
        if let Some(m) = mails_to(app, to)
            .into_iter()
            .find(|m| m.contains(containing))
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} containing {containing:?}");
}

#[tokio::test]
async fn a_new_device_and_network_notify_the_user_and_a_known_one_does_not() {
    let (app, key, client) = enforced(
        "nina@example.com",
        json!({"LowAction": {"EventAction": "NO_ACTION", "Notify": true},
               "MediumAction": {"EventAction": "NO_ACTION", "Notify": true},
               "HighAction": {"EventAction": "NO_ACTION", "Notify": true}}),
    )
    .await;
    // The first sign-in is the baseline: no risk, no mail.
    let (s, v) = sign_in_from(
        &app,
        &key,
        &client,
        "nina@example.com",
        "198.51.100.10",
        "laptop",
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let first = events(&app, &key, "nina@example.com", 1).await;
    assert_eq!(first[0]["EventRisk"]["RiskDecision"], "NoRisk", "{first:?}");
    // The same device and network again: still no risk.
    sign_in_from(
        &app,
        &key,
        &client,
        "nina@example.com",
        "198.51.100.77",
        "laptop",
    )
    .await;
    let again = events(&app, &key, "nina@example.com", 2).await;
    assert_eq!(again[0]["EventRisk"]["RiskDecision"], "NoRisk", "{again:?}");
    assert!(mails_to(&app, "nina@example.com").is_empty());
    // A new device on a new network: Medium, the user is told, with a "this wasn't me" link.
    let (s, v) = sign_in_from(
        &app,
        &key,
        &client,
        "nina@example.com",
        "192.0.2.20",
        "phone",
    )
    .await;
    assert_eq!(s, 200, "NO_ACTION lets it through: {v}");
    let mail = wait_for_mail(&app, "nina@example.com", "192.0.2.20").await;
    assert!(mail.contains("/not-me?r="), "{mail}");
    assert!(
        mail.contains("TestBrowser/1"),
        "the device name is in the mail: {mail}"
    );
    let third = events(&app, &key, "nina@example.com", 3).await;
    assert_eq!(third[0]["EventRisk"]["RiskLevel"], "Medium", "{third:?}");
    assert_eq!(third[0]["EventRisk"]["RiskDecision"], "AccountTakeover");
    assert_eq!(third[0]["EventContextData"]["IpAddress"], "192.0.2.20");
    assert_eq!(third[0]["EventContextData"]["DeviceName"], "TestBrowser/1");
    // `incognito user events` shows the same level and decision.
    let args = [
        "user",
        "events",
        "--pool",
        &app.pool_id,
        "--user",
        "nina@example.com",
    ];
    let cli = crate::cli::ok_json(app.data_path(), &args);
    assert_eq!(cli[0]["event_id"], third[0]["EventId"]);
    assert_eq!(
        cli[0]["risk"],
        json!({"level": "Medium", "decision": "AccountTakeover", "action": "NO_ACTION",
               "signals": ["new_device", "new_network"]})
    );
    assert_eq!(cli[2]["risk"]["level"], Value::Null, "the baseline: {cli}");
    assert_eq!(cli[2]["risk"]["decision"], "NoRisk");
    let out = crate::cli::run(app.data_path(), &args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Medium/AccountTakeover"), "{text}");
    assert!(text.contains("None/NoRisk"), "{text}");
}

#[tokio::test]
async fn block_refuses_with_cognitos_error_and_the_hosted_page_says_why() {
    let (app, key, client) = enforced(
        "bo@example.com",
        json!({"HighAction": {"EventAction": "BLOCK", "Notify": false}}),
    )
    .await;
    // The block list alone is high risk, even for a first sign-in.
    let (s, v) = sign_in_from(&app, &key, &client, "bo@example.com", BLOCKED, "x").await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("NotAuthorizedException")),
        "{v}"
    );
    assert_eq!(v["message"], "Unable to login because of security reasons.");
    // A wrong password from there is answered as always (no hint that the password was right
    // is given to someone who does not have it), and an unknown user alike.
    let (_, wrong) = admin_api(&app, &key, "AdminInitiateAuth", json!({"UserPoolId": app.pool_id, "ClientId": client,
        "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "bo@example.com", "PASSWORD": "wrong password 1"},
        "ContextData": {"IpAddress": BLOCKED, "ServerName": "s", "ServerPath": "/", "HttpHeaders": []}})).await;
    assert_eq!(
        wrong["message"], "Incorrect username or password.",
        "{wrong}"
    );
    // Elsewhere the same user signs in.
    let (s, v) = sign_in_from(&app, &key, &client, "bo@example.com", "198.51.100.1", "x").await;
    assert_eq!(s, 200, "{v}");
    let list = events(&app, &key, "bo@example.com", 3).await;
    let blocked = list
        .iter()
        .find(|e| e["EventRisk"]["RiskDecision"] == "Block")
        .expect("recorded");
    assert_eq!(blocked["EventRisk"]["RiskLevel"], "High");
    assert_eq!(blocked["EventResponse"], "Fail");

    // The hosted page: a friendly refusal, no session.
    let browser = app.browser();
    let login = app.url("/login");
    let (_, _, csrf) = crate::helpers::get_form(&browser, &login).await;
    let r = browser
        .post(&login)
        .header("x-forwarded-for", BLOCKED)
        .form(&[
            ("username", "bo@example.com"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("stopped for your protection"), "{html}");
}

#[tokio::test]
async fn medium_risk_with_mfa_required_asks_for_the_email_code() {
    let (app, key, client) = enforced("mo@example.com", json!({"MediumAction": {"EventAction": "MFA_REQUIRED", "Notify": false},
                                    "HighAction": {"EventAction": "MFA_REQUIRED", "Notify": false}})).await;
    let (s, _) = sign_in_from(
        &app,
        &key,
        &client,
        "mo@example.com",
        "198.51.100.10",
        "laptop",
    )
    .await;
    assert_eq!(s, 200);
    events(&app, &key, "mo@example.com", 1).await;
    // New device, new network: a code by e-mail (the pool's MFA is OFF; the user has no app).
    let (s, challenge) =
        sign_in_from(&app, &key, &client, "mo@example.com", "192.0.2.1", "tablet").await;
    assert_eq!(s, 200, "{challenge}");
    assert_eq!(challenge["ChallengeName"], "EMAIL_OTP", "{challenge}");
    let code = mailed_code(&app, "mo@example.com").await;
    let (s, v) = admin_api(
        &app,
        &key,
        "AdminRespondToAuthChallenge",
        json!({"UserPoolId": app.pool_id, "ClientId": client,
        "ChallengeName": "EMAIL_OTP", "Session": challenge["Session"],
        "ChallengeResponses": {"USERNAME": "mo@example.com", "EMAIL_OTP_CODE": code}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["AuthenticationResult"]["AccessToken"].is_string(), "{v}");
    // Passing the code taught the device and network: the next sign-in from there is plain.
    events(&app, &key, "mo@example.com", 2).await;
    let (s, v) = sign_in_from(&app, &key, &client, "mo@example.com", "192.0.2.1", "tablet").await;
    assert_eq!(s, 200);
    assert!(v["AuthenticationResult"]["AccessToken"].is_string(), "{v}");
}

#[tokio::test]
async fn audit_mode_changes_nothing_but_records_and_off_scores_nothing() {
    let app = app().await;
    let key = admin_key(&app);
    let client = admin_client(&app);
    create_user(&app, "al@example.com", "Al");
    set_takeover(
        &app,
        &key,
        json!({"HighAction": {"EventAction": "BLOCK", "Notify": true}}),
    )
    .await;
    // OFF (the default): nothing is scored.
    let (s, _) = sign_in_from(&app, &key, &client, "al@example.com", BLOCKED, "x").await;
    assert_eq!(s, 200);
    let off = events(&app, &key, "al@example.com", 1).await;
    assert_eq!(off[0]["EventRisk"]["RiskDecision"], "NoRisk");
    // AUDIT: scored High and recorded, not blocked, nobody mailed.
    set_mode(&app, "AUDIT");
    let (s, v) = sign_in_from(&app, &key, &client, "al@example.com", BLOCKED, "x").await;
    assert_eq!(s, 200, "{v}");
    let audited = events(&app, &key, "al@example.com", 2).await;
    assert_eq!(audited[0]["EventRisk"]["RiskLevel"], "High", "{audited:?}");
    assert_eq!(audited[0]["EventRisk"]["RiskDecision"], "AccountTakeover");
    assert_eq!(audited[0]["EventResponse"], "Pass");
    assert!(mails_to(&app, "al@example.com").is_empty());
}

#[tokio::test]
async fn a_new_country_and_impossible_travel_come_from_the_geoip_database() {
    let app = app().await;
    let key = admin_key(&app);
    let client = admin_client(&app);
    create_user(&app, "gi@example.com", "Gi");
    set_mode(&app, "AUDIT");
    let (s, _) = sign_in_from(&app, &key, &client, "gi@example.com", LONDON, "d").await;
    assert_eq!(s, 200);
    let first = events(&app, &key, "gi@example.com", 1).await;
    assert_eq!(first[0]["EventContextData"]["Country"], "GB", "{first:?}");
    assert_eq!(first[0]["EventContextData"]["City"], "London");
    // Moments later from near Seattle: new country, new network, impossible travel
    // (`score::impossible_travel`'s unit test covers the possible journey).
    sign_in_from(&app, &key, &client, "gi@example.com", MILTON_US, "d").await;
    let second = events(&app, &key, "gi@example.com", 2).await;
    assert_eq!(second[0]["EventContextData"]["Country"], "US");
    assert_eq!(second[0]["EventRisk"]["RiskLevel"], "High", "{second:?}");
}

#[tokio::test]
async fn a_forged_device_cookie_is_a_new_device_never_an_error() {
    let app = app().await;
    let key = admin_key(&app);
    create_user(&app, "co@example.com", "Co");
    set_mode(&app, "AUDIT");
    let hosted = |browser: reqwest::Client, cookie: Option<&'static str>| {
        let login = app.url("/login");
        async move {
            let (_, _, csrf) = crate::helpers::get_form(&browser, &login).await;
            let mut req = browser.post(&login).form(&[
                ("username", "co@example.com"),
                ("password", PASSWORD),
                ("csrf_token", csrf.as_str()),
            ]);
            if let Some(c) = cookie {
                req = req.header(
                    "cookie",
                    format!("incognito_browser={c}; incognito_csrf={csrf}"),
                );
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    let browser = app.browser();
    assert_eq!(hosted(browser.clone(), None).await, 303);
    events(&app, &key, "co@example.com", 1).await;
    assert_eq!(hosted(browser.clone(), None).await, 303, "the same browser");
    let known = events(&app, &key, "co@example.com", 2).await;
    assert_eq!(known[0]["EventRisk"]["RiskDecision"], "NoRisk", "{known:?}");
    // Another browser presenting a made-up cookie: a new device (same network), still a 303.
    let forged = app.browser();
    assert_eq!(
        hosted(forged, Some("abcdef.0123456789abcdef0123456789abcdef")).await,
        303
    );
    let list = events(&app, &key, "co@example.com", 3).await;
    assert_eq!(list[0]["EventRisk"]["RiskLevel"], "Low", "{list:?}");
}

#[tokio::test]
async fn user_context_data_is_accepted_bounded_and_junk_is_ignored() {
    let app = app().await;
    let client = admin_client(&app);
    create_user(&app, "ucd@example.com", "U");
    set_mode(&app, "ENFORCED");
    let auth = |ucd: Value| {
        api(
            &app,
            "InitiateAuth",
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
            "AuthParameters": {"USERNAME": "ucd@example.com", "PASSWORD": PASSWORD}, "UserContextData": ucd}),
        )
    };
    let (s, v) = auth(json!({"EncodedData": "%%% not base64 %%%", "IpAddress": "not an ip"})).await;
    assert_eq!(s, 200, "malformed is ignored: {v}");
    let (s, v) = auth(json!({"EncodedData": "A".repeat(20_000)})).await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("InvalidParameterException")),
        "{v}"
    );
    // The other actions that take it accept it.
    let (s, v) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": client, "Username": "ucd@example.com",
        "UserContextData": {"EncodedData": "eyJ9"}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = api(
        &app,
        "ResendConfirmationCode",
        json!({"ClientId": client, "Username": "nobody@example.com",
        "UserContextData": {"EncodedData": "eyJ9"}}),
    )
    .await;
    assert!(s == 200 || v["__type"] != "InternalErrorException", "{v}");
}

#[tokio::test]
async fn corrupt_geoip_or_block_list_stop_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad_db = dir.path().join("bad.mmdb");
    std::fs::write(&bad_db, b"this is not a MaxMind database").unwrap();
    let mut config = crate::helpers::test_config(dir.path());
    config.geoip_database = Some(bad_db);
    let e = incognito::startup::Application::build(config, fixed_clock())
        .err()
        .expect("refused");
    assert!(e.to_string().contains("bad.mmdb"), "{e}");
    assert!(e.to_string().contains("MaxMind"), "{e}");

    let list = dir.path().join("block.txt");
    std::fs::write(&list, "10.0.0.0/8\nnot-a-cidr\n").unwrap();
    let mut config = crate::helpers::test_config(dir.path());
    config.risk_block_list = Some(list);
    let e = incognito::startup::Application::build(config, fixed_clock())
        .err()
        .expect("refused");
    assert!(e.to_string().contains("line 2"), "{e}");
}

/// The `r=…&x=…&t=…` query of the "this wasn't me" link in a mail (quoted-printable or not).
fn not_me_query(mail: &str) -> String {
    let mail = mail.replace("=3D", "=").replace("&amp;", "&");
    let start = mail.find("/not-me?").expect("a link") + "/not-me?".len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '=' || *c == '&')
        .collect()
}

#[tokio::test]
async fn the_mails_not_me_link_reports_the_sign_in_and_signs_out_everywhere_once() {
    let (app, key, client) = enforced(
        "nora@example.com",
        json!({"MediumAction": {"EventAction": "NO_ACTION", "Notify": true}}),
    )
    .await;
    let user = "nora@example.com";
    sign_in_from(&app, &key, &client, user, "198.51.100.10", "laptop").await;
    events(&app, &key, user, 1).await;
    let (s, v) = sign_in_from(&app, &key, &client, user, "192.0.2.20", "phone").await;
    assert_eq!(s, 200, "{v}");
    let refresh = v["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh_with = |token: String| {
        let client = client.clone();
        let app = &app;
        async move {
            crate::cognito::api(
                app,
                "InitiateAuth",
                json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client,
                       "AuthParameters": {"REFRESH_TOKEN": token}}),
            )
            .await
        }
    };
    let mail = wait_for_mail(&app, user, "192.0.2.20").await;
    let query = not_me_query(&mail);
    let link = app.url(&format!("/not-me?{query}"));
    let reported = events(&app, &key, user, 2).await;
    assert!(reported[0]["EventFeedback"].is_null(), "{reported:?}");

    // Opening the link changes nothing (mail scanners open links); the form is CSRF-protected.
    let browser = app.browser();
    let (status, html, csrf) = crate::helpers::get_form(&browser, &link).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Was this you?"), "{html}");
    assert_eq!(refresh_with(refresh.clone()).await.0, 200);
    let r = browser
        .post(&link)
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    // A forged or altered link: the friendly page, on GET and POST.
    let forged = app.url(&format!("/not-me?{}0", query.replace("&t=", "&t=0")));
    for r in [
        browser.get(&forged).send().await.unwrap(),
        browser
            .post(&forged)
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap(),
        browser
            .get(app.url("/not-me?r=abc&x=&t=%FF"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("no longer works"));
    }

    // Confirmed: reported, signed out everywhere.
    let r = browser
        .post(&link)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("signed out everywhere"),
        "the done page"
    );
    let after = events(&app, &key, user, 2).await;
    assert_eq!(
        after[0]["EventFeedback"]["FeedbackValue"], "Invalid",
        "{after:?}"
    );
    assert_eq!(after[0]["EventContextData"]["IpAddress"], "192.0.2.20");
    let (s, v) = refresh_with(refresh).await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("NotAuthorizedException")),
        "{v}"
    );

    // Once only: the same link again, opened or submitted, is the "no longer works" page.
    let (status, html, _) = crate::helpers::get_form(&browser, &link).await;
    assert_eq!(status, 400);
    assert!(html.contains("no longer works"), "{html}");
    let r = browser
        .post(&link)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("no longer works"));
    // In German for a German browser.
    let r = browser
        .get(&link)
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("funktioniert nicht mehr"));
}
