//! The hosted pages over HTTP with a cookie jar: sign-up, confirmation by emailed code (through
//! a real SMTP listener), password reset, account page, languages, and their bad input.

use crate::helpers::*;
use crate::smtp::{self, Inbox};

async fn app_with_smtp() -> (TestApp, Inbox) {
    spawn_app_with_smtp().await
}

/// A server with an SMTP sink, a browser and its CSRF token, after `email` signed up through
/// the hosted page (its confirmation mail is on the way).
async fn signed_up_through_the_page(email: &str) -> (TestApp, Inbox, reqwest::Client, String) {
    let (app, inbox) = app_with_smtp().await;
    let browser = app.browser();
    let url = app.url("/signup");
    let (_, _, csrf) = get_form(&browser, &url).await;
    post(
        &browser,
        &url,
        &[
            ("csrf_token", &csrf),
            ("email", email),
            ("name", "Someone"),
            ("locale", "en"),
            ("password", PASSWORD),
        ],
    )
    .await;
    (app, inbox, browser, csrf)
}

async fn post(browser: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser.post(url).form(form).send().await.unwrap()
}

fn abs(app: &TestApp, path: &str) -> String {
    if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{}", app.address, path)
    }
}

/// Starts an authorize request and returns the pending login page path.
async fn start_authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    verifier_challenge: &str,
) -> String {
    let r = browser
        .get(app.authorize_url(&[
            ("scope", "openid email profile"),
            ("state", "hs"),
            ("code_challenge", verifier_challenge),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    location(&r)
}

#[tokio::test]
async fn sign_up_confirm_by_email_then_the_relying_party_gets_its_code() {
    let (app, inbox) = app_with_smtp().await;
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let login = start_authorize(&app, &browser, &challenge).await;
    let (_, html, _) = get_form(&browser, &abs(&app, &login)).await;
    let signup_path = html
        .split("id=\"signup-link\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(signup_path.contains("/signup?request="), "{signup_path}");

    let (status, html, csrf) = get_form(&browser, &abs(&app, &signup_path)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"name\"") && html.contains("name=\"locale\""),
        "required attributes are asked"
    );
    let r = post(
        &browser,
        &abs(&app, &signup_path),
        &[
            ("csrf_token", &csrf),
            ("email", "New.User@Example.com"),
            ("name", "New User"),
            ("locale", "de"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let confirm = location(&r);
    assert!(confirm.contains("/confirm?request="), "{confirm}");

    let raw = smtp::wait_for_mail(&inbox, 1).await.remove(0);
    let mail = smtp::parse(&raw);
    assert!(mail.to.contains("new.user@example.com"));
    assert!(
        !mail.html.is_empty() && !mail.text.is_empty(),
        "HTML and text parts"
    );
    let code = smtp::find_code(&mail.text).expect("a code in the mail");
    assert!(
        mail.text.contains(&format!("code={code}")),
        "the one-click link carries the code"
    );

    // An unconfirmed user cannot sign in yet: the login page sends them to confirmation.
    let r = app
        .submit_login(&browser, &login, "new.user@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("/confirm"));

    let (_, _, csrf) = get_form(&browser, &abs(&app, &confirm)).await;
    let r = post(
        &browser,
        &abs(&app, &confirm),
        &[
            ("csrf_token", &csrf),
            ("email", "new.user@example.com"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let login_again = location(&r);
    assert!(
        login_again.contains("/login?request=") && login_again.contains("notice=confirmed"),
        "{login_again}"
    );
    // The code is single-use.
    let r = post(
        &browser,
        &abs(&app, &confirm),
        &[
            ("csrf_token", &csrf),
            ("email", "new.user@example.com"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "already confirmed goes to sign-in");

    let r = app
        .submit_login(&browser, &login_again, "new.user@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let q = query_of(&location(&r));
    assert_eq!(q["state"], "hs");
    let tokens = exchange_code(&app, &q["code"], &verifier).await;
    let id = jwt_claims(tokens["id_token"].as_str().expect("an ID token"));
    assert_eq!(id["email"], "new.user@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["name"], "New User");
    assert_eq!(id["locale"], "de");
}

#[tokio::test]
async fn sign_up_rejects_bad_input_field_by_field_and_stores_nothing() {
    let (app, inbox) = app_with_smtp().await;
    let browser = app.browser();
    let url = app.url("/signup");
    let (_, _, csrf) = get_form(&browser, &url).await;
    let long = "x".repeat(5000);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("email", "not-an-email"),
                ("name", "A"),
                ("locale", "en"),
                ("password", PASSWORD),
            ],
            "Enter a valid email address.",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("name", ""),
                ("locale", "en"),
                ("password", PASSWORD),
            ],
            "This field is required.",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("name", &long),
                ("locale", "en"),
                ("password", PASSWORD),
            ],
            "This value is too long.",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("name", "A"),
                ("locale", "xx-evil"),
                ("password", PASSWORD),
            ],
            "Choose a language from the list.",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("name", "A"),
                ("locale", "en"),
                ("password", "short"),
            ],
            "too short",
        ),
        (
            vec![
                ("email", "a@example.com"),
                ("name", "A"),
                ("locale", "en"),
                ("password", "password123"),
            ],
            "too common",
        ),
    ];
    for (fields, message) in cases {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(fields.iter().copied());
        let r = post(&browser, &url, &form).await;
        assert_eq!(r.status(), 400, "{fields:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message} for {fields:?}");
        assert!(
            html.contains("aria-invalid=\"true\""),
            "the field is marked"
        );
    }
    // Without the CSRF token: 403.
    let r = post(
        &browser,
        &url,
        &[
            ("email", "a@example.com"),
            ("name", "A"),
            ("locale", "en"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    // Nothing was stored and nothing was sent.
    let pool = app.pool_id.clone();
    let users = app
        .state
        .store
        .read_sync(move |db| incognito::store::users::list(db, &pool, 100, ""))
        .unwrap();
    assert!(users.is_empty());
    assert!(inbox.lock().unwrap().is_empty());
}

#[tokio::test]
async fn sign_up_with_a_registered_email_answers_the_same_and_creates_nothing() {
    let (app, inbox) = app_with_smtp().await;
    create_user(&app, "taken@example.com", "Taken");
    let browser = app.browser();
    let url = app.url("/signup");
    let (_, _, csrf) = get_form(&browser, &url).await;
    let r = post(
        &browser,
        &url,
        &[
            ("csrf_token", &csrf),
            ("email", "taken@example.com"),
            ("name", "Other"),
            ("locale", "en"),
            ("password", "another good passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("/confirm?email=taken%40example.com"));
    let pool = app.pool_id.clone();
    let users = app
        .state
        .store
        .read_sync(move |db| incognito::store::users::list(db, &pool, 100, ""))
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        users[0].attributes["name"], "Taken",
        "the existing account is untouched"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        inbox.lock().unwrap().is_empty(),
        "a confirmed account gets no code"
    );
}

#[tokio::test]
async fn confirmation_codes_are_limited_to_five_wrong_guesses() {
    let (app, inbox, browser, csrf) = signed_up_through_the_page("guess@example.com").await;
    let code =
        smtp::find_code(&smtp::parse(&smtp::wait_for_mail(&inbox, 1).await[0]).text).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let confirm = app.url("/confirm");
    for _ in 0..4 {
        let r = post(
            &browser,
            &confirm,
            &[
                ("csrf_token", &csrf),
                ("email", "guess@example.com"),
                ("code", wrong),
            ],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("That code is not right"));
    }
    let r = post(
        &browser,
        &confirm,
        &[
            ("csrf_token", &csrf),
            ("email", "guess@example.com"),
            ("code", wrong),
        ],
    )
    .await;
    assert!(r.text().await.unwrap().contains("Too many wrong codes"));
    // Now even the right code is refused: a new one must be requested.
    let r = post(
        &browser,
        &confirm,
        &[
            ("csrf_token", &csrf),
            ("email", "guess@example.com"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    // Malformed codes and unknown users get the same kind of answer, without a 500.
    for (email, c) in [
        ("guess@example.com", "12ab56"),
        ("nobody@example.com", "123456"),
        ("guess@example.com", &"9".repeat(5000)),
    ] {
        let r = post(
            &browser,
            &confirm,
            &[("csrf_token", &csrf), ("email", email), ("code", c)],
        )
        .await;
        assert_eq!(r.status(), 400, "{email} {}", c.len());
    }
    // Resend sends a fresh code at once (no cool-down), and the fresh code works.
    let r = post(
        &browser,
        &app.url("/confirm/resend"),
        &[("csrf_token", &csrf), ("email", "guess@example.com")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("we sent a new one"));
    let fresh =
        smtp::find_code(&smtp::parse(&smtp::wait_for_mail(&inbox, 2).await[1]).text).unwrap();
    let r = post(
        &browser,
        &confirm,
        &[
            ("csrf_token", &csrf),
            ("email", "guess@example.com"),
            ("code", &fresh),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "the resent code confirms");
}

/// Resends are limited per address and login name; over the limit the page says to try later,
/// for unknown and known emails alike.
#[tokio::test]
async fn hosted_resend_is_limited_and_says_so() {
    let (app, inbox, browser, csrf) = signed_up_through_the_page("again@example.com").await;
    smtp::wait_for_mail(&inbox, 1).await;
    let resend = app.url("/confirm/resend");
    for email in ["again@example.com", "nobody@example.com"] {
        for i in 0..=incognito::accounts::codes::SENDS_PER_USER {
            let r = post(
                &browser,
                &resend,
                &[("csrf_token", &csrf), ("email", email)],
            )
            .await;
            if i < incognito::accounts::codes::SENDS_PER_USER {
                assert_eq!(r.status(), 200, "{email} #{i}");
            } else {
                assert_eq!(r.status(), 429, "{email}");
                assert!(r.text().await.unwrap().contains("try again later"));
            }
        }
    }
    assert_eq!(smtp::wait_for_mail(&inbox, 6).await.len(), 6);
    // The forgot-password page counts the same way.
    let forgot = app.url("/forgot-password");
    let mut last = 0;
    for _ in 0..=incognito::accounts::codes::SENDS_PER_USER {
        last = post(
            &browser,
            &forgot,
            &[("csrf_token", &csrf), ("email", "nobody@example.com")],
        )
        .await
        .status()
        .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn forgot_and_reset_password_revokes_sessions_and_tokens() {
    let (app, inbox) = app_with_smtp().await;
    create_user(&app, "reset@example.com", "Reset Me");
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    // Sign in once and keep a refresh token.
    let q = app
        .login_for_code(
            &browser,
            "reset@example.com",
            &[
                ("scope", "openid offline_access"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let tokens = exchange_code(&app, &q["code"], &verifier).await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();

    // Unknown and known emails get the same answer; only the known one gets mail.
    let other = app.browser();
    let url = app.url("/forgot-password");
    let (_, _, csrf) = get_form(&other, &url).await;
    let r1 = post(
        &other,
        &url,
        &[("csrf_token", &csrf), ("email", "nobody@example.com")],
    )
    .await;
    let r2 = post(
        &other,
        &url,
        &[("csrf_token", &csrf), ("email", "reset@example.com")],
    )
    .await;
    assert_eq!(r1.status(), 303);
    assert_eq!(r2.status(), 303);
    assert_eq!(
        location(&r1).replace("nobody%40", "X"),
        location(&r2).replace("reset%40", "X")
    );
    let mail = smtp::parse(&smtp::wait_for_mail(&inbox, 1).await[0]);
    assert!(mail.to.contains("reset@example.com"));
    let code = smtp::find_code(&mail.text).unwrap();

    let reset = app.url("/reset-password");
    let (_, html, csrf) = get_form(&other, &format!("{reset}?email=reset%40example.com")).await;
    assert!(html.contains("reset@example.com"));
    let r = post(
        &other,
        &reset,
        &[
            ("csrf_token", &csrf),
            ("email", "reset@example.com"),
            ("code", &code),
            ("password", "a brand new passphrase"),
            ("password2", "different"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post(
        &other,
        &reset,
        &[
            ("csrf_token", &csrf),
            ("email", "reset@example.com"),
            ("code", &code),
            ("password", "short"),
            ("password2", "short"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("too short"));
    let r = post(
        &other,
        &reset,
        &[
            ("csrf_token", &csrf),
            ("email", "reset@example.com"),
            ("code", &code),
            ("password", "a brand new passphrase"),
            ("password2", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("notice=reset"));
    // The code was single-use.
    let r = post(
        &other,
        &reset,
        &[
            ("csrf_token", &csrf),
            ("email", "reset@example.com"),
            ("code", &code),
            ("password", "yet another passphrase"),
            ("password2", "yet another passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);

    // A notification mail was sent; the refresh token and the old browser session are revoked.
    let mails = smtp::wait_for_mail(&inbox, 2).await;
    assert!(
        smtp::find_code(&smtp::parse(&mails[1]).text).is_none(),
        "the notification carries no code"
    );
    let r = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", app.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303, "the old session ended");

    // Old password fails, new one works.
    let (_, ch2) = pkce_pair();
    let r = browser
        .get(app.authorize_url(&[("code_challenge", &ch2), ("code_challenge_method", "S256")]))
        .send()
        .await
        .unwrap();
    let login = location(&r);
    let r = app
        .submit_login(&browser, &login, "reset@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .submit_login(
            &browser,
            &login,
            "reset@example.com",
            "a brand new passphrase",
        )
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn account_page_edits_profile_changes_password_and_ends_sessions() {
    let (app, inbox) = app_with_smtp().await;
    let sub = create_user(&app, "acct@example.com", "Account Holder");
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    app.login_for_code(
        &browser,
        "acct@example.com",
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    // A second browser signs in too.
    let second = app.browser();
    app.login_for_code(
        &second,
        "acct@example.com",
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;

    let (status, html, csrf) = get_form(&browser, &app.url("/account")).await;
    assert_eq!(status, 200);
    assert!(html.contains("acct@example.com") && html.contains("Account Holder"));
    assert_eq!(
        html.matches("account/sessions/revoke").count(),
        1,
        "one other session to end"
    );

    let r = post(
        &browser,
        &app.url("/account/profile"),
        &[
            ("csrf_token", &csrf),
            ("name", "Renamed Holder"),
            ("locale", "de"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html, _) = get_form(&browser, &app.url("/account")).await;
    assert!(html.contains("Renamed Holder"));
    assert!(
        html.contains("Ihr Konto"),
        "the page follows the user's new locale"
    );
    let r = post(
        &browser,
        &app.url("/account/profile"),
        &[("csrf_token", &csrf), ("name", "X"), ("locale", "klingon")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post(
        &browser,
        &app.url("/account/profile"),
        &[("name", "No Token"), ("locale", "en")],
    )
    .await;
    assert_eq!(r.status(), 403);

    // Change password: the current one is required.
    let r = post(
        &browser,
        &app.url("/account/password"),
        &[
            ("csrf_token", &csrf),
            ("current_password", "wrong"),
            ("password", "fresh passphrase 1"),
            ("password2", "fresh passphrase 1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post(
        &browser,
        &app.url("/account/password"),
        &[
            ("csrf_token", &csrf),
            ("current_password", PASSWORD),
            ("password", "fresh passphrase 1"),
            ("password2", "fresh passphrase 1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    // This browser stays signed in, the other one is signed out, a notification is mailed.
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        second
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    smtp::wait_for_mail(&inbox, 1).await;

    // Sign out everywhere ends this session too.
    let r = post(
        &browser,
        &app.url("/account/signout-all"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    // Both changes are in the audit log, as the user's own, from the hosted pages.
    for action in ["password_change", "sign_out"] {
        let row = crate::audit::wait_for(&app, action, "success");
        assert_eq!(
            (row["door"].as_str(), row["target"].as_str()),
            (Some("hosted"), Some(sub.as_str()))
        );
    }
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

#[tokio::test]
async fn pages_speak_german_when_asked() {
    let app = spawn_app().await;
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("ui_locales", "de"),
        ]))
        .send()
        .await
        .unwrap();
    let html = browser
        .get(abs(&app, &location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<html lang=\"de\">") && html.contains("Passwort vergessen?"),
        "ui_locales=de"
    );
    let html = browser
        .get(app.url("/forgot-password"))
        .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Passwort zurücksetzen"),
        "Accept-Language: de"
    );
    let html = browser
        .get(app.url("/forgot-password"))
        .header("accept-language", "tlh")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Reset your password"),
        "unknown languages fall back to English"
    );
}

#[tokio::test]
async fn branding_is_served_as_a_stylesheet() {
    let app = spawn_app().await;
    let pool_id = app.pool_id.clone();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<()> {
            let mut pool = incognito::store::pools::get(db, &pool_id)?.unwrap();
            pool.settings.branding.primary_color = Some("#0b7285".into());
            pool.settings.branding.display_name = Some("Acme Login".into());
            incognito::pools::service::update_pool(db, &mut pool, 1)
        })
        .unwrap();
    // The directory notices the change within about a second.
    let mut html = String::new();
    for _ in 0..40 {
        html = reqwest::get(app.url("/forgot-password"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains("Acme Login") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("Acme Login"));
    assert!(html.contains(&format!("/{}/branding.css", app.pool_id)));
    let css = reqwest::get(app.url("/branding.css"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains("--primary: #0b7285"));
}

#[tokio::test]
async fn a_temporary_password_must_be_replaced_at_first_sign_in() {
    let app = spawn_app().await;
    create_user(&app, "temp@example.com", "Temp");
    let out = std::process::Command::new(binary())
        .envs(crate::helpers::backend_env(app.data_path()))
        .args([
            "--data-dir",
            app.data_path().to_str().unwrap(),
            "user",
            "set-password",
            "--pool",
            &app.pool_id,
        ])
        .args([
            "--user",
            "temp@example.com",
            "--password",
            "temporary passphrase 1",
            "--temporary",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let browser = app.browser();
    let (verifier, challenge) = pkce_pair();
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("scope", "openid"),
        ]))
        .send()
        .await
        .unwrap();
    let r = app
        .submit_login(
            &browser,
            &location(&r),
            "temp@example.com",
            "temporary passphrase 1",
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = abs(&app, &location(&r));
    assert!(page.contains("/new-password?request="), "{page}");
    let (_, _, csrf) = get_form(&browser, &page).await;
    let r = post(
        &browser,
        &page,
        &[
            ("csrf_token", &csrf),
            ("password", "my own passphrase"),
            ("password2", "typo passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post(
        &browser,
        &page,
        &[
            ("csrf_token", &csrf),
            ("password", "temporary passphrase 1"),
            ("password2", "temporary passphrase 1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400, "the temporary password cannot be kept");
    let r = post(
        &browser,
        &page,
        &[
            ("csrf_token", &csrf),
            ("password", "my own passphrase"),
            ("password2", "my own passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let q = query_of(&location(&r));
    let tokens = exchange_code(&app, &q["code"], &verifier).await;
    assert!(tokens["access_token"].is_string());
    // Without the password step the page sends the browser to sign in.
    let r = app
        .browser()
        .get(app.url("/new-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // The new password works, the temporary one no longer does.
    let other = app.browser();
    let r = other
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    let login = location(&r);
    assert_eq!(
        app.submit_login(&other, &login, "temp@example.com", "temporary passphrase 1")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.submit_login(&other, &login, "temp@example.com", "my own passphrase")
            .await
            .status(),
        303
    );
}
