//! New passwords known from breaches are refused through every door: the list shipped in the
//! binary, and the operator's Pwned Passwords file (`breached_passwords_file`).

use serde_json::json;
use sha1::{Digest, Sha1};

use crate::cognito::{admin_api, admin_key, api};
use crate::helpers::{PASSWORD, create_user, spawn_app_with};

/// A password in no public list, only in this test's Pwned Passwords file.
const ONLY_IN_THE_FILE: &str = "incognito-test breached 7f3a9c";

fn sign_up(app: &crate::helpers::TestApp, email: &str, password: &str) -> serde_json::Value {
    json!({
        "ClientId": app.client_id,
        "Username": email,
        "Password": password,
        "UserAttributes": [{"Name": "name", "Value": "B"}, {"Name": "locale", "Value": "en"}],
    })
}

#[tokio::test]
async fn breached_passwords_are_refused_for_sign_up_admin_set_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pwned-passwords-sha1.txt");
    let mut lines: Vec<String> = (0..200)
        .map(|i| format!("filler {i}"))
        .chain([ONLY_IN_THE_FILE.to_string()])
        .map(|p| format!("{}:{}", hex::encode_upper(Sha1::digest(p.as_bytes())), 3))
        .collect();
    lines.sort();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let file2 = file.clone();
    let app = spawn_app_with(move |c| c.breached_passwords_file = Some(file2)).await;

    // SignUp: the shipped list, then the operator's file; a fresh passphrase passes.
    for (email, password) in [
        ("one@example.com", "Password1"),
        ("two@example.com", "iloveyou123"),
        ("three@example.com", ONLY_IN_THE_FILE),
    ] {
        let (s, e) = api(&app, "SignUp", sign_up(&app, email, password)).await;
        assert_eq!(
            (s, e["__type"].as_str()),
            (400, Some("InvalidPasswordException")),
            "{password}: {e}"
        );
    }
    let (s, r) = api(&app, "SignUp", sign_up(&app, "ok@example.com", PASSWORD)).await;
    assert_eq!(s, 200, "{r}");

    // AdminSetUserPassword: the same policy.
    create_user(&app, "set@example.com", "Set");
    let key = admin_key(&app);
    let (s, e) = admin_api(
        &app,
        &key,
        "AdminSetUserPassword",
        json!({"UserPoolId": app.pool_id, "Username": "set@example.com",
               "Password": ONLY_IN_THE_FILE, "Permanent": true}),
    )
    .await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidPasswordException")),
        "{e}"
    );

    // The CLI reads the same setting and refuses the same password.
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("--data-dir")
        .arg(app.data_path())
        .envs(crate::helpers::backend_env(app.data_path()))
        .args([
            "user",
            "create",
            "--pool",
            &app.pool_id,
            "--email",
            "cli@example.com",
        ])
        .args([
            "--password",
            ONLY_IN_THE_FILE,
            "--attr",
            "name=C",
            "--attr",
            "locale=en",
        ])
        .env("INCOGNITO_BREACHED_PASSWORDS_FILE", &file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("too common"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A missing file is a start-up error naming the setting.
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("--data-dir")
        .arg(app.data_path())
        .envs(crate::helpers::backend_env(app.data_path()))
        .args(["user", "list", "--pool", &app.pool_id])
        .env(
            "INCOGNITO_BREACHED_PASSWORDS_FILE",
            dir.path().join("missing.txt"),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("breached_passwords_file"));
}
