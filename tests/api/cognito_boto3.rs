//! Runs the boto3 scripts in tests/boto3 (boto3 with SigV4, `pip install boto3`) against a
//! test server. Without boto3 the tests are skipped loudly (`helpers::skip_or_fail`), except
//! under `./scripts/test.sh`, where they fail.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{TestApp, create_client, skip_or_fail, spawn_app};

#[tokio::test]
async fn boto3_drives_the_admin_actions() {
    if !has_boto3() {
        skip_or_fail(
            "cognito_boto3::boto3_drives_the_admin_actions",
            "python3 with boto3 is missing (`python3 -m pip install boto3`)",
        );
        return;
    }
    let app = spawn_app().await;
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_ADMIN_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        ..Default::default()
    };
    let (client, _) = create_client(&app, settings, false);
    // The key comes from the CLI, as an operator makes it; the server reads it from the store.
    let key = crate::cli::ok_json(
        app.data_path(),
        &["admin-key", "create", "--description", "boto3 test"],
    );
    let id = key["access_key_id"].as_str().unwrap().to_string();
    let secret = key["secret_access_key"].as_str().unwrap().to_string();
    let ro = crate::cli::ok_json(app.data_path(), &["admin-key", "create", "--read-only"]);
    let ro_id = ro["access_key_id"].as_str().unwrap().to_string();
    let ro_secret = ro["secret_access_key"].as_str().unwrap().to_string();
    let listed = crate::cli::ok_json(app.data_path(), &["admin-key", "list"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let first = listed.iter().find(|k| k["access_key_id"] == id.as_str());
    assert_eq!(first.expect("the key is listed")["read_only"], false);
    let second = listed.iter().find(|k| k["access_key_id"] == ro_id.as_str());
    assert_eq!(
        second.expect("the read-only key is listed")["read_only"],
        true
    );
    assert!(listed.iter().all(|k| k.get("secret_access_key").is_none()));
    run_python(
        "tests/boto3/test_admin_api.py",
        &[
            ("INCOGNITO_TEST_URL", app.address.clone()),
            ("INCOGNITO_TEST_POOL", app.pool_id.clone()),
            ("INCOGNITO_TEST_CLIENT", client),
            ("INCOGNITO_TEST_KEY_ID", id),
            ("INCOGNITO_TEST_KEY_SECRET", secret),
            ("INCOGNITO_TEST_RO_KEY_ID", ro_id),
            ("INCOGNITO_TEST_RO_KEY_SECRET", ro_secret),
        ],
    )
    .await;
}

#[tokio::test]
async fn boto3_manages_app_clients_and_resource_servers() {
    if !has_boto3() {
        skip_or_fail(
            "cognito_boto3::boto3_manages_app_clients_and_resource_servers",
            "python3 with boto3 is missing (`python3 -m pip install boto3`)",
        );
        return;
    }
    let app = spawn_app().await;
    run_with_new_key(&app, "tests/boto3/test_control_api.py").await;
}

/// Runs a control-plane script of tests/boto3 against the app's default pool with a new
/// admin key made by the CLI, as an operator makes one.
pub async fn run_with_new_key(app: &TestApp, script: &str) -> String {
    let key = crate::cli::ok_json(app.data_path(), &["admin-key", "create"]);
    run_python(
        script,
        &[
            ("INCOGNITO_TEST_URL", app.address.clone()),
            ("INCOGNITO_TEST_POOL", app.pool_id.clone()),
            (
                "INCOGNITO_TEST_KEY_ID",
                key["access_key_id"].as_str().unwrap().into(),
            ),
            (
                "INCOGNITO_TEST_KEY_SECRET",
                key["secret_access_key"].as_str().unwrap().into(),
            ),
        ],
    )
    .await
}

/// Runs a unittest script of tests/boto3 with these variables and asserts it passed; returns
/// its report (stderr).
pub async fn run_python(script: &str, vars: &[(&str, String)]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(script);
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .envs(vars)
            .env_remove("AWS_PROFILE")
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "boto3 tests failed:\n{stderr}");
    assert!(stderr.contains("\nOK"), "{stderr}");
    if stderr.contains("SKIPPED LOUDLY") {
        eprintln!("{stderr}");
    }
    stderr
}

/// Whether python3 can import boto3.
pub fn has_boto3() -> bool {
    Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success())
}
