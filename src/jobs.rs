//! Background housekeeping: expired codes, sessions, challenges, token families and delivered
//! mail are deleted periodically, so tables stay small on a long-running server.

use std::time::Duration;

use crate::state::AppState;
use crate::store::{self, Db, StoreError};

pub const PURGE_EVERY: Duration = Duration::from_secs(600);
/// Token families stay a day past their expiry, so a late replay is still recognised.
const KEEP_FAMILIES_SECS: i64 = 86_400;
/// Delivered mail rows (bodies already cleared) are kept a week for the record.
const KEEP_SENT_MAIL_SECS: i64 = 7 * 86_400;

/// One purge pass; returns how many rows went.
pub fn purge(db: &Db, now: i64) -> Result<usize, StoreError> {
    Ok(store::codes::purge_expired(db, now)?
        + store::email_codes::purge_expired(db, now)?
        + store::code_send_limits::purge_expired(db, now)?
        + store::sessions::purge_expired(db, now)?
        + store::mfa::purge_expired(db, now)?
        + store::tokens::purge_expired(db, now, KEEP_FAMILIES_SECS)?
        + store::outbox::purge_sent(db, now - KEEP_SENT_MAIL_SECS)?)
}

pub fn spawn_purge(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let now = state.now();
            match state.store.write(move |db| purge(db, now)).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "purged expired records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    });
}
