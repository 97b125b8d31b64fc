//! The admin CLI, run as the real binary on a temporary data directory, with `--json`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{binary, spawn_app};

/// Runs `incognito --data-dir <data> <args>` with no INCOGNITO_* variables from the outside.
pub fn run(data: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.arg("--data-dir").arg(data).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("INCOGNITO_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(crate::helpers::backend_env(data));
    let out = cmd.output().expect("the incognito binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "incognito {args:?} panicked: {stderr}"
    );
    out
}

/// Runs a verb with `--json`, asserts success and returns the one JSON value it printed.
pub fn ok_json(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(data, &all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "incognito {args:?} failed: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("incognito {args:?}: stdout is not one JSON value ({e}): {stdout}")
    })
}

/// Runs a verb that must fail; returns its stderr after checking it is one clear line.
pub fn fails(data: &Path, args: &[&str]) -> String {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(data, &all);
    assert!(
        !out.status.success(),
        "incognito {args:?} should have failed"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when failing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    stderr
}

fn str_of(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_string()
}

fn open_store(data: &Path) -> incognito::store::Store {
    crate::helpers::store_of(data)
}

fn stored_user(data: &Path, pool: &str, sub: &str) -> incognito::accounts::User {
    let pool = pool.to_string();
    let sub = sub.to_string();
    open_store(data)
        .read_sync(|db| -> incognito::Result<_> {
            Ok(incognito::store::users::get(db, &pool, &sub)?)
        })
        .unwrap()
        .expect("user stored")
}

fn password_is(data: &Path, pool: &str, sub: &str, password: &str) -> bool {
    let hash = stored_user(data, pool, sub)
        .password_hash
        .expect("a password hash");
    incognito::authn::password::verify(password, &hash) != incognito::authn::password::Verified::No
}

fn new_pool(data: &Path, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["pool", "create", "--name", name];
    args.extend_from_slice(extra);
    str_of(&ok_json(data, &args), "id")
}

#[test]
fn pool_create_show_list_update_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = ok_json(
        d,
        &[
            "pool",
            "create",
            "--name",
            "Shop",
            "--region",
            "eu-west-1",
            "--username-attribute",
            "email",
            "--required-attr",
            "email",
            "--required-attr",
            "name",
            "--self-signup",
            "off",
            "--password-policy",
            "cognito-default",
            "--mfa",
            "optional",
            "--id-token-ttl",
            "900",
            "--access-token-ttl",
            "1200",
            "--refresh-token-ttl",
            "86400",
        ],
    );
    let id = str_of(&created, "id");
    assert!(id.starts_with("eu-west-1_"), "{id}");
    assert_eq!(created["name"], "Shop");
    assert_eq!(created["issuer"], format!("http://127.0.0.1:9229/{id}"));
    let s = &created["settings"];
    assert_eq!(s["username_attribute"], "email");
    assert_eq!(
        s["required_attributes"],
        serde_json::json!(["email", "name"])
    );
    assert_eq!(s["self_signup"], false);
    let policy = &s["password_policy"];
    assert_eq!(policy["minimum_length"], 8);
    for rule in [
        "require_uppercase",
        "require_lowercase",
        "require_numbers",
        "require_symbols",
        "refuse_common_passwords",
    ] {
        assert_eq!(policy[rule], true, "cognito-default sets {rule}");
    }
    assert_eq!(s["mfa"], "optional");
    assert_eq!(s["id_token_ttl_secs"], 900);
    assert_eq!(s["access_token_ttl_secs"], 1200);
    assert_eq!(s["refresh_token_ttl_secs"], 86400);

    // show returns the same pool and settings, by id and by (unique) name.
    let shown = ok_json(d, &["pool", "show", "--pool", &id]);
    assert_eq!(shown["settings"], created["settings"]);
    assert_eq!(shown["issuer"], created["issuer"]);
    assert_eq!(ok_json(d, &["pool", "show", "--pool", "Shop"])["id"], id);

    // The region defaults to the config's; a fixed id is accepted.
    let other = new_pool(d, "Other", &["--id", "local_Fixed1"]);
    assert_eq!(other, "local_Fixed1");
    let default_region = new_pool(d, "Third", &[]);
    assert!(default_region.starts_with("local_"), "{default_region}");

    let list = ok_json(d, &["pool", "list"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&id.as_str()) && ids.contains(&"local_Fixed1"));

    // update changes any setting, and --required-attr replaces the list.
    let updated = ok_json(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--name",
            "Shop 2",
            "--required-attr",
            "email",
            "--required-attr",
            "locale",
            "--required-attr",
            "custom:team",
            "--self-signup",
            "on",
            "--password-policy",
            "default",
            "--mfa",
            "required",
            "--access-token-ttl",
            "600",
        ],
    );
    assert_eq!(updated["name"], "Shop 2");
    let shown = ok_json(d, &["pool", "show", "--pool", &id]);
    let s = &shown["settings"];
    assert_eq!(
        s["required_attributes"],
        serde_json::json!(["email", "locale", "custom:team"])
    );
    assert_eq!(s["self_signup"], true);
    assert_eq!(
        s["password_policy"]["require_symbols"], false,
        "the default preset has no composition rules"
    );
    assert_eq!(s["mfa"], "required");
    assert_eq!(s["access_token_ttl_secs"], 600);
    assert_eq!(s["id_token_ttl_secs"], 900, "untouched settings stay");

    // A username pool may drop all required attributes.
    let s = ok_json(
        d,
        &[
            "pool",
            "update",
            "--pool",
            "local_Fixed1",
            "--username-attribute",
            "username",
            "--no-required-attrs",
        ],
    );
    assert_eq!(s["settings"]["username_attribute"], "username");
    assert_eq!(s["settings"]["required_attributes"], serde_json::json!([]));

    // Invalid updates are refused and change nothing.
    let err = fails(d, &["pool", "update", "--pool", &id, "--id-token-ttl", "5"]);
    assert!(err.contains("id_token_ttl_secs"), "{err}");
    let err = fails(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--required-attr",
            "shoe_size",
        ],
    );
    assert!(err.contains("shoe_size"), "{err}");
    let err = fails(
        d,
        &["pool", "update", "--pool", &id, "--required-attr", "name"],
    );
    assert!(err.contains("must require email"), "{err}");
    let err = fails(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--password-min-length",
            "5",
        ],
    );
    assert!(err.contains("minimum_length"), "{err}");
    assert_eq!(
        ok_json(d, &["pool", "show", "--pool", &id])["settings"],
        shown["settings"]
    );

    // The structured password policy: a preset, then single rules changed.
    let s = ok_json(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--password-policy",
            "default",
            "--password-min-length",
            "12",
            "--password-require",
            "numbers",
            "--refuse-common-passwords",
            "off",
            "--temporary-password-days",
            "3",
        ],
    );
    let policy = &s["settings"]["password_policy"];
    assert_eq!(policy["minimum_length"], 12);
    assert_eq!(policy["require_numbers"], true);
    assert_eq!(policy["require_uppercase"], false);
    assert_eq!(policy["refuse_common_passwords"], false);
    assert_eq!(policy["temporary_password_validity_days"], 3);
    let err = fails(
        d,
        &[
            "pool",
            "update",
            "--pool",
            &id,
            "--password-require",
            "emoji",
        ],
    );
    assert!(err.contains("--password-require"), "{err}");

    let deleted = ok_json(d, &["pool", "delete", "--pool", &id]);
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["id"], id);
    assert_eq!(ok_json(d, &["pool", "list"]).as_array().unwrap().len(), 2);
    let err = fails(d, &["pool", "show", "--pool", &id]);
    assert!(err.contains(&id) && err.contains("not found"), "{err}");
}

#[test]
fn pool_update_turns_adaptive_sign_in_on_and_off() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_pool(d, "Risky", &[]);
    let update = ["pool", "update", "--pool", &id, "--advanced-security"];
    let set = |mode: &str| ok_json(d, &[&update[..], &[mode]].concat());
    let mode =
        |v: &Value| v["settings"]["recorded"]["user_pool_add_ons"]["AdvancedSecurityMode"].clone();
    let shown = || ok_json(d, &["pool", "show", "--pool", &id]);
    assert!(mode(&shown()).is_null(), "OFF by default");
    for (given, stored) in [("ENFORCED", "ENFORCED"), ("audit", "AUDIT"), ("OFF", "OFF")] {
        set(given);
        assert_eq!(mode(&shown()), stored);
    }
    // What the server reads: the mode in force.
    set("ENFORCED");
    let pool = open_store(d)
        .read_sync(|db| -> incognito::Result<_> { Ok(incognito::store::pools::get(db, &id)?) })
        .unwrap()
        .expect("the pool");
    assert_eq!(
        incognito::pools::risk::Mode::of(pool.settings.recorded.user_pool_add_ons.as_ref()),
        incognito::pools::risk::Mode::Enforced
    );
    let err = fails(d, &[&update[..], &["MAX"]].concat());
    assert!(err.contains("OFF, AUDIT or ENFORCED"), "{err}");
    assert_eq!(
        mode(&shown()),
        "ENFORCED",
        "a refused update changes nothing"
    );
}

#[test]
fn client_create_list_show_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pool = new_pool(d, "Apps", &[]);

    let created = ok_json(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "Backend",
            "--secret",
            "--redirect-uri",
            "https://app.example.com/callback",
            "--redirect-uri",
            "http://127.0.0.1:8080/callback",
            "--logout-uri",
            "https://app.example.com/",
            "--flow",
            "code",
            "--flow",
            "client_credentials",
            "--scope",
            "openid",
            "--scope",
            "email",
            "--scope",
            "offline_access",
            "--scope",
            "orders/read",
            "--auth-flow",
            "USER_SRP_AUTH",
            "--auth-flow",
            "allow_refresh_token_auth",
            "--always-refresh",
            "--no-rotate-refresh",
            "--first-party",
            "--id-token-ttl",
            "600",
            "--access-token-ttl",
            "900",
            "--refresh-token-ttl",
            "7200",
        ],
    );
    let id = str_of(&created, "id");
    let secret = str_of(&created, "secret");
    assert!(secret.len() >= 32, "a long generated secret: {secret}");
    assert_eq!(created["pool_id"], pool);
    assert_eq!(created["public"], false);
    assert_eq!(
        created["redirect_uris"],
        serde_json::json!([
            "https://app.example.com/callback",
            "http://127.0.0.1:8080/callback"
        ])
    );
    assert_eq!(
        created["logout_uris"],
        serde_json::json!(["https://app.example.com/"])
    );
    assert_eq!(
        created["flows"],
        serde_json::json!(["code", "client_credentials"])
    );
    assert_eq!(
        created["scopes"],
        serde_json::json!(["openid", "email", "offline_access", "orders/read"])
    );
    assert_eq!(
        created["auth_flows"],
        serde_json::json!(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    );
    assert_eq!(created["always_issue_refresh_token"], true);
    assert_eq!(created["rotate_refresh_tokens"], false);
    assert_eq!(created["first_party"], true);
    assert_eq!(created["id_token_ttl_secs"], 600);
    assert_eq!(created["access_token_ttl_secs"], 900);
    assert_eq!(created["refresh_token_ttl_secs"], 7200);

    // show never prints the secret again, in JSON or text.
    let shown = ok_json(d, &["client", "show", "--pool", &pool, "--client", &id]);
    assert!(shown.get("secret").is_none(), "{shown}");
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("secret");
    assert_eq!(shown, expected);
    let text = run(d, &["client", "show", "--pool", &pool, "--client", &id]);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&id) && !text.contains(&secret), "{text}");
    // The store keeps only the SHA-256 of the secret.
    let (pool_c, id_c) = (pool.clone(), id.clone());
    let stored = open_store(d)
        .read_sync(|db| -> incognito::Result<_> {
            Ok(incognito::store::clients::get(db, &pool_c, &id_c)?)
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.secret_hash.as_deref(),
        Some(incognito::random::sha256_hex(&secret).as_str())
    );
    assert!(stored.secret_matches(&secret));

    // Naming a resource-server scope declares it in the pool.
    let p = ok_json(d, &["pool", "show", "--pool", &pool]);
    assert_eq!(p["resource_scopes"], serde_json::json!(["orders/read"]));

    // A public client by default, with the default flows, scopes and the pool's lifetimes;
    // a fixed id is accepted.
    let spa = ok_json(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "SPA",
            "--id",
            "my_spa",
            "--redirect-uri",
            "https://spa.example.com/cb",
        ],
    );
    assert_eq!(spa["id"], "my_spa");
    assert_eq!(spa["public"], true);
    assert!(spa.get("secret").is_none());
    assert_eq!(spa["flows"], serde_json::json!(["code"]));
    assert_eq!(
        spa["scopes"],
        serde_json::json!(["openid", "email", "profile"])
    );
    assert_eq!(spa["rotate_refresh_tokens"], true);
    assert_eq!(spa["access_token_ttl_secs"], 3600);
    let explicit_public = ok_json(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "Native",
            "--public",
            "--redirect-uri",
            "com.example.app:/cb",
        ],
    );
    assert_eq!(explicit_public["public"], true);

    let list = ok_json(d, &["client", "list", "--pool", &pool]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|c| c.get("secret").is_none()));
    assert!(list.iter().any(|c| c["id"] == "my_spa"));

    // Bad input.
    let err = fails(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "Evil",
            "--redirect-uri",
            "http://evil.example.com/cb",
        ],
    );
    assert!(err.contains("redirect URI"), "{err}");
    let err = fails(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "M2M",
            "--flow",
            "client_credentials",
        ],
    );
    assert!(err.contains("--secret"), "{err}");
    let err = fails(
        d,
        &[
            "client", "create", "--pool", &pool, "--name", "X", "--scope", "bogus",
        ],
    );
    assert!(err.contains("bogus"), "{err}");
    let err = fails(
        d,
        &[
            "client", "create", "--pool", &pool, "--name", "X", "--id", "my_spa",
        ],
    );
    assert!(err.contains("already exists"), "{err}");
    let err = fails(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "X",
            "--auth-flow",
            "MAGIC_AUTH",
        ],
    );
    assert!(err.contains("ALLOW_MAGIC_AUTH"), "{err}");
    assert_eq!(
        ok_json(d, &["client", "list", "--pool", &pool])
            .as_array()
            .unwrap()
            .len(),
        3,
        "failed creates leave nothing behind"
    );

    let deleted = ok_json(d, &["client", "delete", "--pool", &pool, "--client", &id]);
    assert_eq!(deleted["deleted"], true);
    let err = fails(d, &["client", "show", "--pool", &pool, "--client", &id]);
    assert!(err.contains(&id) && err.contains("not found"), "{err}");
    let err = fails(d, &["client", "delete", "--pool", &pool, "--client", &id]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn user_create_list_show_set_password_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pool = new_pool(
        d,
        "People",
        &["--required-attr", "email", "--required-attr", "name"],
    );
    ok_json(d, &["group", "create", "--pool", &pool, "--name", "staff"]);

    let alice = ok_json(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "Alice@Example.com",
            "--password",
            "correct horse battery staple",
            "--attr",
            "name=Alice Example",
            "--attr",
            "custom:team=blue",
            "--group",
            "staff",
            "--confirmed",
        ],
    );
    let sub = str_of(&alice, "sub");
    assert_eq!(alice["id"], sub);
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["email_verified"], true);
    assert_eq!(alice["status"], "CONFIRMED");
    assert_eq!(alice["enabled"], true);
    assert_eq!(
        alice["username"], sub,
        "email pools use the sub as username"
    );
    assert_eq!(alice["attributes"]["name"], "Alice Example");
    assert_eq!(alice["attributes"]["custom:team"], "blue");
    assert_eq!(alice["groups"], serde_json::json!(["staff"]));
    assert!(alice["created_at"].as_i64().unwrap() > 1_600_000_000);
    assert!(alice.get("password").is_none() && alice.get("password_hash").is_none());
    assert!(password_is(d, &pool, &sub, "correct horse battery staple"));

    // Without --confirmed: unconfirmed, email not verified, no password.
    let bob = ok_json(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "bob@example.com",
            "--attr",
            "name=Bob",
        ],
    );
    assert_eq!(bob["status"], "UNCONFIRMED");
    assert_eq!(bob["email_verified"], false);
    assert_eq!(bob["groups"], serde_json::json!([]));

    let list = ok_json(d, &["user", "list", "--pool", &pool]);
    let emails: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2);
    assert!(emails.contains(&"alice@example.com") && emails.contains(&"bob@example.com"));

    // show by email (any case), by sub.
    let shown = ok_json(
        d,
        &[
            "user",
            "show",
            "--pool",
            &pool,
            "--user",
            "ALICE@example.com",
        ],
    );
    assert_eq!(shown, alice);
    assert_eq!(
        ok_json(d, &["user", "show", "--pool", &pool, "--user", &sub])["email"],
        "alice@example.com"
    );

    // set-password replaces the hash; --temporary forces a change at next sign-in.
    let before = stored_user(d, &pool, &sub).password_hash.unwrap();
    let after = ok_json(
        d,
        &[
            "user",
            "set-password",
            "--pool",
            &pool,
            "--user",
            "alice@example.com",
            "--password",
            "a brand new passphrase",
        ],
    );
    assert_eq!(after["status"], "CONFIRMED");
    let hash = stored_user(d, &pool, &sub).password_hash.unwrap();
    assert_ne!(hash, before);
    assert!(password_is(d, &pool, &sub, "a brand new passphrase"));
    assert!(!password_is(d, &pool, &sub, "correct horse battery staple"));
    let temp = ok_json(
        d,
        &[
            "user",
            "set-password",
            "--pool",
            &pool,
            "--user",
            &sub,
            "--password",
            "temporary passphrase",
            "--temporary",
        ],
    );
    assert_eq!(temp["status"], "FORCE_CHANGE_PASSWORD");
    assert!(password_is(d, &pool, &sub, "temporary passphrase"));
    let err = fails(
        d,
        &[
            "user",
            "set-password",
            "--pool",
            &pool,
            "--user",
            &sub,
            "--password",
            "short",
        ],
    );
    assert!(err.contains("at least 8"), "{err}");
    assert!(password_is(d, &pool, &sub, "temporary passphrase"));

    // Bad input.
    let err = fails(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "alice@example.com",
            "--attr",
            "name=Again",
        ],
    );
    assert!(err.contains("already exists"), "{err}");
    let err = fails(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "carol@example.com",
            "--attr",
            "shoe_size=42",
            "--attr",
            "name=Carol",
        ],
    );
    assert!(err.contains("shoe_size"), "{err}");
    let err = fails(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "carol@example.com",
        ],
    );
    assert!(err.contains("name") && err.contains("required"), "{err}");
    let err = fails(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "carol@example.com",
            "--attr",
            "name=Carol",
            "--group",
            "nosuchgroup",
        ],
    );
    assert!(err.contains("nosuchgroup"), "{err}");
    assert_eq!(
        ok_json(d, &["user", "list", "--pool", &pool])
            .as_array()
            .unwrap()
            .len(),
        2,
        "a failed create leaves no half-made user"
    );
    let err = fails(
        d,
        &[
            "user",
            "show",
            "--pool",
            &pool,
            "--user",
            "nobody@example.com",
        ],
    );
    assert!(err.contains("nobody@example.com"), "{err}");

    // Username pools take --username.
    let upool = new_pool(d, "Handles", &["--username-attribute", "username"]);
    let carol = ok_json(
        d,
        &[
            "user",
            "create",
            "--pool",
            &upool,
            "--username",
            "carol",
            "--email",
            "carol@example.com",
            "--password",
            "Tr0ub4dor&3 horses",
        ],
    );
    assert_eq!(carol["username"], "carol");
    assert_eq!(
        ok_json(d, &["user", "show", "--pool", &upool, "--user", "carol"])["sub"],
        carol["sub"]
    );
    let err = fails(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--username",
            "dave",
            "--email",
            "dave@example.com",
            "--attr",
            "name=Dave",
        ],
    );
    assert!(err.contains("--username"), "{err}");

    let deleted = ok_json(
        d,
        &[
            "user",
            "delete",
            "--pool",
            &pool,
            "--user",
            "bob@example.com",
        ],
    );
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["email"], "bob@example.com");
    let list = ok_json(d, &["user", "list", "--pool", &pool]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        fails(
            d,
            &["user", "show", "--pool", &pool, "--user", "bob@example.com"]
        )
        .contains("not found")
    );
}

#[test]
fn group_create_list_add_user() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pool = new_pool(d, "Teams", &[]);
    let g = ok_json(
        d,
        &[
            "group",
            "create",
            "--pool",
            &pool,
            "--name",
            "admins",
            "--description",
            "People who run things",
            "--precedence",
            "1",
        ],
    );
    assert_eq!(g["name"], "admins");
    assert_eq!(g["description"], "People who run things");
    assert_eq!(g["precedence"], 1);
    assert_eq!(g["members"], 0);
    ok_json(
        d,
        &[
            "group",
            "create",
            "--pool",
            &pool,
            "--name",
            "readers",
            "--precedence",
            "5",
        ],
    );

    let user = ok_json(
        d,
        &[
            "user",
            "create",
            "--pool",
            &pool,
            "--email",
            "erin@example.com",
            "--confirmed",
        ],
    );
    let sub = str_of(&user, "sub");
    assert_eq!(user["groups"], serde_json::json!([]));

    let added = ok_json(
        d,
        &[
            "group",
            "add-user",
            "--pool",
            &pool,
            "--group",
            "readers",
            "--user",
            "erin@example.com",
        ],
    );
    assert_eq!(added["groups"], serde_json::json!(["readers"]));
    ok_json(
        d,
        &[
            "group", "add-user", "--pool", &pool, "--group", "admins", "--user", &sub,
        ],
    );
    // Adding twice is harmless.
    ok_json(
        d,
        &[
            "group", "add-user", "--pool", &pool, "--group", "admins", "--user", &sub,
        ],
    );
    let shown = ok_json(d, &["user", "show", "--pool", &pool, "--user", &sub]);
    assert_eq!(
        shown["groups"],
        serde_json::json!(["admins", "readers"]),
        "ordered by precedence"
    );

    let list = ok_json(d, &["group", "list", "--pool", &pool]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let admins = list.iter().find(|g| g["name"] == "admins").unwrap();
    assert_eq!(admins["members"], 1);
    assert_eq!(admins["precedence"], 1);

    let err = fails(d, &["group", "create", "--pool", &pool, "--name", "admins"]);
    assert!(
        err.contains("admins") && err.contains("already exists"),
        "{err}"
    );
    let err = fails(
        d,
        &["group", "create", "--pool", &pool, "--name", "has space"],
    );
    assert!(err.contains("group name"), "{err}");
    let err = fails(
        d,
        &[
            "group", "add-user", "--pool", &pool, "--group", "nobody", "--user", &sub,
        ],
    );
    assert!(err.contains("nobody") && err.contains("not found"), "{err}");
    let err = fails(
        d,
        &[
            "group",
            "add-user",
            "--pool",
            &pool,
            "--group",
            "admins",
            "--user",
            "ghost@example.com",
        ],
    );
    assert!(err.contains("ghost@example.com"), "{err}");
}

#[test]
fn keys_list_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pool = new_pool(d, "Keys", &[]);
    let keys = ok_json(d, &["keys", "list", "--pool", &pool]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let first = str_of(&keys[0], "kid");
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["active"], true);
    assert!(keys[0]["created_at"].as_i64().is_some());
    assert!(keys[0]["retired_at"].is_null());

    let rotated = ok_json(d, &["keys", "rotate", "--pool", &pool, "--alg", "ES256"]);
    let second = str_of(&rotated, "kid");
    assert_ne!(second, first);
    assert_eq!(rotated["alg"], "ES256");
    assert_eq!(rotated["retired"], serde_json::json!([first]));

    let keys = ok_json(d, &["keys", "list", "--pool", &pool]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let new = keys.iter().find(|k| k["kid"] == second.as_str()).unwrap();
    let old = keys.iter().find(|k| k["kid"] == first.as_str()).unwrap();
    assert_eq!(new["active"], true);
    assert_eq!(new["alg"], "ES256");
    assert_eq!(old["active"], false);
    assert_eq!(old["published"], true, "the old key stays in the JWKS");
    assert!(old["retired_at"].as_i64().is_some());

    // --all rotates every pool, with the configured algorithm by default.
    let other = new_pool(d, "Other keys", &[]);
    let all = ok_json(d, &["keys", "rotate", "--all"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|r| r["alg"] == "RS256"));
    assert!(all.iter().any(|r| r["pool_id"] == pool.as_str()));
    assert!(all.iter().any(|r| r["pool_id"] == other.as_str()));
    let keys = ok_json(d, &["keys", "list", "--pool", &pool]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys.iter().filter(|k| k["active"] == true).count(), 1);

    let err = fails(d, &["keys", "rotate", "--pool", &pool, "--alg", "HS256"]);
    assert!(err.contains("HS256"), "{err}");
    let out = run(d, &["--json", "keys", "rotate"]);
    assert!(!out.status.success(), "rotate needs --pool or --all");
}

#[test]
fn bad_input_gives_one_clear_error_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    new_pool(d, "Only", &[]);

    // Unknown pool: one line naming it, for every verb family.
    for args in [
        vec!["pool", "show", "--pool", "local_nosuchpool"],
        vec!["client", "list", "--pool", "local_nosuchpool"],
        vec!["user", "list", "--pool", "local_nosuchpool"],
        vec!["group", "list", "--pool", "local_nosuchpool"],
        vec!["keys", "list", "--pool", "local_nosuchpool"],
        vec!["keys", "rotate", "--pool", "local_nosuchpool"],
        vec![
            "user",
            "create",
            "--pool",
            "local_nosuchpool",
            "--email",
            "a@example.com",
        ],
    ] {
        let err = fails(d, &args);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("local_nosuchpool"), "{args:?}: {err}");
    }

    // A missing required flag: clap's usage error, non-zero.
    let out = run(d, &["--json", "pool", "create"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error:") && err.contains("--name"), "{err}");
    let out = run(d, &["--json", "user", "create", "--email", "a@example.com"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pool"));

    // An invalid enum value names the choices.
    let out = run(d, &["pool", "create", "--name", "X", "--mfa", "sometimes"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("optional"));

    // A malformed config file.
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "listen = \n").unwrap();
    let out = run(
        d,
        &["--config", cfg.to_str().unwrap(), "--json", "pool", "list"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("bad.toml") && err.lines().count() == 1,
        "{err}"
    );
    std::fs::write(&cfg, "colour = \"blue\"\n").unwrap();
    let out = run(d, &["--config", cfg.to_str().unwrap(), "pool", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("colour"), "{err}");
    let out = run(
        d,
        &["--config", "/nonexistent/incognito.toml", "pool", "list"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/incognito.toml"));

    // An unwritable data directory (a path below a regular file): SQLite's home. (With
    // database_url the CLI does not need the directory.)
    if crate::helpers::on_postgres() {
        return;
    }
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let under = file.join("data");
    let err = fails(&under, &["pool", "list"]);
    assert!(
        err.contains("data directory") && err.contains(under.to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn text_output_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(
        d,
        &[
            "pool",
            "create",
            "--name",
            "Readable",
            "--id",
            "local_Read1",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("local_Read1") && text.contains("issuer:"),
        "{text}"
    );
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "text, not JSON"
    );
    let out = run(d, &["pool", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("local_Read1") && text.contains("Readable"),
        "{text}"
    );
    let out = run(
        d,
        &[
            "client",
            "create",
            "--pool",
            "local_Read1",
            "--name",
            "Web",
            "--secret",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("secret:") && text.contains("only now"),
        "{text}"
    );
}

/// The CLI rotates keys on the data directory of a running server; the server notices.
#[tokio::test]
async fn keys_rotated_by_the_cli_reach_a_running_server() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let jwks = |app_url: String| {
        let http = http.clone();
        async move {
            http.get(app_url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let before = jwks(app.url("/.well-known/jwks.json")).await;
    let old_kid = before["keys"][0]["kid"].as_str().unwrap().to_string();
    assert_eq!(before["keys"].as_array().unwrap().len(), 1);

    let data = app.data_path().to_path_buf();
    let pool = app.pool_id.clone();
    let rotated =
        tokio::task::spawn_blocking(move || ok_json(&data, &["keys", "rotate", "--pool", &pool]))
            .await
            .unwrap();
    let new_kid = str_of(&rotated, "kid");

    let deadline = Instant::now() + Duration::from_secs(3);
    let after = loop {
        let doc = jwks(app.url("/.well-known/jwks.json")).await;
        if doc["keys"].as_array().unwrap().len() == 2 || Instant::now() > deadline {
            break doc;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let kids: Vec<&str> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "JWKS within 3 s: {after}");
    assert!(kids.contains(&old_kid.as_str()), "old kid still published");
    assert!(kids.contains(&new_kid.as_str()), "new kid published");

    // Discovery still validates, with both keys.
    let issuer = openidconnect::IssuerUrl::new(app.issuer()).unwrap();
    let http_client = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta = openidconnect::core::CoreProviderMetadata::discover_async(issuer, &http_client)
        .await
        .expect("discovery validates");
    assert_eq!(meta.jwks().keys().len(), 2);
}

#[test]
fn resource_servers_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pool = new_pool(d, "Apis", &[]);
    let created = ok_json(
        d,
        &[
            "resource-server",
            "create",
            "--pool",
            &pool,
            "--identifier",
            "https://api.example.com",
            "--name",
            "Catalogue",
            "--scope",
            "read=Read the catalogue",
            "--scope",
            "write=Change it",
        ],
    );
    assert_eq!(created["identifier"], "https://api.example.com");
    assert_eq!(created["scopes"][1]["description"], "Change it");
    // The declared scope is one a client may be given, as through the API.
    let client = ok_json(
        d,
        &[
            "client",
            "create",
            "--pool",
            &pool,
            "--name",
            "svc",
            "--secret",
            "--flow",
            "client_credentials",
            "--scope",
            "https://api.example.com/read",
        ],
    );
    assert!(client["id"].is_string(), "{client}");
    let listed = ok_json(d, &["resource-server", "list", "--pool", &pool]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // Bad input changes nothing.
    for bad in [
        vec!["--identifier", "https://api.example.com", "--name", "Again"],
        vec![
            "--identifier",
            "x",
            "--name",
            "No description",
            "--scope",
            "read",
        ],
        vec![
            "--identifier",
            "y",
            "--name",
            "Slash",
            "--scope",
            "a/b=nope",
        ],
    ] {
        let mut args = vec!["resource-server", "create", "--pool", pool.as_str()];
        args.extend(bad.iter().copied());
        let err = fails(d, &args);
        assert!(!err.is_empty());
    }
    assert_eq!(
        ok_json(d, &["resource-server", "list", "--pool", &pool])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let client_scopes = |d: &std::path::Path| {
        let shown = ok_json(
            d,
            &[
                "client",
                "show",
                "--pool",
                &pool,
                "--client",
                client["id"].as_str().unwrap(),
            ],
        );
        shown["scopes"]
            .as_array()
            .expect("the client's scopes")
            .clone()
    };
    assert!(
        client_scopes(d).contains(&serde_json::json!("https://api.example.com/read")),
        "the client has the declared scope"
    );
    // Deleting the server takes its scopes away from the client.
    ok_json(
        d,
        &[
            "resource-server",
            "delete",
            "--pool",
            &pool,
            "--identifier",
            "https://api.example.com",
        ],
    );
    assert!(
        !client_scopes(d)
            .iter()
            .any(|s| s.as_str().unwrap().contains("api.example.com")),
        "the scope left the client"
    );
    let err = fails(
        d,
        &[
            "resource-server",
            "delete",
            "--pool",
            &pool,
            "--identifier",
            "nope",
        ],
    );
    assert!(err.contains("not found") || err.contains("nope"), "{err}");
}
