//! Headless Chromium signs in through the real login page (Debian's chromium + chromedriver).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::helpers::*;

struct Driver {
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

async fn start_driver() -> Driver {
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
        .expect("chromedriver is installed (Debian package chromium-driver; .ci/run installs it)");
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
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", format!("--user-data-dir={}", driver._profile.path().display())]
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

#[tokio::test]
async fn chromium_signs_in_through_the_login_page() {
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
    c.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys("web@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut landed = String::new();
    for _ in 0..100 {
        landed = c.current_url().await.unwrap().to_string();
        if landed.starts_with(&callback) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
