//! The seam between the store's SQL and its two engines (docs/scale-out.md): `Sql` is a
//! connection or open transaction of either kind, and the few calls a table family makes.
//! Families move onto it one at a time (`throttle.rs` first); once all have, it replaces `Db`.
//!
//! Statements are written once, in SQLite's numbered form (`?1`, `?2`); the PostgreSQL arm
//! rewrites the placeholders to `$1`, `$2`.

use std::cell::RefCell;

use super::StoreError;
use super::postgres::PgConn;

/// A value both drivers can bind (`&str`, `i64`, `bool`, `Option<_>` of those, ...).
pub trait Param: rusqlite::ToSql + postgres::types::ToSql + Sync {}
impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {}

/// A column type both drivers can read. The `postgres` crate is strict: `BIGINT` reads only
/// as `i64`, `BOOLEAN` only as `bool`.
pub trait Column: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a> {}
impl<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>> Column for T {}

/// A connection or an open transaction, of either engine. `RefCell`: the `postgres` client
/// needs `&mut` for every call, while store functions share one handle.
#[derive(Clone, Copy)]
pub enum Sql<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a RefCell<PgConn>),
}

/// Today's `&Db` is SQLite's connection: ported functions take `impl Into<Sql>`, so their
/// callers in the core do not change.
impl<'a> From<&'a rusqlite::Connection> for Sql<'a> {
    fn from(conn: &'a rusqlite::Connection) -> Sql<'a> {
        Sql::Sqlite(conn)
    }
}

/// Core code holds `&Db`; the families take `impl Into<Sql>`.
impl<'a> From<&Sql<'a>> for Sql<'a> {
    fn from(db: &Sql<'a>) -> Sql<'a> {
        *db
    }
}

/// One result row of either engine.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    pub fn get<T: Column>(&self, index: usize) -> Result<T, StoreError> {
        match self {
            Row::Sqlite(r) => Ok(r.get(index)?),
            Row::Postgres(r) => Ok(r.try_get(index)?),
        }
    }
}

fn sqlite_params<'p>(params: &'p [&'p dyn Param]) -> impl rusqlite::Params + 'p {
    rusqlite::params_from_iter(params.iter().map(|p| *p as &dyn rusqlite::ToSql))
}

fn postgres_params<'p>(
    params: &'p [&'p dyn Param],
) -> Vec<&'p (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| *p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl Sql<'_> {
    /// Runs a statement; returns how many rows it changed.
    pub fn execute(self, sql: &str, params: &[&dyn Param]) -> Result<u64, StoreError> {
        match self {
            Sql::Sqlite(c) => Ok(c.prepare_cached(sql)?.execute(sqlite_params(params))? as u64),
            Sql::Postgres(c) => on_postgres(c, sql, |client, statement| {
                client.execute(statement, &postgres_params(params))
            }),
        }
    }

    /// The one row a statement returns, or `None`. More than one row is a mistake in the
    /// statement: PostgreSQL reports it as an error, SQLite would take the first.
    pub fn query_opt<T>(
        self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match self {
            Sql::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(sqlite_params(params))?;
                match rows.next()? {
                    Some(r) => Ok(Some(map(&Row::Sqlite(r))?)),
                    None => Ok(None),
                }
            }
            Sql::Postgres(c) => {
                let row = on_postgres(c, sql, |client, statement| {
                    client.query_opt(statement, &postgres_params(params))
                })?;
                row.map(|r| map(&Row::Postgres(&r))).transpose()
            }
        }
    }

    /// Every row a statement returns, in its order (lists; `DELETE ... RETURNING` of many).
    pub fn query_all<T>(
        self,
        sql: &str,
        params: &[&dyn Param],
        mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Sql::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(sqlite_params(params))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(map(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Sql::Postgres(c) => on_postgres(c, sql, |client, statement| {
                client.query(statement, &postgres_params(params))
            })?
            .iter()
            .map(|r| map(&Row::Postgres(r)))
            .collect(),
        }
    }

    /// The one row a statement must return (`INSERT ... RETURNING`).
    pub fn query_one<T>(
        self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, params, map)?
            .ok_or(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows))
    }
}

/// Runs `op` with `sql`'s prepared statement on a PostgreSQL connection (prepared on first
/// use per connection, as SQLite's `prepare_cached`). A statement that failed is forgotten,
/// so that a plan a schema change made stale is prepared afresh next time.
fn on_postgres<R>(
    conn: &RefCell<PgConn>,
    sql: &str,
    op: impl FnOnce(&mut postgres::Client, &postgres::Statement) -> Result<R, postgres::Error>,
) -> Result<R, StoreError> {
    let mut conn = conn.borrow_mut();
    let statement = conn.prepared(sql)?;
    let out = op(&mut conn, &statement);
    if out.is_err() {
        conn.forget(sql);
    }
    Ok(out?)
}

/// `?N` placeholders become `$N`, outside string literals ('...', with '' inside). Statement
/// texts are ours and never carry a `?` in an identifier or a comment.
pub fn postgres_text(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => in_literal = !in_literal,
            '?' if !in_literal && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Sql, postgres_text};

    #[test]
    fn query_all_returns_every_row_in_order_and_none_as_empty() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (2, 'x'), (1, NULL), (3, 'z');")
            .unwrap();
        let db = Sql::Sqlite(&conn);
        let rows: Vec<(i64, Option<String>)> = db
            .query_all(
                "SELECT a, b FROM t WHERE a >= ?1 ORDER BY a",
                &[&1_i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            rows,
            [(1, None), (2, Some("x".into())), (3, Some("z".into()))]
        );
        let none: Vec<i64> = db
            .query_all("SELECT a FROM t WHERE a > ?1", &[&3_i64], |r| r.get(0))
            .unwrap();
        assert!(none.is_empty());
        // A mapping error stops the walk and is returned.
        let err = db.query_all("SELECT b FROM t ORDER BY a", &[], |r| r.get::<String>(0));
        assert!(err.is_err());
    }

    #[test]
    fn numbered_placeholders_become_dollars_outside_literals() {
        assert_eq!(
            postgres_text(
                "SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?10) AND d = '?3' AND e = 'it''s ?4' AND f = ?5"
            ),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $10) AND d = '?3' AND e = 'it''s ?4' AND f = $5"
        );
        // A reused number stays one parameter.
        assert_eq!(
            postgres_text("CASE WHEN x > ?3 THEN x ELSE ?3 END"),
            "CASE WHEN x > $3 THEN x ELSE $3 END"
        );
    }
}
