//! Lambda triggers against the stub target of `trigger_stub` (on loopback, recording every
//! request): both target kinds, Cognito's events and Cognito's failure behaviour.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cognito::api;
use crate::helpers::{PASSWORD, TestApp, spawn_app_with};
use crate::trigger_stub::*;

/// A PreSignUp stub that rejects the first sign-up with `message`, then confirms and verifies.
fn reject_then_confirm(message: &'static str) -> Stub {
    Stub::start(move |n, r| {
        if n == 0 {
            Reply::json(400, json!({ "errorMessage": message }))
        } else {
            Reply::answer(r, json!({"autoConfirmUser": true, "autoVerifyEmail": true}))
        }
    })
}

pub(crate) fn sign_up_body(app: &TestApp, email: &str) -> Value {
    json!({
        "ClientId": app.client_id,
        "Username": email,
        "Password": PASSWORD,
        "UserAttributes": [
            {"Name": "name", "Value": "Sue"},
            {"Name": "locale", "Value": "en"},
        ],
        "ValidationData": [{"Name": "invite", "Value": "abc"}],
        "ClientMetadata": {"source": "test"},
    })
}

/// A SignUp refused with `exception`, having stored no user: the error body.
async fn sign_up_refused(app: &TestApp, email: &str, exception: &str) -> Value {
    let (s, e) = api(app, "SignUp", sign_up_body(app, email)).await;
    assert_eq!(
        (s, e["__type"].as_str().unwrap_or("")),
        (400, exception),
        "{e}"
    );
    assert!(!user_exists(app, email));
    e
}

fn user_exists(app: &TestApp, login: &str) -> bool {
    user_status(app, login).is_some()
}

#[tokio::test]
async fn pre_sign_up_auto_confirms_with_cognitos_event_and_a_verified_signature() {
    let app = app_with_secret().await;
    let stub = Stub::start(|_, r| {
        Reply::answer(
            r,
            json!({"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": false}),
        )
    });
    set_trigger(&app, "PreSignUp", &format!("{}/pre-sign-up", stub.url));
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "sue@example.com")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["UserConfirmed"], true);
    assert!(r.get("CodeDeliveryDetails").is_none(), "{r}");

    let seen = stub.requests();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.path, "/pre-sign-up");
    assert!(
        verify_signature(request),
        "the Standard Webhooks signature verifies"
    );
    let event = request.event();
    // Cognito's sample PreSignUp_SignUp event (AWS documentation), its shape.
    let sample = json!({
        "version": "1", "region": "us-west-2", "userPoolId": "us-west-2_EXAMPLE",
        "userName": "testuser",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"email": "testuser@example.com"},
                    "validationData": {"k": "v"}, "clientMetadata": {"k": "v"}},
        "response": {"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
    });
    let (mut want, mut got) = (Vec::new(), Vec::new());
    keys(&sample, "", &mut want);
    keys(&event, "", &mut got);
    assert_eq!(got, want, "{event}");
    check_envelope(&app, &event, "PreSignUp_SignUp", &app.client_id);
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "sue@example.com"
    );
    assert_eq!(event["request"]["userAttributes"]["name"], "Sue");
    assert_eq!(event["request"]["validationData"]["invite"], "abc");
    assert_eq!(event["request"]["clientMetadata"]["source"], "test");
    assert_eq!(event["response"]["autoConfirmUser"], false);

    // Confirmed and verified: signs in at once.
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec!["ALLOW_USER_PASSWORD_AUTH".into()],
        ..Default::default()
    };
    let (client, _) = crate::helpers::create_client(&app, settings, false);
    let (s, r) = api(
        &app,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
               "AuthParameters": {"USERNAME": "sue@example.com", "PASSWORD": PASSWORD}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let id_token = r["AuthenticationResult"]["IdToken"].as_str().unwrap();
    assert_eq!(crate::helpers::jwt_claims(id_token)["email_verified"], true);
}

#[tokio::test]
async fn a_rejecting_pre_sign_up_stores_nothing() {
    let app = app_with_secret().await;
    let stub = Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "Domain not allowed"})));
    set_trigger(&app, "PreSignUp", &stub.url);
    let e = sign_up_refused(&app, "eve@example.com", "UserLambdaValidationException").await;
    assert_eq!(
        e["message"],
        "PreSignUp failed with error Domain not allowed."
    );
    assert_eq!(stub.requests().len(), 1, "a handler error is not retried");
}

#[tokio::test]
async fn a_silent_target_is_tried_three_times_with_one_webhook_id() {
    let app = app_with_secret().await;
    let stub = Stub::start(|_, r| Reply {
        delay: Duration::from_secs(7),
        ..Reply::answer(r, json!({}))
    });
    set_trigger(&app, "PreSignUp", &stub.url);
    let e = sign_up_refused(&app, "tim@example.com", "UnexpectedLambdaException").await;
    assert_eq!(
        e["message"],
        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
    );
    let seen = stub.requests();
    assert_eq!(seen.len(), 3);
    let ids: Vec<_> = seen
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[tokio::test]
async fn garbage_is_an_invalid_lambda_response_and_5xx_is_retried() {
    let app = app_with_secret().await;
    let garbage = Stub::start(|_, _| Reply::json(200, json!(["not", "the", "event"])));
    set_trigger(&app, "PreSignUp", &garbage.url);
    let e = sign_up_refused(&app, "gus@example.com", "InvalidLambdaResponseException").await;
    assert_eq!(e["message"], "Unrecognizable lambda output");

    // A target that refuses the signature is not a handler's rejection.
    let unsigned =
        Stub::start(|_, _| Reply::json(401, json!({"errorMessage": "invalid webhook signature"})));
    set_trigger(&app, "PreSignUp", &unsigned.url);
    let e = sign_up_refused(&app, "gus@example.com", "UnexpectedLambdaException").await;
    assert!(e["message"].as_str().unwrap().contains("signature"), "{e}");

    let flaky = Stub::start(|n, r| {
        if n == 0 {
            Reply::json(503, json!({}))
        } else {
            Reply::answer(r, json!({"autoConfirmUser": false}))
        }
    });
    set_trigger(&app, "PreSignUp", &flaky.url);
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "gus@example.com")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["UserConfirmed"], false);
    let seen = flaky.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"));
    assert!(user_exists(&app, "gus@example.com"));
}

#[tokio::test]
async fn metadata_and_private_addresses_are_refused() {
    let app = app_with_secret().await;
    set_trigger(
        &app,
        "PreSignUp",
        "https://169.254.169.254/latest/meta-data/",
    );
    let e = sign_up_refused(&app, "meta@example.com", "UnexpectedLambdaException").await;
    assert_eq!(
        e["message"],
        "PreSignUp invocation failed due to error the target address is not allowed."
    );

    // With trigger_deny_private, loopback is refused too: the stub hears nothing.
    let app = spawn_app_with(|c| {
        c.webhook_secret = Some(incognito::config::Secret(SECRET.into()));
        c.trigger_deny_private = true;
    })
    .await;
    let stub = Stub::start(|_, r| Reply::answer(r, json!({})));
    set_trigger(&app, "PreSignUp", &stub.url);
    let e = sign_up_refused(&app, "lo@example.com", "UnexpectedLambdaException").await;
    assert!(
        e["message"].as_str().unwrap().contains("not allowed"),
        "{e}"
    );
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn a_lambda_arn_goes_to_the_invoke_api_signed_for_lambda() {
    let stub = Stub::start(|n, r| {
        if n == 0 {
            Reply {
                headers: vec![("x-amz-function-error", "Unhandled")],
                ..Reply::json(200, json!({"errorType": "Error", "errorMessage": "boom"}))
            }
        } else {
            Reply::answer(r, json!({"autoConfirmUser": true}))
        }
    });
    let endpoint = stub.url.clone();
    let app = spawn_app_with(move |c| {
        c.lambda_endpoint = Some(endpoint);
        c.aws_credentials = Some(incognito::triggers::AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("session-token".into()),
        });
    })
    .await;
    let arn = "arn:aws:lambda:eu-west-1:123456789012:function:pre-sign-up";
    set_trigger(&app, "PreSignUp", arn);
    let e = sign_up_refused(&app, "lam@example.com", "UserLambdaValidationException").await;
    assert_eq!(e["message"], "PreSignUp failed with error boom.");
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "lam@example.com")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["UserConfirmed"], true);

    let seen = stub.requests();
    assert_eq!(seen.len(), 2);
    let r = &seen[0];
    assert_eq!(
        r.path,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Apre-sign-up/invocations"
    );
    let authz = r.header("authorization").unwrap();
    assert!(
        authz.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{authz}"
    );
    assert!(authz.contains("/eu-west-1/lambda/aws4_request"), "{authz}");
    assert_eq!(r.header("x-amz-security-token"), Some("session-token"));
    assert!(r.header("x-amz-date").is_some());
    assert!(r.header("webhook-signature").is_none());
    assert_eq!(r.event()["triggerSource"], "PreSignUp_SignUp");
}

#[tokio::test]
async fn admin_create_user_fires_pre_sign_up_admin_create_user() {
    let app = app_with_secret().await;
    let stub = reject_then_confirm("no admins today");
    set_trigger(&app, "PreSignUp", &stub.url);
    let key = crate::cognito::admin_key(&app);
    let body = json!({
        "UserPoolId": app.pool_id,
        "Username": "ada@example.com",
        "UserAttributes": [{"Name": "name", "Value": "Ada"}, {"Name": "locale", "Value": "en"}],
        "MessageAction": "SUPPRESS",
        "ClientMetadata": {"k": "v"},
    });
    let (s, e) = crate::cognito::admin_api(&app, &key, "AdminCreateUser", body.clone()).await;
    assert_eq!(
        (s, e["__type"].as_str().unwrap()),
        (400, "UserLambdaValidationException")
    );
    assert_eq!(e["message"], "PreSignUp failed with error no admins today.");
    assert!(!user_exists(&app, "ada@example.com"));
    let (s, r) = crate::cognito::admin_api(&app, &key, "AdminCreateUser", body).await;
    assert_eq!(s, 200, "{r}");
    // autoConfirmUser is not honoured for AdminCreateUser.
    assert_eq!(r["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    let event = stub.requests()[1].event();
    check_envelope(
        &app,
        &event,
        "PreSignUp_AdminCreateUser",
        "CLIENT_ID_NOT_APPLICABLE",
    );
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "ada@example.com"
    );
    assert_eq!(event["request"]["clientMetadata"]["k"], "v");
}

#[tokio::test]
async fn the_hosted_sign_up_page_shows_the_rejection_and_follows_auto_confirm() {
    let app = app_with_secret().await;
    let stub = reject_then_confirm("Use your work address");
    set_trigger(&app, "PreSignUp", &stub.url);
    let browser = app.browser();
    let form = [
        ("email", "web@example.com"),
        ("name", "Web"),
        ("locale", "en"),
        ("password", PASSWORD),
    ];
    let r = post_page(&app, &browser, "/signup", &form).await;
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("PreSignUp failed with error Use your work address."),
        "{html}"
    );
    assert!(!user_exists(&app, "web@example.com"));
    // Confirmed by the trigger: the page goes to sign-in, not to the code page.
    let r = post_page(&app, &browser, "/signup", &form).await;
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(location.contains("/login"), "{location}");
    assert!(user_exists(&app, "web@example.com"));
    assert_eq!(
        stub.requests()[1].event()["triggerSource"],
        "PreSignUp_SignUp"
    );
}

#[tokio::test]
async fn post_confirmation_fires_after_the_commit_for_every_confirmation() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = Stub::start(|n, r| {
        if n == 0 {
            Reply::json(400, json!({"errorMessage": "crm down"}))
        } else {
            Reply::answer(r, json!({}))
        }
    });
    set_trigger(&app, "PostConfirmation", &stub.url);
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "pc@example.com")).await;
    assert_eq!(s, 200, "{r}");
    assert!(stub.requests().is_empty(), "not fired by SignUp");
    // A failing PostConfirmation: the error is answered, the user stays confirmed.
    let confirm = json!({"ClientId": app.client_id, "Username": "pc@example.com",
                         "ConfirmationCode": mailed_code(&inbox, 1).await, "ClientMetadata": {"k": "v"}});
    let (s, e) = api(&app, "ConfirmSignUp", confirm).await;
    assert_eq!(
        (s, e["__type"].as_str().unwrap()),
        (400, "UserLambdaValidationException")
    );
    assert_eq!(e["message"], "PostConfirmation failed with error crm down.");
    assert_eq!(user_status(&app, "pc@example.com").unwrap(), "CONFIRMED");
    let event = stub.requests()[0].event();
    check_envelope(
        &app,
        &event,
        "PostConfirmation_ConfirmSignUp",
        &app.client_id,
    );
    let attrs = &event["request"]["userAttributes"];
    assert_eq!(attrs["cognito:user_status"], "CONFIRMED");
    assert_eq!(attrs["email_verified"], "true");
    assert_eq!(attrs["email"], "pc@example.com");
    assert!(attrs["sub"].is_string());
    assert_eq!(event["request"]["clientMetadata"]["k"], "v");
    assert_eq!(event["response"], json!({}));

    // A password reset fires PostConfirmation_ConfirmForgotPassword.
    let (s, r) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": "pc@example.com"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let reset = json!({"ClientId": app.client_id, "Username": "pc@example.com",
                       "ConfirmationCode": mailed_code(&inbox, 2).await, "Password": "another long passphrase"});
    let (s, r) = api(&app, "ConfirmForgotPassword", reset).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        stub.requests()[1].event()["triggerSource"],
        "PostConfirmation_ConfirmForgotPassword"
    );

    // AdminConfirmSignUp fires it too, without a client.
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "adm@example.com")).await;
    assert_eq!(s, 200, "{r}");
    let key = crate::cognito::admin_key(&app);
    let (s, r) = crate::cognito::admin_api(
        &app,
        &key,
        "AdminConfirmSignUp",
        json!({"UserPoolId": app.pool_id, "Username": "adm@example.com"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let seen = stub.requests();
    assert_eq!(seen.len(), 3);
    let event = seen[2].event();
    check_envelope(
        &app,
        &event,
        "PostConfirmation_ConfirmSignUp",
        "CLIENT_ID_NOT_APPLICABLE",
    );
    assert_eq!(
        event["request"]["userAttributes"]["email_verified"],
        "false"
    );
}

#[tokio::test]
async fn the_cli_sets_and_removes_triggers_in_lambda_config() {
    let app = app_with_secret().await;
    let stub = Stub::start(|_, r| Reply::answer(r, json!({"autoConfirmUser": true})));
    let (data, pool) = (app.data_path().to_path_buf(), app.pool_id.clone());
    let update = |flag: &str, value: &str| -> Vec<String> {
        ["pool", "update", "--pool", &pool, flag, value]
            .map(String::from)
            .to_vec()
    };
    fn args(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let target = format!("{}/hook", stub.url);
    let set = update("--trigger", &format!("PreSignUp={target}"));
    let shown = crate::cli::ok_json(&data, &args(&set));
    assert_eq!(
        shown["settings"]["recorded"]["lambda_config"]["PreSignUp"],
        target
    );
    app.state.directory.invalidate();
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "cli@example.com")).await;
    assert_eq!((s, r["UserConfirmed"].as_bool()), (200, Some(true)), "{r}");
    assert_eq!(stub.requests().len(), 1);

    for (bad, says) in [
        ("PreSignUp=http://hooks.example.com/x", "https://"),
        ("PreSignIn=https://hooks.example.com/x", "PreSignUp"),
    ] {
        let err = crate::cli::fails(&data, &args(&update("--trigger", bad)));
        assert!(err.contains(says), "{bad}: {err}");
    }

    let shown = crate::cli::ok_json(&data, &args(&update("--no-trigger", "PreSignUp")));
    assert!(
        shown["settings"]["recorded"]["lambda_config"].is_null(),
        "{shown}"
    );
    app.state.directory.invalidate();
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "cli2@example.com")).await;
    assert_eq!((s, r["UserConfirmed"].as_bool()), (200, Some(false)), "{r}");
    assert_eq!(stub.requests().len(), 1, "no trigger any more");
}

#[tokio::test]
async fn lambda_config_targets_are_checked_and_described_as_given() {
    let app = app_with_secret().await;
    let key = crate::cognito::admin_key(&app);
    let create = |config: Value| json!({"PoolName": "hooks", "LambdaConfig": config});
    let bad = [
        json!({"PreSignUp": "http://hooks.example.com/pre"}),
        json!({"PostConfirmation": "arn:aws:s3:::bucket"}),
        json!({"PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": "ftp://x"}}),
    ];
    for config in bad {
        let (s, e) = crate::cognito::admin_api(&app, &key, "CreateUserPool", create(config)).await;
        assert_eq!(
            (s, e["__type"].as_str().unwrap()),
            (400, "InvalidParameterException")
        );
    }
    let good = json!({
        "PreSignUp": "https://hooks.example.com/pre",
        "PostConfirmation": "arn:aws:lambda:eu-west-1:123456789012:function:welcome",
        "PreTokenGenerationConfig": {"LambdaVersion": "V2_0",
            "LambdaArn": "arn:aws:lambda:eu-west-1:123456789012:function:claims"},
        "KMSKeyID": "arn:aws:kms:eu-west-1:123456789012:key/abc",
    });
    let (s, r) =
        crate::cognito::admin_api(&app, &key, "CreateUserPool", create(good.clone())).await;
    assert_eq!(s, 200, "{r}");
    let id = r["UserPool"]["Id"].as_str().unwrap();
    let (s, r) =
        crate::cognito::admin_api(&app, &key, "DescribeUserPool", json!({"UserPoolId": id})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["UserPool"]["LambdaConfig"], good);
}

#[test]
fn the_bootstrap_file_declares_triggers() {
    let dir = tempfile::tempdir().unwrap();
    let (d, file) = (dir.path(), dir.path().join("hooks.toml"));
    let text = |target: &str| {
        format!("[[pool]]\nname = \"Hooks\"\n[pool.triggers]\nPreSignUp = \"{target}\"\n")
    };
    std::fs::write(&file, text("https://hooks.example.com/pre")).unwrap();
    let file_arg = file.to_str().unwrap();
    crate::cli::ok_json(d, &["bootstrap", "apply", file_arg]);
    let shown = crate::cli::ok_json(d, &["pool", "show", "--pool", "Hooks"]);
    assert_eq!(
        shown["settings"]["recorded"]["lambda_config"],
        json!({"PreSignUp": "https://hooks.example.com/pre"})
    );
    std::fs::write(&file, text("http://hooks.example.com/pre")).unwrap();
    let err = crate::cli::fails(d, &["bootstrap", "apply", file_arg]);
    assert!(err.contains("https://"), "{err}");
}

#[tokio::test]
async fn the_hosted_confirmation_page_fires_post_confirmation() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "welcome mail failed"})));
    set_trigger(&app, "PostConfirmation", &stub.url);
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "page@example.com")).await;
    assert_eq!(s, 200, "{r}");
    let code = mailed_code(&inbox, 1).await;
    let form = [("email", "page@example.com"), ("code", code.as_str())];
    let r = post_page(&app, &app.browser(), "/confirm", &form).await;
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("PostConfirmation failed with error welcome mail failed."),
        "{html}"
    );
    // Confirmed all the same.
    assert_eq!(user_status(&app, "page@example.com").unwrap(), "CONFIRMED");
    let event = stub.requests()[0].event();
    check_envelope(
        &app,
        &event,
        "PostConfirmation_ConfirmSignUp",
        "CLIENT_ID_NOT_APPLICABLE",
    );
}

#[tokio::test]
async fn the_node_shim_serves_an_unchanged_handler_on_both_paths() {
    if !crate::helpers::on_path("node") {
        crate::helpers::skip_or_fail(
            "triggers::the_node_shim_serves_an_unchanged_handler_on_both_paths",
            "node is missing (Debian package nodejs)",
        );
        return;
    }
    let shim = start_shim(
        "pre-sign-up-allow-list.mjs",
        &[("ALLOWED_DOMAINS", "example.com"), ("AUTO_CONFIRM", "1")],
    );
    let endpoint = shim.url.clone();
    let app = spawn_app_with(move |c| {
        c.webhook_secret = Some(incognito::config::Secret(SECRET.into()));
        c.lambda_endpoint = Some(endpoint);
        c.aws_credentials = Some(incognito::triggers::AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        });
    })
    .await;
    let arn = "arn:aws:lambda:eu-west-1:123456789012:function:allow-list";
    for (target, who) in [(shim.url.as_str(), "web"), (arn, "lambda")] {
        set_trigger(&app, "PreSignUp", target);
        // The signature verifies at the shim (it refuses unsigned calls with 401).
        let (s, r) = api(
            &app,
            "SignUp",
            sign_up_body(&app, &format!("{who}@example.com")),
        )
        .await;
        assert_eq!(
            (s, r["UserConfirmed"].as_bool()),
            (200, Some(true)),
            "{who}: {r}"
        );
        let e = sign_up_refused(
            &app,
            &format!("{who}@evil.test"),
            "UserLambdaValidationException",
        )
        .await;
        assert_eq!(
            e["message"],
            "PreSignUp failed with error Sign-up is restricted to example.com addresses."
        );
    }
}
