//! The background task that empties `mail_outbox`: it wakes on [`Mailer::wake`] and every
//! 5 seconds, sends what is due, and gives each failure a later try (5 s, 10 s, 20 s, … at
//! most 10 minutes apart). A row stays until it is sent, so no code is lost.

use std::sync::Arc;
use std::time::Duration;

use super::{Mailer, Message};
use crate::clock::Clock;
use crate::store::{Store, StoreError, outbox};

/// How often the task looks for due mail when nobody wakes it.
const TICK: Duration = Duration::from_secs(5);
/// How long a claimed row is held back from other passes while it is being sent.
const LEASE_SECS: i64 = 120;
const BATCH: i64 = 50;
const FIRST_RETRY_SECS: i64 = 5;
const MAX_RETRY_SECS: i64 = 600;

/// Seconds to wait before the next try after `attempts` failed ones (1 → 5 s, 2 → 10 s, …,
/// at most 600 s).
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 16) - 1;
    (FIRST_RETRY_SECS << doublings).min(MAX_RETRY_SECS)
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
}

/// Sends every message due at `now`, once each. Failures are recorded on their rows.
pub async fn deliver_due(
    store: &Store,
    mailer: &Mailer,
    now: i64,
) -> Result<DeliveryReport, StoreError> {
    let mut report = DeliveryReport::default();
    loop {
        let rows = store
            .write(move |db| outbox::claim_due(db, now, now + LEASE_SECS, BATCH))
            .await?;
        let full = rows.len() as i64 == BATCH;
        for row in rows {
            let id = row.id;
            let attempts = row.attempts + 1;
            let msg = Message {
                to: row.recipient,
                subject: row.subject,
                text: row.text_body,
                html: row.html_body,
            };
            match mailer.send(&msg).await {
                Ok(()) => {
                    store
                        .write(move |db| outbox::mark_sent(db, id, now))
                        .await?;
                    tracing::debug!(outbox_id = id, attempts, "mail delivered");
                    crate::metrics::mail_sent();
                    report.sent += 1;
                }
                Err(e) => {
                    let error: String = e.to_string().chars().take(500).collect();
                    let retry_at = now + backoff_secs(attempts);
                    crate::metrics::mail_delivery_failed();
                    tracing::warn!(
                        outbox_id = id,
                        attempts,
                        retry_in_secs = retry_at - now,
                        error = %error,
                        "mail delivery failed; will retry"
                    );
                    store
                        .write(move |db| outbox::mark_failed(db, id, &error, retry_at))
                        .await?;
                    report.failed += 1;
                }
            }
        }
        if !full {
            return Ok(report);
        }
    }
}

/// Starts the delivery task on the current Tokio runtime: one pass at once (mail queued while
/// the server was down, or by the CLI), then one per wake-up or tick, until `stop` turns
/// true: the pass under way (its current message) finishes first.
pub fn spawn_delivery(
    store: Store,
    mailer: Arc<Mailer>,
    clock: Clock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !*stop.borrow() {
            if let Err(e) = deliver_due(&store, &mailer, clock.now()).await {
                tracing::warn!(error = %e, "mail delivery pass failed");
            }
            tokio::select! {
                _ = mailer.woken() => {}
                _ = tokio::time::sleep(TICK) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        let waits: Vec<i64> = (1..=9).map(backoff_secs).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(backoff_secs(0), 5);
        assert_eq!(backoff_secs(1_000_000), 600);
    }
}
