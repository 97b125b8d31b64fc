//! The control plane's user-pool actions, driven by boto3 and the AWS CLI
//! (tests/boto3/test_user_pools.py) with an admin key made by the CLI.

use crate::cognito_boto3::{has_boto3, run_python};
use crate::helpers::{skip_or_fail, spawn_app};

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
