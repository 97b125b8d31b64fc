//! Headless Chromium signs in through the real login page (Debian's chromium + chromedriver).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::helpers::*;

pub(crate) struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether Debian's chromium and chromium-driver are installed; if not, `test` is skipped (or
/// fails, see `skip_or_fail`) and the caller returns.
pub(crate) fn have_chromium(test: &str) -> bool {
    let missing: Vec<&str> = [
        ("chromedriver", on_path("chromedriver")),
        (CHROMIUM, std::path::Path::new(CHROMIUM).exists()),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(name, _)| name)
    .collect();
    if missing.is_empty() {
        return true;
    }
    skip_or_fail(
        test,
        &format!(
            "{} missing (Debian packages chromium and chromium-driver)",
            missing.join(" and ")
        ),
    );
    false
}

pub(crate) async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

async fn chromium(driver: &Driver) -> fantoccini::Client {
    chromium_with(driver, &[]).await
}

/// A session with `extra` command-line switches (tls.rs: `--ignore-certificate-errors`).
pub(crate) async fn chromium_with(driver: &Driver, extra: &[&str]) -> fantoccini::Client {
    let mut args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        format!("--user-data-dir={}", driver._profile.path().display()),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": args }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// Types `username` and `password` into the hosted sign-in form and waits (up to 5 s) for
/// the browser to land on `callback`; returns the URL it is on then.
pub(crate) async fn submit_sign_in(
    c: &fantoccini::Client,
    username: &str,
    password: &str,
    callback: &str,
) -> String {
    for (field, value) in [("#username", username), ("#password", password)] {
        c.find(Locator::Css(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut landed = String::new();
    for _ in 0..100 {
        landed = c.current_url().await.unwrap().to_string();
        if landed.starts_with(callback) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    landed
}

#[tokio::test]
async fn chromium_signs_in_through_the_login_page() {
    if !have_chromium("browser::chromium_signs_in_through_the_login_page") {
        return;
    }
    let app = spawn_app().await;
    create_user(&app, "web@example.com", "Web User");
    let callback = format!("{}/callback", callback_listener());
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![callback.clone()],
        ..Default::default()
    };
    let (client_id, _) = create_client(&app, settings, false);
    let (_, challenge) = pkce_pair();
    let mut url = url::Url::parse(&app.url("/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("state", "browser-state")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    let driver = start_driver().await;
    let c = chromium(&driver).await;
    c.goto(url.as_str()).await.unwrap();
    let title = c.title().await.unwrap();
    assert!(title.contains("Sign in"), "login page shown: {title}");
    let landed = submit_sign_in(&c, "web@example.com", PASSWORD, &callback).await;
    if !landed.starts_with(&callback) {
        let html = c.source().await.unwrap_or_default();
        panic!("browser did not land on the client: {landed}\n{html}");
    }
    let q = query_of(&landed);
    assert_eq!(q["state"], "browser-state");
    assert_eq!(q["iss"], app.issuer());
    assert!(!q["code"].is_empty());

    // A wrong password shows the error on the page, in an alert.
    c.goto(&app.url("/logout")).await.unwrap();
    c.goto(url.as_str()).await.unwrap();
    c.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys("web@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys("wrong password")
        .await
        .unwrap();
    c.find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let alert = c
        .wait()
        .for_element(Locator::Css("[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(alert.contains("Incorrect email or password"), "{alert}");
    c.close().await.unwrap();
}

async fn wait_for_url(c: &fantoccini::Client, prefix: &str) -> String {
    let mut url = String::new();
    for _ in 0..200 {
        url = c.current_url().await.unwrap().to_string();
        if url.starts_with(prefix) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = c.source().await.unwrap_or_default();
    panic!("browser did not reach {prefix}: at {url}\n{html}");
}

async fn fill(c: &fantoccini::Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The journey a person takes: sign up from the relying party's authorize URL, confirm with
/// the emailed code, land on the relying party with a code whose tokens carry email, name and
/// locale; then forgot password → code by mail → reset → sign in with the new password; then
/// edit the profile on the account page.
#[tokio::test]
async fn chromium_sign_up_confirm_reset_and_account_journey() {
    if !have_chromium("browser::chromium_sign_up_confirm_reset_and_account_journey") {
        return;
    }
    let (app, inbox) = spawn_app_with_smtp().await;
    let callback = format!("{}/callback", callback_listener());
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![callback.clone()],
        scopes: vec!["openid".into(), "email".into(), "profile".into()],
        ..Default::default()
    };
    let (client_id, _) = create_client(&app, settings, false);
    let (verifier, challenge) = pkce_pair();
    let mut url = url::Url::parse(&app.url("/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("state", "journey")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    let driver = start_driver().await;
    let c = chromium(&driver).await;
    c.goto(url.as_str()).await.unwrap();
    click(&c, "#signup-link").await;
    fill(&c, "#email", "journey@example.com").await;
    fill(&c, "#attr-name", "Journey Person").await;
    c.find(Locator::Css("#attr-locale option[value='de']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#sign-up").await;
    wait_for_url(&c, &app.url("/confirm")).await;

    let mail = crate::smtp::parse(&crate::smtp::wait_for_mail(&inbox, 1).await[0]);
    let code = crate::smtp::find_code(&mail.text).expect("the code arrives by email");
    assert!(
        mail.subject.contains("Bestätig") || mail.subject.to_lowercase().contains("code"),
        "German mail: {}",
        mail.subject
    );
    fill(&c, "#code", &code).await;
    click(&c, "#confirm").await;
    wait_for_url(&c, &app.url("/login")).await;
    fill(&c, "#username", "journey@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;
    let landed = wait_for_url(&c, &callback).await;
    let q = query_of(&landed);
    assert_eq!(q["state"], "journey");
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", callback.as_str()),
            ("client_id", client_id.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let claims: serde_json::Value = {
        use base64::Engine;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(id_token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(claims["email"], "journey@example.com");
    assert_eq!(claims["name"], "Journey Person");
    assert_eq!(claims["locale"], "de");

    // Forgot password → code by mail → reset → the new password works, the old one fails.
    c.goto(&app.url("/logout")).await.unwrap();
    c.goto(url.as_str()).await.unwrap();
    click(&c, "#forgot-link").await;
    fill(&c, "#email", "journey@example.com").await;
    click(&c, "#send-code").await;
    wait_for_url(&c, &app.url("/reset-password")).await;
    let mail = crate::smtp::parse(&crate::smtp::wait_for_mail(&inbox, 2).await[1]);
    let code = crate::smtp::find_code(&mail.text).expect("a reset code");
    fill(&c, "#code", &code).await;
    fill(&c, "#password", "my new passphrase 42").await;
    fill(&c, "#password2", "my new passphrase 42").await;
    click(&c, "#reset").await;
    wait_for_url(&c, &app.url("/login")).await;
    fill(&c, "#username", "journey@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;
    let alert = c
        .wait()
        .for_element(Locator::Css("[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!alert.is_empty(), "the old password fails");
    fill(&c, "#username", "journey@example.com").await;
    fill(&c, "#password", "my new passphrase 42").await;
    click(&c, "#sign-in").await;
    wait_for_url(&c, &callback).await;

    // The account page: edit the name.
    c.goto(&app.url("/account")).await.unwrap();
    fill(&c, "#name", "Journey Renamed").await;
    click(&c, "#save-profile").await;
    wait_for_url(&c, &app.url("/account?notice=saved")).await;
    let value = c
        .find(Locator::Css("#name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("Journey Renamed"));
    c.close().await.unwrap();
}

/// Required MFA in a real browser: the set-up page's key is read from the page, a code is
/// computed from it (independent RFC 6238), and the relying party gets its code.
#[tokio::test]
async fn chromium_enrols_totp_from_the_page_and_signs_in_with_a_code() {
    if !have_chromium("browser::chromium_enrols_totp_from_the_page_and_signs_in_with_a_code") {
        return;
    }
    let app = spawn_app().await;
    crate::mfa::set_pool(&app, incognito::pools::MfaMode::Required, 0);
    create_user(&app, "totp@example.com", "Totp User");
    let callback = format!("{}/callback", callback_listener());
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![callback.clone()],
        ..Default::default()
    };
    let (client_id, _) = create_client(&app, settings, false);
    let (_, challenge) = pkce_pair();
    let mut url = url::Url::parse(&app.url("/oauth2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let driver = start_driver().await;
    let c = chromium(&driver).await;
    c.goto(url.as_str()).await.unwrap();
    fill(&c, "#username", "totp@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;
    wait_for_url(&c, &app.url("/mfa/setup")).await;
    let qr = c.find(Locator::Css("#qr")).await.unwrap();
    let src = qr.attr("src").await.unwrap().unwrap_or_default();
    assert!(
        src.starts_with("data:image/png;base64,"),
        "the QR code is an image"
    );
    let alt = qr.attr("alt").await.unwrap().unwrap_or_default();
    let (secret, codes) = turn_on_totp(&c).await;
    assert!(
        alt.contains(&format!("secret={secret}")),
        "the QR code encodes the key shown: {alt}"
    );
    assert_eq!(
        codes.lines().filter(|l| !l.trim().is_empty()).count(),
        10,
        "{codes}"
    );
    click(&c, "#continue").await;
    let landed = wait_for_url(&c, &callback).await;
    assert!(query_of(&landed).contains_key("code"));
    c.close().await.unwrap();
}

/// On the set-up page: enters the current code for the key shown and turns TOTP on; the key
/// and the recovery codes then shown.
async fn turn_on_totp(c: &fantoccini::Client) -> (String, String) {
    let secret = c
        .find(Locator::Css("#secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fill(c, "#code", &crate::mfa::totp_at(&secret, crate::mfa::now())).await;
    click(c, "#turn-on").await;
    let codes = c
        .wait()
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (secret, codes)
}

/// Link and button names a person cannot understand out of context (WCAG 2.4.4).
const VAGUE_NAMES: &[&str] = &[
    "turn on",
    "turn off",
    "manage",
    "remove",
    "here",
    "click here",
    "more",
    "edit",
    "save",
    "delete",
    "change",
    "link",
    "read more",
    "details",
    "go",
    "ok",
];

/// The accessible name of every link and button on the page: `aria-label`, else the text.
async fn control_names(c: &fantoccini::Client) -> Vec<(String, String)> {
    let v = c
        .execute(
            "return Array.from(document.querySelectorAll('a, button')).map(e => \
             [e.id, (e.getAttribute('aria-label') || e.textContent).replace(/\\s+/g, ' ').trim()]);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

async fn assert_descriptive(c: &fantoccini::Client, page: &str) -> Vec<(String, String)> {
    let names = control_names(c).await;
    assert!(!names.is_empty(), "{page}: no links or buttons");
    for (id, name) in &names {
        assert!(
            !name.is_empty() && !VAGUE_NAMES.contains(&name.to_lowercase().as_str()),
            "{page}: #{id} is named {name:?}, which says nothing out of context"
        );
    }
    names
}

fn name_of<'a>(names: &'a [(String, String)], id: &str) -> &'a str {
    names
        .iter()
        .find(|(i, _)| i == id)
        .map(|(_, n)| n.as_str())
        .unwrap_or_else(|| panic!("no #{id} in {names:?}"))
}

/// Every link and button on the account and two-step verification pages says what it does.
#[tokio::test]
async fn chromium_account_and_mfa_controls_have_descriptive_names() {
    let app = spawn_app().await;
    crate::mfa::set_pool(&app, incognito::pools::MfaMode::Optional, 0);
    create_user(&app, "names@example.com", "Names User");
    let driver = start_driver().await;
    let c = chromium(&driver).await;
    c.goto(&app.url("/login")).await.unwrap();
    fill(&c, "#username", "names@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.goto(&app.url("/account")).await.unwrap();
    wait_for_url(&c, &app.url("/account")).await;
    let names = assert_descriptive(&c, "account").await;
    assert!(
        name_of(&names, "mfa-manage").contains("two-step verification"),
        "{names:?}"
    );
    click(&c, "#mfa-manage").await;
    wait_for_url(&c, &app.url("/account/mfa")).await;
    assert_descriptive(&c, "MFA setup").await;
    turn_on_totp(&c).await;
    assert_descriptive(&c, "recovery codes").await;
    c.goto(&app.url("/account/mfa")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#disable"))
        .await
        .unwrap();
    assert_descriptive(&c, "MFA management").await;
    c.goto(&app.url("/account")).await.unwrap();
    let names = assert_descriptive(&c, "account with MFA on").await;
    assert!(
        name_of(&names, "mfa-manage").contains("two-step verification"),
        "{names:?}"
    );
    c.close().await.unwrap();
}
