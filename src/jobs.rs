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
        + store::federation::purge_states(db, now)?
        + store::saml::purge_assertions(db, now)?
        + store::tokens::purge_expired(db, now, KEEP_FAMILIES_SECS)?
        + store::outbox::purge_sent(db, now - KEEP_SENT_MAIL_SECS)?)
}

pub fn spawn_purge(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let now = state.now();
            let audit_before = now - state.config.audit_retention_days * 86_400;
            let purged = state
                .store
                .write(move |db| -> Result<usize, StoreError> {
                    // Adaptive sign-in's records go with the audit log they annotate.
                    Ok(purge(db, now)?
                        + store::audit::purge_before(db, audit_before)?
                        + store::risk::purge(db, audit_before)?)
                })
                .await;
            match purged {
                Ok(n) if n > 0 => tracing::info!(rows = n, "purged expired records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
            if let Err(e) = refresh_active_users(&state).await {
                tracing::warn!(error = %e, "monthly active users not counted");
            }
        }
    });
}

/// Recounts this month's active users per pool for the `/metrics` gauge (from the audit
/// log; a read on the blocking pool, every `PURGE_EVERY`).
pub async fn refresh_active_users(state: &AppState) -> Result<(), StoreError> {
    let now = state.now();
    let counts = state
        .store
        .read(move |db| crate::audit::active_users_this_month(db, now))
        .await?;
    crate::metrics::set_monthly_active_users(&counts);
    Ok(())
}
