//! The mfa, risk, tokens store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use incognito::store::{StoreError, mfa, risk, sql::Sql, tokens};

use crate::postgres::{
    duplicate, pool_and_users, same_on_both_backends, successes_of_two_racing_takes,
};

/// `successes_of_two_racing_takes`, which must give exactly one success (None: no PostgreSQL).
fn one_of_two_wins(
    test: &str,
    setup: impl FnOnce(Sql<'_>) -> Result<(), StoreError>,
    take: impl Fn(Sql<'_>, usize) -> Result<bool, StoreError> + Sync,
) {
    let won = successes_of_two_racing_takes(test, setup, take);
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

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

fn new_challenge(hash: &str, user_id: &str, attempts: i64) -> mfa::Challenge {
    mfa::Challenge {
        id_hash: hash.into(),
        pool_id: "p".into(),
        user_id: user_id.into(),
        purpose: "verify".into(),
        auth_time: 95,
        attempts,
    }
}

fn mfa_steps(db: Sql<'_>) -> Result<Vec<String>, StoreError> {
    pool_and_users(db)?;
    let totp = || -> Result<String, StoreError> {
        Ok(match mfa::get_totp(db, "u1")? {
            Some(t) => format!("{} {} {}", t.secret, t.enabled, t.last_step),
            None => "None".into(),
        })
    };
    let challenge = |pool, hash, now| -> Result<String, StoreError> {
        Ok(match mfa::get_challenge(db, pool, hash, now)? {
            Some(c) => format!(
                "{} {} {} {} {} {}",
                c.id_hash, c.pool_id, c.user_id, c.purpose, c.auth_time, c.attempts
            ),
            None => "None".into(),
        })
    };
    let left =
        || -> Result<String, StoreError> { Ok(mfa::recovery_codes_left(db, "u1")?.to_string()) };
    let mut seen = vec![totp()?];
    // TOTP: pending (BOOLEAN false), enabled at a step, each later step once.
    mfa::put_pending_totp(db, "p", "u1", "s1", 100)?;
    seen.push(totp()?);
    mfa::enable_totp(db, "u1", 5)?;
    seen.push(totp()?);
    for step in [5, 4, 6, 6] {
        seen.push(mfa::advance_step(db, "u1", step)?.to_string());
    }
    seen.push(totp()?);
    // A new set-up replaces the factor with a pending one.
    mfa::put_pending_totp(db, "p", "u1", "s2", 110)?;
    seen.push(totp()?);
    // Recovery codes: each used once.
    let codes: Vec<String> = ["a", "b", "c"].map(String::from).into();
    mfa::replace_recovery_codes(db, "u1", &codes)?;
    seen.push(left()?);
    for code in ["a", "a", "z"] {
        seen.push(mfa::use_recovery_code(db, "u1", code, 120)?.to_string());
    }
    seen.push(left()?);
    mfa::replace_recovery_codes(db, "u1", &["d".to_string()])?;
    seen.push(left()?);
    seen.push(mfa::delete_totp(db, "u1")?.to_string());
    seen.push(mfa::delete_totp(db, "u1")?.to_string());
    seen.push(totp()?);
    seen.push(left()?);
    // Challenges: found until expiry in their pool; failures counted by the statement.
    // The stored count starts at 0 whatever the struct says.
    let c = |hash| new_challenge(hash, "u2", 7);
    mfa::insert_challenge(db, &c("ch1"), 100, 200)?;
    mfa::insert_challenge(db, &c("ch2"), 100, 240)?;
    seen.push(challenge("p", "ch1", 150)?);
    seen.push(challenge("p", "ch1", 200)?);
    seen.push(challenge("q", "ch1", 150)?);
    for _ in 0..2 {
        seen.push(format!("{:?}", mfa::count_challenge_failure(db, "ch1")?));
    }
    seen.push(challenge("p", "ch1", 150)?);
    mfa::delete_challenge(db, "ch1")?;
    seen.push(format!("{:?}", mfa::count_challenge_failure(db, "ch1")?));
    seen.push(challenge("p", "ch1", 150)?);
    // Remembered devices.
    mfa::insert_device(db, "p", "u1", "d1", 100, 300)?;
    mfa::insert_device(db, "p", "u1", "d2", 100, 400)?;
    mfa::insert_device(db, "p", "u2", "d3", 100, 150)?;
    for (user, hash, now) in [
        ("u1", "d1", 200),
        ("u2", "d1", 200),
        ("u2", "d3", 149),
        ("u2", "d3", 150),
    ] {
        seen.push(mfa::device_valid(db, user, hash, now)?.to_string());
    }
    // Expired challenges (ch2) and devices (d3) go.
    seen.push(mfa::purge_expired(db, 250)?.to_string());
    seen.push(challenge("p", "ch2", 100)?);
    seen.push(mfa::forget_devices(db, "u1")?.to_string());
    seen.push(mfa::device_valid(db, "u1", "d2", 200)?.to_string());
    // E-mail codes as a second factor: an idempotent switch.
    seen.push(mfa::email_mfa_enabled(db, "u1")?.to_string());
    mfa::set_email_mfa(db, "u1", true, 100)?;
    mfa::set_email_mfa(db, "u1", true, 101)?;
    seen.push(mfa::email_mfa_enabled(db, "u1")?.to_string());
    seen.push(mfa::email_mfa_enabled(db, "u2")?.to_string());
    mfa::set_email_mfa(db, "u1", false, 102)?;
    seen.push(mfa::email_mfa_enabled(db, "u1")?.to_string());
    // Last: on PostgreSQL the error aborts the transaction.
    mfa::insert_challenge(db, &c("ch3"), 100, 300)?;
    seen.push(duplicate(mfa::insert_challenge(db, &c("ch3"), 101, 301)));
    Ok(seen)
}

#[test]
fn the_mfa_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_mfa_family_answers_the_same_on_both_backends",
        mfa_steps,
        &[
            "None",
            "s1 false 0",
            "s1 true 5",
            "false",
            "false",
            "true",
            "false",
            "s1 true 6",
            "s2 false 0",
            "3",
            "true",
            "false",
            "false",
            "2",
            "1",
            "true",
            "false",
            "None",
            "0",
            "ch1 p u2 verify 95 0",
            "None",
            "None",
            "Some(1)",
            "Some(2)",
            "ch1 p u2 verify 95 2",
            "None",
            "None",
            "true",
            "false",
            "true",
            "false",
            "2",
            "None",
            "2",
            "false",
            "false",
            "true",
            "false",
            "false",
            "unique violation",
        ],
    )
}

/// `verify` reads the factor, checks the code's step is newer, then records it: both racing
/// uses of one code pass the check; the conditional update lets one through.
#[test]
fn concurrent_uses_of_one_totp_step_on_postgres_give_one_success() {
    let both_read = Barrier::new(2);
    one_of_two_wins(
        "concurrent_uses_of_one_totp_step_on_postgres_give_one_success",
        |db| {
            pool_and_users(db)?;
            mfa::put_pending_totp(db, "p", "u1", "s", 100)?;
            mfa::enable_totp(db, "u1", 10)
        },
        |db, _| {
            let fresh = mfa::get_totp(db, "u1")?.expect("the factor").last_step < 11;
            both_read.wait();
            Ok(fresh && mfa::advance_step(db, "u1", 11)?)
        },
    );
}

#[test]
fn concurrent_uses_of_one_recovery_code_on_postgres_give_one_success() {
    one_of_two_wins(
        "concurrent_uses_of_one_recovery_code_on_postgres_give_one_success",
        |db| {
            pool_and_users(db)?;
            mfa::replace_recovery_codes(db, "u1", &["a".to_string(), "b".to_string()])
        },
        |db, i| mfa::use_recovery_code(db, "u1", "a", 120 + i as i64),
    );
}

/// Two wrong answers to one challenge at once, each read at 0 attempts: each is counted, and
/// each sees its own count (exactly one sees the second), not `attempts + 1` of its read.
#[test]
fn concurrent_challenge_failures_on_postgres_are_each_counted() {
    one_of_two_wins(
        "concurrent_challenge_failures_on_postgres_are_each_counted",
        |db| {
            pool_and_users(db)?;
            mfa::insert_challenge(db, &new_challenge("ch", "u1", 0), 100, 400)
        },
        |db, _| Ok(mfa::count_challenge_failure(db, "ch")? == Some(2)),
    );
}

fn risk_row(
    at: i64,
    device: Option<&str>,
    network: &str,
    place: Option<(&str, f64, f64)>,
) -> risk::RiskRow {
    risk::RiskRow {
        pool_id: "p".into(),
        user_id: "u1".into(),
        at,
        level: device.is_none().then(|| "Low".into()),
        decision: "NoRisk".into(),
        action: "NO_ACTION".into(),
        signals: String::new(),
        source: "hosted".into(),
        device_hash: device.map(Into::into),
        network_hash: network.into(),
        device_name: device.map(|d| format!("name of {d}")),
        country: place.map(|p| p.0.into()),
        city: place.map(|p| format!("city in {}", p.0)),
        latitude: place.map(|p| p.1),
        longitude: place.map(|p| p.2),
    }
}

fn risk_steps(db: Sql<'_>) -> Result<Vec<String>, StoreError> {
    pool_and_users(db)?;
    let known = |device, network, country| -> Result<String, StoreError> {
        Ok(format!(
            "{:?}",
            risk::known(db, "u1", device, network, country)?
        ))
    };
    let mut seen = vec![known(Some("d1"), "n1", Some("FR"))?];
    let id1 = risk::insert(
        db,
        &risk_row(1_000, Some("d1"), "n1", Some(("FR", 48.8566, 2.3522))),
    )?;
    let id2 = risk::insert(db, &risk_row(1_010, None, "n2", None))?;
    seen.push(format!("{id1} {id2}"));
    seen.push(format!("{:?}", risk::last_place(db, "u1")?));
    // The newest unlinked row in the window is linked; a success learns what it carries.
    seen.push(format!(
        "{:?}",
        risk::link_event(db, "p", "u1", 7, true, 1_020)?
    ));
    seen.push(known(Some("d1"), "n2", Some("FR"))?);
    seen.push(format!(
        "{:?}",
        risk::link_event(db, "p", "u1", 8, true, 1_030)?
    ));
    seen.push(format!(
        "{:?}",
        risk::link_event(db, "p", "u1", 9, true, 1_030)?
    ));
    seen.push(known(Some("d1"), "n1", Some("FR"))?);
    seen.push(known(None, "n3", None)?);
    seen.push(format!("{:?}", risk::last_place(db, "u1")?));
    // A failure links without learning: the located place stays the learned one's.
    let id3 = risk::insert(
        db,
        &risk_row(5_000, Some("d9"), "n9", Some(("DE", 52.52, 13.405))),
    )?;
    seen.push(format!(
        "{:?}",
        risk::link_event(db, "p", "u1", 10, false, 5_001)?.map(|id| id == id3)
    ));
    seen.push(format!("{:?}", risk::last_place(db, "u1")?));
    seen.push(known(Some("d9"), "n9", Some("DE"))?);
    // Out of the window, or of another pool: nothing to link.
    risk::insert(db, &risk_row(6_000, None, "n1", None))?;
    seen.push(format!(
        "{:?}",
        risk::link_event(db, "q", "u1", 11, true, 6_001)?
    ));
    seen.push(format!(
        "{:?}",
        risk::link_event(db, "p", "u1", 11, true, 6_001 + risk::LINK_WINDOW_SECS)?
    ));
    // The "this wasn't me" link: once, in its pool.
    seen.push(risk::link_open(db, "p", id1)?.to_string());
    seen.push(risk::link_open(db, "q", id1)?.to_string());
    seen.push(format!("{:?}", risk::claim_link(db, id1, 2_000)?));
    seen.push(format!("{:?}", risk::claim_link(db, id1, 2_001)?));
    seen.push(risk::link_open(db, "p", id1)?.to_string());
    seen.push(format!("{:?}", risk::claim_link(db, id3 + 100, 2_000)?));
    // Retention: rows scored and values last seen before 1025 (row 1, row 2, n2).
    seen.push(risk::purge(db, 1_025)?.to_string());
    seen.push(known(Some("d1"), "n2", Some("FR"))?);
    seen.push(risk::link_open(db, "p", id2)?.to_string());
    Ok(seen)
}

#[test]
fn the_risk_family_answers_the_same_on_both_backends() {
    let known = |history, device, network, country| {
        format!(
            "Known {{ history: {history}, device: {device}, network: {network}, country: {country} }}"
        )
    };
    same_on_both_backends(
        "the_risk_family_answers_the_same_on_both_backends",
        risk_steps,
        &[
            &known(false, false, false, false),
            "1 2",
            "None",
            "Some(2)",
            &known(true, false, true, false),
            "Some(1)",
            "None",
            &known(true, true, true, true),
            &known(true, false, false, false),
            "Some((48.8566, 2.3522, 1000))",
            "Some(true)",
            "Some((48.8566, 2.3522, 1000))",
            &known(true, false, false, false),
            "None",
            "None",
            "true",
            "false",
            r#"Some(("p", "u1", Some(8)))"#,
            "None",
            "false",
            "None",
            "3",
            &known(true, true, false, true),
            "false",
        ],
    )
}

#[test]
fn concurrent_uses_of_one_not_me_link_on_postgres_give_it_once() {
    one_of_two_wins(
        "concurrent_uses_of_one_not_me_link_on_postgres_give_it_once",
        |db| {
            pool_and_users(db)?;
            risk::insert(db, &risk_row(1_000, Some("d1"), "n1", None)).map(drop)
        },
        |db, i| Ok(risk::claim_link(db, 1, 2_000 + i as i64)?.is_some()),
    );
}

/// Two audit events linking at once: the first links the row and holds it; the second's
/// statement, started meanwhile, picks the same row (the first is not committed), waits for
/// it, re-checks `event_id IS NULL` and links nothing rather than overwrite the first's link.
#[test]
fn concurrent_links_of_one_risk_row_on_postgres_link_it_once() {
    let first_linked = Barrier::new(2);
    one_of_two_wins(
        "concurrent_links_of_one_risk_row_on_postgres_link_it_once",
        |db| {
            pool_and_users(db)?;
            risk::insert(db, &risk_row(1_000, Some("d1"), "n1", None)).map(drop)
        },
        |db, i| {
            if i == 1 {
                first_linked.wait();
            }
            let linked = risk::link_event(db, "p", "u1", 7 + i as i64, true, 1_010)?.is_some();
            if i == 0 {
                first_linked.wait();
                // Commit once the other's statement is waiting on the row.
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Ok(linked)
        },
    );
}
