//! Brute-force protection. Per login name (stored, so every instance agrees): like Cognito,
//! the first 5 failures are free, then each failure doubles a lock-out (15 s, 30 s, …) up to
//! 15 minutes,
//! the same for unknown names. Per client address (in memory): a cap on failures per window
//! against password spraying.

use std::collections::HashMap;
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
}

pub fn standing(db: &Db, pool_id: &str, subject: &str, now: i64) -> crate::Result<Standing> {
    let row = store::throttle::get(db, pool_id, subject)?;
    Ok(Standing {
        locked_for: row.and_then(|(_, until)| (until > now).then_some(until - now)),
        has_failures: row.is_some(),
    })
}

pub fn record_failure(db: &Db, pool_id: &str, subject: &str, now: i64) -> crate::Result<()> {
    let failures = store::throttle::get(db, pool_id, subject)?.map_or(0, |(f, _)| f) + 1;
    let locked_until = if failures >= FREE_FAILURES {
        let exp = (failures - FREE_FAILURES).min(20) as u32;
        now + (FIRST_LOCK_SECS << exp.min(16)).min(MAX_LOCK_SECS)
    } else {
        0
    };
    store::throttle::set(db, pool_id, subject, failures, locked_until)?;
    Ok(())
}

pub fn record_success(db: &Db, pool_id: &str, subject: &str) -> crate::Result<()> {
    store::throttle::clear(db, pool_id, subject)?;
    Ok(())
}

/// Failures allowed per address and window before the address must wait for the next window.
pub struct AddressLimiter {
    max_failures: u32,
    window_secs: i64,
    counts: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl AddressLimiter {
    pub fn new(max_failures: u32, window_secs: i64) -> AddressLimiter {
        AddressLimiter {
            max_failures,
            window_secs,
            counts: Mutex::new(HashMap::new()),
        }
    }

    pub fn is_blocked(&self, ip: IpAddr, now: i64) -> bool {
        let counts = self.counts.lock().expect("lock");
        counts
            .get(&ip)
            .is_some_and(|(start, n)| now - start < self.window_secs && *n >= self.max_failures)
    }

    pub fn record_failure(&self, ip: IpAddr, now: i64) {
        let mut counts = self.counts.lock().expect("lock");
        if counts.len() > 100_000 {
            // Bound memory under a flood of addresses: forget finished windows.
            let window = self.window_secs;
            counts.retain(|_, (start, _)| now - *start < window);
        }
        let entry = counts.entry(ip).or_insert((now, 0));
        if now - entry.0 >= self.window_secs {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}
