//! The Cognito API checks Cognito's input constraints before anything else and answers in
//! Cognito's words; it answers CORS from any origin unless `cognito_api_allowed_origins`
//! restricts it.

use serde_json::{Value, json};

use crate::cognito::{api, api_raw};
use crate::helpers::{TestApp, create_client, create_user, spawn_app, spawn_app_with};

const USERNAME_PATTERN: &str = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+";

fn username_error() -> String {
    format!(
        "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: {USERNAME_PATTERN}"
    )
}

fn invalid(v: &Value) -> &str {
    assert_eq!(v["__type"], "InvalidParameterException", "{v}");
    v["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn usernames_and_client_ids_are_checked_with_cognitos_wording() {
    let app = spawn_app().await;
    for action in ["ForgotPassword", "ResendConfirmationCode"] {
        let (s, v, h) = api_raw(
            &app,
            action,
            json!({"ClientId": app.client_id, "Username": "has space@example.com"}).to_string(),
            &[],
        )
        .await;
        assert_eq!(s, 400, "{action}: {v}");
        assert_eq!(invalid(&v), username_error(), "{action}");
        assert_eq!(h["x-amzn-errortype"], "InvalidParameterException");

        let cases = [
            (
                json!({"ClientId": app.client_id, "Username": "a".repeat(129)}),
                "Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128",
            ),
            (
                json!({"ClientId": "bad client!", "Username": "someone@example.com"}),
                r"Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+]+",
            ),
        ];
        for (body, error) in cases {
            let (s, v) = api(&app, action, body).await;
            assert_eq!(s, 400, "{action}: {v}");
            assert_eq!(
                invalid(&v),
                format!("1 validation error detected: {error}"),
                "{action}"
            );
        }

        let (s, v) = api(
            &app,
            action,
            json!({"ClientId": "bad client!", "Username": "has space"}),
        )
        .await;
        assert_eq!(s, 400, "{action}: {v}");
        let msg = invalid(&v);
        assert!(
            msg.starts_with("2 validation errors detected: Value at '"),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("pattern: {USERNAME_PATTERN}")),
            "{msg}"
        );
        assert!(msg.contains(r"pattern: [\w+]+"), "{msg}");
        assert_eq!(msg.matches("; Value at '").count(), 1, "{msg}");
    }
}

#[tokio::test]
async fn validation_comes_before_user_existence() {
    let app = spawn_app().await;
    create_user(&app, "victim@example.com", "Victim");
    for action in ["ForgotPassword", "ResendConfirmationCode", "ConfirmSignUp"] {
        let answer = |username: &'static str| {
            json!({
                "ClientId": app.client_id,
                "Username": username,
                "SecretHash": "not base64!",
                "ConfirmationCode": "123456",
            })
        };
        let (s1, v1) = api(&app, action, answer("victim@example.com")).await;
        let (s2, v2) = api(&app, action, answer("nobody@example.com")).await;
        assert_eq!((s1, &v1), (s2, &v2), "{action}");
        assert_eq!(s1, 400);
        assert_eq!(
            invalid(&v1),
            r"1 validation error detected: Value at 'secretHash' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=/]+"
        );
        let (s1, v1) = api(
            &app,
            action,
            json!({"ClientId": app.client_id, "Username": "victim@example.com ", "ConfirmationCode": "1"}),
        )
        .await;
        let (s2, v2) = api(
            &app,
            action,
            json!({"ClientId": app.client_id, "Username": "nobody@example.com ", "ConfirmationCode": "1"}),
        )
        .await;
        assert_eq!((s1, &v1), (s2, &v2), "{action}");
        assert_eq!(invalid(&v1), username_error(), "{action}");
    }
}

#[tokio::test]
async fn enums_and_nested_members_are_checked() {
    let app = spawn_app().await;
    let (s, v) = api(
        &app,
        "InitiateAuth",
        json!({"ClientId": app.client_id, "AuthFlow": "MAGIC_AUTH", "AuthParameters": {"USERNAME": "a"}}),
    )
    .await;
    assert_eq!(s, 400);
    let msg = invalid(&v);
    assert!(
        msg.starts_with("1 validation error detected: Value 'MAGIC_AUTH' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, "),
        "{msg}"
    );
    assert!(msg.ends_with(']'), "{msg}");
    let (s, v) = api(
        &app,
        "RespondToAuthChallenge",
        json!({"ClientId": app.client_id, "ChallengeName": "NOPE", "Session": "short"}),
    )
    .await;
    assert_eq!(s, 400);
    let msg = invalid(&v);
    assert!(msg.starts_with("2 validation errors detected: "), "{msg}");
    assert!(
        msg.contains("Value 'NOPE' at 'challengeName' failed to satisfy constraint: Member must satisfy enum value set: ["),
        "{msg}"
    );
    assert!(
        msg.contains("Value at 'session' failed to satisfy constraint: Member must have length greater than or equal to 20"),
        "{msg}"
    );
    let (s, v) = api(
        &app,
        "SignUp",
        json!({
            "ClientId": app.client_id,
            "Username": "new@example.com",
            "Password": " leading space",
            "UserAttributes": [{"Name": "email", "Value": "new@example.com"}, {"Name": "", "Value": "x"}],
        }),
    )
    .await;
    assert_eq!(s, 400);
    let msg = invalid(&v);
    assert!(msg.starts_with("3 validation errors detected: "), "{msg}");
    assert!(
        msg.contains(r"Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$"),
        "{msg}"
    );
    assert!(
        msg.contains("Value '' at 'userAttributes.2.member.name' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        "{msg}"
    );
    // Wrong JSON types stay SerializationException; unknown members are ignored.
    let (s, v) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": ["x"]}),
    )
    .await;
    assert_eq!(
        (s, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (s, v) = api(
        &app,
        "ForgotPassword",
        json!({"ClientId": app.client_id, "Username": "nobody@example.com", "Whatever": [1]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_body_must_be_amz_json() {
    let app = spawn_app().await;
    let body = json!({"ClientId": app.client_id, "Username": "nobody@example.com"}).to_string();
    let send = |ct: Option<&'static str>| {
        let mut r = reqwest::Client::new()
            .post(format!("{}/", app.address))
            .header(
                "x-amz-target",
                "AWSCognitoIdentityProviderService.ForgotPassword",
            )
            .body(body.clone());
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    for ct in [None, Some("application/json"), Some("text/plain")] {
        let r = send(ct).await.unwrap();
        assert_eq!(r.status(), 400, "{ct:?}");
        assert_eq!(r.headers()["x-amzn-errortype"], "UnknownOperationException");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["__type"], "UnknownOperationException", "{ct:?}");
    }
    for ct in [
        "application/x-amz-json-1.1",
        "application/x-amz-json-1.0",
        "Application/X-Amz-Json-1.1; charset=UTF-8",
    ] {
        let r = send(Some(ct)).await.unwrap();
        assert_eq!(r.status(), 200, "{ct}");
    }
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "cache-control,content-type,x-amz-target,x-amz-user-agent",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_answers_any_origin_by_default() {
    let app = spawn_app().await;
    // A client without redirect URIs or origins, as Cognito's own actions create them.
    let (client_id, _) = create_client(&app, incognito::pools::ClientSettings::default(), false);
    let origin = "http://localhost:5173";
    let r = preflight(&app, origin).await;
    assert!(r.status().is_success(), "{}", r.status());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], origin);
    assert_eq!(h["access-control-allow-methods"], "POST");
    let allowed = h["access-control-allow-headers"].to_str().unwrap();
    for name in [
        "content-type",
        "x-amz-target",
        "x-amz-user-agent",
        "cache-control",
    ] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(h.get("access-control-allow-credentials").is_none());
    let (s, v, h) = api_raw(
        &app,
        "ForgotPassword",
        json!({"ClientId": client_id, "Username": "nobody@example.com"}).to_string(),
        &[("origin", origin)],
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(h["access-control-allow-origin"], origin);
    assert!(
        h["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-amzn-errortype")
    );
    assert!(h.get("access-control-allow-credentials").is_none());
    // Errors carry it too (the libraries read them).
    let (s, _, h) = api_raw(&app, "NoSuchAction", "{}".into(), &[("origin", origin)]).await;
    assert_eq!(s, 400);
    assert_eq!(h["access-control-allow-origin"], origin);
    // A preflight for another method is refused.
    let r = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn cognito_api_allowed_origins_restricts_cors() {
    let app = spawn_app_with(|c| {
        c.cognito_api_allowed_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let r = preflight(&app, "https://app.example.com").await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let r = preflight(&app, "http://localhost:5173").await;
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // The default client's redirect URI no longer opens its origin: the list decides.
    let r = preflight(&app, "http://127.0.0.1:8080").await;
    assert_eq!(r.status(), 403);
    let body = json!({"ClientId": app.client_id, "Username": "nobody@example.com"}).to_string();
    let (_, _, h) = api_raw(
        &app,
        "ForgotPassword",
        body.clone(),
        &[("origin", "http://localhost:5173")],
    )
    .await;
    assert!(h.get("access-control-allow-origin").is_none());
    let (_, _, h) = api_raw(
        &app,
        "ForgotPassword",
        body,
        &[("origin", "https://app.example.com")],
    )
    .await;
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
}

#[test]
fn allowed_origins_must_be_origins() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "https://app.example.com/",
        "app.example.com",
        "ftp://x.example",
        "*",
    ] {
        let mut c = crate::helpers::test_config(dir.path());
        c.cognito_api_allowed_origins = vec![bad.into()];
        assert!(c.validate().is_err(), "{bad}");
    }
    let mut c = crate::helpers::test_config(dir.path());
    c.cognito_api_allowed_origins = vec!["http://localhost:5173".into()];
    assert!(c.validate().is_ok());
}
