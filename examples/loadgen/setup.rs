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
}

pub fn config(data_dir: &Path, alg: &str) -> Config {
    Config {
        data_dir: data_dir.to_path_buf(),
        key_algorithm: alg.to_string(),
        create_default_pool: false,
        ..Config::default()
    }
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

pub fn save(data_dir: &Path, setup: &Setup) {
    std::fs::write(
        setup_file(data_dir),
        serde_json::to_string_pretty(setup).expect("json"),
    )
    .expect("write the setup file");
}

/// Creates the pool and its two clients.
pub fn create(store: &Store, config: &Config, alg: &str) -> incognito::Result<Setup> {
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
