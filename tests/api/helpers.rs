#![allow(dead_code)]

use std::path::{Path, PathBuf};

use incognito::clock::Clock;
use incognito::config::Config;
use incognito::startup::Application;
use incognito::state::AppState;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub pool_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    /// The app's database on the test cluster when the suite runs on PostgreSQL.
    pub postgres: Option<crate::pg::TestDatabase>,
}

impl TestApp {
    pub fn issuer(&self) -> String {
        format!("{}/{}", self.address, self.pool_id)
    }
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}{}", self.address, self.pool_id, path)
    }
    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }
    /// An HTTP client with a cookie jar that does not follow redirects (tests inspect them).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }
}

pub fn test_config(data_dir: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    }
}

/// Starts the real server with a fresh data directory and the default pool and client.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_clock(Clock::System, customise).await
}

/// A settable clock starting at a fixed instant (`clock.advance(secs)` moves it).
pub fn fixed_clock() -> Clock {
    Clock::Fixed(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
        1_700_000_000,
    )))
}

/// True when the suite runs on PostgreSQL (`INCOGNITO_TEST_BACKEND=postgres`, CI's second
/// pass): every server and CLI run of the tests keeps its data in a database of its own on the
/// test cluster instead of SQLite in its data directory.
pub fn on_postgres() -> bool {
    std::env::var("INCOGNITO_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The settings that put a data directory's server on its PostgreSQL database.
#[derive(Clone)]
pub struct Backend {
    pub database_url: String,
    pub master_key: String,
}

/// Which PostgreSQL database serves which data directory, so that CLI runs on an app's data
/// directory reach the app's database.
fn backends() -> &'static std::sync::Mutex<std::collections::HashMap<PathBuf, Backend>> {
    static MAP: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<PathBuf, Backend>>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(Default::default)
}

/// A fresh database for `data_dir` on the test cluster (blocking: not on an async thread).
fn new_backend(data_dir: &Path) -> (crate::pg::TestDatabase, Backend) {
    let db = crate::pg::database("INCOGNITO_TEST_BACKEND=postgres")
        .expect("INCOGNITO_TEST_BACKEND=postgres needs PostgreSQL's server programs");
    let backend = Backend {
        database_url: db.url.clone(),
        master_key: incognito::random::token(32),
    };
    backends()
        .lock()
        .unwrap()
        .insert(data_dir.to_path_buf(), backend.clone());
    (db, backend)
}

/// The INCOGNITO_* variables a CLI run on `data_dir` needs to reach the same database as the
/// app there: none on SQLite. On PostgreSQL a data directory no app owns gets a database of
/// its own, kept until the test binary ends.
pub fn backend_env(data_dir: &Path) -> Vec<(&'static str, String)> {
    if !on_postgres() {
        return Vec::new();
    }
    let known = backends().lock().unwrap().get(data_dir).cloned();
    let backend = known.unwrap_or_else(|| {
        let data_dir = data_dir.to_path_buf();
        std::thread::spawn(move || {
            let (db, backend) = new_backend(&data_dir);
            std::mem::forget(db);
            backend
        })
        .join()
        .unwrap()
    });
    vec![
        ("INCOGNITO_DATABASE_URL", backend.database_url),
        ("INCOGNITO_MASTER_KEY", backend.master_key),
    ]
}

/// The store a data directory's server and CLI runs use: its PostgreSQL database when the
/// suite runs on PostgreSQL, else the SQLite file in it. Blocking.
pub fn store_of(data_dir: &Path) -> incognito::store::Store {
    let url = backend_env(data_dir)
        .into_iter()
        .find(|(name, _)| *name == "INCOGNITO_DATABASE_URL")
        .map(|(_, url)| url);
    match url {
        Some(url) => incognito::store::Store::open_postgres(&url, 2).expect("store opens"),
        None => incognito::store::Store::open(&data_dir.join("incognito.sqlite3"), 2)
            .expect("store opens"),
    }
}

pub async fn spawn_app_with_clock(clock: Clock, customise: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(data_dir.path());
    let postgres = if on_postgres() {
        let path = data_dir.path().to_path_buf();
        let (db, backend) = tokio::task::spawn_blocking(move || new_backend(&path))
            .await
            .unwrap();
        config.database_url = Some(incognito::config::Secret(backend.database_url));
        config.master_key = Some(incognito::config::Secret(backend.master_key));
        Some(db)
    } else {
        None
    };
    customise(&mut config);
    let postgres = postgres.and_then(|db| {
        let own = config.database_url.as_ref().is_some_and(|u| u.0 == db.url);
        if config.database_url.is_none() {
            // The test wants SQLite whatever the suite runs on.
            backends().lock().unwrap().remove(data_dir.path());
            return None;
        }
        let moved = backends().lock().unwrap().get(&config.data_dir).cloned();
        match moved {
            // A server started on another app's data directory serves that app's database.
            Some(b) if own && config.data_dir != data_dir.path() => {
                config.database_url = Some(incognito::config::Secret(b.database_url));
                config.master_key = Some(incognito::config::Secret(b.master_key));
                None
            }
            _ => Some(db),
        }
    });
    let app = Application::build(config, clock).expect("server builds");
    let port = app.port();
    let state = app.state.clone();
    let setup = app.default_setup.clone();
    tokio::spawn(app.run_until_stopped());
    let (pool_id, client_id, redirect_uri) = match setup {
        Some(s) => (s.pool_id, s.client_id, s.redirect_uri),
        None => Default::default(),
    };
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        pool_id,
        client_id,
        redirect_uri,
        state,
        data_dir,
        postgres,
    }
}

/// A loopback port free at this moment, for a server process the test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads a started server's welcome text up to its default client: (client id, pool id).
pub fn read_welcome(stdout: &mut impl std::io::BufRead) -> (String, String) {
    let (mut client_id, mut pool_id) = (String::new(), String::new());
    let mut line = String::new();
    while client_id.is_empty() || pool_id.is_empty() {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server printed its welcome"
        );
        if let Some(v) = line.trim().strip_prefix("client id:") {
            client_id = v.trim().to_string();
        }
        if let Some(v) = line.trim().strip_prefix("issuer:") {
            pool_id = v.trim().rsplit('/').next().unwrap().to_string();
        }
    }
    (client_id, pool_id)
}

/// The compiled `incognito` binary, for CLI tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_incognito"))
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Creates a confirmed user in the app's default pool and returns its sub.
pub fn create_user(app: &TestApp, email: &str, name: &str) -> String {
    create_user_with(app, email, name, Some(PASSWORD.to_string()), None)
}

/// Like `create_user`, with a password (checked against the policy) or a ready hash.
pub fn create_user_with(
    app: &TestApp,
    email: &str,
    name: &str,
    password: Option<String>,
    password_hash: Option<String>,
) -> String {
    let pool_id = app.pool_id.clone();
    let (email, name) = (email.to_string(), name.to_string());
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<String> {
            let pool = incognito::store::pools::get(db, &pool_id)?.expect("pool");
            let mut attributes = std::collections::BTreeMap::new();
            attributes.insert("name".to_string(), name);
            attributes.insert("locale".to_string(), "en".to_string());
            let user = incognito::accounts::service::create_now(
                db,
                &pool,
                &app.state.sealer,
                incognito::accounts::service::NewUser {
                    username: None,
                    email: Some(email),
                    password,
                    password_hash,
                    attributes,
                    confirmed: true,
                    email_verified: true,
                },
                0,
            )?;
            Ok(user.id)
        })
        .expect("user created")
}

/// PKCE verifier and S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = incognito::random::token(32);
    let challenge = incognito::oidc::pkce::s256(&verifier);
    (verifier, challenge)
}

/// The value of a hidden input in an HTML page.
/// GETs a form page: its status, HTML and CSRF token.
pub async fn get_form(browser: &reqwest::Client, url: &str) -> (u16, String, String) {
    let r = browser.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let html = r.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf_token").unwrap_or_default();
    (status, html, csrf)
}

pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

/// The query parameters of a URL as a map.
pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

impl TestApp {
    pub fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&self.url("/oauth2/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_type", "code");
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(k, v);
        }
        url.to_string()
    }

    /// Starts an authorization request (PKCE S256) in `browser` and returns the login page's
    /// path it redirects to.
    pub async fn login_path(&self, browser: &reqwest::Client) -> String {
        let (_, challenge) = pkce_pair();
        let r = browser
            .get(self.authorize_url(&[
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        location(&r)
    }

    /// Follows the login page of a pending request: GET the form, POST the credentials.
    /// Returns the response to the POST.
    pub async fn submit_login(
        &self,
        browser: &reqwest::Client,
        login_path: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = browser
            .get(format!("{}{}", self.address, login_path))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "login page shows");
        let html = page.text().await.unwrap();
        let csrf = hidden_field(&html, "csrf_token").expect("csrf token in the form");
        browser
            .post(format!("{}{}", self.address, login_path))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("username", email),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Runs authorize → login → redirect and returns the redirect's query parameters.
    pub async fn login_for_code(
        &self,
        browser: &reqwest::Client,
        email: &str,
        extra: &[(&str, &str)],
    ) -> std::collections::HashMap<String, String> {
        let r = browser.get(self.authorize_url(extra)).send().await.unwrap();
        assert_eq!(r.status(), 302);
        let login = location(&r);
        let r = self.submit_login(browser, &login, email, PASSWORD).await;
        assert_eq!(r.status(), 303, "login redirects with 303");
        let target = location(&r);
        assert!(
            target.starts_with(&self.redirect_uri),
            "redirects to the client: {target}"
        );
        query_of(&target)
    }
}

/// Creates an app client in the default pool; returns (client id, secret if confidential).
pub fn create_client(
    app: &TestApp,
    settings: incognito::pools::ClientSettings,
    confidential: bool,
) -> (String, Option<String>) {
    let pool_id = app.pool_id.clone();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<(String, Option<String>)> {
            let pool = incognito::store::pools::get(db, &pool_id)?.expect("pool");
            let choice = if confidential {
                incognito::pools::service::SecretChoice::Generate
            } else {
                incognito::pools::service::SecretChoice::Public
            };
            let (client, secret) = incognito::pools::service::create_client(
                db, &pool, None, "Test app", settings, choice, 0,
            )?;
            Ok((client.id, secret))
        })
        .expect("client created")
}

/// A loopback HTTP endpoint that answers every request with 200, standing in for a relying
/// party's redirect URI. Returns its base URL.
pub fn callback_listener() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\ncallback ok");
        }
    });
    format!("http://{addr}")
}

/// A server whose mail goes through real SMTP to an in-test sink.
pub async fn spawn_app_with_smtp() -> (TestApp, crate::smtp::Inbox) {
    let (port, inbox) = crate::smtp::start_smtp_sink().await;
    let app = spawn_app_with(|c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = Some(port);
        c.smtp_tls = incognito::config::SmtpTls::None;
    })
    .await;
    (app, inbox)
}

/// Set by `./scripts/test.sh` (and so by CI): a test that would skip for lack of a tool fails.
pub const REQUIRE_ALL_TESTS: &str = "INCOGNITO_REQUIRE_ALL_TESTS";

/// A test that cannot run on this machine (`reason`: what is missing). Prints a boxed
/// warning straight to stderr, past the test harness's capture so that `cargo test` shows it,
/// and the caller returns; panics instead when `INCOGNITO_REQUIRE_ALL_TESTS=1` (or `CI` is set).
pub fn skip_or_fail(test: &str, reason: &str) {
    let required = std::env::var(REQUIRE_ALL_TESTS).is_ok_and(|v| v == "1")
        || std::env::var_os("CI").is_some();
    assert!(
        !required,
        "{test} cannot run: {reason} (./scripts/test.sh installs it)"
    );
    let lines = [
        format!("SKIPPED: {test}"),
        format!("  {reason}"),
        "  Run ./scripts/test.sh to install what is missing and run every test.".to_string(),
    ];
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = "#".repeat(width + 4);
    let mut text = format!("\n{rule}\n");
    for l in &lines {
        text.push_str(&format!("# {l:<width$} #\n"));
    }
    text.push_str(&format!("{rule}\n\n"));
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Whether `program` is an executable file in a directory of `PATH`.
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The payload of a JWT, unverified (the tests verify signatures elsewhere).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Redeems a code of the default (public) client with its PKCE verifier; the token response.
pub async fn exchange_code(app: &TestApp, code: &str, verifier: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("client_id", app.client_id.as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Why the real client libraries of tests/js cannot run here (no node, or no
/// `node_modules`), if they cannot.
pub fn js_libraries_missing() -> Option<&'static str> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    if !on_path("node") {
        Some("node is missing (Debian package nodejs)")
    } else if !dir.join("node_modules").exists() {
        Some("tests/js/node_modules is missing (`npm ci` in tests/js)")
    } else {
        None
    }
}
