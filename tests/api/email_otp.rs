//! E-mail one-time codes as a second factor (Cognito's EMAIL_OTP): turned on for the pool with
//! SetUserPoolMfaConfig's `EmailMfaConfiguration`, per user with SetUserMFAPreference, and
//! automatic where MFA is required and the user has no authenticator; the Cognito API's
//! EMAIL_OTP challenge and the hosted code page.

use serde_json::{Value, json};

use crate::cognito::{admin_api, admin_key, api, mailed_code, password_auth, password_client};
use crate::helpers::{PASSWORD, TestApp, create_user, location, pkce_pair, query_of, spawn_app};

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

async fn email_mfa(app: &TestApp, mode: &str) {
    let key = admin_key(app);
    let (s, v) = admin_api(
        app,
        &key,
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": app.pool_id, "MfaConfiguration": mode,
               "SoftwareTokenMfaConfiguration": {"Enabled": true},
               "EmailMfaConfiguration": {}}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["EmailMfaConfiguration"].is_object(), "{v}");
}

/// The newest code mailed to `to` that is not `previous` (delivery is queued: wait for it).
async fn next_code(app: &TestApp, to: &str, previous: &str) -> String {
    for _ in 0..100 {
        let code = mailed_code(app, to).await;
        if code != previous {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no new code mailed to {to}");
}

async fn answer(app: &TestApp, client: &str, challenge: &Value, code: &str) -> (u16, Value) {
    api(
        app,
        "RespondToAuthChallenge",
        json!({"ClientId": client, "ChallengeName": "EMAIL_OTP", "Session": challenge["Session"],
               "ChallengeResponses": {"USERNAME": challenge["ChallengeParameters"]["USER_ID_FOR_SRP"], "EMAIL_OTP_CODE": code}}),
    )
    .await
}

#[tokio::test]
async fn a_user_turns_email_codes_on_and_signs_in_with_one() {
    let app = spawn_app().await;
    let client = password_client(&app);
    create_user(&app, "otp@example.com", "Otp");
    // Before the pool offers it, a user cannot turn it on.
    let (s, v) = password_auth(&app, &client, "otp@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{v}");
    let access = v["AuthenticationResult"]["AccessToken"].clone();
    let prefer =
        json!({"AccessToken": access, "EmailMfaSettings": {"Enabled": true, "PreferredMfa": true}});
    let (s, v) = api(&app, "SetUserMFAPreference", prefer.clone()).await;
    assert_eq!((s, err_type(&v)), (400, "InvalidParameterException"), "{v}");

    email_mfa(&app, "OPTIONAL").await;
    let (s, v) = api(&app, "SetUserMFAPreference", prefer).await;
    assert_eq!(s, 200, "{v}");

    let (s, challenge) = password_auth(&app, &client, "otp@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{challenge}");
    assert_eq!(challenge["ChallengeName"], "EMAIL_OTP", "{challenge}");
    assert_eq!(
        challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"],
        "EMAIL"
    );
    assert_eq!(
        challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"],
        "o***@e***"
    );
    let code = mailed_code(&app, "otp@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, v) = answer(&app, &client, &challenge, wrong).await;
    assert_eq!((s, err_type(&v)), (400, "CodeMismatchException"), "{v}");
    let (s, v) = answer(&app, &client, &challenge, &code).await;
    assert_eq!(s, 200, "{v}");
    let id = crate::helpers::jwt_claims(v["AuthenticationResult"]["IdToken"].as_str().unwrap());
    assert_eq!(id["amr"], json!(["pwd", "otp"]));

    // The code was single use: a new sign-in needs a new code, the old one fails.
    let (_, again) = password_auth(&app, &client, "otp@example.com", PASSWORD).await;
    assert_eq!(again["ChallengeName"], "EMAIL_OTP");
    let fresh = next_code(&app, "otp@example.com", &code).await;
    let (s, _) = answer(&app, &client, &again, &code).await;
    assert_eq!(s, 400, "the used code is void");
    let (s, v) = answer(&app, &client, &again, &fresh).await;
    assert_eq!(s, 200, "{v}");

    // Turned off: the password alone signs in again (MFA is optional in this pool).
    let access = v["AuthenticationResult"]["AccessToken"].clone();
    let (s, _) = api(
        &app,
        "SetUserMFAPreference",
        json!({"AccessToken": access, "EmailMfaSettings": {"Enabled": false}}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = password_auth(&app, &client, "otp@example.com", PASSWORD).await;
    assert_eq!(s, 200);
    assert!(v["AuthenticationResult"]["IdToken"].is_string(), "{v}");
}

#[tokio::test]
async fn required_mfa_sends_codes_to_users_without_an_authenticator_on_every_door() {
    let app = spawn_app().await;
    let client = password_client(&app);
    create_user(&app, "req@example.com", "Req");
    email_mfa(&app, "ON").await;
    let (s, challenge) = password_auth(&app, &client, "req@example.com", PASSWORD).await;
    assert_eq!(s, 200);
    assert_eq!(challenge["ChallengeName"], "EMAIL_OTP", "{challenge}");
    let code = mailed_code(&app, "req@example.com").await;
    let (s, v) = answer(&app, &client, &challenge, &code).await;
    assert_eq!(s, 200, "{v}");

    // The hosted pages: the code page says where the code went, and the code signs in.
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let url = app.authorize_url(&[
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let r = browser.get(url).send().await.unwrap();
    let login = location(&r);
    let r = app
        .submit_login(&browser, &login, "req@example.com", PASSWORD)
        .await;
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.headers());
    let mfa = location(&r);
    assert!(mfa.contains("/mfa"), "{mfa}");
    let page = browser
        .get(format!("{}{mfa}", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"emailed-to\"") && page.contains("r***@e***"),
        "{page}"
    );
    let csrf = crate::helpers::hidden_field(&page, "csrf_token").unwrap();
    let code = next_code(&app, "req@example.com", &code).await;
    let r = browser
        .post(format!("{}{mfa}", app.address))
        .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert!(back.starts_with(&app.redirect_uri), "{back}");
    let tokens = crate::helpers::exchange_code(&app, &query_of(&back)["code"], &verifier).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
}

#[tokio::test]
async fn the_account_page_turns_email_codes_on_and_off() {
    let app = spawn_app().await;
    let client = password_client(&app);
    create_user(&app, "page@example.com", "Page");
    email_mfa(&app, "OPTIONAL").await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    app.login_for_code(
        &browser,
        "page@example.com",
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let toggle = async |browser: &reqwest::Client, expect: &str| {
        let html = browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("name=\"enable\" value=\"{expect}\"")),
            "{html}"
        );
        let csrf = crate::helpers::hidden_field(&html, "csrf_token").unwrap();
        let r = browser
            .post(app.url("/account/mfa/email"))
            .form(&[("csrf_token", csrf.as_str()), ("enable", expect)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
    };
    toggle(&browser, "1").await;
    let (_, v) = password_auth(&app, &client, "page@example.com", PASSWORD).await;
    assert_eq!(v["ChallengeName"], "EMAIL_OTP", "{v}");
    toggle(&browser, "0").await;
    let (_, v) = password_auth(&app, &client, "page@example.com", PASSWORD).await;
    assert!(v["AuthenticationResult"]["IdToken"].is_string(), "{v}");
    // Without the page's CSRF token nothing changes.
    let r = browser
        .post(app.url("/account/mfa/email"))
        .form(&[("enable", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn the_code_page_sends_a_new_code_that_voids_the_old_one() {
    let app = spawn_app().await;
    create_user(&app, "again@example.com", "Again");
    email_mfa(&app, "ON").await;
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let url = app.authorize_url(&[
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let login = location(&browser.get(url).send().await.unwrap());
    let r = app
        .submit_login(&browser, &login, "again@example.com", PASSWORD)
        .await;
    let mfa = location(&r);
    let first = mailed_code(&app, "again@example.com").await;
    let page = browser
        .get(format!("{}{mfa}", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_field(&page, "csrf_token").unwrap();
    let resend = mfa.replacen("/mfa", "/mfa/resend", 1);
    let r = browser
        .post(format!("{}{resend}", app.address))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let second = next_code(&app, "again@example.com", &first).await;
    let post = |code: String| {
        let (browser, csrf, url) = (
            browser.clone(),
            csrf.clone(),
            format!("{}{mfa}", app.address),
        );
        async move {
            browser
                .post(url)
                .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        post(first).await.status().as_u16(),
        401,
        "the older code is void"
    );
    let back = location(&post(second).await);
    assert!(back.starts_with(&app.redirect_uri), "{back}");
    let tokens = crate::helpers::exchange_code(&app, &query_of(&back)["code"], &verifier).await;
    assert!(tokens["id_token"].is_string());
}
