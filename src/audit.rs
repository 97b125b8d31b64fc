//! The audit log: who did what, through which door, to what, from where, with what outcome —
//! never a secret. Doors and the core hand events to `Audit::record`, which never blocks the
//! caller: a writer thread appends them in batches (one transaction per batch, at most every
//! `FLUSH_EVERY`), so a busy token endpoint does not pay a transaction per event. Events of a
//! process that stops abruptly may be lost for that last fraction of a second; the CLI, which
//! is its own process, writes its rows directly (`record_now`).
//!
//! With `audit_log = "stderr"` every event is also printed as one JSON line on stderr, for log
//! shippers. Rows older than `audit_retention_days` are purged with the other housekeeping.

use std::net::IpAddr;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use time::{Date, Month, OffsetDateTime};

use crate::store::audit::AuditRow;
use crate::store::{Store, StoreError};

/// Events waiting for the writer; beyond this, events are dropped (and counted in a warning)
/// rather than slowing requests down.
const QUEUE: usize = 20_000;
const BATCH: usize = 1_000;
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Actions whose success counts a user as active in a month (the MAU report).
pub const ACTIVE_USER_ACTIONS: &[&str] = &[SIGN_IN, TOKEN_REFRESH];

// Security events every door spells the same way.
pub const SIGN_IN: &str = "sign_in";
pub const TOKEN_REFRESH: &str = "token_refresh";
pub const LOCKOUT: &str = "lockout";
pub const TOKEN_REUSE: &str = "refresh_token_reuse";
pub const PASSWORD_CHANGE: &str = "password_change";
pub const PASSWORD_RESET: &str = "password_reset";
pub const MFA_CHANGE: &str = "mfa_change";
pub const SIGN_OUT: &str = "sign_out";
/// A sign-in with a password known from breaches, sent to a reset by the risk configuration.
pub const COMPROMISED_CREDENTIALS: &str = "compromised_credentials";

/// The way into the server an event came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Hosted,
    OAuth,
    Cognito,
    Cli,
    Bootstrap,
    Core,
}

impl Door {
    pub fn as_str(self) -> &'static str {
        match self {
            Door::Hosted => "hosted",
            Door::OAuth => "oauth",
            Door::Cognito => "cognito",
            Door::Cli => "cli",
            Door::Bootstrap => "bootstrap",
            Door::Core => "core",
        }
    }
}

/// One event, as a door describes it.
#[derive(Debug, Clone)]
pub struct Event {
    pub pool_id: Option<String>,
    pub actor: String,
    pub door: Door,
    pub action: String,
    pub target: Option<String>,
    pub source: Option<IpAddr>,
    pub outcome: String,
    /// The app client the caller named, when the pool is not known yet: the writer finds the
    /// pool from it, off the request path.
    pub client_id: Option<String>,
    /// The sign-in name a caller typed, when the door does not know the user: the writer
    /// records the user's id instead when the name is one of the pool's users, so that every
    /// sign-in of a user can be found by the id (the user's history) — off the request path,
    /// so the answer's timing tells nothing.
    pub login: Option<String>,
}

impl Event {
    pub fn new(door: Door, action: impl Into<String>, outcome: impl Into<String>) -> Event {
        Event {
            pool_id: None,
            actor: "anonymous".into(),
            door,
            action: action.into(),
            target: None,
            source: None,
            outcome: outcome.into(),
            client_id: None,
            login: None,
        }
    }
    pub fn pool(mut self, pool_id: impl Into<String>) -> Event {
        self.pool_id = Some(pool_id.into());
        self
    }
    pub fn actor(mut self, actor: impl Into<String>) -> Event {
        self.actor = actor.into();
        self
    }
    /// The user or thing acted on (cut to 256 characters: it may be what a caller typed).
    pub fn target(mut self, target: impl Into<String>) -> Event {
        let mut target: String = target.into();
        if let Some((cut, _)) = target.char_indices().nth(256) {
            target.truncate(cut);
        }
        self.target = Some(target);
        self
    }
    /// What a caller typed to sign in: the target, until the writer resolves it to a user id.
    pub fn login(mut self, name: impl Into<String>) -> Event {
        let name: String = name.into();
        self = self.target(name.as_str());
        self.login = Some(name);
        self
    }
    pub fn client(mut self, client_id: impl Into<String>) -> Event {
        self.client_id = Some(client_id.into());
        self
    }
    pub fn source(mut self, ip: IpAddr) -> Event {
        self.source = Some(ip);
        self
    }

    fn into_row(self, at: i64) -> AuditRow {
        self.into_queued(at).row
    }

    fn into_queued(self, at: i64) -> Queued {
        let row = AuditRow {
            at,
            pool_id: self.pool_id,
            actor: self.actor,
            door: self.door.as_str().into(),
            action: self.action,
            target: self.target,
            source: self.source.map(|ip| ip.to_string()),
            outcome: self.outcome,
        };
        Queued {
            row,
            client_id: self.client_id,
            login: self.login,
        }
    }
}

/// A row on its way to the writer, with the client whose pool it may still need and the
/// sign-in name whose user it may still need.
struct Queued {
    row: AuditRow,
    client_id: Option<String>,
    login: Option<String>,
}

impl Queued {
    /// Fills in what the door did not know: the pool from the client, the user from the name.
    fn resolve(&mut self, db: &crate::store::Db) -> Result<(), StoreError> {
        if let (None, Some(client_id)) = (&self.row.pool_id, &self.client_id) {
            self.row.pool_id = crate::store::cognito::client_pool(db, client_id)?;
        }
        if let (Some(pool_id), Some(login)) = (&self.row.pool_id, &self.login) {
            match crate::accounts::service::find_by_login_in(db, pool_id, login) {
                Ok(Some(user)) => self.row.target = Some(user.id),
                Ok(None) => {}
                Err(crate::Error::Store(e)) => return Err(e),
                Err(_) => {}
            }
        }
        Ok(())
    }
}

/// The `actor` of an end user's own action.
pub fn user_actor(sub: &str) -> String {
    format!("user:{sub}")
}

/// The `actor` of a SigV4-signed action.
pub fn key_actor(access_key_id: &str) -> String {
    format!("key:{access_key_id}")
}

/// The first second of the month and of the next one (UTC), and the month's label.
pub fn month_bounds(month: Option<&str>, now: i64) -> Result<(i64, i64, String), String> {
    let first = match month {
        Some(m) => {
            let bad = || format!("--month {m:?}: a month as YYYY-MM, e.g. 2026-11");
            let (y, mo) = m.trim().split_once('-').ok_or_else(bad)?;
            let year: i32 = y.parse().map_err(|_| bad())?;
            let month: u8 = mo.parse().map_err(|_| bad())?;
            let month = Month::try_from(month).map_err(|_| bad())?;
            Date::from_calendar_date(year, month, 1).map_err(|_| bad())?
        }
        None => {
            let today = OffsetDateTime::from_unix_timestamp(now)
                .map_err(|e| e.to_string())?
                .date();
            today.replace_day(1).map_err(|e| e.to_string())?
        }
    };
    let next = match first.month() {
        Month::December => Date::from_calendar_date(first.year() + 1, Month::January, 1),
        m => Date::from_calendar_date(first.year(), m.next(), 1),
    }
    .map_err(|e| e.to_string())?;
    let ts = |d: Date| d.midnight().assume_utc().unix_timestamp();
    Ok((
        ts(first),
        ts(next),
        format!("{}-{:02}", first.year(), u8::from(first.month())),
    ))
}

/// Distinct active users of every pool in the current month (UTC): (pool id, local, federated).
pub fn active_users_this_month(
    db: &crate::store::Db,
    now: i64,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let Ok((from, to, _)) = month_bounds(None, now) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for pool in crate::store::pools::list(db)? {
        let (local, federated) =
            crate::store::audit::active_users(db, &pool.id, ACTIVE_USER_ACTIONS, from, to)?;
        out.push((pool.id, local, federated));
    }
    Ok(out)
}

/// The `sub` of one of our own JWTs that was just issued or accepted (its payload is read, not
/// verified: only call it on a token the server itself signed or has verified).
pub fn token_sub(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(String::from)
}

/// Where events go: the queue to the writer thread, and stderr when asked.
pub struct Audit {
    queue: SyncSender<Queued>,
    stderr: bool,
}

impl Audit {
    /// Starts the writer thread on `store`.
    pub fn start(store: Store, stderr: bool) -> Audit {
        let (queue, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_batches(&store, &rx))
            .expect("spawn the audit writer");
        Audit { queue, stderr }
    }

    /// Records `event` at `at` without waiting for the database.
    pub fn record(&self, event: Event, at: i64) {
        let queued = event.into_queued(at);
        if self.stderr {
            print_json(&queued.row, queued.client_id.as_deref());
        }
        match self.queue.try_send(queued) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::warn!("audit queue full: an audit event was dropped")
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::warn!("audit writer stopped: an audit event was dropped")
            }
        }
    }
}

/// Writes `event` now, in its own transaction (the CLI, bootstrap at start-up).
pub fn record_now(store: &Store, event: Event, at: i64, stderr: bool) -> Result<(), StoreError> {
    let row = event.into_row(at);
    if stderr {
        print_json(&row, None);
    }
    store.write_sync(|db| crate::store::audit::insert(db, &row).map(|_| ()))
}

/// Writes `event` inside the caller's transaction (the core, where the event is part of a
/// change it describes: a lock-out, a revoked token family).
pub fn record_in(db: &crate::store::Db, event: Event, at: i64) -> Result<(), StoreError> {
    crate::store::audit::insert(db, &event.into_row(at)).map(|_| ())
}

fn print_json(row: &AuditRow, client_id: Option<&str>) {
    let mut value = serde_json::json!({ "audit": row });
    if let Some(c) = client_id {
        value["audit"]["client_id"] = c.into();
    }
    if let Ok(line) = serde_json::to_string(&value) {
        eprintln!("{line}");
    }
}

/// A sign-in's final event (not a challenge) takes the user's pending adaptive sign-in score
/// (`store::risk::link_event`); a success also teaches its device, network and country.
fn link_risk(db: &crate::store::Db, row: &AuditRow, event_id: i64) -> Result<(), StoreError> {
    if row.action != SIGN_IN || row.outcome == "challenge" {
        return Ok(());
    }
    if let (Some(pool_id), Some(user_id)) = (&row.pool_id, &row.target) {
        crate::store::risk::link_event(
            db,
            pool_id,
            user_id,
            event_id,
            row.outcome == "success",
            row.at,
        )?;
    }
    Ok(())
}

fn write_batches(store: &Store, rx: &Receiver<Queued>) {
    loop {
        let first = match rx.recv() {
            Ok(row) => row,
            Err(_) => return,
        };
        let mut batch = vec![first];
        let deadline = Instant::now() + FLUSH_EVERY;
        let mut closed = false;
        while batch.len() < BATCH {
            let wait = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(row) => batch.push(row),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        let written = store.write_sync(|db| -> Result<(), StoreError> {
            for queued in &mut batch {
                queued.resolve(db)?;
                let id = crate::store::audit::insert(db, &queued.row)?;
                link_risk(db, &queued.row, id)?;
            }
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, events = batch.len(), "audit events could not be written");
        }
        if closed {
            return;
        }
    }
}
