//! `incognito db copy`: a single-node SQLite deployment moved onto PostgreSQL with nothing lost.
//!
//! Every table is read from one SQLite read snapshot and written with PostgreSQL's binary
//! `COPY` inside one transaction, so the target either has everything or nothing. Tables go in
//! foreign-key order; each row count is compared before the commit; identity sequences are
//! moved past the copied ids so new rows do not collide. The target must be freshly migrated
//! (no pools, users or other rows): the copy never merges two deployments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use super::postgres::PgStore;
use super::{MIGRATIONS, StoreError};

/// Rows `meta` gets from the migrations themselves on both engines: copied over the target's.
const SEEDED: &str = "meta";
/// PostgreSQL's own bookkeeping: never copied from SQLite.
const BOOKKEEPING: &str = "schema_migrations";

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error(
        "{path} is at schema version {found}, this build's is {known}: run `incognito db migrate` on it first (with data_dir pointing at its directory)"
    )]
    SourceVersion {
        path: String,
        found: i64,
        known: i64,
    },
    #[error(
        "the PostgreSQL database already has data (table {table} has {rows} rows): copy into a freshly migrated, empty database"
    )]
    TargetNotEmpty { table: String, rows: i64 },
    #[error("table {table}: {source_rows} rows read but {target_rows} in PostgreSQL")]
    CountMismatch {
        table: String,
        source_rows: i64,
        target_rows: i64,
    },
    #[error("table {table}, column {column}: {value} cannot be stored as {target}")]
    Value {
        table: String,
        column: String,
        value: String,
        target: String,
    },
}

impl From<rusqlite::Error> for CopyError {
    fn from(e: rusqlite::Error) -> CopyError {
        CopyError::Store(e.into())
    }
}

impl From<postgres::Error> for CopyError {
    fn from(e: postgres::Error) -> CopyError {
        CopyError::Store(e.into())
    }
}

/// One table as copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: String,
    pub rows: i64,
}

/// Reports the copy's progress: `start(table, rows)` before a table, `rows(n)` as rows go.
pub trait Watch {
    fn start(&mut self, table: &str, rows: u64);
    fn rows(&mut self, n: u64);
    fn done(&mut self);
}

/// Copies every table of the SQLite database at `from` into `to` (migrated first when it
/// lacks migrations). Returns the tables in the order copied, with their row counts.
pub fn sqlite_to_postgres(
    from: &Path,
    to: &PgStore,
    watch: &mut dyn Watch,
) -> Result<Vec<Copied>, CopyError> {
    let mut source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let known = MIGRATIONS.len() as i64;
    let found: i64 = source.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found != known {
        return Err(CopyError::SourceVersion {
            path: from.display().to_string(),
            found,
            known,
        });
    }
    to.migrate()?;
    // One read snapshot for every table: a server still writing cannot tear the copy.
    let snapshot = source.transaction()?;
    let tables = in_foreign_key_order(&snapshot)?;
    let mut client = to.client()?;
    let mut tx = client.transaction()?;
    for table in &tables {
        if table == SEEDED {
            continue;
        }
        let rows: i64 = tx
            .query_one(&format!("SELECT COUNT(*) FROM {}", quoted(table)), &[])?
            .get(0);
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty {
                table: table.clone(),
                rows,
            });
        }
    }
    let mut copied = Vec::with_capacity(tables.len());
    for table in &tables {
        let rows = copy_table(&snapshot, &mut tx, table, watch)?;
        let target_rows: i64 = tx
            .query_one(&format!("SELECT COUNT(*) FROM {}", quoted(table)), &[])?
            .get(0);
        if target_rows != rows {
            return Err(CopyError::CountMismatch {
                table: table.clone(),
                source_rows: rows,
                target_rows,
            });
        }
        copied.push(Copied {
            table: table.clone(),
            rows,
        });
    }
    move_identity_sequences(&mut tx)?;
    tx.commit()?;
    Ok(copied)
}

/// The data tables of the source, each after the tables its foreign keys name.
fn in_foreign_key_order(db: &Connection) -> Result<Vec<String>, CopyError> {
    let mut stmt = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in &names {
        let mut fk = db.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")?;
        let parents: BTreeSet<String> = fk
            .query_map([name], |r| r.get::<_, String>(0))?
            .collect::<Result<BTreeSet<_>, _>>()?
            .into_iter()
            .filter(|p| p != name && names.contains(p))
            .collect();
        needs.insert(name.clone(), parents);
    }
    let mut ordered: Vec<String> = Vec::with_capacity(names.len());
    while ordered.len() < names.len() {
        let before = ordered.len();
        for name in &names {
            if !ordered.contains(name) && needs[name].iter().all(|p| ordered.contains(p)) {
                ordered.push(name.clone());
            }
        }
        if ordered.len() == before {
            // A cycle: cannot happen with our migrations; copy the rest in creation order and
            // let PostgreSQL's constraint say which row is in the way.
            let rest: Vec<String> = names
                .iter()
                .filter(|n| !ordered.contains(n))
                .cloned()
                .collect();
            ordered.extend(rest);
        }
    }
    ordered.retain(|n| n != BOOKKEEPING);
    Ok(ordered)
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn copy_table(
    source: &Connection,
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    watch: &mut dyn Watch,
) -> Result<i64, CopyError> {
    let columns: Vec<String> = source
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
        .query_map([table], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let list = columns
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(", ");
    let total: i64 = source.query_row(
        &format!("SELECT COUNT(*) FROM {}", quoted(table)),
        [],
        |r| r.get(0),
    )?;
    watch.start(table, total as u64);
    if table == SEEDED {
        // The migrations seeded the same keys on the target: the source's values win.
        let mut stmt = source.prepare("SELECT key, value FROM meta")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (key, value): (String, i64) = (r.get(0)?, r.get(1)?);
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &value],
            )?;
        }
        watch.rows(total as u64);
        watch.done();
        return Ok(total);
    }
    let types: Vec<Type> = tx
        .prepare(&format!("SELECT {list} FROM {} LIMIT 0", quoted(table)))?
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    let sink = tx.copy_in(&format!(
        "COPY {} ({list}) FROM STDIN BINARY",
        quoted(table)
    ))?;
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    let mut stmt = source.prepare(&format!(
        "SELECT {list} FROM {} ORDER BY rowid",
        quoted(table)
    ))?;
    let mut rows = stmt.query([])?;
    let mut pending = 0u64;
    while let Some(r) = rows.next()? {
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(columns.len());
        for (i, ty) in types.iter().enumerate() {
            let value: Value = r.get(i)?;
            values.push(convert(value, ty).map_err(|value| CopyError::Value {
                table: table.into(),
                column: columns[i].clone(),
                value,
                target: ty.name().into(),
            })?);
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        writer.write(&refs)?;
        pending += 1;
        if pending == 500 {
            watch.rows(pending);
            pending = 0;
        }
    }
    writer.finish()?;
    watch.rows(pending);
    watch.done();
    Ok(total)
}

/// A SQLite value as the PostgreSQL column's type wants it; `Err` carries a description of a
/// value that does not fit (never its content: it may be a secret).
fn convert(value: Value, ty: &Type) -> Result<Box<dyn ToSql + Sync>, String> {
    let kind = match &value {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    };
    let out: Box<dyn ToSql + Sync> = if *ty == Type::INT8 {
        match value {
            Value::Null => Box::new(None::<i64>),
            Value::Integer(i) => Box::new(i),
            _ => return Err(kind.into()),
        }
    } else if *ty == Type::BOOL {
        match value {
            Value::Null => Box::new(None::<bool>),
            Value::Integer(i) => Box::new(i != 0),
            _ => return Err(kind.into()),
        }
    } else if *ty == Type::FLOAT8 {
        match value {
            Value::Null => Box::new(None::<f64>),
            Value::Integer(i) => Box::new(i as f64),
            Value::Real(f) => Box::new(f),
            _ => return Err(kind.into()),
        }
    } else if *ty == Type::BYTEA {
        match value {
            Value::Null => Box::new(None::<Vec<u8>>),
            Value::Blob(b) => Box::new(b),
            Value::Text(t) => Box::new(t.into_bytes()),
            _ => return Err(kind.into()),
        }
    } else if *ty == Type::TEXT {
        match value {
            Value::Null => Box::new(None::<String>),
            Value::Text(t) => Box::new(t),
            Value::Integer(i) => Box::new(i.to_string()),
            Value::Real(f) => Box::new(f.to_string()),
            Value::Blob(_) => return Err(kind.into()),
        }
    } else {
        return Err(kind.into());
    };
    Ok(out)
}

/// Identity columns continue after the largest copied id.
fn move_identity_sequences(tx: &mut postgres::Transaction<'_>) -> Result<(), CopyError> {
    let identities = tx.query(
        "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
        &[],
    )?;
    for row in identities {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
                quoted(&column),
                quoted(&table)
            ),
            &[&table, &column],
        )?;
    }
    Ok(())
}
