//! Adaptive (risk-based) sign-in: each sign-in with a right password is scored from the
//! signals the server has (`score`), and the pool's `AccountTakeoverRiskConfiguration` says
//! what a level leads to: nothing, a second factor, a block, and perhaps a notification
//! (`notify`). Scored at one place for every door: `flow::password_login` (hosted page,
//! USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH) and the SRP proof (USER_SRP_AUTH).
//!
//! Only a right password is scored: a wrong one or an unknown user gets the same answer as
//! without adaptive sign-in (and feeds the failure velocities of the login name and the
//! address), so risk answers tell nothing about who exists.
//!
//! Learning is deferred to the audit log: the scored sign-in's row is linked to its audit
//! event when that is written, and only a *successful* event (second factor passed, if asked)
//! makes its device, network and country known (`store::risk::link_event`). A blocked or
//! abandoned attempt teaches nothing.

pub mod device;
pub mod intel;
pub mod notify;
pub mod score;

use std::net::IpAddr;

use crate::accounts::User;
use crate::authn::mfa::Demand;
use crate::pools::Pool;
use crate::pools::risk::{self as config, Action, Level, Mode};
use crate::random::sha256_hex;
use crate::store::{self, Db};

pub use intel::Intel;
pub use score::Signal;

/// The server key that signs device cookies and notification links.
const KEY_NAME: &str = "risk_key";

/// What adaptive sign-in needs of the server: the operator's block list and GeoIP database,
/// the signing key, the public URL (for links in mail).
pub struct Engine {
    pub intel: Intel,
    pub key: [u8; 32],
    pub public_url: String,
}

impl Engine {
    /// Loads (or makes, on first start) the signing key.
    pub fn start(
        store: &crate::store::Store,
        sealer: &crate::keys::seal::Sealer,
        intel: Intel,
        public_url: &str,
        now: i64,
    ) -> crate::Result<Engine> {
        let key =
            store.write_sync(|db| crate::keys::stored::get_or_make(db, sealer, KEY_NAME, now))?;
        Ok(Engine {
            intel,
            key,
            public_url: public_url.trim_end_matches('/').to_string(),
        })
    }
}

/// What a door knows of where a sign-in comes from.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The client's address (the API's `ContextData.IpAddress` only from AdminInitiateAuth).
    pub ip: IpAddr,
    /// The device's id as the door recognised it; None when the request carries nothing that
    /// identifies a device (then "new device" cannot fire). The hosted door passes a fresh
    /// random id for a missing or forged cookie, so that it is a new device.
    pub device: Option<String>,
    pub device_name: Option<String>,
    /// Failed sign-ins from the address in the address limiter's window.
    pub address_failures: u32,
}

impl Evidence {
    /// Only the address: no device, no failures.
    pub fn from_address(ip: IpAddr) -> Evidence {
        Evidence {
            ip,
            device: None,
            device_name: None,
            address_failures: 0,
        }
    }
}

/// The outcome of scoring one sign-in.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The `sign_in_risk` row.
    pub id: i64,
    pub level: Option<Level>,
    /// What is done (`NO_ACTION` in AUDIT mode).
    pub action: Action,
    pub signals: Vec<Signal>,
    /// A notification was queued (the door wakes the mailer).
    pub notified: bool,
}

impl Assessment {
    pub fn blocked(&self) -> bool {
        self.action == Action::Block
    }

    /// The second factor the risk asks for.
    pub fn demand(&self) -> Demand {
        match self.action {
            Action::MfaRequired => Demand::Required,
            Action::MfaIfConfigured => Demand::IfConfigured,
            _ => Demand::None,
        }
    }
}

/// Cognito's `RiskDecision` of a scored sign-in.
fn decision(level: Option<Level>, action: Action) -> &'static str {
    match (level, action) {
        (_, Action::Block) => "Block",
        (Some(_), _) => "AccountTakeover",
        (None, _) => "NoRisk",
    }
}

/// Scores a sign-in of `user` (whose password was right) and records it. None when the pool's
/// AdvancedSecurityMode is OFF. In a write transaction; `user_failures` are the login name's
/// failed passwords before this attempt.
#[allow(clippy::too_many_arguments)]
pub fn assess(
    db: &Db,
    engine: &Engine,
    pool: &Pool,
    client_id: Option<&str>,
    user: &User,
    evidence: &Evidence,
    user_failures: i64,
    now: i64,
) -> crate::Result<Option<Assessment>> {
    let mode = Mode::of(pool.settings.recorded.user_pool_add_ons.as_ref());
    if mode == Mode::Off {
        return Ok(None);
    }
    let place = engine.intel.locate(evidence.ip);
    let country = place.as_ref().and_then(|p| p.country.clone());
    let coordinates = place.as_ref().and_then(|p| p.coordinates);
    // Hashed: the table says whether a value was seen, never what it was.
    let device_hash = evidence
        .device
        .as_deref()
        .map(|d| sha256_hex(&format!("device:{d}")));
    let network_hash = sha256_hex(&format!("network:{}", intel::network_of(evidence.ip)));
    let known = store::risk::known(
        db,
        &user.id,
        device_hash.as_deref(),
        &network_hash,
        country.as_deref(),
    )?;
    let mut signals = Vec::new();
    if known.history {
        if device_hash.is_some() && !known.device {
            signals.push(Signal::NewDevice);
        }
        if !known.network {
            signals.push(Signal::NewNetwork);
        }
        if country.is_some() && !known.country {
            signals.push(Signal::NewCountry);
        }
        if let Some(here) = coordinates
            && let Some((lat, lon, at)) = store::risk::last_place(db, &user.id)?
            && score::impossible_travel((lat, lon), at, here, now)
        {
            signals.push(Signal::ImpossibleTravel);
        }
    }
    if user_failures >= score::USER_FAILURES {
        signals.push(Signal::UserFailures);
    }
    if evidence.address_failures >= score::ADDRESS_FAILURES {
        signals.push(Signal::AddressFailures);
    }
    if engine.intel.blocked(evidence.ip) {
        signals.push(Signal::BlockList);
    }
    let level = score::level(&signals);
    let configuration = config::effective(&pool.settings.risk, client_id)
        .cloned()
        .unwrap_or_default();
    let response = level
        .map(|l| configuration.takeover_response(l))
        .unwrap_or_default();
    let mut action = if mode == Mode::Enforced {
        response.action
    } else {
        Action::NoAction
    };
    // As at Cognito: a second factor the user cannot give is a block.
    if action == Action::MfaRequired && !crate::authn::mfa::has_risk_factor(db, user)? {
        action = Action::Block;
    }
    let row = store::risk::RiskRow {
        pool_id: pool.id.clone(),
        user_id: user.id.clone(),
        at: now,
        level: level.map(|l| l.as_str().to_string()),
        decision: decision(level, action).to_string(),
        action: action.as_str().to_string(),
        signals: signals
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
        source: evidence.ip.to_string(),
        device_hash,
        network_hash,
        device_name: evidence.device_name.clone(),
        country,
        city: place.as_ref().and_then(|p| p.city.clone()),
        latitude: coordinates.map(|c| c.0),
        longitude: coordinates.map(|c| c.1),
    };
    let id = store::risk::insert(db, &row)?;
    tracing::info!(pool = %pool.id, user = %user.id, level = ?level, action = action.as_str(),
        signals = %row.signals, "sign-in scored");
    let notified = mode == Mode::Enforced && response.notify && level.is_some();
    if notified {
        let place = match (&row.city, &row.country) {
            (Some(city), Some(c)) => Some(format!("{city}, {c}")),
            (None, Some(c)) => Some(c.clone()),
            _ => None,
        };
        let about = notify::About {
            risk_id: id,
            ip: &row.source,
            place,
            device: row.device_name.as_deref(),
            at: now,
        };
        let custom = configuration.notify_email(action);
        notify::send(
            db,
            &engine.key,
            &engine.public_url,
            pool,
            user,
            &about,
            custom.as_ref(),
            now,
        )?;
    }
    Ok(Some(Assessment {
        id,
        level,
        action,
        signals,
        notified,
    }))
}

/// The "this wasn't me" link was followed and confirmed: the link is used up, the sign-in's
/// event (once recorded) gets the feedback `Invalid`, and the user is signed out everywhere.
/// Returns the user, or None when the link was used before (or names nothing in `pool`).
pub fn not_me(db: &Db, pool: &Pool, risk_id: i64, now: i64) -> crate::Result<Option<String>> {
    if !store::risk::link_open(db, &pool.id, risk_id)? {
        return Ok(None);
    }
    let Some((_, user_id, event_id)) = store::risk::claim_link(db, risk_id, now)? else {
        return Ok(None);
    };
    match event_id {
        Some(event) => crate::accounts::history::give_feedback(
            db,
            pool,
            &user_id,
            &event.to_string(),
            crate::accounts::history::Feedback::Invalid,
            now,
        )?,
        None => crate::accounts::recovery::revoke_everything(db, pool, &user_id, now)?,
    }
    Ok(Some(user_id))
}
