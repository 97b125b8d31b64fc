//! The mfa, risk, tokens store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use incognito::store::{StoreError, sql::Sql, tokens};

use crate::postgres::{
    duplicate, pool_and_users, same_on_both_backends, successes_of_two_racing_takes,
};

fn family(id: &str, user_id: Option<&str>, expires_at: i64) -> tokens::Family {
    tokens::Family {
        id: id.into(),
        pool_id: "p".into(),
        client_id: "c".into(),
        user_id: user_id.map(Into::into),
        scope: "openid email".into(),
        auth_time: 90,
        amr: r#"["pwd"]"#.into(),
        created_at: 100,
        expires_at,
        revoked_at: None,
    }
}

fn tokens_steps(db: Sql<'_>) -> Result<Vec<String>, StoreError> {
    pool_and_users(db)?;
    let fam = |pool, id| -> Result<String, StoreError> {
        Ok(format!("{:?}", tokens::get_family(db, pool, id)?))
    };
    let refresh = |hash| -> Result<String, StoreError> {
        Ok(format!("{:?}", tokens::get_refresh(db, hash)?))
    };
    let mut seen = vec![fam("p", "f1")?];
    tokens::insert_family(db, &family("f1", Some("u1"), 1_000))?;
    // A client-credentials family: no user, stored revoked.
    tokens::insert_family(
        db,
        &tokens::Family {
            revoked_at: Some(50),
            ..family("f2", None, 500)
        },
    )?;
    seen.push(fam("p", "f1")?);
    seen.push(fam("p", "f2")?);
    // A family of another pool is not found.
    seen.push(fam("q", "f1")?);
    tokens::insert_refresh(db, "r1", "f1", 110)?;
    tokens::insert_refresh(db, "r2", "f1", 111)?;
    seen.push(refresh("r1")?);
    seen.push(refresh("nope")?);
    // Rotation is a claim: once.
    seen.push(tokens::mark_rotated(db, "r1", 130)?.to_string());
    seen.push(tokens::mark_rotated(db, "r1", 131)?.to_string());
    seen.push(refresh("r1")?);
    // Taken back only by the rotation it undoes.
    seen.push(tokens::unrotate(db, "r1", 131)?.to_string());
    seen.push(tokens::unrotate(db, "r1", 130)?.to_string());
    seen.push(refresh("r1")?);
    seen.push(tokens::delete_refresh(db, "r2")?.to_string());
    seen.push(tokens::delete_refresh(db, "r2")?.to_string());
    // Revocation: idempotent, per pool.
    seen.push(tokens::revoke_family(db, "q", "f1", 140)?.to_string());
    seen.push(tokens::revoke_family(db, "p", "f1", 140)?.to_string());
    seen.push(tokens::revoke_family(db, "p", "f1", 141)?.to_string());
    seen.push(fam("p", "f1")?);
    tokens::insert_family(db, &family("f3", Some("u1"), 2_000))?;
    tokens::insert_family(db, &family("f4", Some("u1"), 3_000))?;
    tokens::insert_family(db, &family("f5", Some("u2"), 3_000))?;
    seen.push(tokens::revoke_user_families(db, "p", "u1", 150)?.to_string());
    seen.push(tokens::revoke_user_families(db, "p", "u1", 151)?.to_string());
    seen.push(fam("p", "f5")?);
    // Families whose chain ended more than keep_secs ago go, their tokens with them.
    tokens::insert_refresh(db, "r3", "f3", 160)?;
    seen.push(tokens::purge_expired(db, 1_600, 100)?.to_string());
    seen.push(fam("p", "f2")?);
    seen.push(refresh("r1")?);
    seen.push(tokens::purge_expired(db, 2_100, 100)?.to_string());
    seen.push(tokens::purge_expired(db, 2_101, 100)?.to_string());
    seen.push(refresh("r3")?);
    // Last: on PostgreSQL the error aborts the transaction.
    tokens::insert_refresh(db, "r4", "f4", 170)?;
    seen.push(duplicate(tokens::insert_refresh(db, "r4", "f5", 171)));
    Ok(seen)
}

#[test]
fn the_tokens_family_answers_the_same_on_both_backends() {
    let fam = |id: &str, user: &str, expires_at, revoked_at: &str| {
        format!(
            r#"Some(Family {{ id: "{id}", pool_id: "p", client_id: "c", user_id: {user}, scope: "openid email", auth_time: 90, amr: "[\"pwd\"]", created_at: 100, expires_at: {expires_at}, revoked_at: {revoked_at} }})"#
        )
    };
    let refresh = |hash: &str, created_at, rotated_at: &str| {
        format!(
            r#"Some(RefreshToken {{ token_hash: "{hash}", family_id: "f1", created_at: {created_at}, rotated_at: {rotated_at} }})"#
        )
    };
    same_on_both_backends(
        "the_tokens_family_answers_the_same_on_both_backends",
        tokens_steps,
        &[
            "None",
            &fam("f1", r#"Some("u1")"#, 1_000, "None"),
            &fam("f2", "None", 500, "Some(50)"),
            "None",
            &refresh("r1", 110, "None"),
            "None",
            "true",
            "false",
            &refresh("r1", 110, "Some(130)"),
            "false",
            "true",
            &refresh("r1", 110, "None"),
            "true",
            "false",
            "false",
            "true",
            "false",
            &fam("f1", r#"Some("u1")"#, 1_000, "Some(140)"),
            "2",
            "0",
            &fam("f5", r#"Some("u2")"#, 3_000, "None"),
            "2",
            "None",
            "None",
            "0",
            "1",
            "None",
            "unique violation",
        ],
    )
}

/// The core's rotation (`tokens::refresh::prepare_refresh`), reduced to its store steps: a
/// token read as current is claimed by `mark_rotated`; a token found rotated, or lost to a
/// concurrent claim, is a reuse and revokes the family.
#[test]
fn concurrent_rotations_of_one_refresh_token_on_postgres_give_one_success_and_a_reuse() {
    // Both read the token as current before either claims it (the race the claim must settle).
    let both_read = Barrier::new(2);
    let family_revoked = AtomicUsize::new(0);
    let won = successes_of_two_racing_takes(
        "concurrent_rotations_of_one_refresh_token_on_postgres_give_one_success_and_a_reuse",
        |db| {
            pool_and_users(db)?;
            tokens::insert_family(db, &family("f", Some("u1"), 1_000))?;
            tokens::insert_refresh(db, "h", "f", 110)
        },
        |db, i| {
            let now = 120 + i as i64;
            let row = tokens::get_refresh(db, "h")?.expect("the token");
            both_read.wait();
            if row.rotated_at.is_none() && tokens::mark_rotated(db, "h", now)? {
                tokens::insert_refresh(db, &format!("h{i}"), "f", now)?;
                return Ok(true);
            }
            if tokens::revoke_family(db, "p", "f", now)? {
                family_revoked.fetch_add(1, Ordering::SeqCst);
            }
            Ok(false)
        },
    );
    if won.is_some() {
        assert_eq!(won, Some(1));
        assert_eq!(family_revoked.load(Ordering::SeqCst), 1);
    }
}
