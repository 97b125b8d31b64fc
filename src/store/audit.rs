//! Audit rows: appended in batches, listed newest first, purged by age, and counted for the
//! monthly-active-users report.

use rusqlite::params;

use super::{Db, StoreError};

/// One stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    pub at: i64,
    pub pool_id: Option<String>,
    pub actor: String,
    pub door: String,
    pub action: String,
    pub target: Option<String>,
    pub source: Option<String>,
    pub outcome: String,
}

pub fn insert(db: &Db, row: &AuditRow) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO audit_events (at, pool_id, actor, door, action, target, source, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        row.at,
        row.pool_id,
        row.actor,
        row.door,
        row.action,
        row.target,
        row.source,
        row.outcome
    ])?;
    Ok(())
}

/// What `list` selects.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub pool_id: Option<&'a str>,
    pub since: Option<i64>,
    pub action: Option<&'a str>,
    pub limit: u32,
}

/// Rows matching `filter`, newest first.
pub fn list(db: &Db, filter: &Filter<'_>) -> Result<Vec<AuditRow>, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT at, pool_id, actor, door, action, target, source, outcome FROM audit_events
         WHERE (?1 IS NULL OR pool_id = ?1) AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR action = ?3)
         ORDER BY at DESC, id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![filter.pool_id, filter.since, filter.action, filter.limit],
        |r| {
            Ok(AuditRow {
                at: r.get(0)?,
                pool_id: r.get(1)?,
                actor: r.get(2)?,
                door: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                source: r.get(6)?,
                outcome: r.get(7)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes rows older than `before`.
pub fn purge_before(db: &Db, before: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM audit_events WHERE at < ?1")?
        .execute([before])?)
}

/// Distinct users of `pool_id` with one of `actions` succeeding in `[from, to)`, split by
/// whether the user signs in through a federated identity: (local, federated).
pub fn active_users(
    db: &Db,
    pool_id: &str,
    actions: &[&str],
    from: i64,
    to: i64,
) -> Result<(i64, i64), StoreError> {
    let placeholders = (0..actions.len())
        .map(|i| format!("?{}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    // Federated users are those who sign in through an identity provider (EXTERNAL_PROVIDER);
    // a deleted user counts as local.
    let sql = format!(
        "SELECT COUNT(DISTINCT CASE WHEN u.status = 'EXTERNAL_PROVIDER' THEN NULL ELSE a.target END),
                COUNT(DISTINCT CASE WHEN u.status = 'EXTERNAL_PROVIDER' THEN a.target END)
         FROM audit_events a LEFT JOIN users u ON u.id = a.target
         WHERE a.pool_id = ?1 AND a.at >= ?2 AND a.at < ?3 AND a.outcome = 'success'
           AND a.target IS NOT NULL AND a.action IN ({placeholders})"
    );
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&pool_id, &from, &to];
    for a in actions {
        values.push(a);
    }
    Ok(db
        .prepare_cached(&sql)?
        .query_row(values.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))?)
}
