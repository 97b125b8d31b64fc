//! Audit rows: appended in batches, listed newest first, purged by age, and counted for the
//! monthly-active-users report. On the `Sql` seam: one text for both engines.

use super::StoreError;
use super::sql::{Param, Row, Sql};

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

/// Stores one event; returns its id.
pub fn insert<'a>(db: impl Into<Sql<'a>>, row: &AuditRow) -> Result<i64, StoreError> {
    db.into().query_one(
        "INSERT INTO audit_events (at, pool_id, actor, door, action, target, source, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        &[
            &row.at,
            &row.pool_id,
            &row.actor,
            &row.door,
            &row.action,
            &row.target,
            &row.source,
            &row.outcome,
        ],
        |r| r.get(0),
    )
}

/// What `list` selects.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub pool_id: Option<&'a str>,
    pub since: Option<i64>,
    pub action: Option<&'a str>,
    pub limit: u32,
}

/// Rows matching `filter`, newest first. (`CAST(?N AS ...) IS NULL`: PostgreSQL cannot tell a
/// parameter's type from `IS NULL` alone.)
pub fn list<'a>(db: impl Into<Sql<'a>>, filter: &Filter<'_>) -> Result<Vec<AuditRow>, StoreError> {
    db.into().query_all(
        "SELECT at, pool_id, actor, door, action, target, source, outcome FROM audit_events
         WHERE (CAST(?1 AS TEXT) IS NULL OR pool_id = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR at >= ?2)
           AND (CAST(?3 AS TEXT) IS NULL OR action = ?3)
         ORDER BY at DESC, id DESC LIMIT ?4",
        &[
            &filter.pool_id,
            &filter.since,
            &filter.action,
            &i64::from(filter.limit),
        ],
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
    )
}

/// Deletes rows older than `before`.
pub fn purge_before<'a>(db: impl Into<Sql<'a>>, before: i64) -> Result<usize, StoreError> {
    Ok(db
        .into()
        .execute("DELETE FROM audit_events WHERE at < ?1", &[&before])? as usize)
}

/// Distinct users of `pool_id` with one of `actions` succeeding in `[from, to)`, split by
/// whether the user signs in through a federated identity: (local, federated). No actions,
/// no users (an empty `IN ()` is SQLite's, not PostgreSQL's).
pub fn active_users<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    actions: &[&str],
    from: i64,
    to: i64,
) -> Result<(i64, i64), StoreError> {
    if actions.is_empty() {
        return Ok((0, 0));
    }
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
    let mut values: Vec<&dyn Param> = vec![&pool_id, &from, &to];
    for a in actions {
        values.push(a);
    }
    db.into()
        .query_one(&sql, &values, |r| Ok((r.get(0)?, r.get(1)?)))
}

/// One sign-in of a user, with the feedback given on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRow {
    pub id: i64,
    pub at: i64,
    pub door: String,
    pub source: Option<String>,
    pub outcome: String,
    /// (`Valid` | `Invalid`, when given).
    pub feedback: Option<(String, i64)>,
    /// Adaptive sign-in's score of the sign-in, when it was scored (`sign_in_risk`).
    pub risk: Option<RiskColumns>,
}

/// The `sign_in_risk` columns a sign-in's history shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskColumns {
    pub level: Option<String>,
    pub decision: String,
    pub action: String,
    pub signals: String,
    pub device_name: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    /// The address scored (AdminInitiateAuth's `ContextData.IpAddress` when given).
    pub source: String,
}

/// Where a page of `sign_ins_of` starts: strictly older than (at, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    pub at: i64,
    pub id: i64,
}

/// The sign-in events whose target is `user_id`, newest first, at most `limit`. A `challenge`
/// outcome is a step inside a sign-in, not a sign-in, and is left out.
pub fn sign_ins_of<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
    action: &str,
    before: Option<Before>,
    limit: u32,
) -> Result<Vec<SignInRow>, StoreError> {
    db.into().query_all(
        "SELECT e.id, e.at, e.door, e.source, e.outcome, f.value, f.at,
                r.level, r.decision, r.action, r.signals, r.device_name, r.country, r.city,
                r.source
         FROM audit_events e
         LEFT JOIN auth_event_feedback f ON f.pool_id = e.pool_id AND f.event_id = e.id
         LEFT JOIN sign_in_risk r ON r.pool_id = e.pool_id AND r.event_id = e.id
         WHERE e.pool_id = ?1 AND e.target = ?2 AND e.action = ?3 AND e.outcome <> 'challenge'
           AND (CAST(?4 AS BIGINT) IS NULL OR e.at < ?4 OR (e.at = ?4 AND e.id < ?5))
         ORDER BY e.at DESC, e.id DESC LIMIT ?6",
        &[
            &pool_id,
            &user_id,
            &action,
            &before.map(|b| b.at),
            &before.map(|b| b.id),
            &i64::from(limit),
        ],
        |r: &Row<'_>| {
            let value: Option<String> = r.get(5)?;
            let at: Option<i64> = r.get(6)?;
            let decision: Option<String> = r.get(8)?;
            let risk = match decision {
                Some(decision) => Some(RiskColumns {
                    level: r.get(7)?,
                    decision,
                    action: r.get(9)?,
                    signals: r.get(10)?,
                    device_name: r.get(11)?,
                    country: r.get(12)?,
                    city: r.get(13)?,
                    source: r.get(14)?,
                }),
                None => None,
            };
            Ok(SignInRow {
                id: r.get(0)?,
                at: r.get(1)?,
                door: r.get(2)?,
                source: r.get(3)?,
                outcome: r.get(4)?,
                feedback: value.zip(at),
                risk,
            })
        },
    )
}

/// The user (target) of the sign-in event `event_id` of `pool_id`, if there is such an event.
pub fn sign_in_target<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    action: &str,
    event_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT target FROM audit_events
             WHERE id = ?1 AND pool_id = ?2 AND action = ?3 AND outcome <> 'challenge'",
            &[&event_id, &pool_id, &action],
            |r| r.get::<Option<String>>(0),
        )?
        .flatten())
}

/// Records (or replaces) the feedback on one event.
pub fn put_feedback<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    event_id: i64,
    user_id: &str,
    value: &str,
    at: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO auth_event_feedback (pool_id, event_id, user_id, value, at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (pool_id, event_id) DO UPDATE SET value = excluded.value, at = excluded.at",
        &[&pool_id, &event_id, &user_id, &value, &at],
    )?;
    Ok(())
}
