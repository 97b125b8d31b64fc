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
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(data_dir.path());
    customise(&mut config);
    let app = Application::build(config, Clock::System).expect("server builds");
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
    }
}

/// The compiled `incognito` binary, for CLI tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_incognito"))
}
