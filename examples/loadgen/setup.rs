//! What the scenarios need, written straight into the data directory through the incognito
//! library before the server starts: a pool, a confidential client (client_credentials and a
//! resource-server scope), a public client (code flow + PKCE), users, and access tokens.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use incognito::accounts::{User, UserStatus};
use incognito::config::Config;
use incognito::keys::Alg;
use incognito::pools::service::{self, SecretChoice};
use incognito::pools::{ClientSettings, OAuthFlow, PoolSettings};
use incognito::store::{self, Store};
use rand::Rng;
use serde::{Deserialize, Serialize};

pub const PASSWORD: &str = "loadgen correct horse battery staple";

/// Users `0..SRP_USERS` also get SRP verifiers (each costs a 3072-bit exponentiation).
pub const SRP_USERS: usize = 1000;
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
pub const RESOURCE_SCOPE: &str = "loadgen/read";
/// Users' email addresses: `user{i}@loadgen.test`.
pub fn email(i: usize) -> String {
    format!("user{i}@loadgen.test")
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Setup {
    pub pool_id: String,
    pub alg: String,
    pub cc_client_id: String,
    pub cc_secret: String,
    pub code_client_id: String,
    /// Users `0..users` exist.
    pub users: usize,
    /// `sqlite` or `postgres` (setups saved before PostgreSQL: sqlite).
    #[serde(default = "sqlite")]
    pub backend: String,
    /// On PostgreSQL, the `master_key` the pool's secrets are sealed with (SQLite: the data
    /// directory's master.key file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_key: Option<String>,
}

fn sqlite() -> String {
    "sqlite".into()
}

/// The database the setup and the servers use, besides the data directory.
#[derive(Clone)]
pub struct Database {
    /// PostgreSQL URL (never printed).
    pub url: String,
    pub master_key: String,
}

pub fn backend_name(database: Option<&Database>) -> &'static str {
    if database.is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

pub fn config(data_dir: &Path, alg: &str, database: Option<&Database>) -> Config {
    Config {
        data_dir: data_dir.to_path_buf(),
        key_algorithm: alg.to_string(),
        create_default_pool: false,
        database_url: database.map(|d| incognito::config::Secret(d.url.clone())),
        master_key: database.map(|d| incognito::config::Secret(d.master_key.clone())),
        ..Config::default()
    }
}

/// The store, opened through the library (on PostgreSQL: connected, and migrated if needed).
/// PostgreSQL's blocking client runs a runtime of its own, which may not be dropped on this
/// program's async thread: the handle is dropped on a thread of its own.
pub struct Opened(Option<Store>);

pub fn open(config: &Config) -> Result<Opened, String> {
    incognito::startup::open_store(config)
        .map(|s| Opened(Some(s)))
        .map_err(|e| e.to_string())
}

impl std::ops::Deref for Opened {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0.as_ref().expect("an open store")
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            std::thread::scope(|scope| {
                scope.spawn(move || drop(store));
            });
        }
    }
}

/// A fresh master key: 32 random alphanumerics.
pub fn new_master_key() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// True when the saved setup's pool is in `store` (a PostgreSQL database may have been
/// dropped or be another one since).
pub fn pool_exists(store: &Store, setup: &Setup) -> incognito::Result<bool> {
    store.read_sync(|db| -> incognito::Result<bool> {
        Ok(store::pools::get(db, &setup.pool_id)?.is_some())
    })
}

/// PostgreSQL: true when the database's server-wide secrets open with `config`'s master key.
/// A database takes one master key for good: the first server seals the risk key
/// (`server_secrets`) with it, and a server with another key refuses to start.
pub fn master_key_opens(store: &Store, config: &Config) -> incognito::Result<bool> {
    let sealer = incognito::startup::sealer(config);
    store.read_sync(|db| -> incognito::Result<bool> {
        match incognito::keys::stored::load(db, &sealer, "risk_key") {
            Ok(_) => Ok(true),
            Err(incognito::Error::Crypto(_)) => Ok(false),
            Err(e) => Err(e),
        }
    })
}

/// PostgreSQL: the database's size on disk (`pg_database_size`), bytes.
pub fn postgres_size(store: &Store) -> incognito::Result<u64> {
    store.read_sync(|db| -> incognito::Result<u64> {
        let bytes: i64 = db.query_one("SELECT pg_database_size(current_database())", &[], |r| {
            r.get(0)
        })?;
        Ok(bytes.max(0) as u64)
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn setup_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("loadgen-setup.json")
}

/// The setup saved in a reused data directory, if any.
pub fn load(data_dir: &Path) -> Option<Setup> {
    let text = std::fs::read_to_string(setup_file(data_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes the setup, owner-only (it holds the client secret and, on PostgreSQL, the master key).
pub fn save(data_dir: &Path, setup: &Setup) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(setup_file(data_dir))
        .expect("write the setup file");
    file.write_all(
        serde_json::to_string_pretty(setup)
            .expect("json")
            .as_bytes(),
    )
    .expect("write the setup file");
}

/// Creates the pool and its two clients.
pub fn create(
    store: &Store,
    config: &Config,
    alg: &str,
    database: Option<&Database>,
) -> incognito::Result<Setup> {
    let sealer = incognito::startup::sealer(config);
    let alg_parsed = Alg::parse(alg).ok_or_else(|| incognito::Error::invalid("--alg"))?;
    let now = now();
    store.write_sync(|db| -> incognito::Result<Setup> {
        let pool = service::create_pool(
            db,
            None,
            "Load test pool",
            "local",
            PoolSettings::default(),
            alg_parsed,
            &sealer,
            now,
        )?;
        let (cc, secret) = service::create_client(
            db,
            &pool,
            None,
            "Load test service",
            ClientSettings {
                flows: vec![OAuthFlow::ClientCredentials],
                scopes: vec![RESOURCE_SCOPE.into()],
                ..ClientSettings::default()
            },
            SecretChoice::Generate,
            now,
        )?;
        let (code, _) = service::create_client(
            db,
            &pool,
            None,
            "Load test app",
            ClientSettings {
                redirect_uris: vec![REDIRECT_URI.into()],
                flows: vec![OAuthFlow::Code],
                scopes: vec![
                    "openid".into(),
                    "email".into(),
                    "profile".into(),
                    "offline_access".into(),
                ],
                first_party: true,
                ..ClientSettings::default()
            },
            SecretChoice::Public,
            now,
        )?;
        Ok(Setup {
            pool_id: pool.id,
            alg: alg.to_string(),
            cc_client_id: cc.id,
            cc_secret: secret.expect("a generated secret"),
            code_client_id: code.id,
            users: 0,
            backend: backend_name(database).into(),
            master_key: database.map(|d| d.master_key.clone()),
        })
    })
}

/// Inserts users `setup.users..target` with one precomputed Argon2id hash (of `PASSWORD`, with
/// the server's parameters), 50,000 rows per transaction. Returns the seconds it took.
pub fn fill_users(store: &Store, setup: &mut Setup, target: usize) -> incognito::Result<f64> {
    if setup.users >= target {
        return Ok(0.0);
    }
    let started = Instant::now();
    let hash = incognito::authn::password::hash(PASSWORD);
    let now = now();
    const BATCH: usize = 50_000;
    let mut next = setup.users;
    while next < target {
        let end = (next + BATCH).min(target);
        let pool_id = setup.pool_id.clone();
        let hash = hash.clone();
        store.write_sync(|db| -> incognito::Result<()> {
            // A large page cache for the bulk load only (this connection is dropped afterwards).
            if let incognito::store::sql::Sql::Sqlite(_) = db {
                db.execute("PRAGMA cache_size = -262144", &[])?;
            }
            for i in next..end {
                let id = uuid::Uuid::new_v4().to_string();
                let mut attributes = BTreeMap::new();
                attributes.insert("name".to_string(), format!("Load User {i}"));
                attributes.insert("locale".to_string(), "en".to_string());
                store::users::insert(
                    db,
                    &User {
                        username: id.clone(),
                        id,
                        pool_id: pool_id.clone(),
                        email: Some(email(i)),
                        status: UserStatus::Confirmed,
                        enabled: true,
                        email_verified: true,
                        password_hash: Some(hash.clone()),
                        attributes,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
            }
            Ok(())
        })?;
        next = end;
        setup.users = next;
        if target - setup.users > 0 && (next / BATCH).is_multiple_of(4) {
            eprintln!("  {next} users ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Access tokens (scope `openid email profile`) for `count` users picked at random across the
/// whole pool, issued through the library exactly as the token endpoint issues them.
pub fn mint_access_tokens(
    store: &Store,
    config: &Config,
    setup: &Setup,
    issuer: &str,
    count: usize,
) -> incognito::Result<Vec<String>> {
    let sealer = incognito::startup::sealer(config);
    let directory = incognito::pools::directory::Directory::new(store.clone(), sealer);
    let now = now();
    let entry = directory
        .get_sync(&setup.pool_id, now)?
        .ok_or_else(|| incognito::Error::not_found("pool"))?;
    let mut rng = rand::thread_rng();
    let picks: Vec<usize> = (0..count).map(|_| rng.gen_range(0..setup.users)).collect();
    store.write_sync(|db| -> incognito::Result<Vec<String>> {
        let client = store::clients::get(db, &setup.pool_id, &setup.code_client_id)?
            .ok_or_else(|| incognito::Error::not_found("client"))?;
        let mut tokens = Vec::with_capacity(count);
        for i in picks {
            let user = store::users::by_email(db, &setup.pool_id, &email(i))?
                .ok_or_else(|| incognito::Error::not_found("user"))?;
            let grant = incognito::tokens::Grant {
                scope: vec!["openid".into(), "email".into(), "profile".into()],
                auth_time: now,
                amr: vec!["pwd".into()],
                nonce: None,
                family_id: None,
                refresh_token: false,
                source: incognito::tokens::TokenSource::Authentication,
            };
            let set = incognito::tokens::issue_untriggered(
                db, &entry, &client, &user, &grant, issuer, now,
            )?;
            tokens.push(set.access_token);
        }
        Ok(tokens)
    })
}

/// SRP verifiers for users `0..min(users, SRP_USERS)` (the bulk-loaded users have only an
/// Argon2 hash; the Cognito API derives a verifier at every password set).
pub fn add_srp_verifiers(store: &Store, config: &Config, setup: &Setup) -> incognito::Result<()> {
    let sealer = incognito::startup::sealer(config);
    let now = now();
    store.write_sync(|db| -> incognito::Result<()> {
        for i in 0..setup.users.min(SRP_USERS) {
            let user = store::users::by_email(db, &setup.pool_id, &email(i))?
                .ok_or_else(|| incognito::Error::not_found("load user"))?;
            incognito::authn::srp::store_verifier(
                db,
                &setup.pool_id,
                &sealer,
                &user,
                PASSWORD,
                now,
            )?;
        }
        Ok(())
    })
}

/// Sets (or with `None` removes) the pool's PreTokenGeneration target, as the CLI does.
pub fn set_pre_token_generation(
    store: &Store,
    pool_id: &str,
    url: Option<&str>,
) -> incognito::Result<()> {
    store.write_sync(|db| -> incognito::Result<()> {
        let mut pool = incognito::store::pools::get(db, pool_id)?
            .ok_or_else(|| incognito::Error::not_found("pool"))?;
        incognito::triggers::set_target(
            &mut pool.settings.recorded.lambda_config,
            "PreTokenGeneration",
            url,
        )
        .map_err(incognito::Error::invalid)?;
        service::update_pool(db, &mut pool, now())
    })
}

/// Adaptive sign-in for the `login_adaptive` scenario: `on` makes the pool ENFORCED with every
/// risk level NO_ACTION and no notification (each sign-in is scored and recorded, nothing
/// blocks); off makes it OFF and removes the configuration.
pub fn set_adaptive_sign_in(store: &Store, pool_id: &str, on: bool) -> incognito::Result<()> {
    use incognito::pools::risk::{POOL_WIDE, RiskConfiguration};
    let no_action = serde_json::json!({"EventAction": "NO_ACTION", "Notify": false});
    store.write_sync(|db| -> incognito::Result<()> {
        let mut pool = incognito::store::pools::get(db, pool_id)?
            .ok_or_else(|| incognito::Error::not_found("pool"))?;
        let mode = if on { "ENFORCED" } else { "OFF" };
        pool.settings.recorded.user_pool_add_ons =
            Some(serde_json::json!({ "AdvancedSecurityMode": mode }));
        if on {
            let takeover = serde_json::json!({"Actions": {"LowAction": no_action,
                "MediumAction": no_action, "HighAction": no_action}});
            pool.settings.risk.insert(
                POOL_WIDE.to_string(),
                RiskConfiguration {
                    account_takeover: Some(takeover),
                    last_modified: now(),
                    ..Default::default()
                },
            );
        } else {
            pool.settings.risk.remove(POOL_WIDE);
        }
        service::update_pool(db, &mut pool, now())
    })
}
