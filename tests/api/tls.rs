//! HTTPS without a proxy: a self-signed certificate made here (rcgen), served by the server
//! itself over HTTP/2, and swapped by a reload while an open connection goes on.

use std::net::SocketAddr;
use std::path::Path;

use crate::helpers::spawn_app_with;

/// A fresh self-signed certificate for `localhost`; writes cert.pem and key.pem, returns the
/// certificate's PEM (for a client to trust).
fn self_signed(dir: &Path) -> String {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = made.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    cert
}

/// A client that trusts only `cert` and sends `localhost` to the server's port.
fn client_trusting(cert: &str, port: u16) -> reqwest::Client {
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .build()
        .unwrap()
}

#[tokio::test]
async fn https_with_http2_and_a_reload_that_keeps_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let first = self_signed(dir.path());
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let app = spawn_app_with(move |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await;
    assert!(
        app.state.public_url.starts_with("https://"),
        "{}",
        app.state.public_url
    );
    let url = |path: &str| format!("https://localhost:{}{path}", app.port);
    let old_client = client_trusting(&first, app.port);
    let r = old_client.get(url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2, "ALPN chose h2");
    assert!(r.headers().contains_key("strict-transport-security"));
    // The issuer in discovery is https.
    let discovery: serde_json::Value = old_client
        .get(url(&format!(
            "/{}/.well-known/openid-configuration",
            app.pool_id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        discovery["issuer"]
            .as_str()
            .unwrap()
            .starts_with("https://localhost")
            || discovery["issuer"]
                .as_str()
                .unwrap()
                .starts_with("https://127.0.0.1")
    );
    // Plain HTTP on the TLS port gets no answer.
    assert!(
        reqwest::get(format!("http://127.0.0.1:{}/healthz", app.port))
            .await
            .is_err()
    );

    // A new pair on disk, then a reload (what SIGHUP does).
    let second = self_signed(dir.path());
    assert_ne!(first, second);
    let ops = app.state.ops.clone();
    tokio::task::spawn_blocking(move || ops.reload_certificates())
        .await
        .unwrap();
    let new_client = client_trusting(&second, app.port);
    let r = new_client.get(url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "a new connection sees the new certificate");
    // The connection opened before the reload is still served (no new handshake needed).
    let r = old_client.get(url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A client that trusts only the old certificate cannot make a new connection.
    let fresh_old = client_trusting(&first, app.port);
    assert!(fresh_old.get(url("/healthz")).send().await.is_err());

    // A broken pair is refused and the served one stays.
    std::fs::write(
        dir.path().join("key.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let ops = app.state.ops.clone();
    tokio::task::spawn_blocking(move || ops.reload_certificates())
        .await
        .unwrap();
    let r = client_trusting(&second, app.port)
        .get(url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn unusable_tls_files_stop_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    let other = tempfile::tempdir().unwrap();
    self_signed(other.path());
    let data = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::test_config(data.path());
    config.tls_cert = Some(dir.path().join("cert.pem"));
    config.tls_key = Some(other.path().join("key.pem"));
    let err =
        incognito::startup::Application::build(config.clone(), incognito::clock::Clock::System)
            .err()
            .expect("a certificate with another's key is refused");
    assert!(err.to_string().contains("do not belong together"), "{err}");
    config.tls_key = Some(dir.path().join("missing.pem"));
    let err = incognito::startup::Application::build(config, incognito::clock::Clock::System)
        .err()
        .expect("a missing key is refused");
    assert!(err.to_string().contains("tls_key"), "{err}");
}

#[tokio::test]
async fn chromium_signs_in_over_https_served_by_the_server_itself() {
    use crate::browser::{chromium_with, have_chromium, start_driver};
    use crate::helpers::{PASSWORD, callback_listener, create_client, create_user, pkce_pair};
    if !have_chromium("tls::chromium_signs_in_over_https_served_by_the_server_itself") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let app = spawn_app_with(move |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await;
    create_user(&app, "tls@example.com", "Tls User");
    let callback = format!("{}/callback", callback_listener());
    let settings = incognito::pools::ClientSettings {
        redirect_uris: vec![callback.clone()],
        ..Default::default()
    };
    let (client_id, _) = create_client(&app, settings, false);
    let (_, challenge) = pkce_pair();
    let mut url = url::Url::parse(&format!(
        "https://localhost:{}/{}/oauth2/authorize",
        app.port, app.pool_id
    ))
    .unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("state", "tls-state")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let driver = start_driver().await;
    let c = chromium_with(&driver, &["--ignore-certificate-errors"]).await;
    c.goto(url.as_str()).await.unwrap();
    let title = c.title().await.unwrap();
    assert!(title.contains("Sign in"), "login page over https: {title}");
    let landed = crate::browser::submit_sign_in(&c, "tls@example.com", PASSWORD, &callback).await;
    let _ = c.close().await;
    // The Secure `__Host-` session and CSRF cookies worked: the sign-in reached the client.
    assert!(landed.starts_with(&callback), "landed on {landed}");
    assert!(
        landed.contains("code=") && landed.contains("state=tls-state"),
        "{landed}"
    );
}

#[tokio::test]
async fn the_real_binary_reloads_its_certificate_on_sighup() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let first = self_signed(dir.path());
    let data = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let mut child = Command::new(crate::helpers::binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.path())
        .envs(crate::helpers::backend_env(data.path()))
        .env("INCOGNITO_TLS_CERT", dir.path().join("cert.pem"))
        .env("INCOGNITO_TLS_KEY", dir.path().join("key.pem"))
        .env("INCOGNITO_SHUTDOWN_DELAY_SECS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("https://localhost:{port}/healthz");
    let old = client_trusting(&first, port);
    let mut up = false;
    for _ in 0..200 {
        if old.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server answers over https");
    let second = self_signed(dir.path());
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let new = client_trusting(&second, port);
    let mut reloaded = false;
    for _ in 0..100 {
        if new.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        reloaded,
        "after SIGHUP new connections get the new certificate"
    );
    // The old client's open connection is still served.
    assert_eq!(old.get(&url).send().await.unwrap().status(), 200);
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
