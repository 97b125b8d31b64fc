//! Declarative bootstrap: `incognito bootstrap apply FILE` and `serve --bootstrap FILE`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::cli::{ok_json, run};
use crate::helpers::spawn_app_with;

fn example() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/bootstrap.toml"
    ))
}

/// Everything the CLI lists, pool by pool: the state a bootstrap must reproduce exactly.
fn snapshot(d: &Path) -> Value {
    let pools = ok_json(d, &["pool", "list"]);
    let mut out = vec![];
    for p in pools.as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        out.push(json!({
            "pool": ok_json(d, &["pool", "show", "--pool", id]),
            "clients": ok_json(d, &["client", "list", "--pool", id]),
            "users": ok_json(d, &["user", "list", "--pool", id]),
            "groups": ok_json(d, &["group", "list", "--pool", id]),
            "keys": ok_json(d, &["keys", "list", "--pool", id]),
        }));
    }
    json!(out)
}

fn apply(d: &Path, file: &Path) -> Value {
    ok_json(d, &["bootstrap", "apply", file.to_str().unwrap()])
}

fn apply_fails(d: &Path, file: &Path) -> String {
    let out = run(d, &["--json", "bootstrap", "apply", file.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "applying {} should fail",
        file.display()
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1,
        "{err}"
    );
    err
}

fn stored_user(d: &Path, pool: &str, login: &str) -> incognito::accounts::User {
    let store = crate::helpers::store_of(d);
    let (pool, login) = (pool.to_string(), login.to_string());
    store
        .read_sync(|db| -> incognito::Result<_> {
            let pool = incognito::store::pools::get(db, &pool)?.unwrap();
            incognito::accounts::service::require(db, &pool, &login)
        })
        .unwrap()
}

fn password_is(d: &Path, pool: &str, login: &str, password: &str) -> bool {
    let hash = stored_user(d, pool, login).password_hash.unwrap();
    incognito::authn::password::verify(password, &hash) != incognito::authn::password::Verified::No
}

#[test]
fn example_file_applies_twice_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = apply(d, &example());
    assert_eq!(first["pools"], 2);
    assert_eq!(first["clients"], 3);
    assert_eq!(first["groups"], 2);
    assert_eq!(first["users"], 3);
    assert_eq!(first["created"], 10);
    assert_eq!(first["updated"], 0);
    assert_eq!(first["pool_ids"][0], "local_Example1");
    let generated = first["pool_ids"][1].as_str().unwrap().to_string();
    assert!(generated.starts_with("local_"), "{generated}");
    let state = snapshot(d);

    let second = apply(d, &example());
    assert_eq!(second["created"], 0, "{second}");
    assert_eq!(second["updated"], 0, "{second}");
    assert_eq!(second["unchanged"], 10);
    assert_eq!(
        second["pool_ids"], first["pool_ids"],
        "same ids, no duplicates"
    );
    assert_eq!(snapshot(d), state, "applying twice changes nothing");

    // What the example declares.
    let pool = ok_json(d, &["pool", "show", "--pool", "local_Example1"]);
    assert_eq!(pool["name"], "Example");
    assert_eq!(
        pool["settings"]["required_attributes"],
        json!(["email", "name"])
    );
    assert_eq!(pool["resource_scopes"], json!(["api/read"]));
    let web = ok_json(
        d,
        &[
            "client",
            "show",
            "--pool",
            "local_Example1",
            "--client",
            "example_web",
        ],
    );
    assert_eq!(web["public"], false);
    assert_eq!(web["flows"], json!(["code", "client_credentials"]));
    assert_eq!(
        web["auth_flows"],
        json!(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    );
    assert_eq!(web["first_party"], true);
    assert!(web.get("secret").is_none());
    let spa = ok_json(
        d,
        &[
            "client",
            "show",
            "--pool",
            "local_Example1",
            "--client",
            "example_spa",
        ],
    );
    assert_eq!(spa["public"], true);
    assert_eq!(spa["access_token_ttl_secs"], 900);

    // The fixed secret is stored as its SHA-256, ready for the token endpoint.
    let store = crate::helpers::store_of(d);
    let client = store
        .read_sync(|db| -> incognito::Result<_> {
            Ok(incognito::store::clients::get(
                db,
                "local_Example1",
                "example_web",
            )?)
        })
        .unwrap()
        .unwrap();
    assert!(client.secret_matches("example-web-secret-change-me"));

    let alice = ok_json(
        d,
        &[
            "user",
            "show",
            "--pool",
            "local_Example1",
            "--user",
            "alice@example.com",
        ],
    );
    assert_eq!(alice["status"], "CONFIRMED");
    assert_eq!(alice["email_verified"], true);
    assert_eq!(alice["attributes"]["name"], "Alice Example");
    assert_eq!(alice["attributes"]["locale"], "en");
    assert_eq!(alice["groups"], json!(["admins", "readers"]));
    assert!(password_is(
        d,
        "local_Example1",
        "alice@example.com",
        "correct horse battery staple"
    ));
    // Bob's pre-computed hash is taken as is.
    assert!(password_is(
        d,
        "local_Example1",
        "bob@example.com",
        "correct horse battery staple"
    ));
    let carol = ok_json(
        d,
        &["user", "show", "--pool", &generated, "--user", "carol"],
    );
    assert_eq!(carol["username"], "carol");
    assert_eq!(carol["email"], "carol@example.com");
}

#[test]
fn changed_file_updates_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    apply(d, &example());
    let before = snapshot(d);
    let alice_sub = stored_user(d, "local_Example1", "alice@example.com").id;

    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace(
            "redirect_uris = [\"http://127.0.0.1:8080/callback\"]",
            "redirect_uris = [\"http://127.0.0.1:8080/callback\", \"https://app.example.com/cb\"]",
        )
        .replace(
            "secret = \"example-web-secret-change-me\"",
            "secret = \"a-brand-new-secret-0123456789\"",
        )
        .replace("mfa = \"off\"", "mfa = \"optional\"")
        .replace("precedence = 10", "precedence = 7")
        .replace(
            "password = \"correct horse battery staple\"",
            "password = \"a different passphrase\"",
        )
        .replace("locale = \"en\"", "locale = \"fr\"");
    let changed = dir.path().join("changed.toml");
    std::fs::write(&changed, &text).unwrap();
    let report = apply(d, &changed);
    assert_eq!(report["created"], 0, "{report}");
    // pool, client example-web, group readers, user alice.
    assert_eq!(report["updated"], 4, "{report}");

    let web = ok_json(
        d,
        &[
            "client",
            "show",
            "--pool",
            "local_Example1",
            "--client",
            "example_web",
        ],
    );
    assert_eq!(
        web["redirect_uris"],
        json!([
            "http://127.0.0.1:8080/callback",
            "https://app.example.com/cb"
        ])
    );
    let store = crate::helpers::store_of(d);
    let client = store
        .read_sync(|db| -> incognito::Result<_> {
            Ok(incognito::store::clients::get(
                db,
                "local_Example1",
                "example_web",
            )?)
        })
        .unwrap()
        .unwrap();
    assert!(client.secret_matches("a-brand-new-secret-0123456789"));
    assert!(!client.secret_matches("example-web-secret-change-me"));
    let pool = ok_json(d, &["pool", "show", "--pool", "local_Example1"]);
    assert_eq!(pool["settings"]["mfa"], "optional");
    let groups = ok_json(d, &["group", "list", "--pool", "local_Example1"]);
    let readers = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "readers")
        .unwrap();
    assert_eq!(readers["precedence"], 7);

    // Same user (same sub), new attribute value, but the password is kept: it is set only
    // at creation unless the file says reset_password = true.
    let alice = stored_user(d, "local_Example1", "alice@example.com");
    assert_eq!(alice.id, alice_sub);
    assert_eq!(alice.attributes["locale"], "fr");
    assert!(password_is(
        d,
        "local_Example1",
        "alice@example.com",
        "correct horse battery staple"
    ));
    assert_eq!(
        ok_json(d, &["user", "list", "--pool", "local_Example1"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        ok_json(d, &["pool", "list"]).as_array().unwrap().len(),
        before.as_array().unwrap().len()
    );

    let reset = text.replace(
        "password = \"a different passphrase\"",
        "password = \"a different passphrase\"\n  reset_password = true",
    );
    let reset_file = dir.path().join("reset.toml");
    std::fs::write(&reset_file, reset).unwrap();
    let report = apply(d, &reset_file);
    assert_eq!(report["updated"], 1, "alice: {report}");
    assert!(password_is(
        d,
        "local_Example1",
        "alice@example.com",
        "a different passphrase"
    ));
    // Applying it again does not rehash a password that already matches.
    let report = apply(d, &reset_file);
    assert_eq!(report["updated"], 0, "{report}");
}

#[test]
fn bad_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    apply(d, &example());
    let before = snapshot(d);

    // Not TOML.
    let corrupt = dir.path().join("corrupt.toml");
    std::fs::write(&corrupt, "[[pool]\nname = \"Broken\"\n").unwrap();
    let err = apply_fails(d, &corrupt);
    assert!(
        err.contains("corrupt.toml") && err.contains("line 1"),
        "{err}"
    );

    // An unknown key, deep inside.
    let unknown = dir.path().join("unknown.toml");
    let text = std::fs::read_to_string(example()).unwrap().replace(
        "confirmed = true                   # confirmed users",
        "confirmd = true                   # confirmed users",
    );
    assert!(text.contains("confirmd"));
    std::fs::write(&unknown, text).unwrap();
    let err = apply_fails(d, &unknown);
    assert!(
        err.contains("unknown.toml") && err.contains("unknown field `confirmd`"),
        "{err}"
    );

    // Valid TOML, but the last declaration is refused: the new pool, client and user before
    // it must not be kept either (one transaction).
    let late = dir.path().join("late.toml");
    let mut text = std::fs::read_to_string(example()).unwrap();
    text.push_str(
        r#"
[[pool]]
id = "local_Late1"
name = "Late"
  [[pool.client]]
  name = "Late client"
  redirect_uris = ["https://late.example.com/cb"]
  [[pool.user]]
  email = "late@example.com"
  password = "a fine long passphrase"
  [[pool.user]]
  email = "later@example.com"
  attributes = { shoe_size = "42" }
"#,
    );
    std::fs::write(&late, text).unwrap();
    let err = apply_fails(d, &late);
    assert!(
        err.contains("late.toml")
            && err.contains("local_Late1")
            && err.contains("later@example.com")
            && err.contains("shoe_size"),
        "{err}"
    );

    // A client_credentials client without a secret, and a redirect URI that is not allowed.
    let m2m = dir.path().join("m2m.toml");
    std::fs::write(
        &m2m,
        "[[pool]]\nname = \"M2M\"\n[[pool.client]]\nname = \"svc\"\nflows = [\"client_credentials\"]\n",
    )
    .unwrap();
    let err = apply_fails(d, &m2m);
    assert!(err.contains("secret"), "{err}");
    let evil = dir.path().join("evil.toml");
    std::fs::write(
        &evil,
        "[[pool]]\nname = \"Evil\"\n[[pool.client]]\nname = \"x\"\nredirect_uris = [\"javascript:alert(1)\"]\n",
    )
    .unwrap();
    let err = apply_fails(d, &evil);
    assert!(err.contains("redirect URI"), "{err}");

    // Missing file.
    let err = apply_fails(d, &dir.path().join("missing.toml"));
    assert!(err.contains("missing.toml"), "{err}");

    assert_eq!(snapshot(d), before, "bad files changed nothing");
}

#[tokio::test]
async fn server_started_with_a_bootstrap_file_serves_its_pools() {
    let app = spawn_app_with(|c| c.bootstrap = Some(example())).await;
    let http = reqwest::Client::new();
    let base = format!("{}/local_Example1", app.address);
    let doc: Value = http
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], base);
    let issuer = openidconnect::IssuerUrl::new(base.clone()).unwrap();
    let http_client = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta = openidconnect::core::CoreProviderMetadata::discover_async(issuer, &http_client)
        .await
        .expect("discovery validates");
    assert_eq!(meta.jwks().keys().len(), 1);

    // The CLI sees the same, bootstrapped data on the server's data directory.
    let data = app.data_path().to_path_buf();
    let clients = tokio::task::spawn_blocking(move || {
        ok_json(&data, &["client", "list", "--pool", "local_Example1"])
    })
    .await
    .unwrap();
    assert_eq!(clients.as_array().unwrap().len(), 2);
}
