//! Operations (issue #17): /metrics parsed by a Prometheus text parser after real sign-ins,
//! the separate metrics listener, request ids, online backup under write load and restore,
//! and a graceful SIGTERM of the real binary that loses no acknowledged write.

use std::collections::BTreeSet;
use std::io::BufReader;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, api};
use crate::helpers::{
    PASSWORD, TestApp, binary, create_client, create_user, spawn_app, spawn_app_with,
};

/// The exposition text and its parse.
async fn scrape(url: &str) -> (String, prometheus_parse::Scrape) {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = r.text().await.unwrap();
    assert!(
        text.trim_end().ends_with("# EOF"),
        "OpenMetrics ends with # EOF"
    );
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("valid exposition text");
    (text, parsed)
}

fn number(v: &prometheus_parse::Value) -> f64 {
    use prometheus_parse::Value::*;
    match v {
        Counter(x) | Gauge(x) | Untyped(x) => *x,
        Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
        Summary(_) => panic!("no summaries here"),
    }
}

/// Sum of the samples of `metric` whose labels include `labels` (0 when none).
fn sum(s: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == metric)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| number(&x.value))
        .sum()
}

/// Sum of the samples on lines `metric{...}` that contain every one of `labels` (`k="v"`).
fn text_sum(text: &str, metric: &str, labels: &[&str]) -> f64 {
    let start = format!("{metric}{{");
    text.lines()
        .filter(|l| l.starts_with(&start) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn declared_type<'a>(text: &'a str, family: &str) -> Option<&'a str> {
    let prefix = format!("# TYPE {family} ");
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str()))
}

/// A client that may use USER_PASSWORD_AUTH.
fn password_client(app: &TestApp) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    create_client(app, settings, false).0
}

fn login(client: &str, user: &str, pass: &str) -> Value {
    json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
           "AuthParameters": {"USERNAME": user, "PASSWORD": pass}})
}

#[tokio::test]
async fn metrics_after_sign_ins_are_typed_labelled_by_route_and_move() {
    let app = spawn_app().await;
    let client = password_client(&app);
    create_user(&app, "metrics@example.com", "Metrics");
    let metrics_url = format!("{}/metrics", app.address);
    let (before_text, before) = scrape(&metrics_url).await;

    let (s, r) = api(
        &app,
        "InitiateAuth",
        login(&client, "metrics@example.com", PASSWORD),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    for _ in 0..5 {
        let (s, _) = api(
            &app,
            "InitiateAuth",
            login(&client, "locked@example.com", "wrong"),
        )
        .await;
        assert_eq!(s, 400);
    }
    let discovery = reqwest::get(app.url("/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200);

    let (text, after) = scrape(&metrics_url).await;
    let moved = |metric: &str, labels: &[(&str, &str)]| {
        sum(&after, metric, labels) - sum(&before, metric, labels)
    };
    // Other tests in this binary count too: every check is "at least what this test did".
    assert!(
        moved(
            "incognito_sign_ins_total",
            &[("door", "cognito"), ("outcome", "success")]
        ) >= 1.0
    );
    assert!(
        moved(
            "incognito_sign_ins_total",
            &[("door", "cognito"), ("outcome", "failure")]
        ) >= 4.0
    );
    assert!(moved("incognito_lockouts_total", &[]) >= 1.0);
    assert!(
        moved(
            "incognito_tokens_issued_total",
            &[("grant", "cognito_sign_in")]
        ) >= 1.0
    );
    assert!(
        moved(
            "incognito_http_requests_total",
            &[("method", "POST"), ("route", "/"), ("status", "200")]
        ) >= 1.0
    );
    assert!(
        moved(
            "incognito_http_requests_total",
            &[("method", "POST"), ("route", "/"), ("status", "400")]
        ) >= 5.0
    );
    // The route template, never the path. prometheus-parse cuts label sets at the first `}`,
    // so samples whose labels hold `{pool_id}` are read from the text lines themselves.
    let route = r#"route="/{pool_id}/.well-known/openid-configuration""#;
    let (text_before, _) = (&before_text, ());
    assert!(
        text_sum(
            &text,
            "incognito_http_requests_total",
            &[route, r#"status="200""#]
        ) - text_sum(
            text_before,
            "incognito_http_requests_total",
            &[route, r#"status="200""#]
        ) >= 1.0
    );
    assert!(
        text_sum(
            &text,
            "incognito_http_request_duration_seconds_count",
            &[route]
        ) >= 1.0
    );
    // Histograms parse as histograms.
    let latency = after
        .samples
        .iter()
        .find(|x| {
            // POST: other tests' CORS preflights (OPTIONS /) share this process's registry.
            x.metric == "incognito_http_request_duration_seconds"
                && x.labels.get("route") == Some("/")
                && x.labels.get("method") == Some("POST")
        })
        .expect("latency of the Cognito API route");
    assert!(matches!(
        latency.value,
        prometheus_parse::Value::Histogram(_)
    ));
    assert!(number(&latency.value) >= 6.0);
    assert!(
        moved(
            "incognito_db_transaction_duration_seconds",
            &[("kind", "read")]
        ) >= 1.0
    );
    assert!(
        moved(
            "incognito_db_transaction_duration_seconds",
            &[("kind", "write")]
        ) >= 1.0
    );
    assert!(sum(&after, "incognito_db_writer_wait_seconds", &[]) >= 1.0);
    // Gauges read at scrape time.
    assert!(sum(&after, "incognito_process_resident_memory_bytes", &[]) > 1e6);
    assert!(
        sum(&after, "incognito_open_connections", &[]) >= 1.0,
        "this scrape's own connection"
    );
    for gauge in [
        "incognito_mail_queue_depth",
        "incognito_request_pool_queue_length",
        "incognito_argon2_queue_length",
        "incognito_open_connections",
        "incognito_process_resident_memory_bytes",
    ] {
        let sample = after
            .samples
            .iter()
            .find(|x| x.metric == gauge)
            .unwrap_or_else(|| panic!("{gauge}"));
        assert!(
            matches!(sample.value, prometheus_parse::Value::Gauge(v) if v >= 0.0),
            "{gauge}"
        );
    }
    // OpenMetrics names a counter family without `_total`; the parser leaves those samples
    // untyped, so their declared types are read from the TYPE lines.
    for (family, kind) in [
        ("incognito_http_requests", "counter"),
        ("incognito_sign_ins", "counter"),
        ("incognito_lockouts", "counter"),
        ("incognito_tokens_issued", "counter"),
        ("incognito_mail_sent", "counter"),
        ("incognito_http_request_duration_seconds", "histogram"),
        ("incognito_db_transaction_duration_seconds", "histogram"),
        ("incognito_db_writer_wait_seconds", "histogram"),
    ] {
        assert_eq!(declared_type(&text, family), Some(kind), "{family}");
    }
    // Never a raw path: no request metric carries the pool id (only the per-pool MAU gauge
    // names pools, one series per pool and kind).
    for line in text
        .lines()
        .filter(|l| !l.starts_with("incognito_monthly_active_users"))
    {
        assert!(!line.contains(&app.pool_id), "a pool id in a label: {line}");
    }
}

#[tokio::test]
async fn a_metrics_listener_of_its_own_takes_metrics_off_the_public_one() {
    let data = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::test_config(data.path());
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let app =
        incognito::startup::Application::build(config, incognito::clock::Clock::System).unwrap();
    let (port, metrics_port) = (app.port(), app.metrics_port().expect("a metrics listener"));
    tokio::spawn(app.run_until_stopped());
    let public = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    let (_, parsed) = scrape(&format!("http://127.0.0.1:{metrics_port}/metrics")).await;
    assert!(sum(&parsed, "incognito_process_resident_memory_bytes", &[]) > 0.0);
    // The metrics listener serves nothing else.
    let other = reqwest::get(format!("http://127.0.0.1:{metrics_port}/healthz"))
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let get = |id: Option<&str>| {
        let mut r = http.get(format!("{}/healthz", app.address));
        if let Some(id) = id {
            r = r.header("x-request-id", id);
        }
        r.send()
    };
    let fresh = get(None).await.unwrap();
    let a = fresh.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(a.len(), 20);
    let other = get(None).await.unwrap();
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), a);
    let kept = get(Some("lb-7f3a.42")).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a.42");
    let replaced = get(Some("evil id\twith spaces")).await.unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(
        id.len() == 20 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{id}"
    );
    // Errors carry one too.
    let missing = http
        .get(format!("{}/nowhere", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
}

fn cli(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    crate::cli::run(data, args)
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn a_backup_under_write_load_restores_every_acknowledged_user() {
    // `backup` copies the SQLite file (on PostgreSQL it refuses: tests/api/db_migrate.rs).
    if crate::helpers::on_postgres() {
        return;
    }
    let app = Arc::new(spawn_app().await);
    let key = admin_key(&app);
    let client = password_client(&app);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Writers: users created and given a permanent password through the admin API.
    let mut writers = Vec::new();
    for w in 0..3 {
        let (app, key, acknowledged, stop) =
            (app.clone(), key.clone(), acknowledged.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let name = format!("load-{w}-{n}@example.com");
                n += 1;
                let (s, r) = admin_api(&app, &key, "AdminCreateUser", json!({
                    "UserPoolId": app.pool_id, "Username": name, "MessageAction": "SUPPRESS",
                    "UserAttributes": [{"Name": "name", "Value": "Load"}, {"Name": "locale", "Value": "en"}]})).await;
                assert_eq!(s, 200, "{r}");
                let (s, r) = admin_api(&app, &key, "AdminSetUserPassword", json!({
                    "UserPoolId": app.pool_id, "Username": name, "Password": PASSWORD, "Permanent": true})).await;
                assert_eq!(s, 200, "{r}");
                acknowledged.lock().unwrap().push(name);
            }
        }));
    }
    // Let the load run, then back up in the middle of it.
    while acknowledged.lock().unwrap().len() < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_backup: BTreeSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("incognito.backup");
    let data = app.data_path().to_path_buf();
    let file2 = file.clone();
    let out = tokio::task::spawn_blocking(move || {
        cli(&data, &["backup", "--to", file2.to_str().unwrap()])
    })
    .await
    .unwrap();
    // The writers were not held up: they go on acknowledging after the copy.
    let after_backup = acknowledged.lock().unwrap().len();
    let waited = Instant::now();
    while acknowledged.lock().unwrap().len() < after_backup + 3 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "writes stalled after the backup"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("master key is NOT in the backup"), "{said}");
    assert!(
        said.contains(&app.data_path().join("master.key").display().to_string()),
        "{said}"
    );
    // A second backup to the same name is refused; the first stays.
    let again = cli(app.data_path(), &["backup", "--to", file.to_str().unwrap()]);
    assert!(!again.status.success() && text(&again).contains("already exists"));

    // Restore into a fresh data directory, with the key, and serve it.
    let fresh = tempfile::tempdir().unwrap();
    let restored_dir = fresh.path().join("data");
    let key_file = app.data_path().join("master.key");
    let out = cli(
        &restored_dir,
        &[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--master-key",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let dir = restored_dir.clone();
    let restored = spawn_app_with(move |c| c.data_dir = dir).await;
    let restored = TestApp {
        pool_id: app.pool_id.clone(),
        client_id: app.client_id.clone(),
        ..restored
    };
    for name in &before_backup {
        let (s, r) = api(&restored, "InitiateAuth", login(&client, name, PASSWORD)).await;
        assert_eq!(s, 200, "{name} could not sign in after the restore: {r}");
        assert!(r["AuthenticationResult"]["AccessToken"].is_string());
    }
    // While that server runs, its directory cannot be restored into.
    let refused = cli(
        &restored_dir,
        &["restore", "--from", file.to_str().unwrap()],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("a server is running"),
        "{}",
        text(&refused)
    );
}

#[tokio::test]
async fn restore_refuses_what_is_not_an_incognito_database() {
    if crate::helpers::on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"certainly not SQLite").unwrap();
    let out = cli(&data, &["restore", "--from", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not an Incognito database") || text(&out).contains("not a database"),
        "{}",
        text(&out)
    );
    // A real SQLite file of another application.
    let other = dir.path().join("other.db");
    let conn = rusqlite_free_sqlite(&other);
    drop(conn);
    let out = cli(&data, &["restore", "--from", other.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not an Incognito database"),
        "{}",
        text(&out)
    );
    assert!(
        !data.join("incognito.sqlite3").exists(),
        "nothing was put in place"
    );
    // Nothing to back up.
    let out = cli(
        &data,
        &["backup", "--to", dir.path().join("b").to_str().unwrap()],
    );
    assert!(!out.status.success());
}

/// An SQLite database of some other program, made with the server's own store on a path
/// and then stripped of its schema version (so it is SQLite, but not ours).
fn rusqlite_free_sqlite(path: &std::path::Path) -> incognito::store::Store {
    let store = incognito::store::Store::open(path, 2).unwrap();
    store
        .read_sync(|db| -> Result<(), incognito::store::StoreError> {
            db.execute("PRAGMA user_version = 0", &[])?;
            Ok(())
        })
        .unwrap();
    store
}

#[tokio::test]
async fn sigterm_turns_unready_drains_and_loses_no_acknowledged_write() {
    let data = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let mut child = Command::new(binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.path())
        .envs(crate::helpers::backend_env(data.path()))
        .env("INCOGNITO_SHUTDOWN_DELAY_SECS", "1")
        .env("INCOGNITO_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log, read as it comes (a full pipe would stall the server).
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        text
    });
    // The welcome text names the default client.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (client_id, pool_id) = crate::helpers::read_welcome(&mut stdout);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    // Sign-ups (each an Argon2 hash and a write) from four tasks until the server stops.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, base, client_id, acknowledged) = (
            http.clone(),
            base.clone(),
            client_id.clone(),
            acknowledged.clone(),
        );
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let name = format!("term-{w}-{n}@example.com");
                let body = json!({"ClientId": client_id, "Username": name, "Password": PASSWORD,
                    "UserAttributes": [{"Name": "email", "Value": name}, {"Name": "name", "Value": "T"}, {"Name": "locale", "Value": "en"}]});
                let sent = http.post(format!("{base}/"))
                    .header("content-type", "application/x-amz-json-1.1")
                    .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
                    .body(body.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        let v: Value = r.json().await.unwrap();
                        assert!(v["UserSub"].is_string());
                        acknowledged.lock().unwrap().push(name);
                    }
                    // Refused connections once the listener has closed.
                    _ => return,
                }
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // Unready at once, still alive and serving during the delay.
    let began = Instant::now();
    let mut saw_unready = false;
    while began.elapsed() < Duration::from_millis(800) {
        let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
        if ready.status() == 503 {
            saw_unready = true;
            let live = http.get(format!("{base}/healthz")).send().await.unwrap();
            assert_eq!(live.status(), 200);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saw_unready, "/readyz turned 503 after SIGTERM");
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "a graceful stop exits 0");
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged: BTreeSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    assert!(acknowledged.len() >= 5);
    // Every acknowledged sign-up is in the database.
    let list = crate::cli::ok_json(data.path(), &["user", "list", "--pool", &pool_id]);
    let stored: BTreeSet<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str().map(String::from))
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "acknowledged but lost: {lost:?} (stored {})",
        stored.len()
    );
    // The log went to a pipe: no colour codes, one JSON object per line, and the lines written
    // on the threads that did a request's work carry that request's id.
    let log = log.join().unwrap();
    assert!(
        !log.contains('\u{1b}'),
        "no escape sequences in a redirected log"
    );
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let signed_up: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "user signed up (Cognito API)")
        .collect();
    assert!(signed_up.len() >= acknowledged.len());
    for line in signed_up {
        let id = line["span"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no request id: {line}"));
        assert_eq!(id.len(), 20, "{line}");
    }
    assert!(lines.iter().any(|l| l["fields"]["signal"] == "SIGTERM"));
}

#[tokio::test]
async fn trigger_calls_are_counted_by_outcome_and_timed() {
    use crate::trigger_stub::{Reply, Stub, app_with_secret, set_trigger};
    let app = app_with_secret().await;
    let stub = Stub::start(|n, r| match n {
        0 => Reply::answer(
            r,
            json!({"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": false}),
        ),
        _ => Reply::json(400, json!({"errorMessage": "Domain not allowed"})),
    });
    set_trigger(&app, "PreSignUp", &format!("{}/pre-sign-up", stub.url));
    let metrics_url = format!("{}/metrics", app.address);
    let (before_text, _) = scrape(&metrics_url).await;
    let sign_up = |email: &str| {
        json!({"ClientId": app.client_id, "Username": email, "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "name", "Value": "T"}, {"Name": "locale", "Value": "en"}]})
    };
    let (s, r) = api(&app, "SignUp", sign_up("ok@example.com")).await;
    assert_eq!(s, 200, "{r}");
    let (s, _) = api(&app, "SignUp", sign_up("down@example.com")).await;
    assert_eq!(s, 400, "a failing trigger refuses the sign-up");
    let (text, parsed) = scrape(&metrics_url).await;
    let moved = |labels: &[&str]| {
        text_sum(&text, "incognito_trigger_calls_total", labels)
            - text_sum(&before_text, "incognito_trigger_calls_total", labels)
    };
    assert!(moved(&[r#"trigger="PreSignUp""#, r#"outcome="ok""#]) >= 1.0);
    assert!(moved(&[r#"trigger="PreSignUp""#, r#"outcome="rejected""#]) >= 1.0);
    assert_eq!(
        declared_type(&text, "incognito_trigger_calls"),
        Some("counter")
    );
    assert_eq!(
        declared_type(&text, "incognito_trigger_call_duration_seconds"),
        Some("histogram")
    );
    let timed = parsed
        .samples
        .iter()
        .find(|x| {
            x.metric == "incognito_trigger_call_duration_seconds"
                && x.labels.get("trigger") == Some("PreSignUp")
        })
        .expect("trigger latency");
    assert!(number(&timed.value) >= 2.0);
    // No event body, secret or password in the exposition.
    assert!(!text.contains("ok@example.com") && !text.contains(PASSWORD));
}
