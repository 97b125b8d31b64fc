//! Brute-force protection. Per login name (stored, so every instance agrees): like Cognito,
//! the first 5 failures are free, then each failure doubles a lock-out (15 s, 30 s, …) up to
//! 15 minutes,
//! the same for unknown names. Per client address (in memory): a cap on failures per window
//! against password spraying.

use crate::audit::{self, Door, Event};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::store::{self, Db};

pub const FREE_FAILURES: i64 = 5;
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// The first lock-out; each further failure doubles it.
pub const FIRST_LOCK_SECS: i64 = 15;

/// Seconds until the subject may try again, if it is locked out now.
pub fn locked_for(db: &Db, pool_id: &str, subject: &str, now: i64) -> crate::Result<Option<i64>> {
    Ok(standing(db, pool_id, subject, now)?.locked_for)
}

/// Where a login name stands before a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Seconds until it may try again, if it is locked out now.
    pub locked_for: Option<i64>,
    /// Failures are on record, so a success has something to clear.
    pub has_failures: bool,
    /// How many (adaptive sign-in's failure velocity).
    pub failures: i64,
}

pub fn standing(db: &Db, pool_id: &str, subject: &str, now: i64) -> crate::Result<Standing> {
    let row = store::throttle::get(db, pool_id, subject)?;
    Ok(Standing {
        locked_for: row.and_then(|(_, until)| (until > now).then_some(until - now)),
        has_failures: row.is_some(),
        failures: row.map_or(0, |(n, _)| n),
    })
}

pub fn record_failure(db: &Db, pool_id: &str, subject: &str, now: i64) -> crate::Result<()> {
    let failures = store::throttle::count_failure(db, pool_id, subject)?;
    let locked_until = if failures >= FREE_FAILURES {
        let exp = (failures - FREE_FAILURES).min(20) as u32;
        now + (FIRST_LOCK_SECS << exp.min(16)).min(MAX_LOCK_SECS)
    } else {
        0
    };
    if failures == FREE_FAILURES {
        crate::metrics::lockout();
    }
    if locked_until > 0 {
        store::throttle::lock_until(db, pool_id, subject, locked_until)?;
        let mut event = Event::new(Door::Core, audit::LOCKOUT, "locked").target(subject);
        // Second-factor counters live under a pseudo pool shared by every pool.
        if pool_id != "*" {
            event = event.pool(pool_id);
        }
        audit::record_in(db, event, now)?;
    }
    Ok(())
}

pub fn record_success(db: &Db, pool_id: &str, subject: &str) -> crate::Result<()> {
    store::throttle::clear(db, pool_id, subject)?;
    Ok(())
}

/// Failures allowed per key (a client address; a client and an address) and fixed window;
/// a key over the limit waits for its window to end. In memory: each instance counts its own.
pub struct WindowLimiter<K> {
    max_failures: u32,
    window_secs: i64,
    /// key → (start of its window, failures in it)
    counts: Mutex<HashMap<K, (i64, u32)>>,
}

/// Failed sign-ins per client address, against password spraying.
pub type AddressLimiter = WindowLimiter<IpAddr>;

/// Bound on tracked keys: beyond it finished windows are forgotten, then new keys are not
/// tracked (a flood of addresses must not grow memory without bound).
const MAX_TRACKED: usize = 100_000;

impl<K: Hash + Eq> WindowLimiter<K> {
    pub fn new(max_failures: u32, window_secs: i64) -> WindowLimiter<K> {
        WindowLimiter {
            max_failures,
            window_secs,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until the key may try again, when it is over the limit now.
    pub fn retry_after(&self, key: impl Borrow<K>, now: i64) -> Option<i64> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let (start, n) = counts.get(key.borrow())?;
        let left = start + self.window_secs - now;
        (left > 0 && *n >= self.max_failures).then_some(left)
    }

    /// Failures of the key in its current window (adaptive sign-in's address velocity).
    pub fn failures(&self, key: impl Borrow<K>, now: i64) -> u32 {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match counts.get(key.borrow()) {
            Some((start, n)) if now - start < self.window_secs => *n,
            _ => 0,
        }
    }

    pub fn is_blocked(&self, key: impl Borrow<K>, now: i64) -> bool {
        self.retry_after(key, now).is_some()
    }

    pub fn record_failure(&self, key: K, now: i64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= MAX_TRACKED {
            let window = self.window_secs;
            counts.retain(|_, (start, _)| now - *start < window);
            if counts.len() >= MAX_TRACKED && !counts.contains_key(&key) {
                return;
            }
        }
        let entry = counts.entry(key).or_insert((now, 0));
        if now - entry.0 >= self.window_secs {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_limiter_blocks_after_the_limit_and_forgets_after_the_window() {
        let l: WindowLimiter<&str> = WindowLimiter::new(3, 60);
        for _ in 0..3 {
            assert!(!l.is_blocked("a", 100));
            l.record_failure("a", 100);
        }
        assert_eq!(l.retry_after("a", 100), Some(60));
        assert_eq!(l.retry_after("a", 159), Some(1));
        assert!(!l.is_blocked("b", 100), "keys are counted apart");
        assert!(!l.is_blocked("a", 160), "the window ended");
        l.record_failure("a", 160);
        assert!(!l.is_blocked("a", 160), "a new window starts from zero");
    }
}
