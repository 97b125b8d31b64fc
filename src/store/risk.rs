//! Adaptive sign-in's tables: `sign_in_risk` (one row per scored sign-in) and `risk_seen`
//! (what each user signed in from successfully, hashed). On the `Sql` seam: one text for both
//! engines (`learned` is BOOLEAN on PostgreSQL: its literal is `TRUE`).

use super::StoreError;
use super::sql::Sql;

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

pub fn insert<'a>(db: impl Into<Sql<'a>>, r: &RiskRow) -> Result<i64, StoreError> {
    db.into().query_one(
        "INSERT INTO sign_in_risk (pool_id, user_id, at, level, decision, action, signals, source,
             device_hash, network_hash, device_name, country, city, latitude, longitude)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
        &[
            &r.pool_id,
            &r.user_id,
            &r.at,
            &r.level,
            &r.decision,
            &r.action,
            &r.signals,
            &r.source,
            &r.device_hash,
            &r.network_hash,
            &r.device_name,
            &r.country,
            &r.city,
            &r.latitude,
            &r.longitude,
        ],
        |r| r.get(0),
    )
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
pub fn known<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    device: Option<&str>,
    network: &str,
    country: Option<&str>,
) -> Result<Known, StoreError> {
    let kinds = db.into().query_all(
        "SELECT kind FROM risk_seen WHERE user_id = ?1
           AND ((kind = 'device' AND value = ?2) OR (kind = 'network' AND value = ?3)
                OR (kind = 'country' AND value = ?4))
         UNION ALL
         SELECT 'history' WHERE EXISTS (SELECT 1 FROM risk_seen WHERE user_id = ?1)",
        &[&user_id, &device, &network, &country],
        |r| r.get::<String>(0),
    )?;
    let mut k = Known::default();
    for kind in kinds {
        match kind.as_str() {
            "device" => k.device = true,
            "network" => k.network = true,
            "country" => k.country = true,
            _ => k.history = true,
        }
    }
    Ok(k)
}

/// Where and when the user last signed in successfully with a located address.
pub fn last_place<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
) -> Result<Option<(f64, f64, i64)>, StoreError> {
    db.into().query_opt(
        "SELECT latitude, longitude, at FROM sign_in_risk
         WHERE user_id = ?1 AND learned = TRUE AND latitude IS NOT NULL
         ORDER BY at DESC, id DESC LIMIT 1",
        &[&user_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Links the user's newest unlinked risk row (scored within `LINK_WINDOW_SECS` of `at`) to
/// the audit event `event_id`; when the event is a success, learns its device, network and
/// country. Returns the row's id, if there was one. The outer `event_id IS NULL` makes the
/// link a claim: of two events linking at once on two instances, the second re-checks the
/// row the first took and links nothing rather than overwrite the first's link.
pub fn link_event<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
    event_id: i64,
    success: bool,
    at: i64,
) -> Result<Option<i64>, StoreError> {
    let db = db.into();
    let linked: Option<(i64, Option<String>, String, Option<String>)> = db.query_opt(
        "UPDATE sign_in_risk SET event_id = ?3, learned = ?4
         WHERE event_id IS NULL
           AND id = (SELECT id FROM sign_in_risk
                     WHERE user_id = ?2 AND pool_id = ?1 AND event_id IS NULL AND at >= ?5
                     ORDER BY at DESC, id DESC LIMIT 1)
         RETURNING id, device_hash, network_hash, country",
        &[
            &pool_id,
            &user_id,
            &event_id,
            &success,
            &(at - LINK_WINDOW_SECS),
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let Some((id, device, network, country)) = linked else {
        return Ok(None);
    };
    if success {
        let learn = |kind: &str, value: &str| {
            db.execute(
                "INSERT INTO risk_seen (user_id, kind, value, first_at, last_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (user_id, kind, value) DO UPDATE SET last_at = excluded.last_at",
                &[&user_id, &kind, &value, &at],
            )
        };
        learn("network", &network)?;
        if let Some(d) = &device {
            learn("device", d)?;
        }
        if let Some(c) = &country {
            learn("country", c)?;
        }
    }
    Ok(Some(id))
}

/// Whether the "this wasn't me" link of risk row `id` (of `pool_id`) can still be used.
pub fn link_open<'a>(db: impl Into<Sql<'a>>, pool_id: &str, id: i64) -> Result<bool, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT 1 FROM sign_in_risk WHERE id = ?1 AND pool_id = ?2 AND link_used_at IS NULL",
            &[&id, &pool_id],
            |_| Ok(()),
        )?
        .is_some())
}

/// Uses the "this wasn't me" link of risk row `id` once: (pool, user, linked event), or None
/// when it was used already (or there is no such row). One conditional update: two uses at
/// once on two instances give it once.
pub fn claim_link<'a>(
    db: impl Into<Sql<'a>>,
    id: i64,
    now: i64,
) -> Result<Option<(String, String, Option<i64>)>, StoreError> {
    db.into().query_opt(
        "UPDATE sign_in_risk SET link_used_at = ?2 WHERE id = ?1 AND link_used_at IS NULL
         RETURNING pool_id, user_id, event_id",
        &[&id, &now],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Forgets scored sign-ins and seen values older than `before` (the audit retention).
pub fn purge<'a>(db: impl Into<Sql<'a>>, before: i64) -> Result<usize, StoreError> {
    let db = db.into();
    let a = db.execute("DELETE FROM sign_in_risk WHERE at < ?1", &[&before])?;
    let b = db.execute("DELETE FROM risk_seen WHERE last_at < ?1", &[&before])?;
    Ok((a + b) as usize)
}
