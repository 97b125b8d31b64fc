//! The users, groups, cognito store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.

use std::collections::BTreeMap;

use incognito::accounts::{User, UserStatus};
use incognito::store::{StoreError, clients, cognito, groups, pools, sql::Sql, users};

use crate::postgres::{
    duplicate, pool_and_users, same_on_both_backends, successes_of_two_racing_takes,
};

/// Pool `p` (and an empty pool `q`), written through the ported pools family.
fn pools_p_and_q(db: Sql<'_>) -> Result<(), StoreError> {
    for id in ["p", "q"] {
        pools::insert(
            db,
            &incognito::pools::Pool {
                id: id.into(),
                name: id.to_uppercase(),
                settings: incognito::pools::PoolSettings::default(),
                created_at: 0,
                updated_at: 0,
            },
        )?;
    }
    Ok(())
}

fn user(id: &str, username: &str, email: Option<&str>, created_at: i64) -> User {
    User {
        id: id.into(),
        pool_id: "p".into(),
        username: username.into(),
        email: email.map(str::to_string),
        status: UserStatus::Confirmed,
        enabled: true,
        email_verified: false,
        password_hash: None,
        attributes: BTreeMap::new(),
        created_at,
        updated_at: created_at,
    }
}

fn show_user(u: &User) -> String {
    format!(
        "{}:{}:{}:{:?}:{}:{}:{}:{:?}:{:?}:{}:{}",
        u.id,
        u.pool_id,
        u.username,
        u.email,
        u.status.as_str(),
        u.enabled,
        u.email_verified,
        u.password_hash,
        u.attributes,
        u.created_at,
        u.updated_at
    )
}

#[test]
fn the_users_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_users_family_answers_the_same_on_both_backends",
        |db| {
            pools_p_and_q(db)?;
            let shown = |u: Option<User>| format!("{:?}", u.as_ref().map(show_user));
            let names = |page: Vec<User>| {
                page.iter()
                    .map(|u| u.username.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let mut seen = vec![
                shown(users::get(db, "p", "id-a")?),
                users::count(db, "p")?.to_string(),
            ];
            let mut alice = user("id-a", "alice", Some("alice@example.com"), 10);
            alice.attributes.insert("name".into(), "Alice".into());
            alice.password_hash = Some("hash-a".into());
            users::insert(db, &alice)?;
            // Two users without an email: the partial unique index lets NULLs repeat.
            let mut bob = user("id-b", "bob", None, 20);
            bob.enabled = false;
            bob.email_verified = true;
            bob.status = UserStatus::ForceChangePassword;
            users::insert(db, &bob)?;
            users::insert(db, &user("id-c", "carol", None, 30))?;
            users::insert(db, &user("id-d", "dave", Some("dave@example.com"), 40))?;
            seen.push(shown(users::get(db, "p", "id-a")?));
            seen.push(shown(users::by_username(db, "p", "bob")?));
            seen.push(shown(users::by_email(db, "p", "dave@example.com")?));
            // Another pool's lookups see nothing.
            seen.push(shown(users::get(db, "q", "id-a")?));
            seen.push(shown(users::by_email(db, "p", "nobody@example.com")?));
            // Pages by username: limit 2, then after the last one seen.
            seen.push(names(users::list(db, "p", 2, "")?));
            seen.push(names(users::list(db, "p", 2, "bob")?));
            seen.push(names(users::list(db, "p", 2, "dave")?));
            seen.push(names(users::list_all(db, "p")?));
            seen.push(users::count(db, "p")?.to_string());
            seen.push(users::count(db, "q")?.to_string());
            // Update every writable column, booleans flipped, attributes cleared.
            let mut a = alice.clone();
            a.username = "alicia".into();
            a.email = Some("alicia@example.com".into());
            a.status = UserStatus::ResetRequired;
            a.enabled = false;
            a.email_verified = true;
            a.attributes.clear();
            a.updated_at = 50;
            users::update(db, &a)?;
            seen.push(shown(users::get(db, "p", "id-a")?));
            users::set_password_hash(db, "id-b", "hash-b", 60)?;
            seen.push(shown(users::get(db, "p", "id-b")?));
            // The pending email: none, set, cleared.
            seen.push(format!("{:?}", users::pending_email(db, "id-c")?));
            users::set_pending_email(db, "id-c", Some("new@example.com"))?;
            seen.push(format!("{:?}", users::pending_email(db, "id-c")?));
            users::set_pending_email(db, "id-c", None)?;
            seen.push(format!("{:?}", users::pending_email(db, "id-c")?));
            seen.push(format!("{:?}", users::pending_email(db, "nobody")?));
            // Deleted only from its own pool, once.
            seen.push(users::delete(db, "q", "id-d")?.to_string());
            seen.push(users::delete(db, "p", "id-d")?.to_string());
            seen.push(users::delete(db, "p", "id-d")?.to_string());
            seen.push(names(users::list_all(db, "p")?));
            // A second user with a taken email: the partial unique index holds on both engines.
            // Last: on PostgreSQL a failed statement ends the transaction's usefulness.
            seen.push(duplicate(users::insert(
                db,
                &user("id-e", "erin", Some("alicia@example.com"), 70),
            )));
            Ok(seen)
        },
        &[
            "None",
            "0",
            r#"Some("id-a:p:alice:Some(\"alice@example.com\"):CONFIRMED:true:false:Some(\"hash-a\"):{\"name\": \"Alice\"}:10:10")"#,
            r#"Some("id-b:p:bob:None:FORCE_CHANGE_PASSWORD:false:true:None:{}:20:20")"#,
            r#"Some("id-d:p:dave:Some(\"dave@example.com\"):CONFIRMED:true:false:None:{}:40:40")"#,
            "None",
            "None",
            "alice bob",
            "carol dave",
            "",
            "alice bob carol dave",
            "4",
            "0",
            r#"Some("id-a:p:alicia:Some(\"alicia@example.com\"):RESET_REQUIRED:false:true:Some(\"hash-a\"):{}:10:50")"#,
            r#"Some("id-b:p:bob:None:FORCE_CHANGE_PASSWORD:false:true:Some(\"hash-b\"):{}:20:60")"#,
            "None",
            r#"Some("new@example.com")"#,
            "None",
            "None",
            "false",
            "true",
            "false",
            "alicia bob carol",
            "unique violation",
        ],
    )
}

fn group(name: &str, precedence: Option<i64>, created_at: i64) -> groups::Group {
    groups::Group {
        pool_id: "p".into(),
        name: name.into(),
        description: format!("about {name}"),
        precedence,
        role_arn: precedence.map(|p| format!("arn:aws:iam::1:role/r{p}")),
        created_at,
        updated_at: created_at,
    }
}

fn show_group(g: &groups::Group) -> String {
    format!(
        "{}:{}:{}:{:?}:{:?}:{}:{}",
        g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at, g.updated_at
    )
}

#[test]
fn the_groups_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_groups_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let names = |gs: Vec<groups::Group>| {
                gs.iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let get = |name| -> Result<String, StoreError> {
                Ok(format!(
                    "{:?}",
                    groups::get(db, "p", name)?.map(|g| show_group(&g))
                ))
            };
            let mut seen = vec![
                names(groups::list(db, "p")?),
                get("admins")?,
                groups::exists(db, "p", "admins")?.to_string(),
            ];
            for g in [
                group("admins", Some(5), 10),
                group("beta", Some(5), 11),
                group("zeta", Some(0), 12),
                group("nulls", None, 13),
                group("anon", None, 14),
            ] {
                groups::insert(db, &g)?;
            }
            seen.push(names(groups::list(db, "p")?));
            seen.push(get("admins")?);
            seen.push(groups::exists(db, "p", "admins")?.to_string());
            seen.push(groups::exists(db, "q", "admins")?.to_string());
            // An update writes description, precedence, role and updated_at; created_at stays.
            let mut beta = group("beta", None, 99);
            beta.description = "changed".into();
            beta.updated_at = 20;
            seen.push(groups::update(db, &beta)?.to_string());
            seen.push(get("beta")?);
            seen.push(groups::update(db, &group("missing", Some(1), 1))?.to_string());
            // A row never updated since before 0007 has no updated_at: its creation time stands in.
            db.execute(
                "INSERT INTO groups (pool_id, name, description, precedence, created_at)
                 VALUES ('p', 'old', '', 7, 40)",
                &[],
            )?;
            seen.push(get("old")?);
            // Memberships: adding twice keeps one.
            for name in ["admins", "beta", "zeta", "nulls", "anon", "old", "admins"] {
                groups::add_member(db, "p", name, "u1")?;
            }
            groups::add_member(db, "p", "admins", "u2")?;
            seen.push(groups::member_count(db, "p", "admins")?.to_string());
            seen.push(groups::member_count(db, "p", "zeta")?.to_string());
            // By precedence, lowest first, groups without one last, then by name.
            seen.push(names(groups::groups_of_user(db, "u1")?));
            seen.push(groups::of_user(db, "u2")?.join(" "));
            seen.push(groups::remove_member(db, "p", "admins", "u2")?.to_string());
            seen.push(groups::remove_member(db, "p", "admins", "u2")?.to_string());
            seen.push(groups::of_user(db, "u2")?.join(" "));
            // Deleting a group takes its memberships with it.
            seen.push(groups::delete(db, "p", "zeta")?.to_string());
            seen.push(groups::delete(db, "p", "zeta")?.to_string());
            seen.push(groups::member_count(db, "p", "zeta")?.to_string());
            seen.push(groups::of_user(db, "u1")?.join(" "));
            seen.push(names(groups::list(db, "p")?));
            seen.push(duplicate(groups::insert(db, &group("admins", None, 50))));
            Ok(seen)
        },
        &[
            "",
            "None",
            "false",
            "admins anon beta nulls zeta",
            r#"Some("p:admins:about admins:Some(5):Some(\"arn:aws:iam::1:role/r5\"):10:10")"#,
            "true",
            "false",
            "true",
            r#"Some("p:beta:changed:None:None:11:20")"#,
            "false",
            r#"Some("p:old::Some(7):None:40:40")"#,
            "2",
            "1",
            "zeta admins old anon beta nulls",
            "admins",
            "true",
            "false",
            "",
            "true",
            "false",
            "0",
            "admins old anon beta nulls",
            "admins anon beta nulls old",
            "unique violation",
        ],
    )
}

fn challenge(id: &str, user_id: Option<&str>, expires_at: i64) -> cognito::Challenge {
    cognito::Challenge {
        id: id.into(),
        session_hash: format!("s-{id}"),
        pool_id: "p".into(),
        client_id: "c".into(),
        user_id: user_id.map(str::to_string),
        srp_user: user_id.unwrap_or("ghost").into(),
        challenge: "PASSWORD_VERIFIER".into(),
        data: r#"{"b":"0a"}"#.into(),
        created_at: 1,
        expires_at,
    }
}

fn admin_key(
    id: &str,
    created_at: i64,
    pool_id: Option<&str>,
    read_only: bool,
) -> cognito::AdminKey {
    cognito::AdminKey {
        access_key_id: id.into(),
        secret: format!("sealed-{id}"),
        description: format!("key {id}"),
        created_at,
        last_used_at: None,
        pool_id: pool_id.map(str::to_string),
        read_only,
    }
}

fn show_admin_key(k: &cognito::AdminKey) -> String {
    format!(
        "{}:{}:{}:{}:{:?}:{:?}:{}",
        k.access_key_id,
        k.secret,
        k.description,
        k.created_at,
        k.last_used_at,
        k.pool_id,
        k.read_only
    )
}

#[test]
fn the_cognito_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_cognito_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let verifier = || -> Result<String, StoreError> {
                Ok(format!(
                    "{:?}",
                    cognito::get_verifier(db, "u1")?.map(|v| (v.salt, v.verifier))
                ))
            };
            let by_session = |id| -> Result<String, StoreError> {
                Ok(format!("{:?}", cognito::get_challenge_by_session(db, id)?))
            };
            let keys = || -> Result<String, StoreError> {
                Ok(cognito::list_admin_keys(db)?
                    .iter()
                    .map(show_admin_key)
                    .collect::<Vec<_>>()
                    .join(" "))
            };
            // SRP verifiers: upserted, deleted.
            let mut seen = vec![verifier()?];
            cognito::put_verifier(db, "u1", "01aa", "sealed-v1", 10)?;
            seen.push(verifier()?);
            cognito::put_verifier(db, "u1", "02bb", "sealed-v2", 20)?;
            seen.push(verifier()?);
            cognito::delete_verifier(db, "u1")?;
            seen.push(verifier()?);
            // Challenges: read in place, taken once by id or by session; a decoy has no user.
            cognito::insert_challenge(db, &challenge("c1", Some("u1"), 100))?;
            cognito::insert_challenge(db, &challenge("c2", None, 200))?;
            seen.push(by_session("s-c1")?);
            // Still there: reading does not take it.
            seen.push(
                cognito::get_challenge_by_session(db, "s-c1")?
                    .is_some()
                    .to_string(),
            );
            seen.push(format!(
                "{:?}",
                cognito::take_challenge_by_id(db, "c1")?.map(|c| c.id)
            ));
            seen.push(format!(
                "{:?}",
                cognito::take_challenge_by_id(db, "c1")?.map(|c| c.id)
            ));
            seen.push(by_session("s-c1")?);
            seen.push(format!(
                "{:?}",
                cognito::take_challenge_by_session(db, "s-c2")?
            ));
            seen.push(format!(
                "{:?}",
                cognito::take_challenge_by_session(db, "s-c2")?
            ));
            // Purged once expires_at <= now.
            cognito::insert_challenge(db, &challenge("c3", Some("u2"), 100))?;
            cognito::insert_challenge(db, &challenge("c4", Some("u2"), 101))?;
            seen.push(cognito::purge_expired_challenges(db, 100)?.to_string());
            seen.push(format!(
                "{:?}",
                cognito::take_challenge_by_id(db, "c3")?.map(|c| c.id)
            ));
            seen.push(format!(
                "{:?}",
                cognito::take_challenge_by_id(db, "c4")?.map(|c| c.id)
            ));
            // Clients: the pool of a client id, the sealed secret set and cleared.
            clients::insert(
                db,
                &incognito::pools::Client {
                    id: "c".into(),
                    pool_id: "p".into(),
                    name: "App".into(),
                    secret_hash: Some("h".into()),
                    settings: incognito::pools::ClientSettings::default(),
                    created_at: 0,
                    updated_at: 0,
                },
            )?;
            seen.push(format!("{:?}", cognito::client_pool(db, "c")?));
            seen.push(format!("{:?}", cognito::client_pool(db, "nope")?));
            seen.push(format!("{:?}", cognito::client_secret_sealed(db, "c")?));
            cognito::set_client_secret_sealed(db, "c", Some("sealed-secret"))?;
            seen.push(format!("{:?}", cognito::client_secret_sealed(db, "c")?));
            cognito::set_client_secret_sealed(db, "c", None)?;
            seen.push(format!("{:?}", cognito::client_secret_sealed(db, "c")?));
            seen.push(format!("{:?}", cognito::client_secret_sealed(db, "nope")?));
            // Server secrets: the first writer wins.
            seen.push(format!("{:?}", cognito::server_secret(db, "k")?));
            seen.push(cognito::init_server_secret(db, "k", "v1", 1)?);
            seen.push(cognito::init_server_secret(db, "k", "v2", 2)?);
            seen.push(format!("{:?}", cognito::server_secret(db, "k")?));
            // Admin keys: listed by creation time then id; NULL and non-NULL scopes, booleans.
            seen.push(keys()?);
            cognito::insert_admin_key(db, &admin_key("kb", 20, Some("p"), true))?;
            cognito::insert_admin_key(db, &admin_key("ka", 20, None, false))?;
            cognito::insert_admin_key(db, &admin_key("kz", 10, None, true))?;
            seen.push(keys()?);
            // Putting an existing key changes its secret and scope; description and creation stay.
            let mut kb = admin_key("kb", 99, None, false);
            kb.secret = "sealed-new".into();
            kb.description = "ignored".into();
            cognito::put_admin_key(db, &kb)?;
            cognito::put_admin_key(db, &admin_key("kn", 30, Some("p"), true))?;
            db.execute(
                "UPDATE admin_keys SET last_used_at = 77 WHERE access_key_id = 'ka'",
                &[],
            )?;
            seen.push(keys()?);
            seen.push(format!(
                "{:?}",
                cognito::get_admin_key(db, "kb")?.map(|k| show_admin_key(&k))
            ));
            seen.push(format!(
                "{:?}",
                cognito::get_admin_key(db, "nope")?.map(|k| show_admin_key(&k))
            ));
            seen.push(cognito::delete_admin_key(db, "kn")?.to_string());
            seen.push(cognito::delete_admin_key(db, "kn")?.to_string());
            // A group's member ids, paged by id.
            groups::insert(
                db,
                &groups::Group {
                    pool_id: "p".into(),
                    name: "g".into(),
                    description: String::new(),
                    precedence: None,
                    role_arn: None,
                    created_at: 0,
                    updated_at: 0,
                },
            )?;
            for user in ["u2", "u1"] {
                groups::add_member(db, "p", "g", user)?;
            }
            for after in ["", "u1", "u2"] {
                seen.push(cognito::group_member_ids(db, "p", "g", after, 1)?.join(" "));
            }
            seen.push(cognito::group_member_ids(db, "p", "g", "", 10)?.join(" "));
            seen.push(cognito::group_member_ids(db, "p", "none", "", 10)?.join(" "));
            seen.push(duplicate(cognito::insert_admin_key(
                db,
                &admin_key("ka", 1, None, false),
            )));
            Ok(seen)
        },
        &[
            "None",
            "Some((\"01aa\", \"sealed-v1\"))",
            "Some((\"02bb\", \"sealed-v2\"))",
            "None",
            "Some(Challenge { id: \"c1\", session_hash: \"s-c1\", pool_id: \"p\", client_id: \"c\", user_id: Some(\"u1\"), srp_user: \"u1\", challenge: \"PASSWORD_VERIFIER\", data: \"{\\\"b\\\":\\\"0a\\\"}\", created_at: 1, expires_at: 100 })",
            "true",
            "Some(\"c1\")",
            "None",
            "None",
            "Some(Challenge { id: \"c2\", session_hash: \"s-c2\", pool_id: \"p\", client_id: \"c\", user_id: None, srp_user: \"ghost\", challenge: \"PASSWORD_VERIFIER\", data: \"{\\\"b\\\":\\\"0a\\\"}\", created_at: 1, expires_at: 200 })",
            "None",
            "1",
            "None",
            "Some(\"c4\")",
            "Some(\"p\")",
            "None",
            "None",
            "Some(\"sealed-secret\")",
            "None",
            "None",
            "None",
            "v1",
            "v1",
            "Some(\"v1\")",
            "",
            "kz:sealed-kz:key kz:10:None:None:true ka:sealed-ka:key ka:20:None:None:false kb:sealed-kb:key kb:20:None:Some(\"p\"):true",
            "kz:sealed-kz:key kz:10:None:None:true ka:sealed-ka:key ka:20:Some(77):None:false kb:sealed-new:key kb:20:None:None:false kn:sealed-kn:key kn:30:None:Some(\"p\"):true",
            "Some(\"kb:sealed-new:key kb:20:None:None:false\")",
            "None",
            "true",
            "false",
            "u1",
            "u2",
            "",
            "u1 u2",
            "",
            "unique violation",
        ],
    )
}

/// Pool, users and one challenge `c1` (session `s-c1`) to race for.
fn one_challenge(db: Sql<'_>) -> Result<(), StoreError> {
    pool_and_users(db)?;
    cognito::insert_challenge(db, &challenge("c1", Some("u1"), 100))
}

#[test]
fn concurrent_takes_of_one_challenge_by_session_on_postgres_give_it_once() {
    let won = successes_of_two_racing_takes(
        "concurrent_takes_of_one_challenge_by_session_on_postgres_give_it_once",
        one_challenge,
        |db, _| Ok(cognito::take_challenge_by_session(db, "s-c1")?.is_some()),
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

#[test]
fn concurrent_takes_of_one_challenge_by_id_and_by_session_on_postgres_give_it_once() {
    let won = successes_of_two_racing_takes(
        "concurrent_takes_of_one_challenge_by_id_and_by_session_on_postgres_give_it_once",
        one_challenge,
        |db, i| {
            let taken = if i == 0 {
                cognito::take_challenge_by_id(db, "c1")?
            } else {
                cognito::take_challenge_by_session(db, "s-c1")?
            };
            Ok(taken.is_some())
        },
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

#[test]
fn instances_initialising_one_server_secret_on_postgres_agree_on_the_first() {
    // Each offers its own value; exactly one finds its own stored, the other gets that one.
    let won = successes_of_two_racing_takes(
        "instances_initialising_one_server_secret_on_postgres_agree_on_the_first",
        |_| Ok(()),
        |db, i| {
            let mine = format!("value-{i}");
            Ok(cognito::init_server_secret(db, "k", &mine, 1)? == mine)
        },
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

#[test]
fn instances_putting_one_configured_admin_key_on_postgres_both_succeed() {
    // One upsert: the second waits for the first and updates its row instead of failing on
    // the primary key (a read-then-insert could let both insert).
    let won = successes_of_two_racing_takes(
        "instances_putting_one_configured_admin_key_on_postgres_both_succeed",
        |_| Ok(()),
        |db, i| {
            let mut key = admin_key("k", 1, None, false);
            key.secret = format!("sealed-{i}");
            cognito::put_admin_key(db, &key)?;
            Ok(cognito::get_admin_key(db, "k")?.is_some_and(|k| k.secret == key.secret))
        },
    );
    assert!(matches!(won, None | Some(2)), "{won:?}");
}
