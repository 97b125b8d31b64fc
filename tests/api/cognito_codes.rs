//! Email codes through the Cognito API: a resend sends a fresh code at once (voiding the older
//! one), and asking for codes is limited per user and per client address, alike for unknown
//! and known users.

use serde_json::{Value, json};

use crate::cognito::{api, srp_sign_in};
use crate::helpers::{PASSWORD, TestApp, create_user, spawn_app_with_smtp};
use crate::smtp::{self, Inbox};
use incognito::accounts::codes::{SENDS_PER_ADDRESS, SENDS_PER_USER};

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("")
}

/// The code in the `n`th mail (1-based) of the sink, waiting for it.
async fn nth_code(inbox: &Inbox, n: usize) -> String {
    let mails = smtp::wait_for_mail(inbox, n).await;
    smtp::find_code(&smtp::parse(&mails[n - 1]).text).expect("a code")
}

async fn resend(app: &TestApp, username: &str) -> (u16, Value) {
    api(
        app,
        "ResendConfirmationCode",
        json!({"ClientId": app.client_id, "Username": username}),
    )
    .await
}

#[tokio::test]
async fn resend_confirmation_code_sends_a_fresh_code_until_the_limit() {
    let (app, inbox) = spawn_app_with_smtp().await;
    let (s, r) = api(
        &app,
        "SignUp",
        json!({"ClientId": app.client_id, "Username": "again@example.com", "Password": PASSWORD,
               "UserAttributes": [{"Name": "name", "Value": "A"}, {"Name": "locale", "Value": "en"}]}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    nth_code(&inbox, 1).await;

    // Two resends a second apart: two mails, two different codes; the older no longer confirms.
    let (s, r) = resend(&app, "again@example.com").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    let first = nth_code(&inbox, 2).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let (s, r) = resend(&app, "again@example.com").await;
    assert_eq!(s, 200, "{r}");
    let second = nth_code(&inbox, 3).await;
    assert_ne!(first, second);
    let confirm = |code: &str| json!({"ClientId": app.client_id, "Username": "again@example.com", "ConfirmationCode": code});
    let (s, e) = api(&app, "ConfirmSignUp", confirm(&first)).await;
    assert_eq!((s, err_type(&e)), (400, "CodeMismatchException"), "{e}");

    // Up to the per-user limit every resend is sent; then LimitExceededException.
    for n in 3..=SENDS_PER_USER {
        let (s, r) = resend(&app, "again@example.com").await;
        assert_eq!(s, 200, "resend #{n}: {r}");
    }
    let newest = nth_code(&inbox, 1 + SENDS_PER_USER as usize).await;
    let (s, e) = resend(&app, "again@example.com").await;
    assert_eq!((s, err_type(&e)), (400, "LimitExceededException"), "{e}");
    assert_eq!(
        e["message"],
        "Attempt limit exceeded, please try after some time."
    );

    // An unknown user gets the same answers, limit included.
    let mut unknown = Vec::new();
    for _ in 0..=SENDS_PER_USER {
        unknown.push(resend(&app, "nobody@example.com").await);
    }
    let (last, ok) = unknown.split_last().unwrap();
    assert!(
        ok.iter()
            .all(|(s, r)| *s == 200 && r["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"),
        "{ok:?}"
    );
    assert_eq!((last.0, err_type(&last.1)), (400, "LimitExceededException"));

    // Per address: every request counts, whoever it names. So far 2 * (SENDS_PER_USER + 1).
    let used = 2 * (SENDS_PER_USER + 1);
    for i in used..SENDS_PER_ADDRESS {
        let (s, r) = resend(&app, &format!("other{i}@example.com")).await;
        assert_eq!(s, 200, "{r}");
    }
    for name in ["fresh@example.com", "again@example.com"] {
        let (s, e) = resend(&app, name).await;
        assert_eq!(
            (s, err_type(&e)),
            (400, "LimitExceededException"),
            "{name}: {e}"
        );
    }
    // Nothing more was mailed, and the newest code still confirms.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(inbox.lock().unwrap().len(), 1 + SENDS_PER_USER as usize);
    let (s, r) = api(&app, "ConfirmSignUp", confirm(&newest)).await;
    assert_eq!(s, 200, "{r}");
}

#[tokio::test]
async fn forgot_password_and_attribute_codes_are_limited_per_user() {
    let (app, inbox) = spawn_app_with_smtp().await;
    create_user(&app, "reset@example.com", "R");
    let forgot = |user: &str| json!({"ClientId": app.client_id, "Username": user});
    for user in ["reset@example.com", "nobody@example.com"] {
        for n in 0..SENDS_PER_USER {
            let (s, r) = api(&app, "ForgotPassword", forgot(user)).await;
            assert_eq!(s, 200, "{user} #{n}: {r}");
        }
        let (s, e) = api(&app, "ForgotPassword", forgot(user)).await;
        assert_eq!(
            (s, err_type(&e)),
            (400, "LimitExceededException"),
            "{user}: {e}"
        );
    }
    // Each of the known user's requests mailed a fresh code at once.
    let mails = smtp::wait_for_mail(&inbox, SENDS_PER_USER as usize).await;
    let codes: std::collections::HashSet<_> = mails
        .iter()
        .map(|m| smtp::find_code(&smtp::parse(m).text).unwrap())
        .collect();
    assert!(codes.len() > 1, "fresh codes: {codes:?}");

    let tokens = srp_sign_in(&app, &app.client_id, "reset@example.com", PASSWORD).await;
    let ask = json!({"AccessToken": tokens["AccessToken"], "AttributeName": "email"});
    for n in 0..SENDS_PER_USER {
        let (s, r) = api(&app, "GetUserAttributeVerificationCode", ask.clone()).await;
        assert_eq!(s, 200, "#{n}: {r}");
    }
    let (s, e) = api(&app, "GetUserAttributeVerificationCode", ask).await;
    assert_eq!((s, err_type(&e)), (400, "LimitExceededException"), "{e}");
}
