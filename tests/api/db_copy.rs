//! `incognito db copy --from sqlite:PATH --to postgres://...`, through the real binary: a
//! single-node deployment moved onto PostgreSQL with every row, counted table by table, in one
//! transaction, and a server on the copy signs the same users in; a target with data is
//! refused and keeps what it had.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::cognito::api;
use crate::helpers::{binary, create_user, spawn_app_with};
use crate::pg;

fn incognito(data: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.arg("--data-dir").arg(data).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("INCOGNITO_") {
            cmd.env_remove(name);
        }
    }
    let out = cmd.output().expect("the incognito binary runs");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{args:?} panicked"
    );
    out
}

/// Every table's row count in the SQLite file.
fn sqlite_counts(path: &Path) -> BTreeMap<String, i64> {
    let db = rusqlite::Connection::open(path).unwrap();
    let names: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    names
        .into_iter()
        .map(|n| {
            let count = db
                .query_row(&format!("SELECT COUNT(*) FROM \"{n}\""), [], |r| r.get(0))
                .unwrap();
            (n, count)
        })
        .collect()
}

#[tokio::test]
async fn db_copy_moves_every_row_of_a_sqlite_deployment_into_postgres() {
    let test = "db_copy_moves_every_row_of_a_sqlite_deployment_into_postgres";
    // The blocking `postgres` client starts a runtime of its own: never on this test's thread.
    let Some(db) = tokio::task::spawn_blocking(|| pg::database(test))
        .await
        .unwrap()
    else {
        return;
    };
    // The source is a SQLite deployment, whichever backend the suite runs on.
    let app = spawn_app_with(|c| {
        c.database_url = None;
        c.master_key = None;
    })
    .await;
    let alice = create_user(&app, "alice@example.com", "Alice");
    create_user(&app, "bob@example.com", "Bob");
    let client = password_client(&app);
    // A sign-in on the SQLite deployment: its refresh token must survive the move.
    let (s, before) = api(&app, "InitiateAuth", login(&client, "alice@example.com")).await;
    assert_eq!(s, 200, "{before}");
    let refresh = before["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let data = app.data_path().to_path_buf();
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || copy_and_check(&data, &url, &alice))
        .await
        .unwrap();

    // A server on the copy, with the deployment's master key: the same users sign in with
    // their passwords, the old refresh token works, the client is the same.
    let master_key = std::fs::read_to_string(app.data_path().join("master.key")).unwrap();
    let url = db.url.clone();
    let moved = spawn_app_with(move |c| {
        c.database_url = Some(incognito::config::Secret(url));
        c.master_key = Some(incognito::config::Secret(master_key.trim().to_string()));
    })
    .await;
    let moved = crate::helpers::TestApp {
        pool_id: app.pool_id.clone(),
        client_id: app.client_id.clone(),
        ..moved
    };
    let (s, after) = api(&moved, "InitiateAuth", login(&client, "alice@example.com")).await;
    assert_eq!(s, 200, "{after}");
    let sub = |v: &Value| {
        crate::helpers::jwt_claims(v["AuthenticationResult"]["IdToken"].as_str().unwrap())["sub"]
            .clone()
    };
    assert_eq!(sub(&after), sub(&before), "the same user");
    let (s, refreshed) = api(
        &moved,
        "InitiateAuth",
        serde_json::json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client,
            "AuthParameters": {"REFRESH_TOKEN": refresh}}),
    )
    .await;
    assert_eq!(s, 200, "{refreshed}");
    let (s, wrong) = api(
        &moved,
        "InitiateAuth",
        serde_json::json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
            "AuthParameters": {"USERNAME": "bob@example.com", "PASSWORD": "not the password"}}),
    )
    .await;
    assert_eq!(
        (s, wrong["__type"].as_str()),
        (400, Some("NotAuthorizedException"))
    );
}

fn password_client(app: &crate::helpers::TestApp) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    crate::helpers::create_client(app, settings, false).0
}

fn login(client: &str, user: &str) -> Value {
    serde_json::json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
        "AuthParameters": {"USERNAME": user, "PASSWORD": crate::helpers::PASSWORD}})
}

fn copy_and_check(data: &Path, url: &str, alice: &str) {
    let file = data.join("incognito.sqlite3");
    let from = format!("sqlite:{}", file.display());
    // An audit event with a high id: the identity sequence must go on after it.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute(
            "INSERT INTO audit_events (id, at, actor, door, action, outcome) VALUES (41, ?1, 'cli', 'cli', 'x', 'success')",
            [std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64],
        )
        .unwrap();
    let expected = sqlite_counts(&file);
    assert_eq!(expected["users"], 2);
    assert!(expected["signing_keys"] >= 1 && expected["clients"] >= 1);

    let copy = |json: bool| {
        let mut args = vec!["db", "copy", "--from", from.as_str(), "--to", url];
        if json {
            args.insert(0, "--json");
        }
        incognito(data, &args)
    };
    let out = copy(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let copied: BTreeMap<String, i64> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["rows"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(copied, expected, "every table, with its SQLite row count");
    // The URL (it may carry a password) is never echoed.
    assert!(!String::from_utf8_lossy(&out.stdout).contains(url));

    let mut pg = postgres::Client::connect(url, postgres::NoTls).unwrap();
    for (table, rows) in &expected {
        let n: i64 = pg
            .query_one(&format!("SELECT COUNT(*) FROM \"{table}\""), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, *rows, "{table}");
    }
    let sqlite = rusqlite::Connection::open(&file).unwrap();
    let (hash, enabled): (String, bool) = sqlite
        .query_row(
            "SELECT password_hash, enabled FROM users WHERE id = ?1",
            [alice],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let row = pg
        .query_one(
            "SELECT password_hash, enabled FROM users WHERE id = $1",
            &[&alice],
        )
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, bool>(1)),
        (hash, enabled)
    );
    // Identity columns go on after the copied ids.
    let audit_max: Option<i64> = pg
        .query_one("SELECT MAX(id) FROM audit_events", &[])
        .unwrap()
        .get(0);
    assert!(audit_max >= Some(41));
    let next: i64 = pg
        .query_one(
            "INSERT INTO audit_events (at, actor, door, action, outcome) VALUES (0, 'cli', 'cli', 'x', 'success') RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(next > audit_max.unwrap());
    pg.execute("DELETE FROM audit_events WHERE id = $1", &[&next])
        .unwrap();

    // Copying again would merge two deployments: refused, and the target keeps what it has.
    let again = copy(false);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already has data"), "{stderr}");
    let users: i64 = pg
        .query_one("SELECT COUNT(*) FROM users", &[])
        .unwrap()
        .get(0);
    assert_eq!(users, 2);

    // Bad input: a source that is not sqlite:PATH, or a file that is not there.
    for (args, says) in [
        (
            vec!["db", "copy", "--from", "/x.db", "--to", url],
            "sqlite:PATH",
        ),
        (
            vec![
                "db",
                "copy",
                "--from",
                "sqlite:/nonexistent/x.db",
                "--to",
                url,
            ],
            "no such database file",
        ),
        (
            vec!["db", "copy", "--from", from.as_str(), "--to", "mysql://x"],
            "postgres://",
        ),
    ] {
        let out = incognito(data, &args);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
