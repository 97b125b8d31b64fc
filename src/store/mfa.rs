//! TOTP factors, recovery codes, MFA sign-in challenges and remembered devices. On the `Sql`
//! seam: one text for both engines. What is used once (a TOTP time step, a recovery code) is
//! taken by one conditional update, so that of two uses racing on two instances one wins.

use super::StoreError;
use super::sql::Sql;

pub struct TotpRow {
    pub secret: String,
    pub enabled: bool,
    pub last_step: i64,
}

pub fn get_totp<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<Option<TotpRow>, StoreError> {
    db.into().query_opt(
        "SELECT secret, enabled, last_step FROM mfa_totp WHERE user_id = ?1",
        &[&user_id],
        |r| {
            Ok(TotpRow {
                secret: r.get(0)?,
                enabled: r.get(1)?,
                last_step: r.get(2)?,
            })
        },
    )
}

/// Stores a pending (not yet enabled) secret, replacing any earlier pending one.
pub fn put_pending_totp<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
    sealed_secret: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO mfa_totp (user_id, pool_id, secret, enabled, created_at, last_step) VALUES (?1, ?2, ?3, FALSE, ?4, 0)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, enabled = FALSE, created_at = excluded.created_at, last_step = 0",
        &[&user_id, &pool_id, &sealed_secret, &now],
    )?;
    Ok(())
}

pub fn enable_totp<'a>(db: impl Into<Sql<'a>>, user_id: &str, step: i64) -> Result<(), StoreError> {
    db.into().execute(
        "UPDATE mfa_totp SET enabled = TRUE, last_step = ?2 WHERE user_id = ?1",
        &[&user_id, &step],
    )?;
    Ok(())
}

/// Records an accepted step; false when it was not newer than the last one (a replay). One
/// conditional update: of two uses of one step at once, the second re-checks and loses.
pub fn advance_step<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    step: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE mfa_totp SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2",
        &[&user_id, &step],
    )? == 1)
}

pub fn delete_totp<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<bool, StoreError> {
    let db = db.into();
    let n = db.execute("DELETE FROM mfa_totp WHERE user_id = ?1", &[&user_id])?;
    db.execute(
        "DELETE FROM mfa_recovery_codes WHERE user_id = ?1",
        &[&user_id],
    )?;
    Ok(n == 1)
}

pub fn replace_recovery_codes<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    hashes: &[String],
) -> Result<(), StoreError> {
    let db = db.into();
    db.execute(
        "DELETE FROM mfa_recovery_codes WHERE user_id = ?1",
        &[&user_id],
    )?;
    for h in hashes {
        db.execute(
            "INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
            &[&user_id, h],
        )?;
    }
    Ok(())
}

/// Marks an unused recovery code used; false when there is no such unused code (one
/// conditional update: used once, even by two uses at once).
pub fn use_recovery_code<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db.into().execute(
        "UPDATE mfa_recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        &[&user_id, &hash, &now],
    )? == 1)
}

pub fn recovery_codes_left<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<i64, StoreError> {
    db.into().query_one(
        "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        &[&user_id],
        |r| r.get(0),
    )
}

pub struct Challenge {
    pub id_hash: String,
    pub pool_id: String,
    pub user_id: String,
    pub purpose: String,
    pub auth_time: i64,
    pub attempts: i64,
}

pub fn insert_challenge<'a>(
    db: impl Into<Sql<'a>>,
    c: &Challenge,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO mfa_challenges (id_hash, pool_id, user_id, purpose, auth_time, attempts, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
        &[&c.id_hash, &c.pool_id, &c.user_id, &c.purpose, &c.auth_time, &now, &expires_at],
    )?;
    Ok(())
}

pub fn get_challenge<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    id_hash: &str,
    now: i64,
) -> Result<Option<Challenge>, StoreError> {
    db.into().query_opt(
        "SELECT id_hash, pool_id, user_id, purpose, auth_time, attempts FROM mfa_challenges
         WHERE pool_id = ?1 AND id_hash = ?2 AND expires_at > ?3",
        &[&pool_id, &id_hash, &now],
        |r| {
            Ok(Challenge {
                id_hash: r.get(0)?,
                pool_id: r.get(1)?,
                user_id: r.get(2)?,
                purpose: r.get(3)?,
                auth_time: r.get(4)?,
                attempts: r.get(5)?,
            })
        },
    )
}

/// Counts a wrong answer; returns the attempts counted so far, this one included (None: the
/// challenge is gone). One statement, so that wrong answers racing on two instances are each
/// counted and each sees the count its own made.
pub fn count_challenge_failure<'a>(
    db: impl Into<Sql<'a>>,
    id_hash: &str,
) -> Result<Option<i64>, StoreError> {
    db.into().query_opt(
        "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id_hash = ?1 RETURNING attempts",
        &[&id_hash],
        |r| r.get(0),
    )
}

pub fn delete_challenge<'a>(db: impl Into<Sql<'a>>, id_hash: &str) -> Result<(), StoreError> {
    db.into()
        .execute("DELETE FROM mfa_challenges WHERE id_hash = ?1", &[&id_hash])?;
    Ok(())
}

pub fn insert_device<'a>(
    db: impl Into<Sql<'a>>,
    pool_id: &str,
    user_id: &str,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.into().execute(
        "INSERT INTO remembered_devices (token_hash, pool_id, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[&token_hash, &pool_id, &user_id, &now, &expires_at],
    )?;
    Ok(())
}

pub fn device_valid<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    token_hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT 1 FROM remembered_devices WHERE user_id = ?1 AND token_hash = ?2 AND expires_at > ?3",
            &[&user_id, &token_hash, &now],
            |_| Ok(()),
        )?
        .is_some())
}

pub fn forget_devices<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<usize, StoreError> {
    Ok(db.into().execute(
        "DELETE FROM remembered_devices WHERE user_id = ?1",
        &[&user_id],
    )? as usize)
}

pub fn purge_expired<'a>(db: impl Into<Sql<'a>>, now: i64) -> Result<usize, StoreError> {
    let db = db.into();
    let a = db.execute("DELETE FROM mfa_challenges WHERE expires_at < ?1", &[&now])?;
    let b = db.execute(
        "DELETE FROM remembered_devices WHERE expires_at < ?1",
        &[&now],
    )?;
    Ok((a + b) as usize)
}

/// Whether the user turned e-mail codes on as a second factor.
pub fn email_mfa_enabled<'a>(db: impl Into<Sql<'a>>, user_id: &str) -> Result<bool, StoreError> {
    Ok(db
        .into()
        .query_opt(
            "SELECT 1 FROM mfa_email WHERE user_id = ?1",
            &[&user_id],
            |_| Ok(()),
        )?
        .is_some())
}

pub fn set_email_mfa<'a>(
    db: impl Into<Sql<'a>>,
    user_id: &str,
    enabled: bool,
    now: i64,
) -> Result<(), StoreError> {
    let db = db.into();
    if enabled {
        db.execute(
            "INSERT INTO mfa_email (user_id, enabled_at) VALUES (?1, ?2) ON CONFLICT (user_id) DO NOTHING",
            &[&user_id, &now],
        )?;
    } else {
        db.execute("DELETE FROM mfa_email WHERE user_id = ?1", &[&user_id])?;
    }
    Ok(())
}
