//! The control plane's user-pool actions, driven by boto3 and the AWS CLI
//! (tests/boto3/test_user_pools.py) with an admin key made by the CLI.

use serde_json::json;

use crate::cognito::admin_api;
use crate::cognito_boto3::{has_boto3, run_python};
use crate::helpers::{skip_or_fail, spawn_app, spawn_app_with};

#[tokio::test]
async fn boto3_and_the_aws_cli_manage_user_pools() {
    if !has_boto3() {
        skip_or_fail(
            "cognito_control_pools::boto3_and_the_aws_cli_manage_user_pools",
            "python3 with boto3 is missing (`python3 -m pip install boto3 awscli`)",
        );
        return;
    }
    let app = spawn_app().await;
    let key = crate::cli::ok_json(
        app.data_path(),
        &["admin-key", "create", "--description", "control plane"],
    );
    let examples = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/cognito");
    let report = run_python(
        "tests/boto3/test_user_pools.py",
        &[
            ("INCOGNITO_TEST_URL", app.address.clone()),
            (
                "INCOGNITO_TEST_KEY_ID",
                key["access_key_id"].as_str().unwrap().into(),
            ),
            (
                "INCOGNITO_TEST_KEY_SECRET",
                key["secret_access_key"].as_str().unwrap().into(),
            ),
            ("INCOGNITO_EXAMPLES", examples.display().to_string()),
            (
                "INCOGNITO_JS_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js").to_string(),
            ),
            (
                "INCOGNITO_REQUIRE_ALL_TESTS",
                std::env::var("INCOGNITO_REQUIRE_ALL_TESTS").unwrap_or_default(),
            ),
        ],
    )
    .await;
    assert!(
        report.contains("test_create_describe_round_trip"),
        "{report}"
    );
}

/// With `admin_access_key_id` and `admin_secret_access_key` set, a fresh server is configured
/// through the control plane alone, without the CLI; a restart with another secret replaces it.
#[tokio::test]
async fn a_configured_admin_key_needs_no_cli() {
    let id = "AKIAINCOGNITOTEST0001";
    let app = spawn_app_with(|c| {
        c.create_default_pool = false;
        c.admin_access_key_id = Some(id.into());
        c.admin_secret_access_key = Some(incognito::config::Secret(
            "configured-secret-0123456789".into(),
        ));
    })
    .await;
    let key = (id.to_string(), "configured-secret-0123456789".to_string());
    let (s, created) = admin_api(
        &app,
        &key,
        "CreateUserPool",
        json!({"PoolName": "from the API", "UsernameAttributes": ["email"]}),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    let pool_id = created["UserPool"]["Id"].as_str().unwrap().to_string();
    let (s, client) = admin_api(
        &app,
        &key,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool_id, "ClientName": "web",
               "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await;
    assert_eq!(s, 200, "{client}");
    let wrong = (id.to_string(), "another-secret-0123456789".to_string());
    let (s, e) = admin_api(&app, &wrong, "ListUserPools", json!({"MaxResults": 10})).await;
    assert_eq!(s, 400, "{e}");
    // Half a key is a configuration error, reported before anything starts.
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::test_config(dir.path());
    config.admin_access_key_id = Some(id.into());
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("admin_access_key_id"), "{err}");
}
