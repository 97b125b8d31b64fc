//! TOTP multi-factor authentication through the hosted pages. Codes are computed by an RFC 6238
//! implementation written here, independently of the server's (checked against the RFC's
//! test vectors), from the secret the set-up page shows.

use hmac::{Hmac, Mac};
use incognito::pools::MfaMode;

use crate::helpers::*;

// ---- An independent RFC 4648 base32 decoder and RFC 6238 TOTP (SHA-1, 6 digits, 30 s). ----

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32") as u64;
        value = (value << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = ((h[offset] as u32 & 0x7f) << 24)
        | ((h[offset + 1] as u32) << 16)
        | ((h[offset + 2] as u32) << 8)
        | h[offset + 3] as u32;
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

pub fn totp_at(secret_b32: &str, unix: u64) -> String {
    hotp(&base32_decode(secret_b32), unix / 30, 6)
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn independent_totp_matches_rfc6238_vectors() {
    let key = b"12345678901234567890";
    for (t, expected) in [
        (59u64, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ] {
        assert_eq!(hotp(key, t / 30, 8), expected);
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key);
}

// ---- Helpers for the flows. ----

pub fn set_pool(app: &TestApp, mfa: MfaMode, remember_days: i64) {
    let pool_id = app.pool_id.clone();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<()> {
            let mut pool = incognito::store::pools::get(db, &pool_id)?.unwrap();
            pool.settings.mfa = mfa;
            pool.settings.remember_device_days = remember_days;
            incognito::pools::service::update_pool(db, &mut pool, 1)
        })
        .unwrap();
    app.state.directory.invalidate();
}

fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let i = html.find(start)? + start.len();
    let j = html[i..].find(end)? + i;
    Some(html[i..j].to_string())
}

async fn page(browser: &reqwest::Client, url: &str) -> (u16, String) {
    let r = browser.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Signs in with the password only and returns the response to the login POST.
async fn password_step(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    password_step_pkce(app, browser, email, extra).await.0
}

/// `password_step`, also returning the PKCE verifier for the code exchange.
async fn password_step_pkce(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
    extra: &[(&str, &str)],
) -> (reqwest::Response, String) {
    let (verifier, challenge) = pkce_pair();
    let mut params = vec![
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", "openid email"),
    ];
    params.extend_from_slice(extra);
    let r = browser
        .get(app.authorize_url(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let target = location(&r);
    assert!(target.contains("/login?request="), "{target}");
    (
        app.submit_login(browser, &target, email, PASSWORD).await,
        verifier,
    )
}

/// Sets up TOTP from the account page; returns (secret, recovery codes). Leaves the browser signed in.
async fn enrol_from_account(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
) -> (String, Vec<String>) {
    let r = password_step(app, browser, email, &[]).await;
    assert_eq!(r.status(), 303);
    let (status, html) = page(browser, &app.url("/account")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"mfa-manage\""),
        "the account page offers MFA"
    );
    let (status, html) = page(browser, &app.url("/account/mfa")).await;
    assert_eq!(status, 200);
    assert!(html.contains("data:image/png;base64,"), "a QR code");
    let secret = between(&html, "<code id=\"secret\">", "</code>").expect("the secret as text");
    assert_eq!(base32_decode(&secret).len(), 20, "a 160-bit secret");
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    // A wrong first code leaves it off.
    let r = browser
        .post(app.url("/account/mfa"))
        .form(&[("csrf_token", csrf.as_str()), ("code", "000000x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let code = totp_at(&secret, now());
    let r = browser
        .post(app.url("/account/mfa"))
        .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let list = between(&html, "<ul class=\"codes\" id=\"recovery-codes\">", "</ul>")
        .expect("recovery codes");
    let codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// Waits for the next 30-second step so that a fresh code is not a replay of the last one.
async fn next_step() {
    let wait = 30 - now() % 30 + 1;
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
}

fn claims_of(
    app: &TestApp,
    code: &str,
    verifier: &str,
) -> impl std::future::Future<Output = serde_json::Value> {
    let (url, client_id, redirect) = (
        app.url("/oauth2/token"),
        app.client_id.clone(),
        app.redirect_uri.clone(),
    );
    let (code, verifier) = (code.to_string(), verifier.to_string());
    async move {
        let tokens: serde_json::Value = reqwest::Client::new()
            .post(url)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect.as_str()),
                ("client_id", client_id.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        use base64::Engine;
        let payload = tokens["id_token"]
            .as_str()
            .expect("ID token")
            .split('.')
            .nth(1)
            .unwrap()
            .to_string();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    }
}

// ---- The flows. ----

#[tokio::test]
async fn setup_then_sign_in_with_a_code_wrong_and_replayed_codes_and_a_recovery_code() {
    let app = spawn_app().await;
    set_pool(&app, MfaMode::Optional, 0);
    create_user(&app, "mfa@example.com", "Mfa User");
    let (secret, recovery) = enrol_from_account(&app, &app.browser(), "mfa@example.com").await;

    // A new browser: password, then the code page.
    let browser = app.browser();
    let (_, challenge) = pkce_pair();
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("scope", "openid email"),
            ("state", "m1"),
        ]))
        .send()
        .await
        .unwrap();
    let r = app
        .submit_login(&browser, &location(&r), "mfa@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    let mfa_page = location(&r);
    assert!(mfa_page.contains("/mfa?request="), "{mfa_page}");
    let (status, html) = page(&browser, &format!("{}{}", app.address, mfa_page)).await;
    assert_eq!(status, 200);
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let post = |code: String| {
        let (browser, url, csrf) = (
            browser.clone(),
            format!("{}{}", app.address, mfa_page),
            csrf.clone(),
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
    // Bad input: each refused with a message, and the password step is not repeated.
    for bad in ["abcdef", "123", "1234567890123", "", &"9".repeat(200)] {
        let r = post(bad.to_string()).await;
        assert!(
            r.status() == 401 || r.status() == 400,
            "{bad:?}: {}",
            r.status()
        );
    }
    // That was 4 or 5 failures: the challenge may be locked now; start again to test the code.
    let (r, verifier) =
        password_step_pkce(&app, &browser, "mfa@example.com", &[("state", "m1")]).await;
    let mfa_page = location(&r);
    let html = page(&browser, &format!("{}{}", app.address, mfa_page))
        .await
        .1;
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    next_step().await;
    let code = totp_at(&secret, now());
    let r = browser
        .post(format!("{}{}", app.address, mfa_page))
        .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let q = query_of(&location(&r));
    let claims = claims_of(&app, &q["code"], &verifier).await;
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(claims["acr"], "mfa");

    // The same code again, in another sign-in: refused as a replay.
    let other = app.browser();
    let r = password_step(&app, &other, "mfa@example.com", &[]).await;
    let mfa_page = location(&r);
    let html = page(&other, &format!("{}{}", app.address, mfa_page))
        .await
        .1;
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let r = other
        .post(format!("{}{}", app.address, mfa_page))
        .form(&[("csrf_token", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("already used"));

    // A recovery code signs in once and says how many are left.
    let r = other
        .post(format!("{}{}", app.address, mfa_page))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", recovery[0].to_uppercase().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"codes-left\""), "{html}");
    assert!(html.contains(": 9"), "nine left");
    let resume = between(&html, "id=\"continue\" href=\"", "\"")
        .unwrap()
        .replace("&amp;", "&");
    let r = other
        .get(format!("{}{}", app.address, resume))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&app.redirect_uri));
    // The used recovery code does not work twice.
    let third = app.browser();
    let r = password_step(&app, &third, "mfa@example.com", &[]).await;
    let mfa_page = location(&r);
    let html = page(&third, &format!("{}{}", app.address, mfa_page))
        .await
        .1;
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    let r = third
        .post(format!("{}{}", app.address, mfa_page))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", recovery[0].as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_challenge_and_the_code_page_needs_the_password_step() {
    let app = spawn_app().await;
    set_pool(&app, MfaMode::Optional, 0);
    create_user(&app, "lock@example.com", "Lock");
    let (secret, _) = enrol_from_account(&app, &app.browser(), "lock@example.com").await;
    let browser = app.browser();
    // Without the password step the code page sends the browser to sign in.
    let r = browser.get(app.url("/mfa")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("/login"));
    let r = password_step(&app, &browser, "lock@example.com", &[]).await;
    let mfa_page = format!("{}{}", app.address, location(&r));
    let csrf = hidden_field(&page(&browser, &mfa_page).await.1, "csrf_token").unwrap();
    let good = totp_at(&secret, now());
    let wrong = if good == "123456" { "654321" } else { "123456" };
    for i in 0..5 {
        let r = browser
            .post(&mfa_page)
            .form(&[("csrf_token", csrf.as_str()), ("code", wrong)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    // Locked: even the right code now goes back to sign-in.
    let r = browser
        .post(&mfa_page)
        .form(&[("csrf_token", csrf.as_str()), ("code", good.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("/login"));
}

/// A new sign-in does not buy new guesses: wrong codes are counted per user too.
#[tokio::test]
async fn wrong_codes_are_throttled_per_user_across_sign_ins() {
    let app = spawn_app().await;
    set_pool(&app, MfaMode::Optional, 0);
    create_user(&app, "thr@example.com", "Throttled");
    let (secret, _) = enrol_from_account(&app, &app.browser(), "thr@example.com").await;
    let good = totp_at(&secret, now());
    let wrong = if good == "123456" { "654321" } else { "123456" };
    let browser = app.browser();
    let r = password_step(&app, &browser, "thr@example.com", &[]).await;
    let mfa_page = format!("{}{}", app.address, location(&r));
    let csrf = hidden_field(&page(&browser, &mfa_page).await.1, "csrf_token").unwrap();
    for _ in 0..4 {
        browser
            .post(&mfa_page)
            .form(&[("csrf_token", csrf.as_str()), ("code", wrong)])
            .send()
            .await
            .unwrap();
    }
    // A second sign-in: one more wrong code reaches the per-user limit...
    let other = app.browser();
    let r = password_step(&app, &other, "thr@example.com", &[]).await;
    let mfa_page = format!("{}{}", app.address, location(&r));
    let csrf = hidden_field(&page(&other, &mfa_page).await.1, "csrf_token").unwrap();
    let r = other
        .post(&mfa_page)
        .form(&[("csrf_token", csrf.as_str()), ("code", wrong)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // ...and now even the right code waits.
    let r = other
        .post(&mfa_page)
        .form(&[("csrf_token", csrf.as_str()), ("code", good.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
}

#[tokio::test]
async fn required_mfa_enrols_at_sign_in_and_the_admin_can_reset_it() {
    let app = spawn_app().await;
    set_pool(&app, MfaMode::Required, 0);
    create_user(&app, "req@example.com", "Required");
    let browser = app.browser();
    let r = password_step(&app, &browser, "req@example.com", &[]).await;
    assert_eq!(r.status(), 303);
    let setup = format!("{}{}", app.address, location(&r));
    assert!(setup.contains("/mfa/setup?request="), "{setup}");
    // No session yet: the account page asks to sign in.
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let (_, html) = page(&browser, &setup).await;
    let secret = between(&html, "<code id=\"secret\">", "</code>").unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    // A stale secret (from a set-up page shown before this one) does not work.
    let (_, html2) = page(&browser, &setup).await;
    let fresh = between(&html2, "<code id=\"secret\">", "</code>").unwrap();
    assert_ne!(fresh, secret, "every set-up page gets a new secret");
    let r = browser
        .post(&setup)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", totp_at(&secret, now()).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the code of a replaced secret fails");
    let r = browser
        .post(&setup)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", totp_at(&fresh, now()).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"recovery-codes\""));
    let resume = between(&html, "id=\"continue\" href=\"", "\"")
        .unwrap()
        .replace("&amp;", "&");
    let r = browser
        .get(format!("{}{}", app.address, resume))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).starts_with(&app.redirect_uri),
        "the relying party gets its code"
    );

    // The admin resets the factor (lost phone): the next sign-in enrols again.
    let out = std::process::Command::new(binary())
        .envs(crate::helpers::backend_env(app.data_path()))
        .args([
            "--data-dir",
            app.data_path().to_str().unwrap(),
            "--json",
            "user",
            "mfa",
            "reset",
            "--pool",
            &app.pool_id,
            "--user",
            "req@example.com",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["had_factor"], true);
    let r = password_step(&app, &app.browser(), "req@example.com", &[]).await;
    assert!(
        location(&r).contains("/mfa/setup"),
        "enrolment again after the reset"
    );
}

#[tokio::test]
async fn step_up_with_max_age_and_acr_values_and_remembered_devices() {
    let app = spawn_app().await;
    set_pool(&app, MfaMode::Optional, 30);
    create_user(&app, "step@example.com", "Step");
    let (secret, _) = enrol_from_account(&app, &app.browser(), "step@example.com").await;
    let browser = app.browser();
    let r = password_step(&app, &browser, "step@example.com", &[]).await;
    let mfa_page = format!("{}{}", app.address, location(&r));
    let html = page(&browser, &mfa_page).await.1;
    assert!(
        html.contains("name=\"remember\""),
        "the pool offers to remember the device"
    );
    let csrf = hidden_field(&html, "csrf_token").unwrap();
    next_step().await;
    let r = browser
        .post(&mfa_page)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("code", totp_at(&secret, now()).as_str()),
            ("remember", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let device = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("incognito_device_"));
    assert!(device, "a device cookie");

    // max_age=0 forces the password again (and the remembered device skips the code).
    let (_, challenge) = pkce_pair();
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("max_age", "0"),
        ]))
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).contains("/login?request="),
        "max_age=0 asks again"
    );
    let r = app
        .submit_login(&browser, &location(&r), "step@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).starts_with(&app.redirect_uri),
        "the remembered device skips the code"
    );

    // That session is password-only: acr_values=mfa steps up to the code page.
    let r = browser
        .get(app.authorize_url(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("acr_values", "mfa"),
        ]))
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).contains("/login?request="),
        "step-up needs a new sign-in"
    );
    let r = app
        .submit_login(&browser, &location(&r), "step@example.com", PASSWORD)
        .await;
    assert!(
        location(&r).contains("/mfa?request="),
        "acr_values=mfa ignores the remembered device"
    );
}
