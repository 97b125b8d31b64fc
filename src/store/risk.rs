//! Adaptive sign-in's tables: `sign_in_risk` (one row per scored sign-in) and `risk_seen`
//! (what each user signed in from successfully, hashed).

use rusqlite::params;

use super::{Db, OptionalExtension, StoreError};

/// How long after its scoring a sign-in's risk row may still be linked to its audit event
/// (a second factor answered within the challenge's lifetime, with room to spare).
pub const LINK_WINDOW_SECS: i64 = 15 * 60;

/// A scored sign-in, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskRow {
    pub pool_id: String,
    pub user_id: String,
    pub at: i64,
    pub level: Option<String>,
    pub decision: String,
    pub action: String,
    pub signals: String,
    pub source: String,
    pub device_hash: Option<String>,
    pub network_hash: String,
    pub device_name: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

pub fn insert(db: &Db, r: &RiskRow) -> Result<i64, StoreError> {
    db.prepare_cached(
        "INSERT INTO sign_in_risk (pool_id, user_id, at, level, decision, action, signals, source,
             device_hash, network_hash, device_name, country, city, latitude, longitude)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        r.pool_id,
        r.user_id,
        r.at,
        r.level,
        r.decision,
        r.action,
        r.signals,
        r.source,
        r.device_hash,
        r.network_hash,
        r.device_name,
        r.country,
        r.city,
        r.latitude,
        r.longitude
    ])?;
    Ok(db.last_insert_rowid())
}

/// What of a sign-in the user has signed in from before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    /// The user has any history at all (a first sign-in is the baseline, not a risk).
    pub history: bool,
    pub device: bool,
    pub network: bool,
    pub country: bool,
}

/// One indexed read: which of (device, network, country) the user has been seen with.
pub fn known(
    db: &Db,
    user_id: &str,
    device: Option<&str>,
    network: &str,
    country: Option<&str>,
) -> Result<Known, StoreError> {
    let mut stmt = db.prepare_cached(
        "SELECT kind FROM risk_seen WHERE user_id = ?1
           AND ((kind = 'device' AND value = ?2) OR (kind = 'network' AND value = ?3)
                OR (kind = 'country' AND value = ?4))
         UNION ALL
         SELECT 'history' WHERE EXISTS (SELECT 1 FROM risk_seen WHERE user_id = ?1)",
    )?;
    let kinds = stmt.query_map(params![user_id, device, network, country], |r| {
        r.get::<_, String>(0)
    })?;
    let mut k = Known::default();
    for kind in kinds {
        match kind?.as_str() {
            "device" => k.device = true,
            "network" => k.network = true,
            "country" => k.country = true,
            _ => k.history = true,
        }
    }
    Ok(k)
}

/// Where and when the user last signed in successfully with a located address.
pub fn last_place(db: &Db, user_id: &str) -> Result<Option<(f64, f64, i64)>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT latitude, longitude, at FROM sign_in_risk
             WHERE user_id = ?1 AND learned = 1 AND latitude IS NOT NULL
             ORDER BY at DESC, id DESC LIMIT 1",
        )?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// Links the user's newest unlinked risk row (scored within `LINK_WINDOW_SECS` of `at`) to
/// the audit event `event_id`; when the event is a success, learns its device, network and
/// country. Returns the row's id, if there was one.
pub fn link_event(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    event_id: i64,
    success: bool,
    at: i64,
) -> Result<Option<i64>, StoreError> {
    let linked: Option<(i64, Option<String>, String, Option<String>)> = db
        .prepare_cached(
            "UPDATE sign_in_risk SET event_id = ?3, learned = ?4
             WHERE id = (SELECT id FROM sign_in_risk
                         WHERE user_id = ?2 AND pool_id = ?1 AND event_id IS NULL AND at >= ?5
                         ORDER BY at DESC, id DESC LIMIT 1)
             RETURNING id, device_hash, network_hash, country",
        )?
        .query_row(
            params![pool_id, user_id, event_id, success, at - LINK_WINDOW_SECS],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((id, device, network, country)) = linked else {
        return Ok(None);
    };
    if success {
        let mut learn = db.prepare_cached(
            "INSERT INTO risk_seen (user_id, kind, value, first_at, last_at)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (user_id, kind, value) DO UPDATE SET last_at = excluded.last_at",
        )?;
        learn.execute(params![user_id, "network", network, at])?;
        if let Some(d) = &device {
            learn.execute(params![user_id, "device", d, at])?;
        }
        if let Some(c) = &country {
            learn.execute(params![user_id, "country", c, at])?;
        }
    }
    Ok(Some(id))
}

/// Whether the "this wasn't me" link of risk row `id` (of `pool_id`) can still be used.
pub fn link_open(db: &Db, pool_id: &str, id: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT 1 FROM sign_in_risk WHERE id = ?1 AND pool_id = ?2 AND link_used_at IS NULL",
        )?
        .query_row(params![id, pool_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Uses the "this wasn't me" link of risk row `id` once: (pool, user, linked event), or None
/// when it was used already (or there is no such row).
pub fn claim_link(
    db: &Db,
    id: i64,
    now: i64,
) -> Result<Option<(String, String, Option<i64>)>, StoreError> {
    Ok(db
        .prepare_cached(
            "UPDATE sign_in_risk SET link_used_at = ?2 WHERE id = ?1 AND link_used_at IS NULL
             RETURNING pool_id, user_id, event_id",
        )?
        .query_row(params![id, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// Forgets scored sign-ins and seen values older than `before` (the audit retention).
pub fn purge(db: &Db, before: i64) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM sign_in_risk WHERE at < ?1")?
        .execute([before])?
        + db.prepare_cached("DELETE FROM risk_seen WHERE last_at < ?1")?
            .execute([before])?)
}
