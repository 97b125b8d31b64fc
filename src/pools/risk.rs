//! A pool's risk configuration (Cognito's SetRiskConfiguration): one for the pool and, as at
//! Cognito, one per app client that replaces the pool's for that client. Each is the JSON
//! Cognito's API carries, kept as given and returned by DescribeRiskConfiguration.
//!
//! Acted on today: `CompromisedCredentialsRiskConfiguration` at sign-in (a password on the
//! breached-password list with `EventAction: BLOCK` for `SIGN_IN` sends the user to a reset,
//! `authn::flow`); `AccountTakeoverRiskConfiguration` by adaptive sign-in (`authn::risk`), when
//! the pool's `UserPoolAddOns.AdvancedSecurityMode` is `AUDIT` or `ENFORCED`. Recorded, not
//! acted on: `RiskExceptionConfiguration`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The key of the pool-wide configuration in `PoolSettings::risk` (`ClientId` omitted or `ALL`).
pub const POOL_WIDE: &str = "ALL";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskConfiguration {
    pub compromised_credentials: Option<Value>,
    pub account_takeover: Option<Value>,
    pub risk_exception: Option<Value>,
    pub last_modified: i64,
}

/// What happens to a password known from breaches at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    SignIn,
    SignUp,
    PasswordChange,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Event::SignIn => "SIGN_IN",
            Event::SignUp => "SIGN_UP",
            Event::PasswordChange => "PASSWORD_CHANGE",
        }
    }
}

impl RiskConfiguration {
    /// Whether a compromised password is blocked at `event`: `EventAction: BLOCK`, and an
    /// `EventFilter` that names the event (no filter: every event, as at Cognito).
    pub fn blocks_compromised(&self, event: Event) -> bool {
        let Some(c) = &self.compromised_credentials else {
            return false;
        };
        let blocks = c["Actions"]["EventAction"] == "BLOCK";
        let applies = match c["EventFilter"].as_array() {
            None => true,
            Some(events) => events.iter().any(|e| e == event.name()),
        };
        blocks && applies
    }
}

/// A sign-in's risk level (Cognito's `RiskLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    /// Cognito's spelling (`Low`, `Medium`, `High`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "Low",
            Level::Medium => "Medium",
            Level::High => "High",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "Low" => Some(Level::Low),
            "Medium" => Some(Level::Medium),
            "High" => Some(Level::High),
            _ => None,
        }
    }
    fn action_key(self) -> &'static str {
        match self {
            Level::Low => "LowAction",
            Level::Medium => "MediumAction",
            Level::High => "HighAction",
        }
    }
}

/// Cognito's `AccountTakeoverEventActionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    #[default]
    NoAction,
    MfaIfConfigured,
    MfaRequired,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::NoAction => "NO_ACTION",
            Action::MfaIfConfigured => "MFA_IF_CONFIGURED",
            Action::MfaRequired => "MFA_REQUIRED",
            Action::Block => "BLOCK",
        }
    }
    fn parse(s: &str) -> Option<Action> {
        match s {
            "NO_ACTION" => Some(Action::NoAction),
            "MFA_IF_CONFIGURED" => Some(Action::MfaIfConfigured),
            "MFA_REQUIRED" => Some(Action::MfaRequired),
            "BLOCK" => Some(Action::Block),
            _ => None,
        }
    }
}

/// The pool's `UserPoolAddOns.AdvancedSecurityMode`: `OFF` (the default: nothing is scored),
/// `AUDIT` (scored and recorded, nothing else) or `ENFORCED` (the configured actions apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Off,
    Audit,
    Enforced,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "OFF",
            Mode::Audit => "AUDIT",
            Mode::Enforced => "ENFORCED",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "OFF" => Some(Mode::Off),
            "AUDIT" => Some(Mode::Audit),
            "ENFORCED" => Some(Mode::Enforced),
            _ => None,
        }
    }
    /// The mode recorded in a pool's `UserPoolAddOns` (absent or unknown: `OFF`).
    pub fn of(add_ons: Option<&Value>) -> Mode {
        add_ons
            .and_then(|a| a["AdvancedSecurityMode"].as_str())
            .and_then(Mode::parse)
            .unwrap_or_default()
    }
}

/// What a risk level leads to: the action, and whether the user is told by e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Response {
    pub action: Action,
    pub notify: bool,
}

/// One of NotifyConfiguration's `BlockEmail`, `MfaEmail`, `NoActionEmail`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyEmail {
    pub subject: Option<String>,
    pub html_body: Option<String>,
    pub text_body: Option<String>,
}

impl RiskConfiguration {
    /// The account-takeover response configured for `level` (none configured: no action).
    pub fn takeover_response(&self, level: Level) -> Response {
        let Some(c) = &self.account_takeover else {
            return Response::default();
        };
        let a = &c["Actions"][level.action_key()];
        Response {
            action: a["EventAction"]
                .as_str()
                .and_then(Action::parse)
                .unwrap_or_default(),
            notify: a["Notify"].as_bool().unwrap_or(false),
        }
    }

    /// The operator's e-mail for an action (`BlockEmail` for BLOCK, `MfaEmail` for the MFA
    /// actions, `NoActionEmail` otherwise), when configured.
    pub fn notify_email(&self, action: Action) -> Option<NotifyEmail> {
        let key = match action {
            Action::Block => "BlockEmail",
            Action::MfaIfConfigured | Action::MfaRequired => "MfaEmail",
            Action::NoAction => "NoActionEmail",
        };
        let e = self
            .account_takeover
            .as_ref()?
            .get("NotifyConfiguration")?
            .get(key)?;
        let text = |k: &str| e[k].as_str().map(String::from);
        Some(NotifyEmail {
            subject: text("Subject"),
            html_body: text("HtmlBody"),
            text_body: text("TextBody"),
        })
    }
}

/// The configuration in force for a client: its own, else the pool's.
pub fn effective<'a>(
    risk: &'a BTreeMap<String, RiskConfiguration>,
    client_id: Option<&str>,
) -> Option<&'a RiskConfiguration> {
    client_id
        .and_then(|c| risk.get(c))
        .or_else(|| risk.get(POOL_WIDE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(c: Value) -> RiskConfiguration {
        RiskConfiguration {
            compromised_credentials: Some(c),
            ..Default::default()
        }
    }

    #[test]
    fn block_needs_the_action_and_an_event_filter_that_names_the_event() {
        let all = config(json!({"Actions": {"EventAction": "BLOCK"}}));
        assert!(all.blocks_compromised(Event::SignIn));
        assert!(all.blocks_compromised(Event::SignUp));
        let sign_up =
            config(json!({"Actions": {"EventAction": "BLOCK"}, "EventFilter": ["SIGN_UP"]}));
        assert!(!sign_up.blocks_compromised(Event::SignIn));
        assert!(sign_up.blocks_compromised(Event::SignUp));
        let none = config(json!({"Actions": {"EventAction": "NO_ACTION"}}));
        assert!(!none.blocks_compromised(Event::SignIn));
        assert!(!RiskConfiguration::default().blocks_compromised(Event::PasswordChange));
    }

    #[test]
    fn takeover_responses_and_modes_read_cognitos_shapes() {
        let c = RiskConfiguration {
            account_takeover: Some(json!({"Actions": {
                "LowAction": {"EventAction": "NO_ACTION", "Notify": true},
                "HighAction": {"EventAction": "BLOCK", "Notify": false}}})),
            ..Default::default()
        };
        assert_eq!(
            c.takeover_response(Level::Low),
            Response {
                action: Action::NoAction,
                notify: true
            }
        );
        assert_eq!(c.takeover_response(Level::High).action, Action::Block);
        assert_eq!(c.takeover_response(Level::Medium), Response::default());
        assert_eq!(
            Mode::of(Some(&json!({"AdvancedSecurityMode": "AUDIT"}))),
            Mode::Audit
        );
        assert_eq!(
            Mode::of(Some(&json!({"AdvancedSecurityMode": "x"}))),
            Mode::Off
        );
        assert_eq!(Mode::of(None), Mode::Off);
    }

    #[test]
    fn a_clients_own_configuration_replaces_the_pools() {
        let mut risk = BTreeMap::new();
        risk.insert(
            POOL_WIDE.to_string(),
            config(json!({"Actions": {"EventAction": "BLOCK"}})),
        );
        risk.insert("app".to_string(), RiskConfiguration::default());
        assert!(
            !effective(&risk, Some("app"))
                .unwrap()
                .blocks_compromised(Event::SignIn)
        );
        assert!(
            effective(&risk, Some("other"))
                .unwrap()
                .blocks_compromised(Event::SignIn)
        );
        assert!(
            effective(&risk, None)
                .unwrap()
                .blocks_compromised(Event::SignIn)
        );
    }
}
