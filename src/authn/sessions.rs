//! Browser sessions: a random id in a cookie, its SHA-256 in the store, idle and absolute timeouts.

use crate::accounts::User;
use crate::config::Config;
use crate::random::{sha256_hex, token};
use crate::store::{self, Db, sessions::BrowserSession};

/// Creates a session and returns the cookie value (never stored in the clear).
pub fn create(
    db: &Db,
    config: &Config,
    pool_id: &str,
    user_id: &str,
    auth_time: i64,
    amr: &[String],
    now: i64,
) -> crate::Result<String> {
    let id = token(32);
    store::sessions::insert(
        db,
        &BrowserSession {
            id_hash: sha256_hex(&id),
            pool_id: pool_id.to_string(),
            user_id: user_id.to_string(),
            auth_time,
            amr: serde_json::to_string(amr).expect("strings serialise"),
            created_at: now,
            last_seen: now,
            expires_at: now + config.session_max_secs,
        },
    )?;
    Ok(id)
}

/// The live session behind a cookie value, with its user; touches it at most once a minute.
pub fn resolve(
    db: &Db,
    config: &Config,
    pool_id: &str,
    cookie: &str,
    now: i64,
) -> crate::Result<Option<(BrowserSession, User)>> {
    if cookie.is_empty() || cookie.len() > 128 {
        return Ok(None);
    }
    let Some(session) = store::sessions::get(db, pool_id, &sha256_hex(cookie))? else {
        return Ok(None);
    };
    if session.expires_at <= now || now - session.last_seen > config.session_idle_secs {
        store::sessions::delete(db, &session.id_hash)?;
        return Ok(None);
    }
    let Some(user) = store::users::get(db, pool_id, &session.user_id)? else {
        return Ok(None);
    };
    if !user.can_sign_in() {
        return Ok(None);
    }
    if now - session.last_seen >= 60 {
        store::sessions::touch(db, &session.id_hash, now)?;
    }
    Ok(Some((session, user)))
}

pub fn end(db: &Db, pool_id: &str, cookie: &str) -> crate::Result<()> {
    if let Some(s) = store::sessions::get(db, pool_id, &sha256_hex(cookie))? {
        store::sessions::delete(db, &s.id_hash)?;
    }
    Ok(())
}

pub fn amr_of(session: &BrowserSession) -> Vec<String> {
    serde_json::from_str(&session.amr).unwrap_or_else(|_| vec!["pwd".into()])
}
