//! A pool's risk configuration (Cognito's SetRiskConfiguration): one for the pool and, as at
//! Cognito, one per app client that replaces the pool's for that client. Each is the JSON
//! Cognito's API carries, kept as given and returned by DescribeRiskConfiguration.
//!
//! Acted on today: `CompromisedCredentialsRiskConfiguration` at sign-in (a password on the
//! breached-password list with `EventAction: BLOCK` for `SIGN_IN` sends the user to a reset,
//! `authn::flow`). Recorded, not acted on yet: `AccountTakeoverRiskConfiguration` (adaptive
//! sign-in) and `RiskExceptionConfiguration`.

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
