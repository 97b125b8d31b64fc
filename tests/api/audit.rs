//! The audit log and the monthly-active-users report: events from every door land as rows
//! (read back with `incognito audit --json`, the real binary on the server's data dir), with
//! the actor, the target and the outcome, and never a secret.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{fails, ok_json, run};
use crate::cognito::{admin_api, admin_key, api};
use crate::helpers::{
    PASSWORD, TestApp, create_user, fixed_clock, spawn_app, spawn_app_with_clock,
};

/// The pool's audit events (newest first), waiting until `ready` holds for them: events are
/// written by a background writer within a fraction of a second.
fn events_until(app: &TestApp, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = ok_json(
            app.data_path(),
            &["audit", "--pool", &app.pool_id, "--limit", "1000"],
        );
        let rows = v.as_array().expect("an array").clone();
        if ready(&rows) || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The pool's newest `action` event with `outcome`, waiting for the audit writer.
pub(crate) fn wait_for(app: &TestApp, action: &str, outcome: &str) -> Value {
    let rows = events_until(app, |rows| find(rows, action, outcome).is_some());
    find(&rows, action, outcome)
        .unwrap_or_else(|| panic!("no {action} {outcome} in the audit log"))
        .clone()
}

fn find<'a>(rows: &'a [Value], action: &str, outcome: &str) -> Option<&'a Value> {
    rows.iter()
        .find(|r| r["action"] == action && r["outcome"] == outcome)
}

async fn refresh(app: &TestApp, client: &str, refresh_token: &str) {
    let (s, r) = api(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client,
               "AuthParameters": {"REFRESH_TOKEN": refresh_token}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
}

#[tokio::test]
async fn every_door_leaves_rows_with_actor_target_and_outcome_but_no_secret() {
    let app = spawn_app().await;
    let sub = create_user(&app, "ann@example.com", "Ann");
    let client = crate::cognito::password_client(&app);

    // The Cognito API: a sign-in, a wrong password, a refresh.
    let (s, ok) = crate::cognito::password_auth(&app, &client, "ann@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{ok}");
    let (s, _) =
        crate::cognito::password_auth(&app, &client, "ann@example.com", "not her password").await;
    assert_eq!(s, 400);
    let refresh_token = ok["AuthenticationResult"]["RefreshToken"].as_str().unwrap();
    refresh(&app, &client, refresh_token).await;

    // A signed admin action, and one refused for a missing user.
    let key = admin_key(&app);
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminDisableUser",
        json!({"UserPoolId": app.pool_id, "Username": "ann@example.com"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, _) = admin_api(
        &app,
        &key,
        "AdminEnableUser",
        json!({"UserPoolId": app.pool_id, "Username": "nobody@example.com"}),
    )
    .await;
    assert_eq!(s, 400);
    // Reads are not recorded.
    let (s, _) = admin_api(
        &app,
        &key,
        "AdminGetUser",
        json!({"UserPoolId": app.pool_id, "Username": "ann@example.com"}),
    )
    .await;
    assert_eq!(s, 200);

    // The CLI: a new user with a password that must never be stored in the log.
    let secret_password = "Sup3r-Secret-Passw0rd!";
    ok_json(
        app.data_path(),
        &[
            "user",
            "create",
            "--pool",
            &app.pool_id,
            "--email",
            "bob@example.com",
            "--password",
            secret_password,
            "--attr",
            "name=Bob",
            "--attr",
            "locale=en",
        ],
    );

    let rows = events_until(&app, |rows| rows.len() >= 6);
    let signed_in = find(&rows, "sign_in", "success").expect("a successful sign-in");
    assert_eq!(signed_in["door"], "cognito");
    assert_eq!(
        signed_in["target"],
        sub.as_str(),
        "the user's sub once tokens were issued"
    );
    assert_eq!(signed_in["actor"], format!("user:{sub}"));
    assert_eq!(signed_in["source"], "127.0.0.1");
    let failed = find(&rows, "sign_in", "NotAuthorizedException").expect("the wrong password");
    assert_eq!(
        failed["target"],
        sub.as_str(),
        "the user behind the typed name, found by the writer"
    );
    assert_eq!(failed["actor"], "anonymous");
    assert_eq!(
        failed["pool_id"],
        app.pool_id.as_str(),
        "found from the client id"
    );
    let refreshed = find(&rows, "token_refresh", "success").expect("the refresh");
    assert_eq!(refreshed["target"], sub.as_str());
    let disabled = find(&rows, "AdminDisableUser", "success").expect("the admin action");
    assert_eq!(disabled["actor"], format!("key:{}", key.0));
    assert_eq!(disabled["target"], "ann@example.com");
    assert!(find(&rows, "AdminEnableUser", "UserNotFoundException").is_some());
    assert!(
        rows.iter().all(|r| r["action"] != "AdminGetUser"),
        "reads are not audited"
    );
    let cli = find(&rows, "user create", "success").expect("the CLI verb");
    assert_eq!(cli["door"], "cli");
    assert_eq!(cli["target"], "bob@example.com");
    assert!(cli["actor"].as_str().unwrap().starts_with("cli"));
    assert!(
        rows.iter()
            .all(|r| r["time"].as_str().is_some_and(|t| t.ends_with('Z')))
    );

    // No secret anywhere in the table: passwords, tokens, the admin secret.
    let everything = ok_json(app.data_path(), &["audit", "--limit", "100000"]).to_string();
    for secret in [PASSWORD, secret_password, refresh_token, key.1.as_str()] {
        assert!(
            !everything.contains(secret),
            "a secret reached the audit log"
        );
    }
    let text = run(app.data_path(), &["audit", "--pool", &app.pool_id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("AdminDisableUser") && text.contains("sign_in"),
        "{text}"
    );
}

#[tokio::test]
async fn hosted_sign_ins_lock_outs_and_filters() {
    let app = spawn_app().await;
    let sub = create_user(&app, "cy@example.com", "Cy");
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    // Five wrong passwords lock the name out: each failure and the lock-out are recorded.
    for _ in 0..6 {
        let r = app
            .submit_login(&browser, &login, "cy@example.com", "wrong password")
            .await;
        assert!(r.status().is_client_error());
    }
    let rows = events_until(&app, |rows| find(rows, "lockout", "locked").is_some());
    let locked = find(&rows, "lockout", "locked").expect("a lock-out row");
    assert_eq!(locked["target"], "cy@example.com");
    let failed = find(&rows, "sign_in", "failed").expect("failures from the hosted form");
    assert_eq!(failed["door"], "hosted");

    // A successful hosted sign-in once the lock-out has passed is recorded with the sub.
    let app2 = spawn_app().await;
    let sub2 = create_user(&app2, "di@example.com", "Di");
    let browser = app2.browser();
    let (_, challenge) = crate::helpers::pkce_pair();
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let q = app2.login_for_code(&browser, "di@example.com", &pkce).await;
    assert!(q.contains_key("code"));
    let rows = events_until(&app2, |rows| find(rows, "sign_in", "success").is_some());
    let ok = find(&rows, "sign_in", "success").expect("the hosted sign-in");
    assert_eq!(
        (ok["door"].as_str(), ok["target"].as_str()),
        (Some("hosted"), Some(sub2.as_str()))
    );
    assert_ne!(sub, sub2);

    // Filters: by action, by time; bad filters are one clear error.
    let only = ok_json(
        app.data_path(),
        &["audit", "--pool", &app.pool_id, "--action", "lockout"],
    );
    assert!(!only.as_array().unwrap().is_empty());
    assert!(
        only.as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "lockout")
    );
    let future = ok_json(
        app.data_path(),
        &["audit", "--pool", &app.pool_id, "--since", "2999-01-01"],
    );
    assert_eq!(future, json!([]));
    let recent = ok_json(
        app.data_path(),
        &["audit", "--pool", &app.pool_id, "--since", "1h"],
    );
    assert!(!recent.as_array().unwrap().is_empty());
    let e = fails(app.data_path(), &["audit", "--since", "last tuesday"]);
    assert!(e.contains("--since"), "{e}");
    let e = fails(app.data_path(), &["audit", "--pool", "no-such-pool"]);
    assert!(e.contains("no-such-pool") || e.contains("pool"), "{e}");
}

#[tokio::test]
async fn monthly_active_users_count_sign_ins_and_refreshes_per_month() {
    // 2026-11-30T23:00:00Z, one hour before December.
    let clock = fixed_clock();
    clock.advance(1_796_079_600 - clock.now());
    let app = spawn_app_with_clock(clock.clone(), |_| {}).await;
    let client = crate::cognito::password_client(&app);
    for who in ["a@example.com", "b@example.com", "c@example.com"] {
        create_user(&app, who, "X");
    }
    // November: a signs in twice; b once.
    let (s, a_nov) = crate::cognito::password_auth(&app, &client, "a@example.com", PASSWORD).await;
    assert_eq!(s, 200);
    crate::cognito::password_auth(&app, &client, "a@example.com", PASSWORD).await;
    crate::cognito::password_auth(&app, &client, "b@example.com", PASSWORD).await;
    // A failed sign-in does not make c active.
    crate::cognito::password_auth(&app, &client, "c@example.com", "wrong password").await;
    clock.advance(2 * 3600);
    // December: a only refreshes (the November refresh token); c signs in.
    let rt = a_nov["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap();
    refresh(&app, &client, rt).await;
    crate::cognito::password_auth(&app, &client, "c@example.com", PASSWORD).await;
    events_until(&app, |rows| {
        rows.iter().filter(|r| r["outcome"] == "success").count() >= 5
    });

    let mau = |month: &str| {
        ok_json(
            app.data_path(),
            &["report", "mau", "--pool", &app.pool_id, "--month", month],
        )
    };
    let nov = mau("2026-11");
    assert_eq!(nov["monthly_active_users"], 2, "{nov}");
    assert_eq!(
        (nov["local"].clone(), nov["federated"].clone()),
        (json!(2), json!(0))
    );
    let dec = mau("2026-12");
    assert_eq!(
        dec["monthly_active_users"], 2,
        "a by refresh, c by sign-in: {dec}"
    );
    // The same count as a gauge in /metrics (recounted by the housekeeping job).
    incognito::jobs::refresh_active_users(&app.state)
        .await
        .unwrap();
    let metrics = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!(
        "incognito_monthly_active_users{{pool_id=\"{}\",kind=\"local\"}} 2",
        app.pool_id
    );
    assert!(metrics.contains(&line), "{line} in {metrics}");
    assert_eq!(mau("2026-10")["monthly_active_users"], 0);
    let e = fails(
        app.data_path(),
        &[
            "report",
            "mau",
            "--pool",
            &app.pool_id,
            "--month",
            "2026-13",
        ],
    );
    assert!(e.contains("YYYY-MM"), "{e}");
}

#[test]
fn audit_rows_are_purged_after_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = incognito::store::Store::open(&dir.path().join("db.sqlite"), 2).unwrap();
    store
        .write_sync(|db| -> Result<(), incognito::store::StoreError> {
            for at in [100, 200, 300] {
                let e = incognito::audit::Event::new(
                    incognito::audit::Door::Cli,
                    "pool create",
                    "success",
                );
                incognito::audit::record_in(db, e, at)?;
            }
            let gone = incognito::store::audit::purge_before(db, 250)?;
            assert_eq!(gone, 2);
            let left = incognito::store::audit::list(
                db,
                &incognito::store::audit::Filter {
                    limit: 10,
                    ..Default::default()
                },
            )?;
            assert_eq!(left.len(), 1);
            assert_eq!(left[0].at, 300);
            Ok(())
        })
        .unwrap();
}

#[test]
fn with_audit_log_stderr_each_event_is_also_one_json_line_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("--data-dir")
        .arg(dir.path())
        .envs(crate::helpers::backend_env(dir.path()))
        .args(["pool", "create", "--name", "shipped"])
        .env("INCOGNITO_AUDIT_LOG", "stderr")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line: Value = stderr
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("a JSON line on stderr: {stderr}"));
    assert_eq!(line["audit"]["action"], "pool create");
    assert_eq!(line["audit"]["door"], "cli");
    assert_eq!(line["audit"]["target"], "shipped");
    // And the row is in the table too.
    let rows = ok_json(dir.path(), &["audit", "--action", "pool create"]);
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    let bad = std::process::Command::new(crate::helpers::binary())
        .arg("--data-dir")
        .arg(dir.path())
        .envs(crate::helpers::backend_env(dir.path()))
        .args(["pool", "list"])
        .env("INCOGNITO_AUDIT_LOG", "loudly")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("INCOGNITO_AUDIT_LOG"));
}
