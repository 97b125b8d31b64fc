//! `incognito db migrate` and `database_url`, through the real binary: SQLite in the data
//! directory, PostgreSQL on the test cluster, and the other verbs on PostgreSQL.

use std::path::Path;
use std::process::{Command, Output};

use incognito::store;
use serde_json::Value;

use crate::helpers::binary;
use crate::pg;

/// The binary with only the given INCOGNITO_* variables.
fn incognito(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.arg("--data-dir").arg(data).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("INCOGNITO_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the incognito binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    out
}

fn ok_json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON value")
}

fn names(v: &Value) -> Vec<String> {
    v["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn db_migrate_migrates_sqlite_in_the_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let all: Vec<String> = store::migration_names().map(str::to_string).collect();
    let first = ok_json(incognito(data.path(), &[], &["--json", "db", "migrate"]));
    assert_eq!(first["backend"], "sqlite");
    assert_eq!(first["from_version"], 0);
    assert_eq!(first["to_version"], all.len());
    assert_eq!(names(&first), all);
    assert!(data.path().join("incognito.sqlite3").is_file());
    let again = ok_json(incognito(data.path(), &[], &["--json", "db", "migrate"]));
    assert_eq!(again["from_version"], all.len());
    assert!(names(&again).is_empty());
    let text = incognito(data.path(), &[], &["db", "migrate"]);
    assert!(text.status.success());
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("nothing to apply"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    // And the server's own open finds nothing to do on the migrated file.
    let store = incognito::store::Store::open(&data.path().join("incognito.sqlite3"), 2);
    assert!(store.is_ok());
}

#[test]
fn db_migrate_migrates_postgres_and_the_other_verbs_use_it_too() {
    let Some(db) = pg::database("db_migrate_migrates_postgres_and_the_other_verbs_use_it_too")
    else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let env = [("INCOGNITO_DATABASE_URL", db.url.as_str())];
    let all: Vec<String> = store::migration_names().map(str::to_string).collect();
    let first = ok_json(incognito(data.path(), &env, &["--json", "db", "migrate"]));
    assert_eq!(first["backend"], "postgres");
    assert_eq!(first["to_version"], all.len());
    assert_eq!(names(&first), all);
    assert!(first.get("path").is_none());
    let again = ok_json(incognito(data.path(), &env, &["--json", "db", "migrate"]));
    assert!(names(&again).is_empty());
    // Nothing was put in the data directory: the database is elsewhere.
    assert!(!data.path().join("incognito.sqlite3").exists());

    // Without master_key, nothing starts on PostgreSQL: each instance would seal secrets with
    // a key of its own.
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["pool", "list"][..],
    ] {
        let out = incognito(data.path(), &env, args);
        assert!(!out.status.success(), "{args:?} should refuse");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("database_url needs master_key"),
            "{args:?}: {stderr}"
        );
    }
    // With it, the verbs work on the database.
    let key = "0123456789abcdef0123456789abcdef";
    let env = [
        ("INCOGNITO_DATABASE_URL", db.url.as_str()),
        ("INCOGNITO_MASTER_KEY", key),
    ];
    let created = ok_json(incognito(
        data.path(),
        &env,
        &["--json", "pool", "create", "--name", "on-postgres"],
    ));
    let listed = ok_json(incognito(data.path(), &env, &["--json", "pool", "list"]));
    assert!(
        listed.to_string().contains(created["id"].as_str().unwrap()),
        "{listed}"
    );
    // A start-up error after the store opened is one clear line, not a panic while the
    // PostgreSQL pool closes on the server's runtime (`incognito` checks for "panicked").
    let mut bad = env.to_vec();
    bad.push((
        "INCOGNITO_BREACHED_PASSWORDS_FILE",
        "/nonexistent/breached.txt",
    ));
    let out = incognito(data.path(), &bad, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("breached_passwords_file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Backups are the SQLite file's: refused, pointing at PostgreSQL's tools.
    let out = incognito(
        data.path(),
        &env,
        &["backup", "--to", "/nonexistent/x.sqlite3"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    // Nothing was put in the data directory: the database is elsewhere.
    assert!(!data.path().join("incognito.sqlite3").exists());
}

#[test]
fn a_database_url_that_is_not_postgres_is_refused_without_echoing_it() {
    let data = tempfile::tempdir().unwrap();
    let out = incognito(
        data.path(),
        &[(
            "INCOGNITO_DATABASE_URL",
            "mysql://admin:hunter2@db/incognito",
        )],
        &["db", "migrate"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database_url"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn postgres_that_is_down_is_one_clear_error() {
    let data = tempfile::tempdir().unwrap();
    // A socket directory with no server in it.
    let url = format!(
        "postgresql://postgres@{}:5432/incognito",
        data.path().display().to_string().replace('/', "%2F")
    );
    let out = incognito(
        data.path(),
        &[("INCOGNITO_DATABASE_URL", url.as_str())],
        &["db", "migrate"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The driver's cause is on the line, not only its "error connecting to server".
    assert!(
        stderr.starts_with("error: PostgreSQL: error connecting to server: "),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
