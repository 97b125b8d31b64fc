//! Micro-benchmarks of the hot paths (criterion): token issue (claims + sign) per algorithm,
//! the full `tokens::issue_untriggered` with its store writes, access-token verification (signature,
//! claims, family lookup), password verification (Argon2id, the server's parameters),
//! authorization-request validation, the discovery document, and the SRP server steps.
//!
//! ```sh
//! cargo bench --bench hot_paths            # all
//! cargo bench --bench hot_paths -- verify  # a filter
//! ```
//!
//! SRP: the server's two steps of a Cognito `USER_SRP_AUTH` sign-in (`srp_server_steps`).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use incognito::accounts::{User, UserStatus};
use incognito::config::Config;
use incognito::keys::{Alg, KeyMaterial, KeySet, LoadedKey};
use incognito::pools::service::{self, SecretChoice};
use incognito::pools::{ClientSettings, OAuthFlow, PoolSettings};
use incognito::tokens::claims::{self, AccessTokenFields};

const PASSWORD: &str = "correct horse battery staple";
const REDIRECT_URI: &str = "https://app.example.com/callback";
const NOW: i64 = 1_900_000_000;

fn keyset(alg: Alg) -> KeySet {
    let k = incognito::keys::generate(alg).expect("key");
    let loaded = LoadedKey::load(&KeyMaterial {
        kid: k.kid,
        alg: alg.name().into(),
        private_jwk: k.private_jwk,
        public_jwk: k.public_jwk,
        active: true,
    })
    .expect("load key");
    KeySet::new(vec![loaded])
}

fn access_claims() -> serde_json::Map<String, serde_json::Value> {
    let scope = vec!["openid".to_string(), "email".into(), "profile".into()];
    claims::access_token(&AccessTokenFields {
        issuer: "http://127.0.0.1:9229/local_AbCdEf123",
        sub: "6f1c1f7e-8a3b-4a57-9d2e-0c1a2b3c4d5e",
        client_id: "6vm5ucytykys5wmreivsjd1v3r",
        username: Some("6f1c1f7e-8a3b-4a57-9d2e-0c1a2b3c4d5e"),
        groups: &["admins".to_string()],
        scope: &scope,
        auth_time: NOW,
        jti: "0e8e7f2a-0b8e-4f4e-9a51-3d2f1e0c9b8a",
        origin_jti: "1d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a",
        event_id: "2c3b4a59-6877-4665-9544-332211009988",
        iat: NOW,
        exp: NOW + 3600,
    })
}

fn token_issue(c: &mut Criterion) {
    let mut g = c.benchmark_group("token_issue");
    for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA] {
        let keys = keyset(alg);
        g.bench_function(
            format!("access_token_claims_and_sign_{}", alg.name()),
            |b| b.iter(|| black_box(keys.sign(access_claims(), "at+jwt").expect("sign"))),
        );
    }
    g.finish();
}

/// A store in a temporary directory with a pool (RS256), a public client and one user.
struct Fixture {
    _dir: tempfile::TempDir,
    store: incognito::store::Store,
    entry: std::sync::Arc<incognito::pools::directory::PoolEntry>,
    client: incognito::pools::Client,
    user: incognito::accounts::User,
    issuer: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let store = incognito::startup::open_store(&config).expect("store");
    let sealer = incognito::startup::sealer(&config);
    let (pool_id, client, user) = store
        .write_sync(|db| -> incognito::Result<_> {
            let pool = service::create_pool(
                db,
                None,
                "Bench",
                "local",
                PoolSettings::default(),
                Alg::RS256,
                &sealer,
                NOW,
            )?;
            let (client, _) = service::create_client(
                db,
                &pool,
                None,
                "Bench app",
                ClientSettings {
                    redirect_uris: vec![REDIRECT_URI.into()],
                    flows: vec![OAuthFlow::Code],
                    scopes: vec!["openid".into(), "email".into(), "profile".into()],
                    ..ClientSettings::default()
                },
                SecretChoice::Public,
                NOW,
            )?;
            let mut attributes = BTreeMap::new();
            attributes.insert("name".to_string(), "Bench User".to_string());
            let id = uuid::Uuid::new_v4().to_string();
            let user = User {
                username: id.clone(),
                id,
                pool_id: pool.id.clone(),
                email: Some("bench@example.com".into()),
                status: UserStatus::Confirmed,
                enabled: true,
                email_verified: true,
                password_hash: Some(incognito::authn::password::hash(PASSWORD)),
                attributes,
                created_at: NOW,
                updated_at: NOW,
            };
            incognito::store::users::insert(db, &user)?;
            Ok((pool.id, client, user))
        })
        .expect("fixture");
    let directory = incognito::pools::directory::Directory::new(store.clone(), sealer);
    let entry = directory
        .get_sync(&pool_id, NOW)
        .expect("pool")
        .expect("pool exists");
    let issuer = format!("http://127.0.0.1:9229/{pool_id}");
    Fixture {
        _dir: dir,
        store,
        entry,
        client,
        user,
        issuer,
    }
}

fn grant() -> incognito::tokens::Grant {
    incognito::tokens::Grant {
        scope: vec!["openid".into(), "email".into(), "profile".into()],
        auth_time: NOW,
        amr: vec!["pwd".into()],
        nonce: None,
        family_id: None,
        refresh_token: false,
        source: incognito::tokens::TokenSource::Authentication,
    }
}

fn issue_and_verify(c: &mut Criterion) {
    let f = fixture();
    c.bench_function("tokens_issue_id_and_access_RS256_with_store", |b| {
        b.iter(|| {
            f.store
                .write_sync(|db| {
                    incognito::tokens::issue_untriggered(
                        db,
                        &f.entry,
                        &f.client,
                        &f.user,
                        &grant(),
                        &f.issuer,
                        NOW,
                    )
                })
                .expect("issue")
        })
    });
    // The store work of a refresh grant alone: one write transaction (the token, its family,
    // the user and groups read; the old token marked rotated and a new one stored). Its time
    // bounds refreshes/s, since writes are serialised. (A client_credentials grant stores
    // nothing.)
    let mut current = f
        .store
        .write_sync(|db| {
            let g = incognito::tokens::Grant {
                scope: vec!["openid".into(), "offline_access".into()],
                refresh_token: true,
                ..grant()
            };
            incognito::tokens::issue_untriggered(
                db, &f.entry, &f.client, &f.user, &g, &f.issuer, NOW,
            )
        })
        .expect("issue")
        .refresh_token
        .expect("a refresh token");
    c.bench_function("write_transaction_refresh_grant", |b| {
        b.iter(|| {
            let outcome = f
                .store
                .write_sync(|db| {
                    incognito::tokens::refresh::prepare_refresh(
                        db,
                        &f.entry,
                        &f.client,
                        &incognito::tokens::refresh::RefreshRequest {
                            token: &current,
                            scope: None,
                            grace_secs: 0,
                        },
                        &f.issuer,
                        NOW,
                    )
                })
                .expect("prepare");
            match outcome {
                incognito::tokens::refresh::RefreshOutcome::Issued(p) => {
                    if let Some(next) = p.refresh_token() {
                        current = next.to_string();
                    }
                }
                incognito::tokens::refresh::RefreshOutcome::Rejected(r) => {
                    panic!("refresh rejected: {r:?}")
                }
            }
        })
    });
    let token = f
        .store
        .write_sync(|db| {
            incognito::tokens::issue_untriggered(
                db,
                &f.entry,
                &f.client,
                &f.user,
                &grant(),
                &f.issuer,
                NOW,
            )
        })
        .expect("issue")
        .access_token;
    c.bench_function("access_token_verify_RS256_with_family_lookup", |b| {
        b.iter(|| {
            f.store
                .read_sync(|db| {
                    incognito::tokens::verify_access_token(db, &f.entry, &f.issuer, &token, NOW)
                })
                .expect("valid")
        })
    });
    c.bench_function("access_token_signature_only_RS256", |b| {
        b.iter(|| black_box(f.entry.keys.verify(&token).expect("valid")))
    });

    let challenge = incognito::oidc::pkce::s256(&incognito::random::token(32));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", f.client.id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid email profile"),
            ("state", "af0ifjsldkj"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    c.bench_function("authorize_request_parse_and_validate", |b| {
        b.iter(|| {
            let params = incognito::oidc::params::Params::parse(query.as_bytes()).expect("params");
            f.store
                .read_sync(|db| -> incognito::Result<_> {
                    Ok(
                        incognito::oidc::authorize::validate(db, &f.entry, &f.issuer, &params)
                            .is_ok(),
                    )
                })
                .expect("validate")
        })
    });
    c.bench_function("discovery_document_build", |b| {
        b.iter(|| black_box(incognito::oidc::discovery::document(&f.issuer, &f.entry).to_string()))
    });
}

/// The server's two SRP steps of a Cognito `USER_SRP_AUTH` sign-in (3072-bit group):
/// InitiateAuth (`b`, `B = k·v + g^b`) and RespondToAuthChallenge (check `A`, `S`, the HKDF
/// key, the HMAC of the claim). The client's side is computed once, outside the timing.
fn srp_server_steps(c: &mut Criterion) {
    use incognito::authn::srp;
    let pool = srp::pool_name("local_AbCdEf123");
    let user = "6f1c1f7e-8a3b-4a57-9d2e-0c1a2b3c4d5e";
    let salt = srp::new_salt();
    let v = srp::verifier(pool, user, PASSWORD, &salt);
    let a_secret = srp::new_b();
    let a_hex = srp::to_hex(&srp::public_a(&a_secret));
    let b = srp::new_b();
    let b_pub = srp::public_b(&v, &b);
    let x = srp::private_x(pool, user, PASSWORD, &salt);
    let a_pub = srp::parse_a(&a_hex).expect("A");
    let client_key = srp::client_key(&a_secret, &a_pub, &b_pub, &x).expect("key");
    let secret_block = vec![7u8; 64];
    let timestamp = srp::format_timestamp(NOW);
    let claim = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(srp::signature(
            &client_key,
            pool,
            user,
            &secret_block,
            &timestamp,
        ))
    };
    let mut g = c.benchmark_group("srp");
    g.bench_function("server_step1_initiate_b_and_B", |bench| {
        bench.iter(|| {
            let b = srp::new_b();
            black_box(srp::public_b(&v, &b))
        })
    });
    g.bench_function("server_step2_verify_claim", |bench| {
        bench.iter(|| {
            let a = srp::parse_a(&a_hex).expect("A");
            let key = srp::server_key(&a, &b_pub, &b, &v).expect("key");
            let expected = srp::signature(&key, pool, user, &secret_block, &timestamp);
            assert!(srp::signature_matches(&expected, &claim));
        })
    });
    g.finish();
}

fn password_verify(c: &mut Criterion) {
    let hash = incognito::authn::password::hash(PASSWORD);
    let mut g = c.benchmark_group("password");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function("argon2id_verify_m19MiB_t2_p1", |b| {
        b.iter(|| incognito::authn::password::verify(PASSWORD, &hash))
    });
    g.finish();
}

criterion_group!(
    benches,
    token_issue,
    issue_and_verify,
    srp_server_steps,
    password_verify
);
criterion_main!(benches);
