//! A user's sign-in history, read from the audit log (issue #16: "the user sees their
//! history"), and the user's or an admin's word on one sign-in ("this wasn't me").
//!
//! Every door records a sign-in with the user's id as the audit row's target (a refused one
//! too, once the audit writer has found the user behind the typed name), so the history is
//! one indexed read. It lasts as long as the audit log (`audit_retention_days`). A sign-in
//! adaptive sign-in scored carries its score (`authn::risk`, joined from `sign_in_risk`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::seal::Sealer;
use crate::pools::Pool;
use crate::store::Db;
use crate::store::audit::{self as rows, Before};
use crate::{Error, Result};

/// The most events one page holds (the account page shows one page).
pub const MAX_PAGE: u32 = 50;

/// The server secret the feedback tokens are signed with.
const FEEDBACK_KEY: &str = "auth_event_feedback_key";

/// Where a sign-in came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The hosted sign-in page.
    Hosted,
    /// An app, through the Cognito API.
    App,
}

impl Door {
    pub fn as_str(self) -> &'static str {
        match self {
            Door::Hosted => "hosted",
            Door::App => "app",
        }
    }
}

/// What the user (or an admin) said about one sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    Valid,
    Invalid,
}

impl Feedback {
    pub fn as_str(self) -> &'static str {
        match self {
            Feedback::Valid => "Valid",
            Feedback::Invalid => "Invalid",
        }
    }
    /// Cognito's `FeedbackValueType`: `Valid` | `Invalid`, exactly.
    pub fn parse(s: &str) -> Option<Feedback> {
        match s {
            "Valid" => Some(Feedback::Valid),
            "Invalid" => Some(Feedback::Invalid),
            _ => None,
        }
    }
}

/// One sign-in of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The audit event's id, as text (Cognito's `EventId`).
    pub id: String,
    pub at: i64,
    pub door: Door,
    /// The address the request came from.
    pub source: Option<String>,
    pub success: bool,
    /// What the caller was answered (`success`, `failed`, a Cognito `__type`).
    pub outcome: String,
    pub feedback: Option<(Feedback, i64)>,
    /// Adaptive sign-in's score; None when the pool did not score it.
    pub risk: Option<Risk>,
}

/// How adaptive sign-in scored a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// `Low`, `Medium`, `High`; None when no signal fired.
    pub level: Option<String>,
    /// Cognito's RiskDecision: `NoRisk`, `AccountTakeover`, `Block`.
    pub decision: String,
    /// The action taken (`NO_ACTION`, `MFA_IF_CONFIGURED`, `MFA_REQUIRED`, `BLOCK`).
    pub action: String,
    /// The signals that fired (`new_device`, …).
    pub signals: Vec<String>,
    pub device_name: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    /// The client address scored (AdminInitiateAuth's `ContextData.IpAddress` when given).
    pub source: String,
}

/// One page of a user's sign-ins, newest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub events: Vec<SignIn>,
    pub next: Option<String>,
}

/// Up to `limit` (at most `MAX_PAGE`) sign-ins of `user_id`, newest first, starting after the
/// `next` cursor of an earlier page. A cursor that was not made here is `Invalid`.
pub fn sign_ins(
    db: &Db,
    pool_id: &str,
    user_id: &str,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page> {
    let limit = limit.clamp(1, MAX_PAGE);
    let before = cursor.map(parse_cursor).transpose()?;
    // One more than asked tells whether a next page exists.
    let mut found = rows::sign_ins_of(
        db,
        pool_id,
        user_id,
        crate::audit::SIGN_IN,
        before,
        limit + 1,
    )?;
    let next = if found.len() > limit as usize {
        found.truncate(limit as usize);
        found.last().map(|r| format!("{}.{}", r.at, r.id))
    } else {
        None
    };
    let events = found
        .into_iter()
        .map(|r| SignIn {
            id: r.id.to_string(),
            at: r.at,
            door: if r.door == crate::audit::Door::Hosted.as_str() {
                Door::Hosted
            } else {
                Door::App
            },
            source: r.source,
            success: r.outcome == "success",
            outcome: r.outcome,
            feedback: r
                .feedback
                .and_then(|(v, at)| Some((Feedback::parse(&v)?, at))),
            risk: r.risk.map(|c| Risk {
                level: c.level,
                decision: c.decision,
                action: c.action,
                signals: c
                    .signals
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                device_name: c.device_name,
                country: c.country,
                city: c.city,
                source: c.source,
            }),
        })
        .collect();
    Ok(Page { events, next })
}

fn parse_cursor(cursor: &str) -> Result<Before> {
    let bad = || Error::invalid("pagination token");
    let (at, id) = cursor.split_once('.').ok_or_else(bad)?;
    Ok(Before {
        at: at.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

/// Records `value` on the sign-in `event_id` of `user_id`. An event of another user answers
/// exactly like a missing one (`NotFound`), so event ids reveal nothing. `Invalid` — someone
/// else signed in — also ends every session and refresh token of the user.
pub fn give_feedback(
    db: &Db,
    pool: &Pool,
    user_id: &str,
    event_id: &str,
    value: Feedback,
    now: i64,
) -> Result<()> {
    let missing = || Error::not_found("auth event");
    let id: i64 = event_id.parse().map_err(|_| missing())?;
    let target = rows::sign_in_target(db, &pool.id, crate::audit::SIGN_IN, id)?;
    if target.as_deref() != Some(user_id) {
        return Err(missing());
    }
    rows::put_feedback(db, &pool.id, id, user_id, value.as_str(), now)?;
    if value == Feedback::Invalid {
        super::recovery::revoke_everything(db, pool, user_id, now)?;
    }
    Ok(())
}

/// The key feedback tokens are signed with, made on first use (needs a write transaction).
pub fn feedback_key(db: &Db, sealer: &Sealer, now: i64) -> Result<[u8; 32]> {
    crate::keys::stored::get_or_make(db, sealer, FEEDBACK_KEY, now)
}

/// The feedback key if it was made (read-only: no key yet means no token was ever handed out).
pub fn load_feedback_key(db: &Db, sealer: &Sealer) -> Result<Option<[u8; 32]>> {
    crate::keys::stored::load(db, sealer, FEEDBACK_KEY)
}

fn token_mac(key: &[u8; 32], pool_id: &str, user_id: &str, event_id: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    // Length-prefixed, so that no two (pool, user, event) triples sign the same bytes.
    for part in ["auth-event-feedback", pool_id, user_id, event_id] {
        mac.update(&(part.len() as u32).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac
}

/// Cognito's `FeedbackToken`: lets whoever holds it (the user, from a link) give feedback on
/// this one event of this one user without signing in.
pub fn feedback_token(key: &[u8; 32], pool_id: &str, user_id: &str, event_id: &str) -> String {
    hex::encode(
        token_mac(key, pool_id, user_id, event_id)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `token` is the feedback token of (pool, user, event), compared in constant time.
pub fn check_feedback_token(
    key: &[u8; 32],
    pool_id: &str,
    user_id: &str,
    event_id: &str,
    token: &str,
) -> bool {
    match hex::decode(token) {
        Ok(bytes) => token_mac(key, pool_id, user_id, event_id)
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_pool_user_and_event() {
        let key = [7u8; 32];
        let t = feedback_token(&key, "p", "u", "1");
        assert!(check_feedback_token(&key, "p", "u", "1", &t));
        assert!(!check_feedback_token(&key, "p", "u", "2", &t));
        assert!(!check_feedback_token(&key, "p", "v", "1", &t));
        assert!(!check_feedback_token(&[8u8; 32], "p", "u", "1", &t));
        assert!(!check_feedback_token(&key, "p", "u", "1", "zz"));
    }

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        assert_eq!(parse_cursor("5.7").unwrap(), Before { at: 5, id: 7 });
        assert!(parse_cursor("x").is_err());
        assert!(parse_cursor("1.x").is_err());
    }
}
