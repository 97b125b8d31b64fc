//! The only reader of system time, so tests and the CLI agree on "now".

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone)]
pub enum Clock {
    System,
    /// A settable clock for tests: seconds since the Unix epoch.
    Fixed(Arc<AtomicI64>),
}

impl Clock {
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            Clock::Fixed(t) => t.load(Ordering::Relaxed),
        }
    }

    pub fn advance(&self, seconds: i64) {
        if let Clock::Fixed(t) = self {
            t.fetch_add(seconds, Ordering::Relaxed);
        }
    }
}
