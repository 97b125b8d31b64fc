//! The federation, audit, import_jobs store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.

use std::collections::BTreeMap;

use incognito::store::{
    StoreError, audit, federation, federation::IdentityProvider, import_jobs, sql::Sql,
};

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

fn event(
    at: i64,
    pool: Option<&str>,
    action: &str,
    target: Option<&str>,
    outcome: &str,
) -> audit::AuditRow {
    audit::AuditRow {
        at,
        pool_id: pool.map(str::to_string),
        actor: "cli".into(),
        door: "hosted".into(),
        action: action.into(),
        target: target.map(str::to_string),
        source: Some("127.0.0.1".into()),
        outcome: outcome.into(),
    }
}

#[test]
fn the_audit_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_audit_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            // u3 signs in through an identity provider.
            db.execute(
                "INSERT INTO users (id, pool_id, username, status, attributes, created_at, updated_at)
                 VALUES ('u3', 'p', 'u3', 'EXTERNAL_PROVIDER', '{}', 0, 0)",
                &[],
            )?;
            // Ids 1..=8 on both engines.
            for e in [
                event(100, Some("p"), "sign_in", Some("u1"), "success"),
                event(100, Some("p"), "sign_in", Some("u1"), "challenge"),
                event(
                    110,
                    Some("p"),
                    "sign_in",
                    Some("u2"),
                    "NotAuthorizedException",
                ),
                event(110, Some("p"), "sign_in", Some("u1"), "success"),
                event(120, Some("p"), "refresh", Some("u2"), "success"),
                event(130, Some("p"), "sign_in", Some("u3"), "success"),
                event(140, None, "pool.create", None, "success"),
                event(150, Some("p"), "sign_in", Some("gone"), "success"),
            ] {
                audit::insert(db, &e)?;
            }
            let show = |rows: Vec<audit::AuditRow>| {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}:{}:{}:{}",
                            r.at,
                            r.pool_id.as_deref().unwrap_or("-"),
                            r.action,
                            r.target.as_deref().unwrap_or("-")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let list = |pool_id, since, action, limit| {
                audit::list(
                    db,
                    &audit::Filter {
                        pool_id,
                        since,
                        action,
                        limit,
                    },
                )
                .map(show)
            };
            let mut seen = vec![
                list(None, None, None, 3)?,
                list(Some("p"), Some(120), None, 10)?,
                list(None, None, Some("refresh"), 10)?,
                list(Some("q"), None, None, 10)?,
            ];
            seen.push(format!(
                "{:?} {:?} {:?}",
                audit::active_users(db, "p", &["sign_in", "refresh"], 100, 151)?,
                audit::active_users(db, "p", &["sign_in"], 100, 150)?,
                audit::active_users(db, "p", &[], 0, 1_000)?
            ));
            // Feedback and risk rows join the sign-in history; pages go by (at, id).
            audit::put_feedback(db, "p", 1, "u1", "Invalid", 200)?;
            audit::put_feedback(db, "p", 1, "u1", "Valid", 210)?;
            db.execute(
                "INSERT INTO sign_in_risk (pool_id, user_id, at, level, decision, action, signals, source,
                                           network_hash, device_name, country, city, event_id)
                 VALUES ('p', 'u1', 110, 'High', 'AccountTakeover', 'BLOCK', 'new_device', '10.0.0.1',
                         'n', 'phone', 'NL', 'Delft', 4)",
                &[],
            )?;
            let show_sign_ins = |rows: Vec<audit::SignInRow>| {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}:{}:{}:{:?}:{:?}",
                            r.id, r.at, r.outcome, r.feedback, r.risk
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            seen.push(show_sign_ins(audit::sign_ins_of(
                db, "p", "u1", "sign_in", None, 10,
            )?));
            seen.push(show_sign_ins(audit::sign_ins_of(
                db,
                "p",
                "u1",
                "sign_in",
                Some(audit::Before { at: 110, id: 4 }),
                10,
            )?));
            seen.push(show_sign_ins(audit::sign_ins_of(
                db, "p", "u1", "sign_in", None, 1,
            )?));
            seen.push(format!(
                "{:?} {:?} {:?} {:?}",
                audit::sign_in_target(db, "p", "sign_in", 4)?,
                audit::sign_in_target(db, "p", "sign_in", 2)?,
                audit::sign_in_target(db, "q", "sign_in", 4)?,
                audit::sign_in_target(db, "p", "refresh", 4)?
            ));
            seen.push(format!(
                "{} {}",
                audit::purge_before(db, 120)?,
                list(None, None, None, 10)?
            ));
            Ok(seen)
        },
        &[
            "150:p:sign_in:gone 140:-:pool.create:- 130:p:sign_in:u3",
            "150:p:sign_in:gone 130:p:sign_in:u3 120:p:refresh:u2",
            "120:p:refresh:u2",
            "",
            "(3, 1) (1, 1) (0, 0)",
            r#"4:110:success:None:Some(RiskColumns { level: Some("High"), decision: "AccountTakeover", action: "BLOCK", signals: "new_device", device_name: Some("phone"), country: Some("NL"), city: Some("Delft"), source: "10.0.0.1" }) 1:100:success:Some(("Valid", 210)):None"#,
            r#"1:100:success:Some(("Valid", 210)):None"#,
            r#"4:110:success:None:Some(RiskColumns { level: Some("High"), decision: "AccountTakeover", action: "BLOCK", signals: "new_device", device_name: Some("phone"), country: Some("NL"), city: Some("Delft"), source: "10.0.0.1" })"#,
            r#"Some("u1") None None None"#,
            "4 150:p:sign_in:gone 140:-:pool.create:- 130:p:sign_in:u3 120:p:refresh:u2",
        ],
    );
}

fn job(id: &str, created_at: i64) -> import_jobs::Job {
    import_jobs::Job {
        id: id.into(),
        pool_id: "p".into(),
        name: format!("job {id}"),
        role_arn: "arn:aws:iam::123456789012:role/x".into(),
        status: "Created".into(),
        upload_expires_at: created_at + 900,
        rows_done: 0,
        imported: 0,
        skipped: 0,
        failed: 0,
        message: String::new(),
        created_at,
        started_at: None,
        completed_at: None,
        uploaded: false,
    }
}

fn show_job(j: &import_jobs::Job) -> String {
    format!(
        "{}:{}:{}:{}/{}/{}/{}:{:?}:{:?}:{}:{}",
        j.id,
        j.status,
        j.uploaded,
        j.rows_done,
        j.imported,
        j.skipped,
        j.failed,
        j.started_at,
        j.completed_at,
        j.message,
        j.created_at
    )
}

#[test]
fn the_import_jobs_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_import_jobs_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            import_jobs::insert(db, &job("import-b", 100), "hash-b")?;
            import_jobs::insert(db, &job("import-a", 100), "hash-a")?;
            import_jobs::insert(db, &job("import-c", 200), "hash-c")?;
            let list = |limit, offset| -> Result<String, StoreError> {
                Ok(import_jobs::list(db, "p", limit, offset)?
                    .iter()
                    .map(|j| j.id.as_str().to_owned())
                    .collect::<Vec<_>>()
                    .join(" "))
            };
            let get = |id| -> Result<String, StoreError> {
                Ok(import_jobs::get(db, "p", id)?
                    .map(|j| show_job(&j))
                    .unwrap_or_default())
            };
            // Newest first; one second's jobs by id, descending.
            let mut seen = vec![list(10, 0)?, list(2, 1)?];
            // The upload: once, with its token, before it expires.
            let csv: &[u8] = b"cognito:username\nann\n";
            seen.push(format!(
                "{} {} {} {}",
                import_jobs::claim_upload(db, "import-a", "hash-b", csv, 150)?,
                import_jobs::claim_upload(db, "import-a", "hash-a", csv, 1_000)?,
                import_jobs::claim_upload(db, "import-a", "hash-a", csv, 150)?,
                import_jobs::claim_upload(db, "import-a", "hash-a", csv, 150)?
            ));
            seen.push(format!(
                "{:?} {:?}",
                import_jobs::csv(db, "import-a")?.map(String::from_utf8),
                import_jobs::csv(db, "import-b")?
            ));
            // Start, take once, record batches from their resume point only.
            seen.push(format!(
                "{} {} {}",
                import_jobs::transition(db, "import-a", &["Pending"], "InProgress", 300)?,
                import_jobs::transition(db, "import-a", &["Created"], "Pending", 300)?,
                import_jobs::transition(db, "import-a", &[], "Pending", 300)?
            ));
            seen.push(get("import-a")?);
            seen.push(format!(
                "{:?} {:?}",
                import_jobs::take(db, "import-a")?.map(|j| show_job(&j)),
                import_jobs::take(db, "import-a")?.map(|j| show_job(&j))
            ));
            seen.push(format!(
                "{} {} {}",
                import_jobs::record_batch(db, "import-a", 0, 500, [498, 1, 1], "{\"row\":2}\n")?,
                import_jobs::record_batch(db, "import-a", 0, 500, [500, 0, 0], "lost\n")?,
                import_jobs::record_batch(db, "import-a", 500, 3, [1, 2, 0], "{\"row\":501}\n")?
            ));
            seen.push(get("import-a")?);
            seen.push(format!("{:?}", import_jobs::running(db)?));
            import_jobs::transition(db, "import-c", &["Created"], "Pending", 310)?;
            seen.push(format!("{:?}", import_jobs::running(db)?));
            import_jobs::finish(
                db,
                "import-a",
                "Succeeded",
                "Import Job Completed Successfully.",
                400,
            )?;
            seen.push(get("import-a")?);
            seen.push(format!(
                "{:?} {:?} {:?}",
                import_jobs::report(db, "p", "import-a")?,
                import_jobs::report(db, "q", "import-a")?,
                import_jobs::csv(db, "import-a")?
            ));
            seen.push(format!("{:?}", import_jobs::running(db)?));
            seen.push(get("import-x")?);
            // Unique violations last: PostgreSQL takes no statement after one.
            seen.push(duplicate(import_jobs::insert(
                db,
                &job("import-a", 500),
                "h",
            )));
            Ok(seen)
        },
        &[
            "import-c import-b import-a",
            "import-b import-a",
            "false false true false",
            r#"Some(Ok("cognito:username\nann\n")) None"#,
            "false true false",
            "import-a:Pending:true:0/0/0/0:Some(300):None::100",
            r#"Some("import-a:InProgress:true:0/0/0/0:Some(300):None::100") None"#,
            "true false true",
            "import-a:InProgress:true:503/499/3/1:Some(300):None::100",
            r#"[("p", "import-a")]"#,
            r#"[("p", "import-a"), ("p", "import-c")]"#,
            "import-a:Succeeded:false:503/499/3/1:Some(300):Some(400):Import Job Completed Successfully.:100",
            r#"Some("{\"row\":2}\n{\"row\":501}\n") None None"#,
            r#"[("p", "import-c")]"#,
            "",
            "unique violation",
        ],
    );
}

/// Two instances starting one import job (StartUserImportJob's thread on one, a restart's
/// resume on the other): one takes it.
#[test]
fn concurrent_takes_of_one_import_job_on_postgres_give_one_runner() {
    let won = successes_of_two_racing_takes(
        "concurrent_takes_of_one_import_job_on_postgres_give_one_runner",
        |db: Sql<'_>| {
            pool_and_users(db)?;
            import_jobs::insert(db, &job("import-a", 100), "h")?;
            import_jobs::claim_upload(db, "import-a", "h", b"cognito:username\n", 150)?;
            import_jobs::transition(db, "import-a", &["Created"], "Pending", 160)?;
            Ok(())
        },
        |db, _| Ok(import_jobs::take(db, "import-a")?.is_some()),
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

/// Two runners of one job recording the same batch (two instances resuming it): one records it.
#[test]
fn concurrent_records_of_one_import_batch_on_postgres_give_one_success() {
    let won = successes_of_two_racing_takes(
        "concurrent_records_of_one_import_batch_on_postgres_give_one_success",
        |db: Sql<'_>| {
            pool_and_users(db)?;
            import_jobs::insert(db, &job("import-a", 100), "h")
        },
        |db, i| import_jobs::record_batch(db, "import-a", 0, 500, [500, 0, 0], &format!("{i}\n")),
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}
