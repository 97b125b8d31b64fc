//! The way in: users from a JSON-lines file (the `export` format) or a Cognito CSV file (the
//! columns of GetCSVHeader, plus `incognito:password_hash`), with their password hashes as
//! they are (no hashing at import; `authn::legacy_hash` verifies them until the first sign-in
//! replaces them with Argon2id).
//!
//! Each row is checked like AdminCreateUser (schema, required attributes, sizes, duplicates)
//! before the write; rows are written in batches of `BATCH` per write transaction, so the
//! server's single writer is never held long, and each row in its own savepoint, so a bad row
//! is reported and skipped and never half-imported. Users without a hash arrive as
//! RESET_REQUIRED (as at Cognito), with one as CONFIRMED (or the status of the export).

use std::io::{BufRead, Read};

use super::UserStatus;
use super::export::Record;
use super::service::{self, KeptIdentity, NewUser, PreparedUser};
use crate::authn::legacy_hash::{self, FirebaseParams};
use crate::keys::seal::Sealer;
use crate::pools::{Pool, UsernameAttribute, schema};
use crate::store::{self, Db, Store};
use crate::{Error, Result};

/// Rows per write transaction.
pub const BATCH: usize = 500;
/// Longest row accepted (a JSON line or a CSV record).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

pub const CSV_PASSWORD_HASH: &str = "incognito:password_hash";
pub const CSV_PASSWORD_SALT: &str = "incognito:password_salt";

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The Firebase project's parameters, for `password_hash` + `password_salt` rows.
    pub firebase: Option<FirebaseParams>,
}

/// One row of the input: its number (line) and the record, or why it could not be read.
pub struct Row {
    pub number: u64,
    pub record: std::result::Result<Record, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported,
    /// Already there (same username, email or sub): left as it is.
    Skipped(String),
    /// Invalid: nothing of it was stored.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct RowResult {
    pub row: u64,
    pub username: String,
    pub outcome: Outcome,
}

/// Reads JSON lines, one record per non-blank line.
pub fn jsonl_rows<R: BufRead>(mut input: R) -> impl Iterator<Item = Row> {
    let mut number = 0u64;
    let mut buf = Vec::new();
    std::iter::from_fn(move || {
        loop {
            buf.clear();
            number += 1;
            match input.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    return Some(Row {
                        number,
                        record: Err(format!("cannot read: {e}")),
                    });
                }
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Row {
                number,
                record: parse_json_line(&buf),
            });
        }
    })
}

fn parse_json_line(line: &[u8]) -> std::result::Result<Record, String> {
    if line.len() > MAX_ROW_BYTES {
        return Err(format!("row longer than {} KiB", MAX_ROW_BYTES / 1024));
    }
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_string())?;
    // serde's messages quote the offending value, which may be a secret: say only where.
    serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            format!(
                "a field has the wrong type or value (column {})",
                e.column()
            )
        }
        _ => format!("not a JSON object (column {})", e.column()),
    })
}

/// Cognito's GetCSVHeader for a pool: the standard attributes (but `sub` and `identities`),
/// the pool's custom attributes, then `cognito:mfa_enabled` and `cognito:username`.
pub fn csv_header(pool: &Pool) -> Vec<String> {
    let mut h: Vec<String> = schema::STANDARD
        .iter()
        .map(|(n, _)| n.to_string())
        .filter(|n| n != "sub" && n != "identities")
        .collect();
    h.extend(
        pool.settings
            .schema
            .iter()
            .filter(|a| a.name.starts_with("custom:"))
            .map(|a| a.name.clone()),
    );
    h.push("cognito:mfa_enabled".into());
    h.push("cognito:username".into());
    h
}

/// Reads a Cognito CSV file. The header must name known columns only (GetCSVHeader's, plus
/// `incognito:password_hash` and `incognito:password_salt`) and include `cognito:username`.
pub fn csv_rows<R: Read>(input: R, pool: &Pool) -> Result<impl Iterator<Item = Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(input);
    let mut first = csv::ByteRecord::new();
    let bad_header = |why: String| Error::invalid(format!("CSV header: {why}"));
    if !reader
        .read_byte_record(&mut first)
        .map_err(|e| bad_header(e.to_string()))?
    {
        return Err(bad_header("the file is empty".into()));
    }
    let known = csv_header(pool);
    let mut columns = Vec::new();
    for raw in first.iter() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| bad_header("not UTF-8".into()))?
            .trim()
            .trim_start_matches('\u{feff}')
            .to_string();
        let ok = known.contains(&name) || name == CSV_PASSWORD_HASH || name == CSV_PASSWORD_SALT;
        if !ok {
            return Err(bad_header(format!(
                "unknown column {:?} (the pool's columns: {})",
                name.chars().take(64).collect::<String>(),
                known.join(",")
            )));
        }
        if columns.contains(&name) {
            return Err(bad_header(format!("column {name:?} appears twice")));
        }
        columns.push(name);
    }
    if !columns.iter().any(|c| c == "cognito:username") {
        return Err(bad_header("the column cognito:username is required".into()));
    }
    let mut record = csv::ByteRecord::new();
    Ok(std::iter::from_fn(move || {
        let read = reader.read_byte_record(&mut record);
        let number = record.position().map_or(0, |p| p.line());
        match read {
            Ok(false) => None,
            Ok(true) => Some(Row {
                number,
                record: csv_record(&columns, &record),
            }),
            // An I/O error ends the file; a CSV syntax error is this row's.
            Err(e) if e.is_io_error() => None,
            Err(_) => Some(Row {
                number,
                record: Err("not a CSV record".into()),
            }),
        }
    }))
}

fn csv_record(columns: &[String], rec: &csv::ByteRecord) -> std::result::Result<Record, String> {
    if rec.as_slice().len() > MAX_ROW_BYTES {
        return Err(format!("row longer than {} KiB", MAX_ROW_BYTES / 1024));
    }
    if rec.len() != columns.len() {
        return Err(format!(
            "expected {} fields, found {}",
            columns.len(),
            rec.len()
        ));
    }
    let mut r = Record {
        enabled: true,
        ..Record::default()
    };
    for (name, raw) in columns.iter().zip(rec.iter()) {
        let value = std::str::from_utf8(raw).map_err(|_| format!("{name}: not UTF-8"))?;
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "cognito:username" => r.username = value.to_string(),
            "cognito:mfa_enabled" => match value {
                "false" | "FALSE" | "False" => {}
                _ => return Err("cognito:mfa_enabled: SMS MFA is not supported; use false".into()),
            },
            CSV_PASSWORD_HASH => r.password_hash = Some(value.to_string()),
            CSV_PASSWORD_SALT => r.password_salt = Some(value.to_string()),
            "updated_at" => {
                r.updated_at = Some(
                    value
                        .parse()
                        .map_err(|_| "updated_at: not a number of seconds".to_string())?,
                )
            }
            _ => {
                r.attributes.insert(name.clone(), value.to_string());
            }
        }
    }
    Ok(r)
}

/// A row checked and ready to store.
struct Ready {
    user: PreparedUser,
    groups: Vec<String>,
    /// The TOTP secret, sealed.
    totp: Option<String>,
}

/// Imports a batch of rows: checks each (no database), then writes them in one transaction,
/// each in its own savepoint, and calls `record` with the results in that same transaction
/// (an import job's progress moves with its users). An error of the store itself ends the
/// import (the batch is rolled back); a bad row is only that row's.
pub fn import_batch(
    store: &Store,
    sealer: &Sealer,
    pool: &Pool,
    rows: Vec<Row>,
    options: &Options,
    now: i64,
    record: impl FnOnce(&Db, &[RowResult]) -> Result<()> + Send,
) -> Result<Vec<RowResult>> {
    let checked: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let username = row
                .record
                .as_ref()
                .map(|r| r.username.clone())
                .unwrap_or_default();
            let ready = row
                .record
                .and_then(|r| check_row(pool, sealer, r, options, now));
            (row.number, username, ready)
        })
        .collect();
    store.write_sync(|db| {
        let mut results = Vec::with_capacity(checked.len());
        for (row, username, ready) in checked {
            let outcome = match ready {
                Err(reason) => Outcome::Failed(reason),
                Ok(ready) => {
                    match store::savepoint(db, |db| insert(db, sealer, pool, ready, now)) {
                        Ok(()) => Outcome::Imported,
                        Err(Error::AlreadyExists(what)) => {
                            Outcome::Skipped(format!("{what} already exists"))
                        }
                        Err(Error::Store(e)) if e.is_unique_violation() => {
                            Outcome::Skipped("a user with this sub already exists".into())
                        }
                        Err(Error::Invalid(why) | Error::NotFound(why)) => Outcome::Failed(why),
                        Err(e) => return Err(e),
                    }
                }
            };
            results.push(RowResult {
                row,
                username,
                outcome,
            });
        }
        record(db, &results)?;
        Ok(results)
    })
}

fn check_row(
    pool: &Pool,
    sealer: &Sealer,
    r: Record,
    options: &Options,
    now: i64,
) -> std::result::Result<Ready, String> {
    let mut attributes = r.attributes;
    let email = attributes.remove("email");
    let email_verified = match attributes.remove("email_verified").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err("email_verified: expected true or false".into()),
    };
    if !r.identities.is_empty() {
        return Err("identities: linked identities cannot be imported yet".into());
    }
    // With the Firebase parameters, a hash with a salt is Firebase's; any other row's hash is
    // a self-describing string, so one file may mix them.
    let password_hash = match (r.password_hash, r.password_salt, &options.firebase) {
        (Some(h), Some(salt), Some(f)) => Some(
            legacy_hash::firebase_stored(f, &salt, &h)
                .map_err(|e| format!("password_hash: {e}"))?,
        ),
        (Some(_), Some(_), None) => {
            return Err(
                "password_salt: only for Firebase hashes (pass the --firebase-* parameters)".into(),
            );
        }
        (h, _, _) => h,
    };
    let status = match (&password_hash, r.status.as_deref()) {
        // Nobody can sign in without a password: a reset first, as at Cognito.
        (None, _) => UserStatus::ResetRequired,
        (Some(_), None) => UserStatus::Confirmed,
        (Some(_), Some(s)) => s.parse().map_err(|_| format!("status: unknown {s:?}"))?,
    };
    let sub = r
        .sub
        .map(|s| {
            uuid::Uuid::parse_str(&s)
                .map(|u| u.hyphenated().to_string())
                .map_err(|_| "sub: not a UUID".to_string())
        })
        .transpose()?;
    let created_at = r.created_at.unwrap_or(now);
    let updated_at = r.updated_at.unwrap_or(created_at);
    if created_at < 0 || updated_at < 0 {
        return Err("created_at, updated_at: negative".into());
    }
    for g in &r.groups {
        service::validate_group_name(g).map_err(|e| e.to_string())?;
    }
    let totp = r
        .totp_secret
        .map(|s| {
            crate::authn::totp::code_at(&s, now)
                .map(|_| sealer.seal(&s))
                .ok_or_else(|| "totp_secret: not a base32 secret of at least 128 bits".to_string())
        })
        .transpose()?;
    let username_pool = pool.settings.username_attribute == UsernameAttribute::Username;
    let new = NewUser {
        username: username_pool.then_some(r.username),
        email,
        password: None,
        password_hash,
        attributes,
        confirmed: false,
        email_verified,
    };
    let mut user = service::prepare_user(pool, new, now).map_err(|e| e.to_string())?;
    user.keep_identity(
        pool,
        KeptIdentity {
            sub,
            status,
            enabled: r.enabled,
            created_at,
            updated_at,
        },
    );
    Ok(Ready {
        user,
        groups: r.groups,
        totp,
    })
}

fn insert(db: &Db, sealer: &Sealer, pool: &Pool, ready: Ready, now: i64) -> Result<()> {
    let user = service::create(db, pool, sealer, ready.user)?;
    service::join_groups(db, pool, &user, &ready.groups, now)?;
    if let Some(sealed) = &ready.totp {
        store::mfa::put_pending_totp(db, &pool.id, &user.id, sealed, now)?;
        store::mfa::enable_totp(db, &user.id, 0)?;
    }
    Ok(())
}

/// Counts of a finished import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub imported: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl Counts {
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Imported => self.imported += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pools::PoolSettings;

    fn pool() -> Pool {
        Pool {
            id: "local_Test1".into(),
            name: "Test".into(),
            settings: PoolSettings::default(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn rows_of_csv(text: &[u8]) -> Result<Vec<Row>> {
        csv_rows(text, &pool()).map(Iterator::collect)
    }

    #[test]
    fn json_lines_skip_blank_lines_and_report_bad_ones_by_line_without_their_values() {
        let mut input =
            b"{\"username\":\"a\"}\n\n  \n{\"username\":\"b\",\"enabled\":\"$2b$secret\"}\n"
                .to_vec();
        input.extend_from_slice(b"{\"username\":\"\xff\"}\nnot json\n");
        input.extend_from_slice(
            format!("{{\"username\":\"{}\"}}\n", "x".repeat(MAX_ROW_BYTES)).as_bytes(),
        );
        let rows: Vec<Row> = jsonl_rows(&input[..]).collect();
        let numbers: Vec<u64> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 4, 5, 6, 7]);
        assert_eq!(rows[0].record.as_ref().unwrap().username, "a");
        assert!(
            rows[0].record.as_ref().unwrap().enabled,
            "enabled by default"
        );
        let err = |i: usize| rows[i].record.as_ref().unwrap_err().clone();
        assert!(
            err(1).contains("wrong type") && !err(1).contains("secret"),
            "{}",
            err(1)
        );
        assert_eq!(err(2), "not UTF-8");
        assert!(err(3).contains("not a JSON object"), "{}", err(3));
        assert!(err(4).contains("longer than 64 KiB"), "{}", err(4));
    }

    #[test]
    fn the_csv_header_must_be_cognitos() {
        let bad = |text: &str| match rows_of_csv(text.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{text:?} accepted"),
        };
        assert!(bad("").contains("empty"));
        assert!(bad("email,mail\n").contains("unknown column \"mail\""));
        assert!(bad("email,email,cognito:username\n").contains("twice"));
        assert!(bad("email,name\n").contains("cognito:username is required"));
        assert!(bad("sub,cognito:username\n").contains("unknown column \"sub\""));
        // A byte-order mark, any order, any subset with cognito:username.
        let rows = rows_of_csv(
            "\u{feff}cognito:username,email,incognito:password_hash\nann,ann@example.com,\n"
                .as_bytes(),
        )
        .unwrap();
        let r = rows[0].record.as_ref().unwrap();
        assert_eq!(
            (r.username.as_str(), r.password_hash.as_deref()),
            ("ann", None)
        );
        assert_eq!(r.attributes["email"], "ann@example.com");
    }

    #[test]
    fn csv_rows_fail_one_by_one() {
        let text = b"cognito:username,email,updated_at,cognito:mfa_enabled\n\
            a,a@example.com,1700000000,false\n\
            b,b@example.com\n\
            c,c@example.com,yesterday,false\n\
            d,d@example.com,1,true\n\
            e\xff,e@example.com,1,false\n";
        let rows = rows_of_csv(text).unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows[0].number, 2,
            "row numbers are lines, the header is line 1"
        );
        assert_eq!(
            rows[0].record.as_ref().unwrap().updated_at,
            Some(1_700_000_000)
        );
        let err = |i: usize| rows[i].record.as_ref().unwrap_err().clone();
        assert_eq!(err(1), "expected 4 fields, found 2");
        assert!(err(2).contains("updated_at"));
        assert!(err(3).contains("SMS MFA"));
        assert!(err(4).contains("not UTF-8"));
    }

    #[test]
    fn the_header_follows_the_pools_schema() {
        let mut p = pool();
        p.settings
            .schema
            .push(crate::pools::schema::SchemaAttribute {
                name: "custom:team".into(),
                ..Default::default()
            });
        let h = csv_header(&p);
        assert_eq!(h.len(), 19 + 1 + 2);
        assert_eq!(
            &h[h.len() - 3..],
            ["custom:team", "cognito:mfa_enabled", "cognito:username"]
        );
    }
}
