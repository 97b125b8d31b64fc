//! The PostgreSQL backend's foundations (issue #18): the throwaway cluster, migrations under an
//! advisory lock, and the schema parity of the two dialects. Plain `#[test]`s: the blocking
//! `postgres` client runs a runtime of its own, which may not start inside another.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use incognito::store::{
    self, StoreError, clients, code_send_limits, codes, email_codes, keys, outbox, pools,
    postgres::PgStore, resource_servers, saml, sessions, sql::Sql, throttle,
};

use crate::pg;

/// Per table: its columns in order, its explicit indexes, its triggers.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: Vec<String>,
    indexes: BTreeSet<String>,
    triggers: BTreeSet<String>,
}

fn sqlite_catalog(path: &Path) -> BTreeMap<String, Table> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    let mut columns = db
        .prepare(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
        )
        .unwrap();
    for row in columns
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (table, column) = row.unwrap();
        out.entry(table).or_default().columns.push(column);
    }
    // `sql IS NULL`: the indexes SQLite makes for PRIMARY KEY and UNIQUE by itself.
    let mut others = db
        .prepare("SELECT type, tbl_name, name FROM sqlite_master WHERE (type = 'index' AND sql IS NOT NULL) OR type = 'trigger'")
        .unwrap();
    for row in others
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap()
    {
        let (kind, table, name) = row.unwrap();
        let t = out.entry(table).or_default();
        if kind == "index" {
            t.indexes.insert(name);
        } else {
            t.triggers.insert(name);
        }
    }
    out
}

fn postgres_catalog(pg: &PgStore) -> BTreeMap<String, Table> {
    let mut client = pg.client().unwrap();
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    // schema_migrations is the bookkeeping SQLite keeps in `PRAGMA user_version`.
    for row in client
        .query(
            "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .unwrap()
    {
        out.entry(row.get(0)).or_default().columns.push(row.get(1));
    }
    // Indexes that back no constraint: the ones a migration created by name.
    for row in client
        .query(
            "SELECT t.relname::TEXT, i.relname::TEXT FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = current_schema()
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            &[],
        )
        .unwrap()
    {
        out.entry(row.get(0))
            .or_default()
            .indexes
            .insert(row.get(1));
    }
    for row in client
        .query(
            "SELECT DISTINCT event_object_table::TEXT, trigger_name::TEXT
             FROM information_schema.triggers WHERE trigger_schema = current_schema()",
            &[],
        )
        .unwrap()
    {
        out.entry(row.get(0))
            .or_default()
            .triggers
            .insert(row.get(1));
    }
    out
}

/// A fresh database on the test cluster and a pool on it (None: skipped, no PostgreSQL).
pub(crate) fn fresh_postgres(test: &str) -> Option<(pg::TestDatabase, PgStore)> {
    let db = pg::database(test)?;
    let store = PgStore::connect(&db.url, 2).expect("a pool");
    Some((db, store))
}

/// The same, migrated to this build's schema.
pub(crate) fn migrated_postgres(test: &str) -> Option<(pg::TestDatabase, PgStore)> {
    let (db, store) = fresh_postgres(test)?;
    store.migrate().expect("migrated");
    Some((db, store))
}

#[test]
fn the_test_cluster_starts_in_a_few_seconds() {
    let Some(cluster) = pg::cluster("the_test_cluster_starts_in_a_few_seconds") else {
        return;
    };
    eprintln!(
        "PostgreSQL test cluster started in {:?}",
        cluster.started_in
    );
    assert!(
        cluster.started_in.as_secs() < 10,
        "{:?}",
        cluster.started_in
    );
    let mut admin = cluster.admin().unwrap();
    let version: String = admin.query_one("SHOW server_version", &[]).unwrap().get(0);
    assert!(!version.is_empty());
}

#[test]
fn sqlite_and_postgres_migrate_to_the_same_tables_and_columns() {
    let Some((_db, pg)) =
        fresh_postgres("sqlite_and_postgres_migrate_to_the_same_tables_and_columns")
    else {
        return;
    };
    let known = store::migration_names().count() as i64;
    assert_eq!(
        pg.migrate().unwrap(),
        store::Migrated { from: 0, to: known }
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incognito.sqlite3");
    assert_eq!(
        store::migrate_sqlite(&path).unwrap(),
        store::Migrated { from: 0, to: known }
    );

    let lite = sqlite_catalog(&path);
    let post = postgres_catalog(&pg);
    assert!(lite.len() > 30, "{:?}", lite.keys());
    let lite_tables: Vec<_> = lite.keys().collect();
    let post_tables: Vec<_> = post.keys().collect();
    assert_eq!(
        lite_tables, post_tables,
        "the two dialects make different tables: a migration without its twin?"
    );
    for (name, table) in &lite {
        assert_eq!(
            Some(table),
            post.get(name),
            "table {name}: SQLite (left) and PostgreSQL (right) differ"
        );
    }
}

#[test]
fn every_sqlite_migration_has_a_postgres_twin_that_applies() {
    let Some(db) = pg::database("every_sqlite_migration_has_a_postgres_twin_that_applies") else {
        return;
    };
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".sql").map(str::to_string)
            })
            .collect()
    };
    let lite = names("migrations");
    let post = names("migrations/postgres");
    let missing: Vec<_> = lite.difference(&post).collect();
    assert!(missing.is_empty(), "no PostgreSQL twin for {missing:?}");
    let extra: Vec<_> = post.difference(&lite).collect();
    assert!(extra.is_empty(), "no SQLite migration for {extra:?}");
    let listed: BTreeSet<String> = store::migration_names().map(str::to_string).collect();
    assert_eq!(listed, lite, "every SQLite migration file is in the list");

    // Every file applies in order to an empty database.
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    for name in &post {
        let sql = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("migrations/postgres/{name}.sql")),
        )
        .unwrap();
        let mut tx = client.transaction().unwrap();
        tx.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("migrations/postgres/{name}.sql: {e}"));
        tx.commit().unwrap();
    }
}

#[test]
fn instances_migrating_together_apply_each_migration_once() {
    let Some((_db, pg)) = fresh_postgres("instances_migrating_together_apply_each_migration_once")
    else {
        return;
    };
    let known = store::migration_names().count() as i64;
    let runs: Vec<store::Migrated> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| pg.migrate().unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // One run applied everything; the others found it done.
    assert_eq!(runs.iter().filter(|m| m.from == 0).count(), 1, "{runs:?}");
    assert!(runs.iter().all(|m| m.to == known), "{runs:?}");
    let mut client = pg.client().unwrap();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, known);
    assert_eq!(
        pg.migrate().unwrap(),
        store::Migrated {
            from: known,
            to: known
        }
    );
}

#[test]
fn a_database_from_a_newer_or_different_build_is_refused() {
    let Some((_db, pg)) =
        migrated_postgres("a_database_from_a_newer_or_different_build_is_refused")
    else {
        return;
    };
    let known = store::migration_names().count() as i64;
    let mut client = pg.client().unwrap();
    client
        .execute(
            "INSERT INTO schema_migrations (position, name, applied_at) VALUES ($1, '9999_future', 0)",
            &[&(known + 1)],
        )
        .unwrap();
    match pg.migrate() {
        Err(StoreError::TooNew { found, known: k }) => {
            assert_eq!((found, k), (known + 1, known))
        }
        other => panic!("{other:?}"),
    }
    client
        .execute(
            "DELETE FROM schema_migrations WHERE position = $1",
            &[&(known + 1)],
        )
        .unwrap();
    client
        .execute(
            "UPDATE schema_migrations SET name = '0002_something_else' WHERE position = 2",
            &[],
        )
        .unwrap();
    let err = pg.migrate().unwrap_err();
    assert!(
        matches!(err, StoreError::MigrationMismatch { position: 2, .. }),
        "{err:?}"
    );
}

/// The throttle family's steps in one transaction, on either backend: what each step answered.
fn throttle_steps(db: Sql<'_>) -> Result<Vec<String>, StoreError> {
    let mut seen = vec![format!("{:?}", throttle::get(db, "p", "alice")?)];
    for _ in 0..3 {
        seen.push(throttle::count_failure(db, "p", "alice")?.to_string());
    }
    throttle::lock_until(db, "p", "alice", 100)?;
    // A shorter lock never shortens a longer one.
    throttle::lock_until(db, "p", "alice", 50)?;
    seen.push(format!("{:?}", throttle::get(db, "p", "alice")?));
    seen.push(format!("{:?}", throttle::get(db, "p", "bob")?));
    throttle::clear(db, "p", "alice")?;
    seen.push(format!("{:?}", throttle::get(db, "p", "alice")?));
    Ok(seen)
}

/// Runs `steps` in one write on a fresh SQLite store and on a fresh, migrated PostgreSQL
/// database, and checks that both answer `expected` step by step.
pub(crate) fn same_on_both_backends(
    test: &str,
    steps: impl Fn(Sql<'_>) -> Result<Vec<String>, StoreError> + Sync,
    expected: &[&str],
) {
    let Some((_db, pg)) = migrated_postgres(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = store::Store::open(&dir.path().join("incognito.sqlite3"), 2).unwrap();
    let on_sqlite = lite.write_sync(|db| steps(db.into())).unwrap();
    assert_eq!(on_sqlite, expected, "on SQLite");
    let on_postgres = pg.write_sync(&steps).unwrap();
    assert_eq!(on_postgres, expected, "on PostgreSQL");
}

/// Rows the families under test refer to: pool `p` with users `u1` and `u2`, written through
/// the seam (the users family is not ported yet).
pub(crate) fn pool_and_users(db: Sql<'_>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO pools (id, name, settings, created_at, updated_at) VALUES ('p', 'P', '{}', 0, 0)",
        &[],
    )?;
    for id in ["u1", "u2"] {
        db.execute(
            "INSERT INTO users (id, pool_id, username, status, attributes, created_at, updated_at)
             VALUES (?1, 'p', ?1, 'CONFIRMED', '{}', 0, 0)",
            &[&id],
        )?;
    }
    Ok(())
}

#[test]
fn the_throttle_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_throttle_family_answers_the_same_on_both_backends",
        throttle_steps,
        &["None", "1", "2", "3", "Some((3, 100))", "None", "None"],
    );
}

#[test]
fn the_code_send_limits_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_code_send_limits_family_answers_the_same_on_both_backends",
        |db| {
            let count = |subject, now| code_send_limits::count(db, "p", subject, 60, now);
            let mut seen = vec![];
            for now in [1000, 1001, 1059] {
                seen.push(count("ip:a", now)?.to_string());
            }
            // A window ends at now + 60 exactly: the next request starts a new one.
            seen.push(count("ip:a", 1060)?.to_string());
            seen.push(count("ip:b", 1030)?.to_string());
            // b's window (ending 1090) has ended by 1100, a's (ending 1120) has not.
            seen.push(code_send_limits::purge_expired(db, 1100)?.to_string());
            seen.push(count("ip:a", 1100)?.to_string());
            seen.push(count("ip:b", 1100)?.to_string());
            seen.push(code_send_limits::purge_expired(db, 1120)?.to_string());
            Ok(seen)
        },
        &["1", "2", "3", "1", "1", "1", "2", "1", "1"],
    )
}

#[test]
fn the_email_codes_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_email_codes_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let current = |user, purpose| -> Result<String, StoreError> {
                Ok(match email_codes::current(db, user, purpose)? {
                    Some(c) => format!(
                        "{} {} {} {}",
                        c.code_hash, c.attempts, c.created_at, c.expires_at
                    ),
                    None => "None".into(),
                })
            };
            let mut seen = vec![current("u1", "reset_password")?];
            email_codes::replace(db, "p", "u1", "reset_password", "h1", 100, 200)?;
            email_codes::replace(db, "p", "u1", "confirm_signup", "c1", 100, 200)?;
            // A newer code replaces the older one of the same purpose only.
            email_codes::replace(db, "p", "u1", "reset_password", "h2", 110, 210)?;
            let id = email_codes::current(db, "u1", "reset_password")?
                .unwrap()
                .id;
            email_codes::record_attempt(db, id)?;
            email_codes::record_attempt(db, id)?;
            seen.push(current("u1", "reset_password")?);
            seen.push(current("u1", "confirm_signup")?);
            seen.push(current("u2", "reset_password")?);
            // Single use: of two consumes, one wins; a consumed code is no longer current.
            seen.push(email_codes::consume(db, id, 120)?.to_string());
            seen.push(email_codes::consume(db, id, 121)?.to_string());
            seen.push(current("u1", "reset_password")?);
            // Purged a day after expiry: at 200 + 86400 nothing, one second later both of u1's.
            seen.push(email_codes::purge_expired(db, 200 + 86_400)?.to_string());
            seen.push(email_codes::purge_expired(db, 211 + 86_400)?.to_string());
            seen.push(current("u1", "confirm_signup")?);
            Ok(seen)
        },
        &[
            "None",
            "h2 2 110 210",
            "c1 0 100 200",
            "None",
            "true",
            "false",
            "None",
            "0",
            "2",
            "None",
        ],
    )
}

#[test]
fn concurrent_failures_on_postgres_are_each_counted_once() {
    let Some((_db, pg)) =
        migrated_postgres("concurrent_failures_on_postgres_are_each_counted_once")
    else {
        return;
    };
    // Two "instances" (threads with their own connections) counting at once: the upsert
    // hands out every count exactly once, with no write gate between them.
    let mut counts: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    (0..25)
                        .map(|_| {
                            pg.write_sync(|db| throttle::count_failure(db, "p", "carol"))
                                .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    counts.sort();
    assert_eq!(counts, (1..=50).collect::<Vec<i64>>());
}

#[test]
fn a_postgres_write_that_fails_or_panics_leaves_nothing_and_no_open_transaction() {
    let Some(db) = pg::database("a_postgres_write_that_fails_or_panics_leaves_nothing") else {
        return;
    };
    // One connection: whatever a failed write left on it, the next use meets.
    let pg = PgStore::connect(&db.url, 1).unwrap();
    pg.migrate().unwrap();
    let failed: Result<(), StoreError> = pg.write_sync(|db| {
        throttle::count_failure(db, "p", "dave")?;
        Err(StoreError::WriterBusy)
    });
    assert!(failed.is_err());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pg.write_sync(|db| -> Result<(), StoreError> {
            throttle::count_failure(db, "p", "dave")?;
            panic!("a bug in the middle of a write");
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(
        pg.read_sync(|db| throttle::get(db, "p", "dave")).unwrap(),
        None
    );
    // Inside the failed write's transaction, the insert above would have an xid and the
    // read would have seen its row; the connection is back in autocommit.
    let no_xid: bool = pg
        .client()
        .unwrap()
        .query_one("SELECT txid_current_if_assigned() IS NULL", &[])
        .unwrap()
        .get(0);
    assert!(no_xid);
    assert_eq!(
        pg.write_sync(|db| throttle::count_failure(db, "p", "dave"))
            .unwrap(),
        1
    );
}

fn auth_code(hash: &str, expires_at: i64) -> codes::AuthCode {
    codes::AuthCode {
        code_hash: hash.into(),
        pool_id: "p".into(),
        client_id: "c".into(),
        user_id: "u1".into(),
        redirect_uri: "https://rp/cb".into(),
        scope: "openid".into(),
        nonce: None,
        code_challenge: Some("ch".into()),
        auth_time: 90,
        amr: r#"["pwd"]"#.into(),
        created_at: 100,
        expires_at,
        consumed_at: None,
        family_id: None,
    }
}

#[test]
fn the_auth_codes_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_auth_codes_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let get = |pool, hash| -> Result<String, StoreError> {
                Ok(match codes::get(db, pool, hash)? {
                    Some(c) => format!(
                        "{} {} {} {} {:?} {:?} {} {} {} {:?} {:?}",
                        c.client_id,
                        c.user_id,
                        c.redirect_uri,
                        c.scope,
                        c.nonce,
                        c.code_challenge,
                        c.auth_time,
                        c.amr,
                        c.expires_at,
                        c.consumed_at,
                        c.family_id
                    ),
                    None => "None".into(),
                })
            };
            let mut seen = vec![get("p", "h1")?];
            codes::insert(db, &auth_code("h1", 160))?;
            codes::insert(
                db,
                &codes::AuthCode {
                    nonce: Some("n".into()),
                    code_challenge: None,
                    ..auth_code("h2", 170)
                },
            )?;
            seen.push(get("p", "h1")?);
            seen.push(get("p", "h2")?);
            // A code of another pool is not found.
            seen.push(get("q", "h1")?);
            // Single use: the first redemption wins and records its family.
            seen.push(codes::mark_consumed(db, "h1", "fam-a", 120)?.to_string());
            seen.push(codes::mark_consumed(db, "h1", "fam-b", 121)?.to_string());
            seen.push(get("p", "h1")?);
            // Kept an hour past expiry (a replay is still recognised), then purged.
            seen.push(codes::purge_expired(db, 160 + 3600)?.to_string());
            seen.push(codes::purge_expired(db, 161 + 3600)?.to_string());
            seen.push(get("p", "h1")?);
            seen.push(get("p", "h2")?.split(' ').next().unwrap().to_string());
            Ok(seen)
        },
        &[
            "None",
            r#"c u1 https://rp/cb openid None Some("ch") 90 ["pwd"] 160 None None"#,
            r#"c u1 https://rp/cb openid Some("n") None 90 ["pwd"] 170 None None"#,
            "None",
            "true",
            "false",
            r#"c u1 https://rp/cb openid None Some("ch") 90 ["pwd"] 160 Some(120) Some("fam-a")"#,
            "0",
            "1",
            "None",
            "c",
        ],
    )
}

/// Two "instances" (threads with connections of their own) each running `take` in a write
/// transaction of their own, at the same time, on a database `setup` prepared: how many of
/// the two got something. None: skipped, no PostgreSQL.
pub(crate) fn successes_of_two_racing_takes(
    test: &str,
    setup: impl FnOnce(Sql<'_>) -> Result<(), StoreError>,
    take: impl Fn(Sql<'_>, usize) -> Result<bool, StoreError> + Sync,
) -> Option<usize> {
    let (_db, pg) = migrated_postgres(test)?;
    pg.write_sync(setup).unwrap();
    let (pg, take) = (&pg, &take);
    let barrier = &std::sync::Barrier::new(2);
    let won: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                s.spawn(move || {
                    barrier.wait();
                    pg.write_sync(|db| take(db, i)).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    Some(won.iter().filter(|w| **w).count())
}

#[test]
fn concurrent_redemptions_of_one_code_on_postgres_give_one_success() {
    let won = successes_of_two_racing_takes(
        "concurrent_redemptions_of_one_code_on_postgres_give_one_success",
        |db| {
            pool_and_users(db)?;
            codes::insert(db, &auth_code("h", 1_000))
        },
        |db, i| codes::mark_consumed(db, "h", &format!("fam-{i}"), 120),
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

#[test]
fn the_signing_keys_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_signing_keys_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let key = |kid: &str, created_at, active| keys::KeyRow {
                kid: kid.into(),
                alg: "RS256".into(),
                private_jwk: format!("priv-{kid}"),
                public_jwk: format!("pub-{kid}"),
                created_at,
                active,
                retired_at: None,
            };
            let show = |rows: Vec<keys::KeyRow>| {
                rows.iter()
                    .map(|k| {
                        format!(
                            "{}:{}:{}:{}:{}:{:?}",
                            k.kid, k.alg, k.public_jwk, k.created_at, k.active, k.retired_at
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let mut seen = vec![show(keys::published(db, "p", 0)?)];
            keys::insert(db, "p", &key("ka", 100, true))?;
            seen.push(show(keys::published(db, "p", 0)?));
            // Rotation: the active key is retired (BOOLEAN false, a time), a new one signs.
            keys::retire_active(db, "p", 200)?;
            keys::insert(db, "p", &key("kb", 200, true))?;
            keys::insert(db, "p", &key("kc", 200, false))?;
            seen.push(show(keys::published(db, "p", 150)?));
            seen.push(show(keys::published(db, "p", 201)?));
            seen.push(show(keys::list_all(db, "p")?));
            seen.push(show(keys::list_all(db, "q")?));
            Ok(seen)
        },
        &[
            "",
            "ka:RS256:pub-ka:100:true:None",
            "kb:RS256:pub-kb:200:true:None ka:RS256:pub-ka:100:false:Some(200)",
            "kb:RS256:pub-kb:200:true:None",
            "kb:RS256:pub-kb:200:true:None kc:RS256:pub-kc:200:false:None ka:RS256:pub-ka:100:false:Some(200)",
            "",
        ],
    )
}

/// What a write that should break a unique constraint did.
pub(crate) fn duplicate(result: Result<(), StoreError>) -> String {
    match result {
        Ok(()) => "written".into(),
        Err(e) if e.is_unique_violation() => "unique violation".into(),
        Err(e) => format!("{e}"),
    }
}

fn pool(id: &str, created_at: i64) -> incognito::pools::Pool {
    let mut settings = incognito::pools::PoolSettings::default();
    settings.branding.display_name = Some(format!("Pool {id}"));
    incognito::pools::Pool {
        id: id.into(),
        name: id.to_uppercase(),
        settings,
        created_at,
        updated_at: created_at,
    }
}

#[test]
fn the_pools_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_pools_family_answers_the_same_on_both_backends",
        |db| {
            let show = |p: &incognito::pools::Pool| {
                format!(
                    "{}:{}:{}:{}:{}",
                    p.id,
                    p.name,
                    p.display_name(),
                    p.created_at,
                    p.updated_at
                )
            };
            let list = || -> Result<String, StoreError> {
                Ok(pools::list(db)?
                    .iter()
                    .map(show)
                    .collect::<Vec<_>>()
                    .join(" "))
            };
            let mut seen = vec![
                format!("{:?}", pools::get(db, "a")?.map(|p| show(&p))),
                list()?,
            ];
            pools::insert(db, &pool("a", 20))?;
            pools::insert(db, &pool("c", 10))?;
            pools::insert(db, &pool("b", 10))?;
            seen.push(list()?);
            let mut a = pool("a", 20);
            a.name = "Renamed".into();
            a.updated_at = 25;
            seen.push(pools::update(db, &a)?.to_string());
            seen.push(pools::update(db, &pool("z", 1))?.to_string());
            seen.push(pools::get(db, "a")?.map(|p| show(&p)).unwrap_or_default());
            // Adding a scope twice keeps one.
            for scope in ["api/write", "api/read", "api/read"] {
                pools::add_resource_scope(db, "a", scope)?;
            }
            seen.push(pools::resource_scopes(db, "a")?.join(" "));
            seen.push(pools::resource_scopes(db, "b")?.join(" "));
            seen.push(pools::delete(db, "a")?.to_string());
            seen.push(pools::delete(db, "a")?.to_string());
            // A pool's scopes go with it.
            seen.push(pools::resource_scopes(db, "a")?.join(" "));
            seen.push(list()?);
            // A second pool with the same id is a unique violation on both engines. Last: on
            // PostgreSQL a failed statement leaves the transaction good for nothing but rollback.
            seen.push(duplicate(pools::insert(db, &pool("b", 30))));
            Ok(seen)
        },
        &[
            "None",
            "",
            "b:B:Pool b:10:10 c:C:Pool c:10:10 a:A:Pool a:20:20",
            "true",
            "false",
            "a:Renamed:Pool a:20:25",
            "api/read api/write",
            "",
            "true",
            "false",
            "",
            "b:B:Pool b:10:10 c:C:Pool c:10:10",
            "unique violation",
        ],
    )
}

fn client(id: &str, secret_hash: Option<&str>, created_at: i64) -> incognito::pools::Client {
    incognito::pools::Client {
        id: id.into(),
        pool_id: "p".into(),
        name: format!("App {id}"),
        secret_hash: secret_hash.map(str::to_string),
        settings: incognito::pools::ClientSettings::default(),
        created_at,
        updated_at: created_at,
    }
}

#[test]
fn the_clients_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_clients_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let show = |c: &incognito::pools::Client| {
                format!(
                    "{}:{}:{}:{:?}:{}:{}",
                    c.id, c.pool_id, c.name, c.secret_hash, c.created_at, c.updated_at
                )
            };
            let get = |pool, id| -> Result<String, StoreError> {
                Ok(format!(
                    "{:?}",
                    clients::get(db, pool, id)?.map(|c| show(&c))
                ))
            };
            let list = || -> Result<String, StoreError> {
                Ok(clients::list(db, "p")?
                    .iter()
                    .map(show)
                    .collect::<Vec<_>>()
                    .join(" "))
            };
            let mut seen = vec![get("p", "c1")?, list()?];
            clients::insert(db, &client("c2", None, 10))?;
            clients::insert(db, &client("c1", Some("h1"), 10))?;
            clients::insert(db, &client("c3", None, 5))?;
            seen.push(list()?);
            // A client id of another pool is not found there.
            seen.push(get("q", "c1")?);
            let mut c1 = client("c1", None, 10);
            c1.name = "Renamed".into();
            c1.updated_at = 30;
            clients::update(db, &c1)?;
            seen.push(get("p", "c1")?);
            // A row never updated since before 0008 has no updated_at: its creation time stands in.
            db.execute(
                "INSERT INTO clients (id, pool_id, name, secret_hash, settings, created_at, updated_at)
                 VALUES ('c4', 'p', 'Old', NULL, '{}', 40, NULL)",
                &[],
            )?;
            seen.push(get("p", "c4")?);
            seen.push(clients::delete(db, "q", "c1")?.to_string());
            seen.push(clients::delete(db, "p", "c1")?.to_string());
            seen.push(list()?);
            seen.push(duplicate(clients::insert(db, &client("c2", None, 50))));
            Ok(seen)
        },
        &[
            "None",
            "",
            "c3:p:App c3:None:5:5 c1:p:App c1:Some(\"h1\"):10:10 c2:p:App c2:None:10:10",
            "None",
            "Some(\"c1:p:Renamed:None:10:30\")",
            "Some(\"c4:p:Old:None:40:40\")",
            "false",
            "true",
            "c3:p:App c3:None:5:5 c2:p:App c2:None:10:10 c4:p:Old:None:40:40",
            "unique violation",
        ],
    )
}

fn resource_server(
    identifier: &str,
    created_at: i64,
    scopes: &[(&str, &str)],
) -> incognito::pools::resource_servers::ResourceServer {
    incognito::pools::resource_servers::ResourceServer {
        pool_id: "p".into(),
        identifier: identifier.into(),
        name: identifier.to_uppercase(),
        scopes: scopes
            .iter()
            .map(
                |(name, description)| incognito::pools::resource_servers::Scope {
                    name: name.to_string(),
                    description: description.to_string(),
                },
            )
            .collect(),
        created_at,
        updated_at: created_at,
    }
}

#[test]
fn the_resource_servers_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_resource_servers_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let show = |s: &incognito::pools::resource_servers::ResourceServer| {
                let scopes: Vec<_> = s
                    .scopes
                    .iter()
                    .map(|c| format!("{}={}", c.name, c.description))
                    .collect();
                format!(
                    "{}:{}:{}:{}:[{}]",
                    s.identifier,
                    s.name,
                    s.created_at,
                    s.updated_at,
                    scopes.join(",")
                )
            };
            let get = |id| -> Result<String, StoreError> {
                Ok(format!(
                    "{:?}",
                    resource_servers::get(db, "p", id)?.map(|s| show(&s))
                ))
            };
            let list = || -> Result<String, StoreError> {
                Ok(resource_servers::list(db, "p")?
                    .iter()
                    .map(show)
                    .collect::<Vec<_>>()
                    .join(" "))
            };
            let mut seen = vec![get("api")?, list()?];
            resource_servers::insert(
                db,
                &resource_server("api", 10, &[("write", "Write"), ("read", "Read")]),
            )?;
            resource_servers::insert(db, &resource_server("pay", 5, &[("charge", "Charge")]))?;
            // A scope added to the pool's list before it had a description reads as "".
            pools::add_resource_scope(db, "p", "api/admin")?;
            seen.push(get("api")?);
            seen.push(list()?);
            let mut api = resource_server("api", 10, &[("read", "Read all")]);
            api.name = "Api 2".into();
            api.updated_at = 20;
            resource_servers::update(db, &api)?;
            seen.push(get("api")?);
            seen.push(pools::resource_scopes(db, "p")?.join(" "));
            seen.push(resource_servers::delete(db, "p", "api")?.to_string());
            seen.push(resource_servers::delete(db, "p", "api")?.to_string());
            seen.push(get("api")?);
            seen.push(pools::resource_scopes(db, "p")?.join(" "));
            seen.push(duplicate(resource_servers::insert(
                db,
                &resource_server("pay", 6, &[]),
            )));
            Ok(seen)
        },
        &[
            "None",
            "",
            "Some(\"api:API:10:10:[admin=,read=Read,write=Write]\")",
            "pay:PAY:5:5:[charge=Charge] api:API:10:10:[admin=,read=Read,write=Write]",
            "Some(\"api:Api 2:10:20:[read=Read all]\")",
            "api/read pay/charge",
            "true",
            "false",
            "None",
            "pay/charge",
            "unique violation",
        ],
    )
}

fn browser_session(
    id: &str,
    user: &str,
    last_seen: i64,
    expires_at: i64,
) -> sessions::BrowserSession {
    sessions::BrowserSession {
        id_hash: id.into(),
        pool_id: "p".into(),
        user_id: user.into(),
        auth_time: 90,
        amr: r#"["pwd"]"#.into(),
        created_at: 95,
        last_seen,
        expires_at,
    }
}

#[test]
fn the_sessions_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_sessions_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let show = |s: &sessions::BrowserSession| {
                format!(
                    "{}:{}:{}:{}:{}:{}:{}:{}",
                    s.id_hash,
                    s.pool_id,
                    s.user_id,
                    s.auth_time,
                    s.amr,
                    s.created_at,
                    s.last_seen,
                    s.expires_at
                )
            };
            let list = |user, now| -> Result<String, StoreError> {
                let rows = sessions::list_for_user(db, user, now)?;
                Ok(rows
                    .iter()
                    .map(|s| s.id_hash.as_str())
                    .collect::<Vec<_>>()
                    .join(" "))
            };
            let n = |r: Result<usize, StoreError>| r.map(|n| n.to_string());
            let b = |r: Result<bool, StoreError>| r.map(|b| b.to_string());
            let mut seen = vec![format!(
                "{:?}",
                sessions::get(db, "p", "s1")?.map(|s| show(&s))
            )];
            sessions::insert(db, &browser_session("s1", "u1", 100, 500))?;
            sessions::insert(db, &browser_session("s2", "u1", 150, 300))?;
            sessions::insert(db, &browser_session("s3", "u2", 100, 500))?;
            seen.push(format!(
                "{:?}",
                sessions::get(db, "p", "s1")?.map(|s| show(&s))
            ));
            seen.push(format!(
                "{:?}",
                sessions::get(db, "q", "s1")?.map(|s| show(&s))
            ));
            sessions::touch(db, "s1", 200)?;
            seen.push(list("u1", 0)?);
            // Live means expires_at > now: s2 (300) is gone from the list at 300.
            seen.push(list("u1", 300)?);
            sessions::insert_pending(db, "r1", "p", r#"{"a":1}"#, 100, 200)?;
            seen.push(format!("{:?}", sessions::get_pending(db, "p", "r1", 199)?));
            seen.push(format!("{:?}", sessions::get_pending(db, "p", "r1", 200)?));
            seen.push(format!("{:?}", sessions::get_pending(db, "q", "r1", 0)?));
            // Purged when expires_at < now: at 300 the request, at 301 s2.
            seen.push(n(sessions::purge_expired(db, 300))?);
            seen.push(n(sessions::purge_expired(db, 301))?);
            seen.push(n(sessions::delete_others(db, "u1", "s1"))?);
            sessions::insert(db, &browser_session("s4", "u1", 100, 500))?;
            seen.push(n(sessions::delete_others(db, "u1", "s1"))?);
            seen.push(b(sessions::delete_for_user_by_hash(db, "u2", "s1"))?);
            seen.push(b(sessions::delete_for_user_by_hash(db, "u1", "s1"))?);
            sessions::insert_pending(db, "r2", "p", "{}", 100, 900)?;
            sessions::delete_pending(db, "r2")?;
            seen.push(format!("{:?}", sessions::get_pending(db, "p", "r2", 0)?));
            sessions::delete(db, "s3")?;
            seen.push(n(sessions::delete_for_user(db, "u2"))?);
            sessions::insert(db, &browser_session("s5", "u2", 100, 500))?;
            seen.push(n(sessions::delete_for_user(db, "u2"))?);
            Ok(seen)
        },
        &[
            "None",
            r#"Some("s1:p:u1:90:[\"pwd\"]:95:100:500")"#,
            "None",
            "s1 s2",
            "s1",
            r#"Some(("{\"a\":1}", 100))"#,
            "None",
            "None",
            "1",
            "1",
            "0",
            "1",
            "false",
            "true",
            "None",
            "0",
            "1",
        ],
    )
}

fn saml_login(session_index: Option<&str>, signed_in_at: i64) -> saml::SamlLogin {
    saml::SamlLogin {
        pool_id: "p".into(),
        user_id: "u1".into(),
        provider: "Okta".into(),
        name_id: "alice@example.com".into(),
        name_id_format: None,
        session_index: session_index.map(str::to_string),
        signed_in_at,
    }
}

#[test]
fn the_saml_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_saml_family_answers_the_same_on_both_backends",
        |db| {
            pool_and_users(db)?;
            let remember = |issuer, id, expires_at| {
                saml::remember_assertion(db, "p", issuer, id, expires_at).map(|b| b.to_string())
            };
            let mut seen = vec![format!("{:?}", saml::sp_key(db, "p")?)];
            // The first key made for a pool stays; a second maker's insert is ignored.
            saml::insert_sp_key(db, "p", "sealed-1", &[0, 1, 255], 10)?;
            saml::insert_sp_key(db, "p", "sealed-2", &[9], 11)?;
            seen.push(format!("{:?}", saml::sp_key(db, "p")?));
            // An assertion id is taken once per pool and issuer.
            seen.push(remember("idp", "a1", 100)?);
            seen.push(remember("idp", "a1", 100)?);
            seen.push(remember("idp2", "a1", 100)?);
            seen.push(remember("idp", "a2", 200)?);
            // Purged once expires_at <= now; a purged id is new again.
            seen.push(saml::purge_assertions(db, 100)?.to_string());
            seen.push(remember("idp", "a1", 300)?);
            seen.push(remember("idp", "a2", 300)?);
            // The last sign-in: upserted, NULLs kept, taken once.
            saml::put_login(db, &saml_login(None, 50))?;
            saml::put_login(db, &saml_login(Some("idx-2"), 60))?;
            seen.push(format!("{:?}", saml::take_login(db, "p", "u1")?));
            seen.push(format!("{:?}", saml::take_login(db, "p", "u1")?));
            saml::put_login(db, &saml_login(None, 70))?;
            seen.push(format!("{:?}", saml::take_login(db, "p", "u2")?));
            seen.push(format!(
                "{:?}",
                saml::take_login(db, "p", "u1")?.map(|l| (l.session_index, l.signed_in_at))
            ));
            Ok(seen)
        },
        &[
            "None",
            r#"Some(("sealed-1", [0, 1, 255]))"#,
            "true",
            "false",
            "true",
            "true",
            "2",
            "true",
            "false",
            r#"Some(SamlLogin { pool_id: "p", user_id: "u1", provider: "Okta", name_id: "alice@example.com", name_id_format: None, session_index: Some("idx-2"), signed_in_at: 60 })"#,
            "None",
            "None",
            "Some((None, 70))",
        ],
    )
}

#[test]
fn concurrent_takes_of_one_saml_login_on_postgres_give_it_once() {
    let won = successes_of_two_racing_takes(
        "concurrent_takes_of_one_saml_login_on_postgres_give_it_once",
        |db| {
            pool_and_users(db)?;
            saml::put_login(db, &saml_login(Some("idx"), 60))
        },
        |db, _| Ok(saml::take_login(db, "p", "u1")?.is_some()),
    );
    assert!(matches!(won, None | Some(1)), "{won:?}");
}

#[test]
fn the_outbox_family_answers_the_same_on_both_backends() {
    same_on_both_backends(
        "the_outbox_family_answers_the_same_on_both_backends",
        |db| {
            let ids = |rows: Vec<outbox::OutboxRow>| {
                let ids: Vec<_> = rows
                    .iter()
                    .map(|r| format!("{}@{}", r.id, r.next_attempt_at))
                    .collect();
                ids.join(" ")
            };
            let get =
                |id| -> Result<String, StoreError> { Ok(format!("{:?}", outbox::get(db, id)?)) };
            let mut seen = vec![outbox::pending_count(db)?.to_string()];
            // Ids come from the engine: 1, 2, 3 on both.
            seen.push(
                outbox::insert(db, Some("p"), "a@x", "Code", "123", "<b>123</b>", 100)?.to_string(),
            );
            seen.push(outbox::insert(db, None, "b@x", "Hi", "t", "h", 100)?.to_string());
            seen.push(outbox::insert(db, Some("p"), "c@x", "Later", "t", "h", 105)?.to_string());
            seen.push(get(2)?);
            seen.push(outbox::pending_count(db)?.to_string());
            // A claim returns the due rows as they were and leases them.
            seen.push(ids(outbox::claim_due(db, 100, 160, 10)?));
            seen.push(ids(outbox::claim_due(db, 105, 165, 10)?));
            seen.push(ids(outbox::claim_due(db, 159, 200, 10)?));
            outbox::mark_sent(db, 1, 110)?;
            outbox::mark_failed(db, 2, "smtp down", 200)?;
            // A sent row is not failed afterwards.
            outbox::mark_failed(db, 1, "late", 300)?;
            seen.push(get(1)?);
            seen.push(get(2)?);
            seen.push(outbox::pending_count(db)?.to_string());
            // Oldest due first, and no more than the limit.
            seen.push(ids(outbox::claim_due(db, 200, 260, 1)?));
            seen.push(ids(outbox::claim_due(db, 200, 260, 10)?));
            seen.push(outbox::purge_sent(db, 110)?.to_string());
            seen.push(outbox::purge_sent(db, 111)?.to_string());
            seen.push(get(1)?);
            Ok(seen)
        },
        &[
            "0",
            "1",
            "2",
            "3",
            r#"Some(OutboxRow { id: 2, pool_id: None, recipient: "b@x", subject: "Hi", text_body: "t", html_body: "h", created_at: 100, attempts: 0, next_attempt_at: 100, sent_at: None, last_error: None })"#,
            "3",
            "1@100 2@100",
            "3@105",
            "",
            r#"Some(OutboxRow { id: 1, pool_id: Some("p"), recipient: "a@x", subject: "", text_body: "", html_body: "", created_at: 100, attempts: 1, next_attempt_at: 160, sent_at: Some(110), last_error: None })"#,
            r#"Some(OutboxRow { id: 2, pool_id: None, recipient: "b@x", subject: "Hi", text_body: "t", html_body: "h", created_at: 100, attempts: 1, next_attempt_at: 200, sent_at: None, last_error: Some("smtp down") })"#,
            "2",
            "3@165",
            "2@200",
            "0",
            "1",
            "None",
        ],
    )
}

#[test]
fn delivery_passes_on_two_postgres_instances_claim_different_rows_without_waiting() {
    let Some((_db, pg)) = migrated_postgres(
        "delivery_passes_on_two_postgres_instances_claim_different_rows_without_waiting",
    ) else {
        return;
    };
    pg.write_sync(|db| {
        for to in ["a@x", "b@x", "c@x"] {
            outbox::insert(db, None, to, "s", "t", "h", 100)?;
        }
        Ok::<_, StoreError>(())
    })
    .unwrap();
    // A takes two rows and holds its transaction open while B claims: B must pass over A's
    // rows (not wait for them: a lock timeout would fail it) and take the third.
    let (pg, barrier) = (&pg, &std::sync::Barrier::new(2));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(move || {
            pg.write_sync(|db| {
                let rows = outbox::claim_due(db, 100, 160, 2)?;
                barrier.wait();
                barrier.wait();
                Ok::<_, StoreError>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
            })
            .unwrap()
        });
        let b = s.spawn(move || {
            barrier.wait();
            let rows = pg
                .write_sync(|db| {
                    db.execute("SET LOCAL lock_timeout = '2s'", &[])?;
                    outbox::claim_due(db, 100, 160, 10)
                })
                .map(|rows| rows.iter().map(|r| r.id).collect::<Vec<_>>());
            barrier.wait();
            rows.unwrap()
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a, b), (vec![1, 2], vec![3]));
}

#[test]
fn a_committed_change_reaches_listening_instances_at_once_and_a_rolled_back_one_never() {
    let Some((db, pg)) = migrated_postgres(
        "a_committed_change_reaches_listening_instances_at_once_and_a_rolled_back_one_never",
    ) else {
        return;
    };
    let (tx, rx) = std::sync::mpsc::channel();
    pg.listen_for_changes(move || tx.send(()).is_ok());
    // Once on connecting: whatever changed before listening is picked up.
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("called once listening");
    let other = PgStore::connect(&db.url, 2).unwrap();
    let began = std::time::Instant::now();
    other
        .write_sync(|db| pools::insert(db, &pool("p1", 0)))
        .unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(3))
        .expect("notified of the new pool");
    assert!(
        began.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        began.elapsed()
    );
    let undone: Result<(), StoreError> = other.write_sync(|db| {
        pools::insert(db, &pool("p2", 0))?;
        Err(StoreError::Join)
    });
    assert!(undone.is_err());
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(700))
            .is_err(),
        "a rolled-back change notifies nobody"
    );
}
