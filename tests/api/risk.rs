//! Threat protection's compromised credentials (Cognito's `CompromisedCredentialsRiskConfiguration`):
//! SetRiskConfiguration / DescribeRiskConfiguration, and a right password that is on the
//! breached-password list sent to a reset at sign-in when the configuration blocks it.

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, password_auth, password_client};
use crate::helpers::{PASSWORD, TestApp, create_user, spawn_app};

/// On the shipped breached-password list (and refused at sign-up for that reason).
const BREACHED: &str = "iloveyou123";

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

/// A confirmed user whose password predates the list (set as a hash, as an import would).
fn user_with_breached_password(app: &TestApp, email: &str) -> String {
    let hash = incognito::authn::password::hash(BREACHED);
    crate::helpers::create_user_with(app, email, "Breached", None, Some(hash))
}

async fn set_risk(app: &TestApp, key: &(String, String), body: Value) -> (u16, Value) {
    let mut body = body;
    body["UserPoolId"] = json!(app.pool_id);
    admin_api(app, key, "SetRiskConfiguration", body).await
}

async fn status_of(app: &TestApp, key: &(String, String), email: &str) -> String {
    let (s, v) = admin_api(
        app,
        key,
        "AdminGetUser",
        json!({"UserPoolId": app.pool_id, "Username": email}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["UserStatus"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_compromised_password_is_sent_to_a_reset_when_the_pool_blocks_it() {
    let app = spawn_app().await;
    let client = password_client(&app);
    let key = admin_key(&app);
    user_with_breached_password(&app, "leaked@example.com");
    create_user(&app, "fine@example.com", "Fine");

    // No configuration: the sign-in goes through, as before.
    let (s, v) = password_auth(&app, &client, "leaked@example.com", BREACHED).await;
    assert_eq!(s, 200, "{v}");

    // NO_ACTION records the setting and changes nothing.
    let (s, v) = set_risk(
        &app,
        &key,
        json!({"CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "NO_ACTION"}}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = password_auth(&app, &client, "leaked@example.com", BREACHED).await;
    assert_eq!(s, 200);

    // BLOCK for SIGN_IN: the right but breached password ends in a reset; others sign in.
    let config = json!({"EventFilter": ["SIGN_IN"], "Actions": {"EventAction": "BLOCK"}});
    let (s, v) = set_risk(
        &app,
        &key,
        json!({"CompromisedCredentialsRiskConfiguration": config}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["RiskConfiguration"]["CompromisedCredentialsRiskConfiguration"],
        config
    );
    let (s, v) = password_auth(&app, &client, "leaked@example.com", BREACHED).await;
    assert_eq!(
        (s, err_type(&v)),
        (400, "PasswordResetRequiredException"),
        "{v}"
    );
    assert_eq!(
        status_of(&app, &key, "leaked@example.com").await,
        "RESET_REQUIRED"
    );
    let (s, v) = password_auth(&app, &client, "fine@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{v}");
    // A wrong password is still just a wrong password (nothing about the list is revealed).
    let (s, v) = password_auth(&app, &client, "fine@example.com", BREACHED).await;
    assert_eq!((s, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    assert_eq!(status_of(&app, &key, "fine@example.com").await, "CONFIRMED");
    let row = crate::audit::wait_for(&app, "compromised_credentials", "reset_required");
    assert!(
        !row.to_string().contains(BREACHED),
        "no password in the audit log: {row}"
    );
}

#[tokio::test]
async fn a_clients_own_configuration_replaces_the_pools_and_describe_returns_what_was_set() {
    let app = spawn_app().await;
    let client = password_client(&app);
    let key = admin_key(&app);
    user_with_breached_password(&app, "leaked@example.com");
    let block =
        json!({"CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "BLOCK"}}});
    assert_eq!(set_risk(&app, &key, block).await.0, 200);
    let mut own = json!({
        "ClientId": client,
        "CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "NO_ACTION"}},
        "AccountTakeoverRiskConfiguration": {"Actions": {
            "HighAction": {"EventAction": "BLOCK", "Notify": false}}},
    });
    let (s, v) = set_risk(&app, &key, own.clone()).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = admin_api(
        &app,
        &key,
        "DescribeRiskConfiguration",
        json!({"UserPoolId": app.pool_id, "ClientId": client}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let described = &v["RiskConfiguration"];
    own["UserPoolId"] = json!(app.pool_id);
    for k in [
        "ClientId",
        "UserPoolId",
        "CompromisedCredentialsRiskConfiguration",
        "AccountTakeoverRiskConfiguration",
    ] {
        assert_eq!(described[k], own[k], "{k}: {v}");
    }
    assert!(described["LastModifiedDate"].is_number(), "{v}");
    // This client's NO_ACTION wins over the pool's BLOCK.
    let (s, v) = password_auth(&app, &client, "leaked@example.com", BREACHED).await;
    assert_eq!(s, 200, "{v}");
    let (_, pool_wide) = admin_api(
        &app,
        &key,
        "DescribeRiskConfiguration",
        json!({"UserPoolId": app.pool_id}),
    )
    .await;
    assert_eq!(
        pool_wide["RiskConfiguration"]["CompromisedCredentialsRiskConfiguration"]["Actions"]["EventAction"],
        "BLOCK"
    );
    assert!(pool_wide["RiskConfiguration"]["ClientId"].is_null());
}

#[tokio::test]
async fn bad_risk_configurations_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let key = admin_key(&app);
    let cases = [
        (
            json!({"CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "EXPLODE"}}}),
            "InvalidParameterException",
        ),
        (
            json!({"CompromisedCredentialsRiskConfiguration": {"EventFilter": ["SIGN_IN"]}}),
            "InvalidParameterException",
        ),
        (
            json!({"ClientId": "nosuchclient", "CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "BLOCK"}}}),
            "ResourceNotFoundException",
        ),
        (
            json!({"CompromisedCredentialsRiskConfiguration": "BLOCK"}),
            "SerializationException",
        ),
    ];
    for (body, expected) in cases {
        let (s, v) = set_risk(&app, &key, body.clone()).await;
        assert_eq!((s, err_type(&v)), (400, expected), "{body}: {v}");
    }
    let (s, v) = admin_api(
        &app,
        &key,
        "DescribeRiskConfiguration",
        json!({"UserPoolId": app.pool_id}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        v["RiskConfiguration"]["CompromisedCredentialsRiskConfiguration"].is_null(),
        "{v}"
    );
    let (s, v) = admin_api(
        &app,
        &key,
        "DescribeRiskConfiguration",
        json!({"UserPoolId": "local_Nope1"}),
    )
    .await;
    assert_eq!((s, err_type(&v)), (400, "ResourceNotFoundException"), "{v}");
    // Unsigned calls are refused like every control action.
    let (s, _) = crate::cognito::api(
        &app,
        "SetRiskConfiguration",
        json!({"UserPoolId": app.pool_id}),
    )
    .await;
    assert_eq!(s, 400);
}
