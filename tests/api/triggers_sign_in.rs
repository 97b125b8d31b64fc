//! The sign-in triggers (UserMigration, PreAuthentication, PostAuthentication) against the stub
//! target of `trigger_stub`: Cognito's events, at every door that fires them (the hosted form,
//! USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_SRP_AUTH, ForgotPassword), and Cognito's
//! errors.

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, api, srp_sign_in, srp_start, verifier_answer};
use crate::helpers::{PASSWORD, TestApp, create_client, create_user, location, query_of};
use crate::trigger_stub::*;

const LEGACY_EMAIL: &str = "carol@legacy.example";
const LEGACY_PASSWORD: &str = "legacy-password-1";

/// A client of the default pool allowing the password, admin password and SRP flows.
fn client(app: &TestApp, prevent_user_existence_errors: bool) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_USER_PASSWORD_AUTH".into(),
            "ALLOW_ADMIN_USER_PASSWORD_AUTH".into(),
            "ALLOW_USER_SRP_AUTH".into(),
        ],
        prevent_user_existence_errors,
        ..Default::default()
    };
    create_client(app, settings, false).0
}

async fn password_auth(
    app: &TestApp,
    client_id: &str,
    username: &str,
    password: &str,
    metadata: Value,
) -> (u16, Value) {
    api(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
               "AuthParameters": {"USERNAME": username, "PASSWORD": password},
               "ClientMetadata": metadata}),
    )
    .await
}

fn shape(event: &Value) -> Vec<String> {
    let mut out = Vec::new();
    keys(event, "", &mut out);
    out
}

/// A legacy directory of one user: Carol, with her old password. Anyone else, or a wrong
/// password, makes it throw "Bad password" (as AWS's example handler does).
fn legacy_directory() -> Stub {
    Stub::start(|_, r| {
        let event = r.event();
        let known = event["userName"] == LEGACY_EMAIL;
        let password_ok = event["triggerSource"] == "UserMigration_ForgotPassword"
            || event["request"]["password"] == LEGACY_PASSWORD;
        if !(known && password_ok) {
            return Reply::json(400, json!({"errorMessage": "Bad password"}));
        }
        Reply::answer(
            r,
            json!({
                // Non-string values, as handlers write them: Cognito takes them.
                "userAttributes": {"email": LEGACY_EMAIL, "email_verified": true,
                                   "name": "Carol Legacy", "locale": "en"},
                "finalUserStatus": "CONFIRMED",
                "messageAction": "SUPPRESS",
                "desiredDeliveryMediums": ["EMAIL"],
                "forceAliasCreation": false,
            }),
        )
    })
}

#[tokio::test]
async fn user_migration_creates_the_user_once_and_later_sign_ins_are_local_srp_included() {
    let app = app_with_secret().await;
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    let client_id = client(&app, true);

    let (s, r) = password_auth(
        &app,
        &client_id,
        LEGACY_EMAIL,
        LEGACY_PASSWORD,
        json!({"app": "web"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let claims = crate::helpers::jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(claims["email"], LEGACY_EMAIL);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Carol Legacy");
    assert_eq!(
        user_status(&app, LEGACY_EMAIL).as_deref(),
        Some("CONFIRMED")
    );

    let seen = stub.requests();
    assert_eq!(seen.len(), 1);
    let event = seen[0].event();
    // Cognito's published UserMigration event (the documentation's syntax), its shape.
    let sample = json!({
        "version": "1", "triggerSource": "UserMigration_Authentication", "region": "r",
        "userPoolId": "p", "userName": "u",
        "callerContext": {"awsSdkVersion": "v", "clientId": "c"},
        "request": {"password": "p", "validationData": {}, "clientMetadata": {}},
        "response": {"userAttributes": {}, "finalUserStatus": "s", "messageAction": "s",
                     "desiredDeliveryMediums": [], "forceAliasCreation": true, "enableSMSMFA": false}
    });
    assert_eq!(shape(&event), shape(&sample), "{event}");
    check_envelope(&app, &event, "UserMigration_Authentication", &client_id);
    assert_eq!(event["userName"], LEGACY_EMAIL, "what the user typed");
    assert!(event["request"].get("userAttributes").is_none());
    assert_eq!(event["request"]["validationData"]["app"], "web");
    assert_eq!(event["request"]["clientMetadata"]["app"], "web");

    // The next sign-ins are local: the handler is not asked again, SRP works too.
    let (s, r) = password_auth(&app, &client_id, LEGACY_EMAIL, LEGACY_PASSWORD, json!({})).await;
    assert_eq!(s, 200, "{r}");
    let result = srp_sign_in(&app, &client_id, LEGACY_EMAIL, LEGACY_PASSWORD).await;
    assert!(result["AccessToken"].is_string(), "{result}");
    let (s, r) = password_auth(&app, &client_id, LEGACY_EMAIL, "wrong-password", json!({})).await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("NotAuthorizedException"))
    );
    assert_eq!(stub.requests().len(), 1, "fires once per user");
}

#[tokio::test]
async fn a_handler_that_does_not_know_the_user_looks_exactly_like_a_wrong_password() {
    let app = app_with_secret().await;
    create_user(&app, "local@example.com", "Local");
    let client_id = client(&app, true);
    let (_, local_wrong) =
        password_auth(&app, &client_id, "local@example.com", "not-it", json!({})).await;
    assert_eq!(local_wrong["__type"], "NotAuthorizedException");

    // A wrong legacy password (the handler throws), an unknown name (throws), and a handler
    // that answers an empty response: all three are the local wrong password, and store nothing.
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    for (name, password) in [
        (LEGACY_EMAIL, "not-it"),
        ("nobody@legacy.example", LEGACY_PASSWORD),
    ] {
        let (s, r) = password_auth(&app, &client_id, name, password, json!({})).await;
        assert_eq!((s, &r), (400, &local_wrong), "{name}");
        assert!(user_status(&app, name).is_none());
    }
    let empty = Stub::start(|_, r| Reply::answer(r, json!({})));
    set_trigger(&app, "UserMigration", &empty.url);
    let (s, r) = password_auth(&app, &client_id, LEGACY_EMAIL, LEGACY_PASSWORD, json!({})).await;
    assert_eq!((s, &r), (400, &local_wrong));
    assert!(user_status(&app, LEGACY_EMAIL).is_none());
    assert_eq!(empty.requests().len(), 1);

    // Without PreventUserExistenceErrors: what an unknown user gets without the trigger.
    let telling = client(&app, false);
    let (s, r) = password_auth(&app, &telling, "nobody@legacy.example", "x", json!({})).await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("UserNotFoundException"))
    );
}

#[tokio::test]
async fn bad_migration_answers_are_lambda_errors_and_create_nothing() {
    let app = app_with_secret().await;
    let client_id = client(&app, true);
    for (response, exception) in [
        (
            json!({"userAttributes": {"email": LEGACY_EMAIL, "name": {"first": "C"}}}),
            "InvalidLambdaResponseException",
        ),
        (
            json!({"userAttributes": {"email": LEGACY_EMAIL}, "finalUserStatus": "ENABLED"}),
            "InvalidLambdaResponseException",
        ),
        (
            json!({"userAttributes": {"email": LEGACY_EMAIL}, "messageAction": "SHOUT"}),
            "InvalidLambdaResponseException",
        ),
        // Attributes the pool's schema does not have, one it requires missing (the test
        // pool requires `locale`), or an email that is not one.
        (
            json!({"userAttributes": {"email": LEGACY_EMAIL}}),
            "InvalidLambdaResponseException",
        ),
        (
            json!({"userAttributes": {"email": LEGACY_EMAIL, "custom:plan": "gold"}}),
            "InvalidLambdaResponseException",
        ),
        (
            json!({"userAttributes": {"email": "not an email"}}),
            "InvalidLambdaResponseException",
        ),
        (
            json!({"userAttributes": {"email": LEGACY_EMAIL, "sub": "mine"}}),
            "InvalidLambdaResponseException",
        ),
    ] {
        let stub = Stub::start(move |_, r| Reply::answer(r, response.clone()));
        set_trigger(&app, "UserMigration", &stub.url);
        let (s, r) =
            password_auth(&app, &client_id, LEGACY_EMAIL, LEGACY_PASSWORD, json!({})).await;
        assert_eq!((s, r["__type"].as_str()), (400, Some(exception)), "{r}");
        assert_eq!(r["message"], "Unrecognizable lambda output");
        assert!(user_status(&app, LEGACY_EMAIL).is_none());
    }
    let garbage = Stub::start(|_, _| Reply::json(200, json!("not the event")));
    set_trigger(&app, "UserMigration", &garbage.url);
    let (s, r) = password_auth(&app, &client_id, LEGACY_EMAIL, LEGACY_PASSWORD, json!({})).await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("InvalidLambdaResponseException"))
    );
    assert!(user_status(&app, LEGACY_EMAIL).is_none());
}

#[tokio::test]
async fn a_legacy_user_signs_in_on_the_hosted_form_and_by_admin_password_auth() {
    let app = app_with_secret().await;
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    // The hosted form has the password: the user is migrated and the code goes to the client.
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    let r = app
        .submit_login(&browser, &login, LEGACY_EMAIL, "wrong")
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .submit_login(&browser, &login, LEGACY_EMAIL, LEGACY_PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let target = location(&r);
    assert!(target.starts_with(&app.redirect_uri), "{target}");
    assert!(query_of(&target).contains_key("code"));
    let seen = stub.requests();
    assert_eq!(seen.len(), 2);
    check_envelope(
        &app,
        &seen[1].event(),
        "UserMigration_Authentication",
        &app.client_id,
    );

    // ADMIN_USER_PASSWORD_AUTH for another legacy user.
    let app = app_with_secret().await;
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    let client_id = client(&app, true);
    let (s, r) = admin_api(
        &app,
        &admin_key(&app),
        "AdminInitiateAuth",
        json!({"UserPoolId": app.pool_id, "ClientId": client_id,
               "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": LEGACY_EMAIL, "PASSWORD": LEGACY_PASSWORD},
               "ClientMetadata": {"via": "admin"}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["IdToken"].is_string());
    let event = stub.requests()[0].event();
    assert_eq!(event["request"]["validationData"]["via"], "admin");
}

#[tokio::test]
async fn forgot_password_migrates_an_unknown_user_and_mails_them_a_code() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    let client_id = client(&app, true);
    let (s, r) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": client_id, "Username": LEGACY_EMAIL, "ClientMetadata": {"k": "v"}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let event = stub.requests()[0].event();
    check_envelope(&app, &event, "UserMigration_ForgotPassword", &client_id);
    assert!(event["request"].get("password").is_none(), "{event}");
    assert_eq!(event["request"]["clientMetadata"]["k"], "v");
    assert_eq!(
        user_status(&app, LEGACY_EMAIL).as_deref(),
        Some("RESET_REQUIRED")
    );
    let code = mailed_code(&inbox, 1).await;
    let (s, r) = api(
        &app,
        "ConfirmForgotPassword",
        json!({"ClientId": client_id, "Username": LEGACY_EMAIL,
               "ConfirmationCode": code, "Password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = password_auth(&app, &client_id, LEGACY_EMAIL, PASSWORD, json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(stub.requests().len(), 1, "the user is local now");

    // An unknown name: the same answer as without the trigger, nothing created, no mail.
    let (s, r) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": client_id, "Username": "nobody@legacy.example"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(user_status(&app, "nobody@legacy.example").is_none());
}

/// A PreAuthentication stub that denies sign-ins whose validation data says `deny`.
fn gatekeeper() -> Stub {
    Stub::start(|_, r| {
        if r.event()["request"]["validationData"]["deny"] == "yes" {
            Reply::json(400, json!({"errorMessage": "Blocked"}))
        } else {
            Reply::answer(r, json!({}))
        }
    })
}

const BLOCKED: &str = "PreAuthentication failed with error Blocked.";

#[tokio::test]
async fn pre_authentication_fires_before_the_password_at_every_door() {
    let app = app_with_secret().await;
    create_user(&app, "pat@example.com", "Pat");
    let stub = gatekeeper();
    set_trigger(&app, "PreAuthentication", &stub.url);
    let client_id = client(&app, true);

    // USER_PASSWORD_AUTH: ClientMetadata is the validation data; a denial even with the right
    // password, and before a wrong one is looked at.
    let (s, r) = password_auth(
        &app,
        &client_id,
        "pat@example.com",
        PASSWORD,
        json!({"deny": "yes"}),
    )
    .await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("UserLambdaValidationException"))
    );
    assert_eq!(r["message"], BLOCKED);
    let (_, r) = password_auth(
        &app,
        &client_id,
        "pat@example.com",
        "wrong",
        json!({"deny": "yes"}),
    )
    .await;
    assert_eq!(r["message"], BLOCKED);
    let (s, r) = password_auth(
        &app,
        &client_id,
        "pat@example.com",
        PASSWORD,
        json!({"deny": "no"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    let event = stub.requests()[0].event();
    let sample = json!({
        "version": "1", "triggerSource": "PreAuthentication_Authentication", "region": "r",
        "userPoolId": "p", "userName": "u",
        "callerContext": {"awsSdkVersion": "v", "clientId": "c"},
        "request": {"userAttributes": {}, "validationData": {}, "userNotFound": false},
        "response": {}
    });
    assert_eq!(shape(&event), shape(&sample), "{event}");
    check_envelope(&app, &event, "PreAuthentication_Authentication", &client_id);
    let attributes = &event["request"]["userAttributes"];
    assert_eq!(attributes["email"], "pat@example.com");
    assert_eq!(attributes["email_verified"], "true");
    assert_eq!(attributes["cognito:user_status"], "CONFIRMED");
    assert!(attributes["sub"].is_string());
    assert_eq!(event["request"]["userNotFound"], false);

    // ADMIN_USER_PASSWORD_AUTH.
    let (s, r) = admin_api(
        &app,
        &admin_key(&app),
        "AdminInitiateAuth",
        json!({"UserPoolId": app.pool_id, "ClientId": client_id,
               "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": "pat@example.com", "PASSWORD": PASSWORD},
               "ClientMetadata": {"deny": "yes"}}),
    )
    .await;
    assert_eq!((s, r["message"].as_str()), (400, Some(BLOCKED)), "{r}");

    // USER_SRP_AUTH: at InitiateAuth, before the PASSWORD_VERIFIER challenge.
    let srp = crate::cognito::SrpClient::new();
    let (s, r) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client_id,
               "AuthParameters": {"USERNAME": "pat@example.com", "SRP_A": srp.a_hex()},
               "ClientMetadata": {"deny": "yes"}}),
    )
    .await;
    assert_eq!((s, r["message"].as_str()), (400, Some(BLOCKED)), "{r}");
    let before = stub.requests().len();
    let (c, v) = srp_start(&app, &client_id, "pat@example.com").await;
    assert_eq!(stub.requests().len(), before + 1, "fired at InitiateAuth");
    let (s, r) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &client_id, &c, &v, PASSWORD),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(stub.requests().len(), before + 1, "not again for the proof");

    // The hosted form shows the handler's message.
    let deny_all =
        Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "Closed for maintenance"})));
    set_trigger(&app, "PreAuthentication", &deny_all.url);
    let browser = app.browser();
    let login = app.login_path(&browser).await;
    let r = app
        .submit_login(&browser, &login, "pat@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("PreAuthentication failed with error Closed for maintenance."),
        "{html}"
    );
    assert_eq!(
        deny_all.requests()[0].event()["callerContext"]["clientId"],
        app.client_id
    );
}

#[tokio::test]
async fn pre_authentication_and_unknown_users() {
    let app = app_with_secret().await;
    let stub = gatekeeper();
    set_trigger(&app, "PreAuthentication", &stub.url);
    // PreventUserExistenceErrors: fired with userNotFound and no attributes; allowed, the
    // answer is the wrong password's.
    let preventing = client(&app, true);
    let (s, r) = password_auth(&app, &preventing, "ghost@example.com", "x", json!({})).await;
    assert_eq!(
        (s, r["message"].as_str()),
        (400, Some("Incorrect username or password."))
    );
    let event = stub.requests()[0].event();
    assert_eq!(event["request"]["userNotFound"], true);
    assert_eq!(event["request"]["userAttributes"], json!({}));
    assert_eq!(event["userName"], "ghost@example.com");
    // Denied: the handler's message, for unknown users as for known ones (it was told).
    let (_, r) = password_auth(
        &app,
        &preventing,
        "ghost@example.com",
        "x",
        json!({"deny": "yes"}),
    )
    .await;
    assert_eq!(r["message"], BLOCKED);
    // Without it, as at Cognito: not fired for an unknown user.
    let telling = client(&app, false);
    let before = stub.requests().len();
    let (_, r) = password_auth(
        &app,
        &telling,
        "ghost@example.com",
        "x",
        json!({"deny": "yes"}),
    )
    .await;
    assert_eq!(r["__type"], "UserNotFoundException");
    let (_, r) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": telling,
               "AuthParameters": {"USERNAME": "ghost@example.com",
                                  "SRP_A": crate::cognito::SrpClient::new().a_hex()}}),
    )
    .await;
    assert_eq!(r["__type"], "UserNotFoundException");
    assert_eq!(stub.requests().len(), before);
}

#[tokio::test]
async fn post_authentication_fires_before_tokens_and_its_failure_hands_out_none() {
    let app = app_with_secret().await;
    create_user(&app, "pia@example.com", "Pia");
    let stub = Stub::start(|n, r| {
        if n == 0 {
            Reply::json(400, json!({"errorMessage": "Audit log unavailable"}))
        } else {
            Reply::answer(r, json!({}))
        }
    });
    set_trigger(&app, "PostAuthentication", &stub.url);
    let client_id = client(&app, true);

    let (s, r) = password_auth(
        &app,
        &client_id,
        "pia@example.com",
        PASSWORD,
        json!({"k": "v"}),
    )
    .await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("UserLambdaValidationException")),
        "{r}"
    );
    assert_eq!(
        r["message"],
        "PostAuthentication failed with error Audit log unavailable."
    );
    assert!(r.get("AuthenticationResult").is_none());
    let (s, r) = password_auth(
        &app,
        &client_id,
        "pia@example.com",
        PASSWORD,
        json!({"k": "v"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["AccessToken"].is_string());

    let event = stub.requests()[1].event();
    // Cognito's published PostAuthentication event, its shape; InitiateAuth's ClientMetadata
    // is not passed (only RespondToAuthChallenge's is, as at Cognito).
    let sample = json!({
        "version": "1", "triggerSource": "PostAuthentication_Authentication", "region": "r",
        "userPoolId": "p", "userName": "u",
        "callerContext": {"awsSdkVersion": "v", "clientId": "c"},
        "request": {"userAttributes": {}, "newDeviceUsed": false},
        "response": {}
    });
    assert_eq!(shape(&event), shape(&sample), "{event}");
    check_envelope(
        &app,
        &event,
        "PostAuthentication_Authentication",
        &client_id,
    );
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "pia@example.com"
    );
    assert_eq!(
        event["request"]["userAttributes"]["cognito:user_status"],
        "CONFIRMED"
    );

    // SRP: fired by RespondToAuthChallenge, once the proof is right.
    let before = stub.requests().len();
    let (c, v) = srp_start(&app, &client_id, "pia@example.com").await;
    assert_eq!(stub.requests().len(), before);
    let (s, r) = api(
        &app,
        "RespondToAuthChallenge",
        verifier_answer(&app, &client_id, &c, &v, "wrong"),
    )
    .await;
    assert_eq!(
        (s, r["__type"].as_str()),
        (400, Some("NotAuthorizedException"))
    );
    assert_eq!(stub.requests().len(), before, "not for a wrong proof");
    // RespondToAuthChallenge's ClientMetadata is passed: the whole published shape.
    let (c, v) = srp_start(&app, &client_id, "pia@example.com").await;
    let mut answer = verifier_answer(&app, &client_id, &c, &v, PASSWORD);
    answer["ClientMetadata"] = json!({"screen": "login"});
    let (s, r) = api(&app, "RespondToAuthChallenge", answer).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["IdToken"].is_string());
    let seen = stub.requests();
    assert_eq!(seen.len(), before + 1);
    let event = seen[before].event();
    let mut sample = sample;
    sample["request"]["clientMetadata"] = json!({});
    assert_eq!(shape(&event), shape(&sample), "{event}");
    assert_eq!(event["request"]["clientMetadata"]["screen"], "login");
    assert_eq!(event["request"]["newDeviceUsed"], false);
}

#[tokio::test]
async fn a_failing_post_authentication_returns_access_denied_to_the_relying_party() {
    let app = app_with_secret().await;
    create_user(&app, "rp@example.com", "Rp");
    let stub = Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "Not today"})));
    set_trigger(&app, "PostAuthentication", &stub.url);
    let browser = app.browser();
    let (_, challenge) = crate::helpers::pkce_pair();
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "st-1"),
        ]))
        .send()
        .await
        .unwrap();
    let login = location(&r);
    let r = app
        .submit_login(&browser, &login, "rp@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let target = location(&r);
    assert!(target.starts_with(&app.redirect_uri), "{target}");
    let q = query_of(&target);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(
        q["error_description"],
        "PostAuthentication failed with error Not today."
    );
    assert_eq!(q["state"], "st-1");
    assert!(!q.contains_key("code"));
    let event = stub.requests()[0].event();
    check_envelope(
        &app,
        &event,
        "PostAuthentication_Authentication",
        &app.client_id,
    );
    // No session was started: the authorize request asks for a sign-in again.
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("/login"), "{}", location(&r));
}

/// amazon-cognito-identity-js (tests/js/sign-up-and-in.mjs) signing in: `step` is `signin`
/// (SRP) or `signin-password` (USER_PASSWORD_AUTH). The ID token's claims, or the error.
async fn identity_js_sign_in(
    app: &TestApp,
    client_id: &str,
    step: &'static str,
    email: &str,
    password: &str,
) -> Result<Value, String> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let args = [
        "sign-up-and-in.mjs".to_string(),
        step.to_string(),
        app.address.clone(),
        app.pool_id.clone(),
        client_id.to_string(),
        email.to_string(),
        password.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("the claims as JSON"))
}

#[tokio::test]
async fn the_example_handler_behind_the_node_shim_migrates_a_legacy_user_once() {
    if let Some(reason) = crate::helpers::js_libraries_missing() {
        crate::helpers::skip_or_fail(
            "triggers_sign_in::the_example_handler_behind_the_node_shim_migrates_a_legacy_user_once",
            reason,
        );
        return;
    }
    // examples/triggers/user-migration.mjs, unchanged, against its legacy table.
    let shim = start_shim("user-migration.mjs", &[]);
    let app = app_with_secret().await;
    set_trigger(
        &app,
        "UserMigration",
        &format!("{}/user-migration", shim.url),
    );
    let client_id = client(&app, true);

    // A wrong legacy password: the library sees the wrong-password error.
    let e = identity_js_sign_in(&app, &client_id, "signin-password", LEGACY_EMAIL, "nope")
        .await
        .unwrap_err();
    assert!(e.contains("Incorrect username or password"), "{e}");
    // During the migration window the app signs in with USER_PASSWORD_AUTH: migrated.
    let claims = identity_js_sign_in(
        &app,
        &client_id,
        "signin-password",
        LEGACY_EMAIL,
        LEGACY_PASSWORD,
    )
    .await
    .unwrap();
    assert_eq!(claims["email"], LEGACY_EMAIL);
    assert_eq!(claims["name"], "Carol Legacy");
    assert_eq!(claims["email_verified"], true);
    let calls = shim.log().matches("UserMigration_Authentication").count();
    assert_eq!(calls, 2, "{}", shim.log());
    assert!(
        !shim.log().contains(LEGACY_PASSWORD),
        "no password in the shim's log"
    );
    // Afterwards: SRP (the library's default), without the handler.
    let claims = identity_js_sign_in(&app, &client_id, "signin", LEGACY_EMAIL, LEGACY_PASSWORD)
        .await
        .unwrap();
    assert_eq!(claims["email"], LEGACY_EMAIL);
    let claims = identity_js_sign_in(
        &app,
        &client_id,
        "signin-password",
        LEGACY_EMAIL,
        LEGACY_PASSWORD,
    )
    .await
    .unwrap();
    assert_eq!(claims["cognito:username"], claims["sub"]);
    assert_eq!(
        shim.log().matches("UserMigration_Authentication").count(),
        2,
        "not called again: {}",
        shim.log()
    );
}

#[tokio::test]
async fn post_authentication_waits_for_the_second_factor() {
    use crate::mfa::{now, set_pool, totp_at};
    let app = app_with_secret().await;
    create_user(&app, "mo@example.com", "Mo");
    set_pool(&app, incognito::pools::MfaMode::Optional, 0);
    let client_id = client(&app, true);
    // Mo turns TOTP on (before the trigger is set).
    let (_, r) = password_auth(&app, &client_id, "mo@example.com", PASSWORD, json!({})).await;
    let access = r["AuthenticationResult"]["AccessToken"].clone();
    let (s, r) = api(
        &app,
        "AssociateSoftwareToken",
        json!({"AccessToken": access}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let secret = r["SecretCode"].as_str().unwrap().to_string();
    let (s, r) = api(
        &app,
        "VerifySoftwareToken",
        json!({"AccessToken": access, "UserCode": totp_at(&secret, now() - 30)}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = api(
        &app,
        "SetUserMFAPreference",
        json!({"AccessToken": access,
               "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    let stub = Stub::start(|_, r| Reply::answer(r, json!({})));
    set_trigger(&app, "PostAuthentication", &stub.url);
    let (s, r) = password_auth(&app, &client_id, "mo@example.com", PASSWORD, json!({})).await;
    assert_eq!(
        (s, r["ChallengeName"].as_str()),
        (200, Some("SOFTWARE_TOKEN_MFA")),
        "{r}"
    );
    assert!(stub.requests().is_empty(), "not before the second factor");
    let (s, r) = api(
        &app,
        "RespondToAuthChallenge",
        json!({"ChallengeName": "SOFTWARE_TOKEN_MFA", "ClientId": client_id,
               "Session": r["Session"],
               "ChallengeResponses": {"USERNAME": "mo@example.com",
                                      "SOFTWARE_TOKEN_MFA_CODE": totp_at(&secret, now())},
               "ClientMetadata": {"step": "mfa"}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["IdToken"].is_string());
    let seen = stub.requests();
    assert_eq!(seen.len(), 1);
    let event = seen[0].event();
    check_envelope(
        &app,
        &event,
        "PostAuthentication_Authentication",
        &client_id,
    );
    assert_eq!(event["request"]["clientMetadata"]["step"], "mfa");
}

#[tokio::test]
async fn wrong_legacy_passwords_lock_the_login_name_like_local_ones() {
    let app = app_with_secret().await;
    create_user(&app, "lou@example.com", "Lou");
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    let client_id = client(&app, true);
    for name in ["lou@example.com", LEGACY_EMAIL] {
        for _ in 0..5 {
            let (s, r) = password_auth(&app, &client_id, name, "wrong!", json!({})).await;
            assert_eq!(
                (s, r["message"].as_str()),
                (400, Some("Incorrect username or password."))
            );
        }
        // Locked out now, whichever the password: for the legacy name too.
        let right = if name == LEGACY_EMAIL {
            LEGACY_PASSWORD
        } else {
            PASSWORD
        };
        let (s, r) = password_auth(&app, &client_id, name, right, json!({})).await;
        assert_eq!(
            (s, r["__type"].as_str(), r["message"].as_str()),
            (
                400,
                Some("NotAuthorizedException"),
                Some("Password attempts exceeded")
            ),
            "{name}"
        );
    }
    assert_eq!(
        stub.requests().len(),
        5,
        "a locked-out name does not reach the handler"
    );
    assert!(user_status(&app, LEGACY_EMAIL).is_none());
}

#[tokio::test]
async fn the_hosted_forgot_password_page_migrates_too() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = legacy_directory();
    set_trigger(&app, "UserMigration", &stub.url);
    let browser = app.browser();
    let r = post_page(
        &app,
        &browser,
        "/forgot-password",
        &[("email", LEGACY_EMAIL)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        stub.requests()[0].event()["triggerSource"],
        "UserMigration_ForgotPassword"
    );
    assert_eq!(
        user_status(&app, LEGACY_EMAIL).as_deref(),
        Some("RESET_REQUIRED")
    );
    assert_eq!(mailed_code(&inbox, 1).await.len(), 6);
    // A failing handler changes nothing in the page's answer, and creates nobody.
    let broken = Stub::start(|_, _| Reply::json(200, json!("garbage")));
    set_trigger(&app, "UserMigration", &broken.url);
    let r = post_page(
        &app,
        &browser,
        "/forgot-password",
        &[("email", "zed@legacy.example")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(user_status(&app, "zed@legacy.example").is_none());
}
