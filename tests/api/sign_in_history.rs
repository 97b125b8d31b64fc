//! A user's sign-in history (issue #16): sign-ins at the hosted page and through the Cognito
//! API, passed and failed, read back through AdminListUserAuthEvents, the CLI and the account
//! page; "this wasn't me" feedback from an admin, from a FeedbackToken and from the page.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{fails, ok_json, run};
use crate::cognito::{admin_api, admin_key, api, password_auth, password_client};
use crate::helpers::{
    PASSWORD, TestApp, create_user, get_form, hidden_field, location, pkce_pair, spawn_app,
};

type Key = (String, String);

async fn list(app: &TestApp, key: &Key, user: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({"UserPoolId": app.pool_id, "Username": user});
    if let Value::Object(m) = extra {
        body.as_object_mut().unwrap().extend(m);
    }
    admin_api(app, key, "AdminListUserAuthEvents", body).await
}

/// The user's events once there are at least `n` (the audit writer is asynchronous).
async fn events_of(app: &TestApp, key: &Key, user: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (s, v) = list(app, key, user, json!({})).await;
        assert_eq!(s, 200, "{v}");
        let events = v["AuthEvents"].as_array().unwrap().clone();
        if events.len() >= n || Instant::now() > deadline {
            assert_eq!(events.len(), n, "{v}");
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// authorize → login page → code, in `browser` (signed in afterwards).
async fn hosted_sign_in(app: &TestApp, browser: &reqwest::Client, email: &str) {
    let (_, challenge) = pkce_pair();
    let q = app
        .login_for_code(
            browser,
            email,
            &[
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    assert!(q.contains_key("code"));
}

/// Refreshes with `refresh_token`, keeping the rotated one (refresh tokens rotate on use:
/// presenting a rotated-out one would revoke the family by itself).
async fn refresh_status(app: &TestApp, client: &str, refresh_token: &mut String) -> (u16, Value) {
    let (s, v) = api(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client,
               "AuthParameters": {"REFRESH_TOKEN": refresh_token.as_str()}}),
    )
    .await;
    if let Some(t) = v["AuthenticationResult"]["RefreshToken"].as_str() {
        *refresh_token = t.to_string();
    }
    (s, v)
}

/// Asserts a Cognito error answer.
fn refused((s, v): (u16, Value), name: &str, what: &str) {
    assert_eq!((s, v["__type"].as_str()), (400, Some(name)), "{what}: {v}");
}

/// The id of the user's newest event, once there are `n`.
async fn newest_event(app: &TestApp, key: &Key, user: &str, n: usize) -> String {
    events_of(app, key, user, n).await[0]["EventId"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn admin_feedback(
    app: &TestApp,
    key: &Key,
    user: &str,
    event: &str,
    value: &str,
) -> (u16, Value) {
    let body = json!({"UserPoolId": app.pool_id, "Username": user, "EventId": event,
                      "FeedbackValue": value});
    admin_api(app, key, "AdminUpdateAuthEventFeedback", body).await
}

/// `incognito user events --pool <pool> --user <user> <extra>` (`--json` unless `text`).
fn cli_events(app: &TestApp, user: &str, extra: &[&str], text: bool) -> Value {
    let mut args = vec!["user", "events", "--pool", &app.pool_id, "--user", user];
    args.extend_from_slice(extra);
    if text {
        let out = run(app.data_path(), &args);
        return Value::String(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    ok_json(app.data_path(), &args)
}

async fn cognito_sign_in(app: &TestApp, client: &str, email: &str) -> String {
    let (s, r) = password_auth(app, client, email, PASSWORD).await;
    assert_eq!(s, 200, "{r}");
    r["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn sign_ins_at_every_door_are_listed_newest_first_in_pages_and_in_the_cli() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let client = password_client(&app);
    let sub = create_user(&app, "ann@example.com", "Ann");

    // Hosted page: a success, then a wrong password.
    hosted_sign_in(&app, &app.browser(), "ann@example.com").await;
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    let r = app
        .submit_login(&browser, &login, "ann@example.com", "wrong password")
        .await;
    assert_eq!(r.status(), 401);
    // Cognito API: a success, then a wrong password typed with different case and spaces
    // around the email: the failure is still found under the user's id.
    cognito_sign_in(&app, &client, "ann@example.com").await;
    let (s, r) = password_auth(&app, &client, " Ann@Example.com ", "wrong password").await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("NotAuthorizedException"))
    );
    // An unknown name is recorded as typed and belongs to nobody.
    let (s, _) = password_auth(&app, &client, "nobody@example.com", "wrong password").await;
    assert_eq!(s, 400);

    let events = events_of(&app, &key, "ann@example.com", 4).await;
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["EventResponse"].as_str().unwrap(),
                e["EventContextData"]["DeviceName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Fail", "App"),
            ("Pass", "App"),
            ("Fail", "Hosted sign-in page"),
            ("Pass", "Hosted sign-in page"),
        ],
        "newest first"
    );
    for e in &events {
        assert_eq!(e["EventType"], "SignIn");
        assert_eq!(e["EventRisk"]["RiskDecision"], "NoRisk");
        assert_eq!(e["EventContextData"]["IpAddress"], "127.0.0.1");
        assert!(e["CreationDate"].as_i64().unwrap() > 1_600_000_000);
        assert!(e["EventId"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(e.get("EventFeedback").is_none());
    }
    // The same list by sub; nobody's failure is nobody's history.
    assert_eq!(events_of(&app, &key, &sub, 4).await, events);
    let (s, v) = list(&app, &key, "nobody@example.com", json!({})).await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("UserNotFoundException"))
    );

    // Pages of three, then the rest.
    let (s, first) = list(&app, &key, "ann@example.com", json!({"MaxResults": 3})).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["AuthEvents"].as_array().unwrap().len(), 3);
    let next = first["NextToken"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (s, second) = list(
        &app,
        &key,
        "ann@example.com",
        json!({"MaxResults": 3, "NextToken": next}),
    )
    .await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["AuthEvents"], json!([events[3]]));
    assert!(second.get("NextToken").is_none());
    // Bad paging input is Cognito's InvalidParameterException, never a 500.
    for extra in [
        json!({"MaxResults": 61}),
        json!({"MaxResults": -1}),
        json!({"NextToken": "junk"}),
    ] {
        let answer = list(&app, &key, "ann@example.com", extra.clone()).await;
        refused(answer, "InvalidParameterException", &extra.to_string());
    }
    // Unsigned, the admin action is refused.
    let (s, _) = api(
        &app,
        "AdminListUserAuthEvents",
        json!({"UserPoolId": app.pool_id, "Username": "ann@example.com"}),
    )
    .await;
    assert_ne!(s, 200);

    // The CLI: JSON and text.
    let cli = cli_events(&app, "ann@example.com", &[], false);
    let cli = cli.as_array().unwrap();
    assert_eq!(cli.len(), 4);
    assert_eq!(cli[0]["event_id"], events[0]["EventId"]);
    let door_and_response = |e: &Value| (e["door"].clone(), e["response"].clone());
    assert_eq!(door_and_response(&cli[0]), (json!("app"), json!("Fail")));
    assert_eq!(door_and_response(&cli[3]), (json!("hosted"), json!("Pass")));
    assert_eq!(cli[3]["source"], "127.0.0.1");
    assert!(
        cli.iter().all(|e| e["risk"].is_null()),
        "adaptive sign-in is OFF: nothing scored"
    );
    let two = cli_events(&app, &sub, &["--limit", "2"], false);
    assert_eq!(two.as_array().unwrap().len(), 2);
    let text = cli_events(&app, "ann@example.com", &[], true);
    let text = text.as_str().unwrap();
    assert!(
        text.contains("hosted") && text.contains("Pass") && text.contains("Fail"),
        "{text}"
    );
    let pool = app.pool_id.as_str();
    let e = fails(
        app.data_path(),
        &[
            "user",
            "events",
            "--pool",
            pool,
            "--user",
            "nobody@example.com",
        ],
    );
    assert!(
        e.contains("nobody@example.com") || e.contains("not found"),
        "{e}"
    );
    fails(
        app.data_path(),
        &[
            "user", "events", "--pool", pool, "--user", &sub, "--limit", "0",
        ],
    );
}

#[tokio::test]
async fn feedback_invalid_signs_the_user_out_and_only_the_users_own_events_take_feedback() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let client = password_client(&app);
    create_user(&app, "ann@example.com", "Ann");
    create_user(&app, "bob@example.com", "Bob");
    let mut ann_refresh = cognito_sign_in(&app, &client, "ann@example.com").await;
    let mut bob_refresh = cognito_sign_in(&app, &client, "bob@example.com").await;
    let ann_event = newest_event(&app, &key, "ann@example.com", 1).await;
    let bob_event = newest_event(&app, &key, "bob@example.com", 1).await;

    // Another user's event and a missing one answer alike; nothing changes.
    for (user, event) in [
        ("bob@example.com", ann_event.as_str()),
        ("ann@example.com", "99999"),
    ] {
        let answer = admin_feedback(&app, &key, user, event, "Invalid").await;
        refused(answer, "ResourceNotFoundException", event);
    }
    let answer = admin_feedback(&app, &key, "nobody@example.com", &ann_event, "Invalid").await;
    refused(answer, "UserNotFoundException", "unknown user");
    let answer = admin_feedback(&app, &key, "ann@example.com", &ann_event, "Maybe").await;
    refused(answer, "InvalidParameterException", "FeedbackValue");
    assert_eq!(refresh_status(&app, &client, &mut ann_refresh).await.0, 200);

    // Invalid: the user's refresh tokens stop working; the event carries the feedback.
    let (s, v) = admin_feedback(&app, &key, "ann@example.com", &ann_event, "Invalid").await;
    assert_eq!(s, 200, "{v}");
    let answer = refresh_status(&app, &client, &mut ann_refresh).await;
    refused(answer, "NotAuthorizedException", "refresh after Invalid");
    let ann = events_of(&app, &key, "ann@example.com", 1).await;
    assert_eq!(ann[0]["EventFeedback"]["FeedbackValue"], "Invalid");
    assert_eq!(refresh_status(&app, &client, &mut bob_refresh).await.0, 200);

    // UpdateAuthEventFeedback (unsigned) needs the event's FeedbackToken.
    let unsigned = |user: &str, event: &str, token: &str| {
        json!({"UserPoolId": app.pool_id, "Username": user, "EventId": event,
               "FeedbackToken": token, "FeedbackValue": "Valid"})
    };
    let cli = cli_events(&app, "bob@example.com", &[], false);
    let bob_token = cli[0]["feedback_token"].as_str().unwrap().to_string();
    assert_eq!(cli[0]["event_id"], bob_event.as_str());
    let forged = "0".repeat(bob_token.len());
    for body in [
        unsigned("bob@example.com", &bob_event, &forged),
        unsigned("bob@example.com", &bob_event, "not-hex"),
        // Bob's token does not fit Ann's event, nor a user that does not exist.
        unsigned("ann@example.com", &ann_event, &bob_token),
        unsigned("nobody@example.com", &bob_event, &bob_token),
    ] {
        let answer = api(&app, "UpdateAuthEventFeedback", body.clone()).await;
        refused(answer, "NotAuthorizedException", &body.to_string());
    }
    let (s, v) = api(
        &app,
        "UpdateAuthEventFeedback",
        unsigned("bob@example.com", &bob_event, &bob_token),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let bob = events_of(&app, &key, "bob@example.com", 1).await;
    assert_eq!(bob[0]["EventFeedback"]["FeedbackValue"], "Valid");
    assert_eq!(
        refresh_status(&app, &client, &mut bob_refresh).await.0,
        200,
        "Valid revokes nothing"
    );
}

#[tokio::test]
async fn the_account_page_lists_sign_ins_and_this_was_not_me_signs_out_everywhere() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let client = password_client(&app);
    create_user(&app, "ann@example.com", "Ann");
    create_user(&app, "bob@example.com", "Bob");
    // Scored and recorded (AUDIT), so that the list shows the risk.
    crate::adaptive::set_mode(&app, "AUDIT");
    let browser = app.browser();
    hosted_sign_in(&app, &browser, "ann@example.com").await;
    let mut refresh = cognito_sign_in(&app, &client, "ann@example.com").await;
    cognito_sign_in(&app, &client, "bob@example.com").await;
    events_of(&app, &key, "ann@example.com", 2).await;
    let bob_event = newest_event(&app, &key, "bob@example.com", 1).await;

    let (status, html, csrf) = get_form(&browser, &app.url("/account")).await;
    assert_eq!(status, 200);
    for text in [
        "Recent sign-ins",
        "Sign-in page",
        "App",
        "127.0.0.1",
        "Signed in",
        "This wasn",
        "<th scope=\"col\">Risk</th>",
        "<td class=\"risk\">No risk</td>",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    // In German once the user prefers it.
    let r = browser
        .post(app.url("/account/profile"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("name", "Ann"),
            ("locale", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html, csrf) = get_form(&browser, &app.url("/account")).await;
    for text in [
        "Letzte Anmeldungen",
        "Anmeldeseite",
        "Das war ich nicht",
        "Kein Risiko",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    let event = hidden_field(&html, "event").expect("a form per event");

    let not_me = |form: Vec<(&'static str, String)>| {
        browser.post(app.url("/account/not-me")).form(&form).send()
    };
    // Without the CSRF token, or with Bob's event: nothing happens.
    let r = not_me(vec![("event", event.clone())]).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = not_me(vec![("csrf_token", csrf.clone()), ("event", bob_event)])
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(refresh_status(&app, &client, &mut refresh).await.0, 200);

    let r = not_me(vec![("csrf_token", csrf), ("event", event.clone())])
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let sign_in_page = location(&r);
    assert_eq!(
        sign_in_page,
        format!("/{}/login?notice=not-me", app.pool_id)
    );
    // Signed out here and everywhere else.
    let r = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let answer = refresh_status(&app, &client, &mut refresh).await;
    refused(
        answer,
        "NotAuthorizedException",
        "refresh after \"this wasn't me\"",
    );
    let ann = events_of(&app, &key, "ann@example.com", 2).await;
    let reported: Vec<&Value> = ann
        .iter()
        .filter(|e| e["EventFeedback"]["FeedbackValue"] == "Invalid")
        .collect();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["EventId"], event.as_str());
    // The sign-in page says what happened.
    let r = browser
        .get(format!("{}{}", app.address, sign_in_page))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("signed out everywhere") || html.contains("überall abgemeldet"),
        "{html}"
    );
}
