//! TOTP factors, recovery codes, MFA sign-in challenges and remembered devices.

use super::{Db, OptionalExtension, StoreError};

pub struct TotpRow {
    pub secret: String,
    pub enabled: bool,
    pub last_step: i64,
}

pub fn get_totp(db: &Db, user_id: &str) -> Result<Option<TotpRow>, StoreError> {
    Ok(db
        .prepare_cached("SELECT secret, enabled, last_step FROM mfa_totp WHERE user_id = ?1")?
        .query_row([user_id], |r| {
            Ok(TotpRow {
                secret: r.get(0)?,
                enabled: r.get(1)?,
                last_step: r.get(2)?,
            })
        })
        .optional()?)
}

/// Stores a pending (not yet enabled) secret, replacing any earlier pending one.
pub fn put_pending_totp(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    sealed_secret: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO mfa_totp (user_id, pool_id, secret, enabled, created_at, last_step) VALUES (?1, ?2, ?3, 0, ?4, 0)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, enabled = 0, created_at = excluded.created_at, last_step = 0",
    )?
    .execute(rusqlite::params![user_id, pool_id, sealed_secret, now])?;
    Ok(())
}

pub fn enable_totp(db: &Db, user_id: &str, step: i64) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE mfa_totp SET enabled = 1, last_step = ?2 WHERE user_id = ?1")?
        .execute(rusqlite::params![user_id, step])?;
    Ok(())
}

/// Records an accepted step; false when it was not newer than the last one (a replay).
pub fn advance_step(db: &Db, user_id: &str, step: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("UPDATE mfa_totp SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2")?
        .execute(rusqlite::params![user_id, step])?
        == 1)
}

pub fn delete_totp(db: &Db, user_id: &str) -> Result<bool, StoreError> {
    let n = db
        .prepare_cached("DELETE FROM mfa_totp WHERE user_id = ?1")?
        .execute([user_id])?;
    db.prepare_cached("DELETE FROM mfa_recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(n == 1)
}

pub fn replace_recovery_codes(db: &Db, user_id: &str, hashes: &[String]) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM mfa_recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    let mut stmt =
        db.prepare_cached("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?1, ?2)")?;
    for h in hashes {
        stmt.execute([user_id, h.as_str()])?;
    }
    Ok(())
}

/// Marks an unused recovery code used; false when there is no such unused code.
pub fn use_recovery_code(db: &Db, user_id: &str, hash: &str, now: i64) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("UPDATE mfa_recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL")?
        .execute(rusqlite::params![user_id, hash, now])?
        == 1)
}

pub fn recovery_codes_left(db: &Db, user_id: &str) -> Result<i64, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        )?
        .query_row([user_id], |r| r.get(0))?)
}

pub struct Challenge {
    pub id_hash: String,
    pub pool_id: String,
    pub user_id: String,
    pub purpose: String,
    pub auth_time: i64,
    pub attempts: i64,
}

pub fn insert_challenge(
    db: &Db,
    c: &Challenge,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO mfa_challenges (id_hash, pool_id, user_id, purpose, auth_time, attempts, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
    )?
    .execute(rusqlite::params![c.id_hash, c.pool_id, c.user_id, c.purpose, c.auth_time, now, expires_at])?;
    Ok(())
}

pub fn get_challenge(
    db: &Db,
    pool_id: &str,
    id_hash: &str,
    now: i64,
) -> Result<Option<Challenge>, StoreError> {
    Ok(db
        .prepare_cached(
            "SELECT id_hash, pool_id, user_id, purpose, auth_time, attempts FROM mfa_challenges
             WHERE pool_id = ?1 AND id_hash = ?2 AND expires_at > ?3",
        )?
        .query_row(rusqlite::params![pool_id, id_hash, now], |r| {
            Ok(Challenge {
                id_hash: r.get(0)?,
                pool_id: r.get(1)?,
                user_id: r.get(2)?,
                purpose: r.get(3)?,
                auth_time: r.get(4)?,
                attempts: r.get(5)?,
            })
        })
        .optional()?)
}

pub fn count_challenge_failure(db: &Db, id_hash: &str) -> Result<(), StoreError> {
    db.prepare_cached("UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

pub fn delete_challenge(db: &Db, id_hash: &str) -> Result<(), StoreError> {
    db.prepare_cached("DELETE FROM mfa_challenges WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

pub fn insert_device(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO remembered_devices (token_hash, pool_id, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![token_hash, pool_id, user_id, now, expires_at])?;
    Ok(())
}

pub fn device_valid(
    db: &Db,
    user_id: &str,
    token_hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("SELECT 1 FROM remembered_devices WHERE user_id = ?1 AND token_hash = ?2 AND expires_at > ?3")?
        .exists(rusqlite::params![user_id, token_hash, now])?)
}

pub fn forget_devices(db: &Db, user_id: &str) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached("DELETE FROM remembered_devices WHERE user_id = ?1")?
        .execute([user_id])?)
}

pub fn purge_expired(db: &Db, now: i64) -> Result<usize, StoreError> {
    let a = db
        .prepare_cached("DELETE FROM mfa_challenges WHERE expires_at < ?1")?
        .execute([now])?;
    let b = db
        .prepare_cached("DELETE FROM remembered_devices WHERE expires_at < ?1")?
        .execute([now])?;
    Ok(a + b)
}

/// Whether the user turned e-mail codes on as a second factor.
pub fn email_mfa_enabled(db: &Db, user_id: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare_cached("SELECT 1 FROM mfa_email WHERE user_id = ?1")?
        .exists([user_id])?)
}

pub fn set_email_mfa(db: &Db, user_id: &str, enabled: bool, now: i64) -> Result<(), StoreError> {
    if enabled {
        db.prepare_cached(
            "INSERT INTO mfa_email (user_id, enabled_at) VALUES (?1, ?2) ON CONFLICT (user_id) DO NOTHING",
        )?
        .execute(rusqlite::params![user_id, now])?;
    } else {
        db.prepare_cached("DELETE FROM mfa_email WHERE user_id = ?1")?
            .execute([user_id])?;
    }
    Ok(())
}
