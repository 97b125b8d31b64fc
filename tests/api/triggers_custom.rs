//! The CUSTOM_AUTH trio (DefineAuthChallenge, CreateAuthChallenge, VerifyAuthChallengeResponse),
//! CustomMessage and the per-pool webhook secret, against the stub target of `trigger_stub`.

use serde_json::{Value, json};

use crate::cognito::{SrpClient, admin_api, admin_key, api, timestamp};
use crate::helpers::{PASSWORD, TestApp, create_client, create_user, jwt_claims};
use crate::trigger_stub::*;

const EMAIL: &str = "cora@example.com";

/// A public client allowed CUSTOM_AUTH (and refreshes), with or without
/// PreventUserExistenceErrors.
fn custom_client(app: &TestApp, prevent: bool) -> String {
    let settings = incognito::pools::ClientSettings {
        auth_flows: vec![
            "ALLOW_CUSTOM_AUTH".into(),
            "ALLOW_REFRESH_TOKEN_AUTH".into(),
        ],
        prevent_user_existence_errors: prevent,
        ..Default::default()
    };
    create_client(app, settings, false).0
}

/// The trio as AWS's samples write it, on one stub: SRP_A → PASSWORD_VERIFIER; a right
/// password or no password step → CUSTOM_CHALLENGE; a right answer → tokens; a third wrong
/// answer or a wrong password → failure. Create asks "round N" and keeps "answer-N" private.
fn trio_stub() -> Stub {
    Stub::start(|_, r| {
        let event = r.event();
        let request = &event["request"];
        let session = request["session"].as_array().cloned().unwrap_or_default();
        match r.path.as_str() {
            "/define" => {
                let last = session.last();
                let name = last.map(|e| e["challengeName"].as_str().unwrap_or(""));
                let result = last.map(|e| e["challengeResult"] == true);
                let wrong = session
                    .iter()
                    .filter(|e| e["challengeName"] == "CUSTOM_CHALLENGE")
                    .count();
                let response = match (name, result) {
                    (Some("SRP_A"), _) => json!({"challengeName": "PASSWORD_VERIFIER"}),
                    (Some("PASSWORD_VERIFIER"), Some(false)) => {
                        json!({"failAuthentication": true})
                    }
                    (Some("CUSTOM_CHALLENGE"), Some(true)) => json!({"issueTokens": true}),
                    _ if wrong >= 3 => json!({"failAuthentication": true}),
                    _ => json!({"challengeName": "CUSTOM_CHALLENGE"}),
                };
                Reply::answer(r, response)
            }
            "/create" => {
                let n = session.len();
                Reply::answer(
                    r,
                    json!({
                        "publicChallengeParameters": {"question": format!("round {n}")},
                        "privateChallengeParameters": {"answer": format!("answer-{n}")},
                        "challengeMetadata": format!("round-{n}"),
                    }),
                )
            }
            "/verify" => {
                let right =
                    request["challengeAnswer"] == request["privateChallengeParameters"]["answer"];
                Reply::answer(r, json!({"answerCorrect": right}))
            }
            _ => Reply::json(404, json!({})),
        }
    })
}

fn trio_config(stub: &Stub) -> Value {
    json!({
        "DefineAuthChallenge": format!("{}/define", stub.url),
        "CreateAuthChallenge": format!("{}/create", stub.url),
        "VerifyAuthChallengeResponse": format!("{}/verify", stub.url),
    })
}

/// A server with the trio on the stub, a confirmed user and a CUSTOM_AUTH client.
async fn custom_auth_app(prevent: bool) -> (TestApp, Stub, String) {
    let app = app_with_secret().await;
    let stub = trio_stub();
    set_lambda_config(&app, trio_config(&stub));
    create_user(&app, EMAIL, "Cora");
    let client = custom_client(&app, prevent);
    (app, stub, client)
}

async fn initiate(app: &TestApp, client: &str, params: Value) -> (u16, Value) {
    api(
        app,
        "InitiateAuth",
        json!({"AuthFlow": "CUSTOM_AUTH", "ClientId": client, "AuthParameters": params}),
    )
    .await
}

async fn answer(app: &TestApp, client: &str, challenge: &Value, answer: &str) -> (u16, Value) {
    api(
        app,
        "RespondToAuthChallenge",
        json!({
            "ClientId": client,
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": challenge["Session"],
            "ChallengeResponses": {"USERNAME": EMAIL, "ANSWER": answer},
            "ClientMetadata": {"app": "tests"},
        }),
    )
    .await
}

fn events(stub: &Stub, path: &str) -> Vec<Value> {
    stub.requests()
        .iter()
        .filter(|r| r.path == path)
        .map(|r| {
            assert!(verify_signature(r), "signed with the server's secret");
            r.event()
        })
        .collect()
}

#[tokio::test]
async fn custom_auth_one_right_answer_issues_tokens_with_cognitos_events() {
    let (app, stub, client) = custom_auth_app(true).await;
    let (s, c) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["ChallengeName"], "CUSTOM_CHALLENGE");
    assert_eq!(c["ChallengeParameters"]["question"], "round 0");
    assert!(c["ChallengeParameters"]["USERNAME"].is_string(), "{c}");
    assert!(
        !c.to_string().contains("answer-0"),
        "the private parameters stay on the server: {c}"
    );

    let define = &events(&stub, "/define")[0];
    check_envelope(&app, define, "DefineAuthChallenge_Authentication", &client);
    assert_eq!(define["request"]["session"], json!([]));
    assert_eq!(define["request"]["userNotFound"], false);
    assert_eq!(define["request"]["userAttributes"]["email"], EMAIL);
    assert!(
        define["request"].get("clientMetadata").is_none(),
        "InitiateAuth's metadata is not passed to the trio"
    );
    let create = &events(&stub, "/create")[0];
    check_envelope(&app, create, "CreateAuthChallenge_Authentication", &client);
    assert_eq!(create["request"]["challengeName"], "CUSTOM_CHALLENGE");
    assert_eq!(create["request"]["session"], json!([]));

    let (s, r) = answer(&app, &client, &c, "answer-0").await;
    assert_eq!(s, 200, "{r}");
    let id = jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(id["email"], EMAIL);
    assert!(r["AuthenticationResult"]["RefreshToken"].is_string());

    let verify = &events(&stub, "/verify")[0];
    check_envelope(
        &app,
        verify,
        "VerifyAuthChallengeResponse_Authentication",
        &client,
    );
    assert_eq!(
        verify["request"]["privateChallengeParameters"],
        json!({"answer": "answer-0"})
    );
    assert_eq!(verify["request"]["challengeAnswer"], "answer-0");
    assert_eq!(verify["request"]["clientMetadata"], json!({"app": "tests"}));
    let define2 = &events(&stub, "/define")[1];
    assert_eq!(
        define2["request"]["session"],
        json!([{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": true, "challengeMetadata": "round-0"}])
    );

    // The Session is single use.
    let (s, e) = answer(&app, &client, &c, "answer-0").await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("NotAuthorizedException")),
        "{e}"
    );
}

#[tokio::test]
async fn custom_auth_wrong_then_right_and_three_wrong_fail() {
    let (app, stub, client) = custom_auth_app(true).await;
    let (_, c) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    let (s, c2) = answer(&app, &client, &c, "nope").await;
    assert_eq!(s, 200, "{c2}");
    assert_eq!(c2["ChallengeName"], "CUSTOM_CHALLENGE");
    assert_eq!(c2["ChallengeParameters"]["question"], "round 1");
    assert_ne!(c2["Session"], c["Session"], "each round has a new Session");
    let (s, r) = answer(&app, &client, &c2, "answer-1").await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["AccessToken"].is_string(), "{r}");
    let last = events(&stub, "/define").pop().unwrap();
    assert_eq!(last["request"]["session"].as_array().unwrap().len(), 2);
    assert_eq!(last["request"]["session"][0]["challengeResult"], false);

    // Three wrong answers: the handler fails the flow; Cognito's wrong-password answer.
    let (_, mut c) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    for round in 0..3 {
        let (s, r) = answer(&app, &client, &c, "nope").await;
        if round < 2 {
            assert_eq!(s, 200, "{r}");
            c = r;
        } else {
            assert_eq!(s, 400, "{r}");
            assert_eq!(r["__type"], "NotAuthorizedException");
            assert_eq!(r["message"], "Incorrect username or password.");
        }
    }
}

#[tokio::test]
async fn custom_auth_after_srp_password_verifier() {
    let (app, stub, client) = custom_auth_app(true).await;
    for (password, works) in [("wrong password", false), (PASSWORD, true)] {
        let srp = SrpClient::new();
        let (s, v) = initiate(
            &app,
            &client,
            json!({"USERNAME": EMAIL, "CHALLENGE_NAME": "SRP_A", "SRP_A": srp.a_hex()}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ChallengeName"], "PASSWORD_VERIFIER");
        let params = &v["ChallengeParameters"];
        let ts = timestamp(now());
        let (s, c) = api(
            &app,
            "RespondToAuthChallenge",
            json!({
                "ChallengeName": "PASSWORD_VERIFIER",
                "ClientId": client,
                "Session": v["Session"],
                "ChallengeResponses": {
                    "USERNAME": params["USER_ID_FOR_SRP"],
                    "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
                    "TIMESTAMP": ts,
                    "PASSWORD_CLAIM_SIGNATURE": srp.signature(&app.pool_id, params, password, &ts),
                },
            }),
        )
        .await;
        let define = events(&stub, "/define").pop().unwrap();
        assert_eq!(
            define["request"]["session"],
            json!([
                {"challengeName": "SRP_A", "challengeResult": true},
                {"challengeName": "PASSWORD_VERIFIER", "challengeResult": works},
            ])
        );
        if !works {
            assert_eq!(
                (s, c["__type"].as_str()),
                (400, Some("NotAuthorizedException"))
            );
            continue;
        }
        assert_eq!(s, 200, "{c}");
        assert_eq!(c["ChallengeName"], "CUSTOM_CHALLENGE");
        let (s, r) = answer(&app, &client, &c, "answer-2").await;
        assert_eq!(s, 200, "{r}");
        let id = jwt_claims(r["AuthenticationResult"]["IdToken"].as_str().unwrap());
        assert_eq!(id["amr"], json!(["pwd"]), "the password was proven");
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn custom_auth_needs_the_client_flag_and_the_trigger() {
    let app = app_with_secret().await;
    create_user(&app, EMAIL, "Cora");
    // The default client does not allow CUSTOM_AUTH.
    let (s, e) = initiate(&app, &app.client_id, json!({"USERNAME": EMAIL})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
    assert_eq!(e["message"], "CUSTOM_AUTH flow not enabled for this client");
    let client = custom_client(&app, true);
    let (s, e) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
    assert_eq!(
        e["message"],
        "Custom auth lambda trigger is not configured for the user pool."
    );
    let (s, e) = initiate(&app, &client, json!({})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidParameterException")),
        "{e}"
    );
    // A made-up session is refused before any handler runs.
    let made_up = json!({"Session": "x".repeat(64)});
    let (s, e) = answer(&app, &client, &made_up, "x").await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("NotAuthorizedException")),
        "{e}"
    );
}

#[tokio::test]
async fn custom_auth_unknown_users_run_the_flow_but_never_get_tokens() {
    let app = app_with_secret().await;
    // A careless Define that issues tokens for anyone.
    let stub = Stub::start(|_, r| Reply::answer(r, json!({"issueTokens": true})));
    set_lambda_config(&app, trio_config(&stub));
    let prevent = custom_client(&app, true);
    let (s, e) = initiate(&app, &prevent, json!({"USERNAME": "ghost@example.com"})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("NotAuthorizedException")),
        "{e}"
    );
    assert_eq!(e["message"], "Incorrect username or password.");
    let define = &events(&stub, "/define")[0];
    assert_eq!(define["request"]["userNotFound"], true);
    assert_eq!(define["userName"], "ghost@example.com");
    assert_eq!(define["request"]["userAttributes"], json!({}));

    let plain = custom_client(&app, false);
    let (s, e) = initiate(&app, &plain, json!({"USERNAME": "ghost@example.com"})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("UserNotFoundException")),
        "{e}"
    );
    assert_eq!(stub.requests().len(), 1, "no trigger call without the user");
}

#[tokio::test]
async fn custom_auth_handler_errors_are_cognitos_and_admin_actions_work() {
    let app = app_with_secret().await;
    create_user(&app, EMAIL, "Cora");
    let client = custom_client(&app, true);
    let failing = Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "no way"})));
    set_lambda_config(&app, trio_config(&failing));
    let (s, e) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("UserLambdaValidationException"))
    );
    assert_eq!(
        e["message"],
        "DefineAuthChallenge failed with error no way."
    );
    let garbage = Stub::start(|_, _| Reply::json(200, json!("not the event")));
    set_lambda_config(&app, trio_config(&garbage));
    let (s, e) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidLambdaResponseException"))
    );

    let stub = trio_stub();
    set_lambda_config(&app, trio_config(&stub));
    let key = admin_key(&app);
    let (s, c) = admin_api(
        &app,
        &key,
        "AdminInitiateAuth",
        json!({"UserPoolId": app.pool_id, "ClientId": client, "AuthFlow": "CUSTOM_AUTH",
               "AuthParameters": {"USERNAME": EMAIL}}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminRespondToAuthChallenge",
        json!({"UserPoolId": app.pool_id, "ClientId": client, "ChallengeName": "CUSTOM_CHALLENGE",
               "Session": c["Session"], "ChallengeResponses": {"USERNAME": EMAIL, "ANSWER": "answer-0"},
               "ClientMetadata": {"door": "admin"}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert!(r["AuthenticationResult"]["IdToken"].is_string());
    let verify = &events(&stub, "/verify")[0];
    assert_eq!(
        verify["request"]["clientMetadata"],
        json!({"door": "admin"})
    );
}

const POOL_SECRET: &str = "whsec_cG9vbC1vd24tc2VjcmV0LTMyLWJ5dGVzLWxvbmc=";

#[tokio::test]
async fn a_pools_own_webhook_secret_signs_its_webhooks_and_is_never_shown() {
    let app = app_with_secret().await;
    create_user(&app, EMAIL, "Cora");
    let client = custom_client(&app, true);
    let stub = Stub::start(|_, r| Reply::answer(r, json!({"failAuthentication": true})));
    let key = admin_key(&app);
    let update = |secret: Value| {
        let mut body = json!({
            "UserPoolId": app.pool_id,
            "LambdaConfig": {"DefineAuthChallenge": format!("{}/define", stub.url)},
        });
        if !secret.is_null() {
            body["IncognitoWebhookSecret"] = secret;
        }
        admin_api(&app, &key, "UpdateUserPool", body)
    };
    let (s, e) = update(json!("whsec_tooshort")).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidParameterException")),
        "{e}"
    );
    let (s, e) = update(json!(POOL_SECRET)).await;
    assert_eq!(s, 200, "{e}");
    let stored = app
        .state
        .store
        .read_sync(|db| incognito::store::pools::get(db, &app.pool_id))
        .unwrap()
        .unwrap();
    let sealed = stored.settings.webhook_secret.clone().expect("stored");
    assert_ne!(sealed, POOL_SECRET, "sealed at rest");

    let (s, _) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    assert_eq!(s, 400);
    let first = &stub.requests()[0];
    assert!(
        verify_signature_with(first, POOL_SECRET),
        "the pool's secret signs"
    );
    assert!(!verify_signature(first), "not the server's");

    let (s, d) = admin_api(
        &app,
        &key,
        "DescribeUserPool",
        json!({"UserPoolId": app.pool_id}),
    )
    .await;
    assert_eq!(s, 200);
    let text = d.to_string();
    assert!(
        !text.contains(POOL_SECRET) && !text.contains(&sealed),
        "never echoed"
    );

    // Absent keeps it; "" goes back to the server's secret.
    let (s, _) = update(Value::Null).await;
    assert_eq!(s, 200);
    initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    assert!(verify_signature_with(&stub.requests()[1], POOL_SECRET));
    let (s, e) = update(json!("")).await;
    assert_eq!(s, 200, "{e}");
    let stored = app
        .state
        .store
        .read_sync(|db| incognito::store::pools::get(db, &app.pool_id))
        .unwrap()
        .unwrap();
    assert!(stored.settings.webhook_secret.is_none(), "removed");
    let (_, e) = initiate(&app, &client, json!({"USERNAME": EMAIL})).await;
    let third = &stub.requests()[2];
    assert!(
        verify_signature(third),
        "the server's secret again: {e} {:?}",
        third.headers
    );
}

// ---- CustomMessage ----

use crate::trigger_stub::{app_with_smtp_and_secret, mailed_code, user_status};
use crate::triggers::sign_up_body;

/// A branded CustomMessage handler: the subject names the source, the body puts the
/// request's own placeholders (code, and username for AdminCreateUser) in HTML.
fn branded_stub() -> Stub {
    Stub::start(|_, r| {
        let event = r.event();
        let req = &event["request"];
        let source = event["triggerSource"].as_str().unwrap().to_string();
        let code = req["codeParameter"].as_str().unwrap();
        let mut body = format!("<h1>Acme</h1><p>Your code: <b>{code}</b></p>");
        if let Some(user) = req["usernameParameter"].as_str() {
            body.push_str(&format!("<p>User name: {user}</p>"));
        }
        Reply::answer(
            r,
            json!({"emailSubject": format!("Acme {source}"), "emailMessage": body, "smsMessage": "ignored"}),
        )
    })
}

/// The `n`th mail (1-based) as parsed, waiting for it.
async fn nth_mail(inbox: &crate::smtp::Inbox, n: usize) -> crate::smtp::ParsedMail {
    let mails = crate::smtp::wait_for_mail(inbox, n).await;
    crate::smtp::parse(&mails[n - 1])
}

/// Checks the `n`th mail came from the handler for `source` with a working code in both parts,
/// and that the handler never saw that code; returns the code.
async fn branded_mail(inbox: &crate::smtp::Inbox, stub: &Stub, n: usize, source: &str) -> String {
    let mail = nth_mail(inbox, n).await;
    assert_eq!(mail.subject, format!("Acme {source}"));
    let code = crate::smtp::find_code(&mail.text).expect("a code in the text part");
    assert!(
        mail.html.contains(&format!("<b>{code}</b>")),
        "{}",
        mail.html
    );
    assert!(
        mail.text.contains("Acme") && !mail.text.contains("<b>"),
        "{}",
        mail.text
    );
    let request = stub.requests().pop().unwrap();
    let event = request.event();
    assert_eq!(event["triggerSource"], source);
    assert_eq!(event["request"]["codeParameter"], "{####}");
    assert!(
        !String::from_utf8_lossy(&request.body).contains(&code),
        "the code never goes to the handler"
    );
    code
}

#[tokio::test]
async fn custom_message_sign_up_resend_and_forgot_password() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = branded_stub();
    set_lambda_config(
        &app,
        json!({"CustomMessage": format!("{}/custom-message", stub.url)}),
    );
    let email = "dana@example.com";
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, email)).await;
    assert_eq!(s, 200, "{r}");
    branded_mail(&inbox, &stub, 1, "CustomMessage_SignUp").await;
    let event = stub.requests()[0].event();
    check_envelope(&app, &event, "CustomMessage_SignUp", &app.client_id);
    assert_eq!(event["request"]["userAttributes"]["email"], email);
    assert_eq!(
        event["request"]["userAttributes"]["cognito:user_status"],
        "UNCONFIRMED"
    );
    assert_eq!(event["request"]["usernameParameter"], Value::Null);
    assert_eq!(event["request"]["linkParameter"], "{##Click Here##}");
    assert_eq!(
        event["request"]["clientMetadata"],
        json!({"source": "test"})
    );
    assert_eq!(
        event["response"],
        json!({"smsMessage": null, "emailMessage": null, "emailSubject": null})
    );

    let (s, r) = api(
        &app,
        "ResendConfirmationCode",
        json!({"ClientId": app.client_id, "Username": email}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let code = branded_mail(&inbox, &stub, 2, "CustomMessage_ResendCode").await;
    let (s, r) = api(
        &app,
        "ConfirmSignUp",
        json!({"ClientId": app.client_id, "Username": email, "ConfirmationCode": code}),
    )
    .await;
    assert_eq!(s, 200, "the handler's mail carries the real code: {r}");

    let (s, r) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": email, "ClientMetadata": {"k": "v"}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let code = branded_mail(&inbox, &stub, 3, "CustomMessage_ForgotPassword").await;
    assert_eq!(
        stub.requests()[2].event()["request"]["clientMetadata"],
        json!({"k": "v"})
    );
    let (s, r) = api(
        &app,
        "ConfirmForgotPassword",
        json!({"ClientId": app.client_id, "Username": email, "ConfirmationCode": code,
               "Password": "another good passphrase"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    // An unknown user: the same answer, no handler call, no mail.
    let (s, _) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": "nobody@example.com"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(stub.requests().len(), 3);
}

#[tokio::test]
async fn custom_message_attribute_codes_and_admin_invitations() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = branded_stub();
    set_lambda_config(
        &app,
        json!({"CustomMessage": format!("{}/custom-message", stub.url)}),
    );
    create_user(&app, EMAIL, "Cora");
    let tokens = crate::cognito::srp_sign_in(&app, &app.client_id, EMAIL, PASSWORD).await;
    let access = tokens["AccessToken"].as_str().unwrap();

    let (s, r) = api(
        &app,
        "UpdateUserAttributes",
        json!({"AccessToken": access, "UserAttributes": [{"Name": "email", "Value": "cora.new@example.com"}]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let code = branded_mail(&inbox, &stub, 1, "CustomMessage_UpdateUserAttribute").await;
    let event = stub.requests()[0].event();
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "cora.new@example.com"
    );
    assert_eq!(nth_mail(&inbox, 1).await.to, "cora.new@example.com");
    let (s, r) = api(
        &app,
        "GetUserAttributeVerificationCode",
        json!({"AccessToken": access, "AttributeName": "email"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let newer = branded_mail(&inbox, &stub, 2, "CustomMessage_VerifyUserAttribute").await;
    assert_ne!(code, newer);
    let (s, r) = api(
        &app,
        "VerifyUserAttribute",
        json!({"AccessToken": access, "AttributeName": "email", "Code": newer}),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    let key = admin_key(&app);
    let (s, r) = admin_api(
        &app,
        &key,
        "AdminCreateUser",
        json!({"UserPoolId": app.pool_id, "Username": "eve@example.com",
               "TemporaryPassword": "Temporary-Pass-123!",
               "UserAttributes": [{"Name": "name", "Value": "Eve"}, {"Name": "locale", "Value": "en"}]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let mail = nth_mail(&inbox, 3).await;
    assert_eq!(mail.subject, "Acme CustomMessage_AdminCreateUser");
    assert!(
        mail.html.contains("<b>Temporary-Pass-123!</b>"),
        "{}",
        mail.html
    );
    assert!(
        mail.text.contains("User name: eve@example.com"),
        "{}",
        mail.text
    );
    let request = stub.requests().pop().unwrap();
    let event = request.event();
    assert_eq!(event["request"]["usernameParameter"], "{username}");
    assert_eq!(
        event["callerContext"]["clientId"],
        "CLIENT_ID_NOT_APPLICABLE"
    );
    assert!(!String::from_utf8_lossy(&request.body).contains("Temporary-Pass-123!"));
}

#[tokio::test]
async fn custom_message_without_the_placeholder_sends_the_default_message() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = Stub::start(|_, r| {
        Reply::answer(
            r,
            json!({"emailSubject": "No code", "emailMessage": "<p>Hello!</p>"}),
        )
    });
    set_lambda_config(
        &app,
        json!({"CustomMessage": format!("{}/custom-message", stub.url)}),
    );
    let (s, r) = api(&app, "SignUp", sign_up_body(&app, "fay@example.com")).await;
    assert_eq!(s, 200, "{r}");
    let mail = nth_mail(&inbox, 1).await;
    assert_ne!(
        mail.subject, "No code",
        "Cognito refuses a message without the code"
    );
    let code = mailed_code(&inbox, 1).await;
    let (s, _) = api(
        &app,
        "ConfirmSignUp",
        json!({"ClientId": app.client_id, "Username": "fay@example.com", "ConfirmationCode": code}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn custom_message_errors_are_the_actions_and_leave_nothing_half_done() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    create_user(&app, EMAIL, "Cora");
    let stub = Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "templates are down"})));
    set_lambda_config(
        &app,
        json!({"CustomMessage": format!("{}/custom-message", stub.url)}),
    );
    let (s, e) = api(&app, "SignUp", sign_up_body(&app, "gil@example.com")).await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("UserLambdaValidationException"))
    );
    assert_eq!(
        e["message"],
        "CustomMessage failed with error templates are down."
    );
    assert_eq!(user_status(&app, "gil@example.com"), None, "no user stored");
    let (s, e) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": EMAIL}),
    )
    .await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("UserLambdaValidationException"))
    );
    let garbage = Stub::start(|_, r| Reply::answer(r, json!({"emailMessage": 42})));
    set_lambda_config(
        &app,
        json!({"CustomMessage": format!("{}/custom-message", garbage.url)}),
    );
    let (s, e) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": EMAIL}),
    )
    .await;
    assert_eq!(
        (s, e["__type"].as_str()),
        (400, Some("InvalidLambdaResponseException"))
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(inbox.lock().unwrap().is_empty(), "nothing was mailed");
    assert_eq!(user_status(&app, EMAIL).as_deref(), Some("CONFIRMED"));
}

#[tokio::test]
async fn custom_message_on_the_hosted_pages() {
    let (app, inbox) = app_with_smtp_and_secret().await;
    let stub = branded_stub();
    set_lambda_config(
        &app,
        json!({"CustomMessage": format!("{}/custom-message", stub.url)}),
    );
    let browser = app.browser();
    let email = "page@example.com";
    let form = [
        ("email", email),
        ("name", "Page"),
        ("locale", "en"),
        ("password", PASSWORD),
    ];
    let r = post_page(&app, &browser, "/signup", &form).await;
    assert_eq!(r.status().as_u16(), 303);
    branded_mail(&inbox, &stub, 1, "CustomMessage_SignUp").await;
    let (_, _, csrf) = crate::helpers::get_form(&browser, &app.url("/confirm")).await;
    let r = browser
        .post(app.url("/confirm/resend"))
        .form(&[("csrf_token", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let code = branded_mail(&inbox, &stub, 2, "CustomMessage_ResendCode").await;
    let r = post_page(
        &app,
        &browser,
        "/confirm",
        &[("email", email), ("code", &code)],
    )
    .await;
    assert!(r.status().is_redirection() || r.status().is_success());
    assert_eq!(user_status(&app, email).as_deref(), Some("CONFIRMED"));
    let r = post_page(&app, &browser, "/forgot-password", &[("email", email)]).await;
    assert_eq!(r.status().as_u16(), 303);
    branded_mail(&inbox, &stub, 3, "CustomMessage_ForgotPassword").await;

    // A failing handler: the page shows Cognito's message; nothing is mailed.
    let failing = Stub::start(|_, _| Reply::json(400, json!({"errorMessage": "no templates"})));
    set_lambda_config(&app, json!({"CustomMessage": failing.url}));
    let r = post_page(&app, &browser, "/forgot-password", &[("email", email)]).await;
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("CustomMessage failed with error no templates."),
        "{html}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(inbox.lock().unwrap().len(), 3);
}

#[test]
fn the_cli_sets_and_removes_a_pools_webhook_secret_without_showing_it() {
    use crate::cli::{fails, ok_json};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = ok_json(d, &["pool", "create", "--name", "Hooks"]);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["settings"]["webhook_secret"], false);
    let updated = ok_json(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--webhook-secret",
            POOL_SECRET,
        ],
    );
    assert_eq!(updated["settings"]["webhook_secret"], true);
    assert!(!updated.to_string().contains(POOL_SECRET), "never shown");
    let shown = ok_json(d, &["pool", "show", "--pool", &id]);
    assert_eq!(shown["settings"]["webhook_secret"], true);
    let err = fails(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--webhook-secret",
            "whsec_short",
        ],
    );
    assert!(err.contains("--webhook-secret"), "{err}");
    let removed = ok_json(d, &["pool", "update", "--pool", &id, "--no-webhook-secret"]);
    assert_eq!(removed["settings"]["webhook_secret"], false);
}
