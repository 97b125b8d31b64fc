//! Runs the boto3 scripts in tests/boto3 (boto3 with SigV4, `pip install boto3`) against a
//! test server. Without boto3 the tests are skipped loudly (`helpers::skip_or_fail`), except
//! under `./scripts/test.sh`, where they fail.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{TestApp, create_client, skip_or_fail, spawn_app};

fn has_boto3(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip_or_fail(
            test,
            "python3 with boto3 is missing (`python3 -m pip install boto3`)",
        );
    }
    ok
}

/// An admin key made by the CLI, as an operator makes it: (id, secret).
fn cli_admin_key(app: &TestApp) -> (String, String) {
    let key = crate::cli::ok_json(
        app.data_path(),
        &["admin-key", "create", "--description", "boto3 test"],
    );
    (
        key["access_key_id"].as_str().unwrap().to_string(),
        key["secret_access_key"].as_str().unwrap().to_string(),
    )
}

/// Runs `tests/boto3/<script>` with the server's address, pool and key (and `extra`
/// variables) and asserts that its unittest run passed.
async fn run_script(app: &TestApp, script: &str, key: (String, String), extra: &[(&str, String)]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/boto3")
        .join(script);
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .env("INCOGNITO_TEST_URL", &app.address)
        .env("INCOGNITO_TEST_POOL", &app.pool_id)
        .env("INCOGNITO_TEST_KEY_ID", key.0)
        .env("INCOGNITO_TEST_KEY_SECRET", key.1)
        .env_remove("AWS_PROFILE");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("python3 runs"))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "boto3 tests failed:\n{stderr}");
    assert!(stderr.contains("\nOK"), "{stderr}");
}

#[tokio::test]
async fn boto3_drives_the_admin_actions() {
    if !has_boto3("cognito_boto3::boto3_drives_the_admin_actions") {
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
    let key = cli_admin_key(&app);
    let listed = crate::cli::ok_json(app.data_path(), &["admin-key", "list"]);
    assert_eq!(listed[0]["access_key_id"], key.0.as_str());
    assert!(listed[0].get("secret_access_key").is_none());
    run_script(
        &app,
        "test_admin_api.py",
        key,
        &[("INCOGNITO_TEST_CLIENT", client)],
    )
    .await;
}

#[tokio::test]
async fn boto3_manages_app_clients_and_resource_servers() {
    if !has_boto3("cognito_boto3::boto3_manages_app_clients_and_resource_servers") {
        return;
    }
    let app = spawn_app().await;
    let key = cli_admin_key(&app);
    run_script(&app, "test_control_api.py", key, &[]).await;
}
