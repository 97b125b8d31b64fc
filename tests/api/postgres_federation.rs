//! The federation, audit, import_jobs store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.

use std::collections::BTreeMap;

use incognito::store::{federation, federation::IdentityProvider};

use crate::postgres::{
    duplicate, pool_and_users, same_on_both_backends, successes_of_two_racing_takes,
};

fn provider(name: &str, created_at: i64) -> IdentityProvider {
    IdentityProvider {
        pool_id: "p".into(),
        name: name.into(),
        provider_type: "OIDC".into(),
        details: BTreeMap::from([("client_id".to_string(), format!("id-{name}"))]),
        attribute_mapping: BTreeMap::from([("email".to_string(), "mail".to_string())]),
        idp_identifiers: vec![format!("{name}.example")],
        created_at,
        updated_at: created_at,
    }
}

fn show_providers(rows: Vec<IdentityProvider>) -> String {
    rows.iter()
        .map(|p| {
            format!(
                "{}:{}:{:?}:{:?}:{:?}:{}:{}",
                p.name,
                p.provider_type,
                p.details,
                p.attribute_mapping,
                p.idp_identifiers,
                p.created_at,
                p.updated_at
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_federation_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_federation_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let mut seen = vec![];
            for name in ["okta", "azure", "google"] {
                federation::insert(db, &provider(name, 10))?;
            }
            seen.push(show_providers(federation::list(db, "p", 2, "")?));
            seen.push(show_providers(federation::list(db, "p", 2, "google")?));
            seen.push(show_providers(federation::list(db, "q", 10, "")?));
            let mut changed = provider("okta", 10);
            changed
                .details
                .insert("issuer".into(), "https://okta".into());
            changed.idp_identifiers.clear();
            changed.updated_at = 20;
            seen.push(format!("{}", federation::update(db, &changed)?));
            seen.push(format!("{}", federation::update(db, &provider("none", 1))?));
            seen.push(show_providers(
                federation::get(db, "p", "okta")?.into_iter().collect(),
            ));
            seen.push(format!("{:?}", federation::get(db, "q", "okta")?));
            // Links: one user per upstream identity, a user's links oldest first.
            federation::link(db, "p", "okta", "sub-1", "u1", 30)?;
            federation::link(db, "p", "azure", "sub-2", "u1", 20)?;
            federation::link(db, "p", "google", "sub-3", "u2", 40)?;
            seen.push(format!("{:?}", federation::links_of(db, "u1")?));
            seen.push(format!(
                "{:?} {:?}",
                federation::linked_user(db, "p", "okta", "sub-1")?,
                federation::linked_user(db, "p", "okta", "sub-2")?
            ));
            seen.push(format!(
                "{} {}",
                federation::unlink(db, "p", "azure", "sub-2")?,
                federation::unlink(db, "p", "azure", "sub-2")?
            ));
            // Deleting a provider takes its links with it.
            seen.push(format!(
                "{} {} {:?}",
                federation::delete(db, "p", "google")?,
                federation::delete(db, "p", "google")?,
                federation::links_of(db, "u2")?
            ));
            // States: peeked without taking, taken once, only for their pool and before expiry.
            federation::put_state(db, "s1", "p", "okta", "{\"nonce\":\"n1\"}", 100)?;
            federation::put_state(db, "s2", "p", "okta", "d2", 100)?;
            federation::put_state(db, "s3", "p", "azure", "d3", 50)?;
            seen.push(format!(
                "{:?} {:?} {:?}",
                federation::peek_state(db, "s1", "p", 99)?,
                federation::peek_state(db, "s1", "q", 99)?,
                federation::peek_state(db, "s1", "p", 100)?
            ));
            seen.push(format!(
                "{:?} {:?} {:?}",
                federation::take_state(db, "s1", "p", 99)?,
                federation::take_state(db, "s1", "p", 99)?,
                federation::take_state(db, "s2", "q", 10)?
            ));
            seen.push(format!(
                "{} {:?}",
                federation::purge_states(db, 50)?,
                federation::peek_state(db, "s3", "p", 10)?
            ));
            // Unique violations last: PostgreSQL takes no statement after one.
            seen.push(duplicate(federation::link(
                db, "p", "okta", "sub-1", "u2", 50,
            )));
            Ok(seen)
        },
        &[
            r#"azure:OIDC:{"client_id": "id-azure"}:{"email": "mail"}:["azure.example"]:10:10 google:OIDC:{"client_id": "id-google"}:{"email": "mail"}:["google.example"]:10:10"#,
            r#"okta:OIDC:{"client_id": "id-okta"}:{"email": "mail"}:["okta.example"]:10:10"#,
            "",
            "true",
            "false",
            r#"okta:OIDC:{"client_id": "id-okta", "issuer": "https://okta"}:{"email": "mail"}:[]:10:20"#,
            "None",
            r#"[("azure", "sub-2", 20), ("okta", "sub-1", 30)]"#,
            r#"Some("u1") None"#,
            "true false",
            "true false []",
            r#"Some(("okta", "{\"nonce\":\"n1\"}")) None None"#,
            r#"Some(("okta", "{\"nonce\":\"n1\"}")) None None"#,
            "1 None",
            "unique violation",
        ],
    );
}

#[test]
fn concurrent_takes_of_one_federation_state_on_postgres_give_it_once() {
    let won = successes_of_two_racing_takes(
        "concurrent_takes_of_one_federation_state_on_postgres_give_it_once",
        |db| {
            pool_and_users(db)?;
            federation::put_state(db, "s", "p", "okta", "nonce", 1_000)
        },
        |db, _| Ok(federation::take_state(db, "s", "p", 10)?.is_some()),
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}
