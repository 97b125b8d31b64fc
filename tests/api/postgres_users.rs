//! The users, groups, cognito store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.

use std::collections::BTreeMap;

use incognito::accounts::{User, UserStatus};
use incognito::store::{StoreError, groups, pools, sql::Sql, users};

use crate::postgres::{duplicate, pool_and_users, same_on_both_backends};

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
