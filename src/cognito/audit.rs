//! What the Cognito door tells the audit log: every action that changes something (reads —
//! `Get*`, `List*`, `Describe*` — are not recorded), with the admin key or the user who acted,
//! the user or thing acted on, and the `__type` the caller was answered. Sign-ins and
//! refreshes are recorded under the names every door uses, with the user's `sub` as target
//! once tokens were issued (the monthly-active-users report counts those).

use std::net::IpAddr;

use serde_json::Value;

use super::error::CognitoError;
use crate::audit::{self, Door, Event};
use crate::state::AppState;

/// Records `action`'s outcome. `key` is the admin access key of a signed call.
pub fn record(
    state: &AppState,
    ip: IpAddr,
    action: &str,
    body: &Value,
    key: Option<&str>,
    result: &Result<Value, CognitoError>,
) {
    let Some(name) = audited_name(action, body) else {
        return;
    };
    let outcome = match result {
        Ok(v) if v.get("ChallengeName").is_some() => "challenge".to_string(),
        Ok(_) => "success".to_string(),
        Err(e) => e.name.to_string(),
    };
    let mut event = Event::new(Door::Cognito, name.as_str(), outcome).source(ip);
    // Once tokens were issued (or an access token was accepted), the user is known for sure.
    let sub = match result {
        Ok(v) => issued_sub(v).or_else(|| presented_sub(body)),
        Err(_) => None,
    };
    event = match (&sub, key) {
        (_, Some(k)) => event.actor(audit::key_actor(k)),
        (Some(s), None) => event.actor(audit::user_actor(s)),
        (None, None) => event,
    };
    let signed_in_user = sub.is_some();
    if let Some(target) = sub.or_else(|| named_target(body)) {
        // A refused sign-in names the user only as typed: the writer finds the user's id.
        event = if name == audit::SIGN_IN && !signed_in_user {
            event.login(target)
        } else {
            event.target(target)
        };
    }
    let pool = str_at(body, "UserPoolId").or_else(|| match result {
        Ok(v) => v
            .pointer("/UserPool/Id")
            .and_then(Value::as_str)
            .map(String::from),
        Err(_) => None,
    });
    event = match (pool, str_at(body, "ClientId")) {
        (Some(p), _) => event.pool(p),
        (None, Some(c)) => event.client(c),
        (None, None) => event,
    };
    state.audit(event);
}

/// The name an action is recorded under, or None for reads.
fn audited_name(action: &str, body: &Value) -> Option<String> {
    let refresh_flow = matches!(
        body.get("AuthFlow").and_then(Value::as_str),
        Some("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN")
    );
    let name = match action {
        "GetTokensFromRefreshToken" => audit::TOKEN_REFRESH,
        "InitiateAuth" | "AdminInitiateAuth" if refresh_flow => audit::TOKEN_REFRESH,
        "InitiateAuth"
        | "AdminInitiateAuth"
        | "RespondToAuthChallenge"
        | "AdminRespondToAuthChallenge" => audit::SIGN_IN,
        "ChangePassword" => audit::PASSWORD_CHANGE,
        "ConfirmForgotPassword" => audit::PASSWORD_RESET,
        "AssociateSoftwareToken" | "VerifySoftwareToken" | "SetUserMFAPreference" => {
            audit::MFA_CHANGE
        }
        "GlobalSignOut" | "RevokeToken" => audit::SIGN_OUT,
        a if a.starts_with("Get")
            || a.starts_with("List")
            || a.starts_with("Describe")
            || matches!(
                a,
                "AdminGetUser" | "AdminListGroupsForUser" | "AdminListUserAuthEvents"
            ) =>
        {
            return None;
        }
        a => a,
    };
    Some(name.to_string())
}

fn str_at(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(String::from)
}

/// The user or thing an action names (never a secret: no password, code or token).
fn named_target(body: &Value) -> Option<String> {
    let named = |k: &&str| str_at(body, k);
    ["Username", "GroupName", "Identifier", "ProviderName"]
        .iter()
        .find_map(named)
        .or_else(|| {
            ["AuthParameters", "ChallengeResponses"]
                .iter()
                .find_map(|k| body.get(k)?.get("USERNAME")?.as_str().map(String::from))
        })
        .or_else(|| named(&"ClientId"))
}

/// The `sub` of the access token a successful sign-in or refresh just issued (our own token:
/// its payload is read, not verified).
fn issued_sub(response: &Value) -> Option<String> {
    let token = response
        .pointer("/AuthenticationResult/AccessToken")
        .or_else(|| response.get("AccessToken"))?
        .as_str()?;
    audit::token_sub(token)
}

/// The `sub` of the access token an action accepted (it succeeded, so the token was valid).
fn presented_sub(body: &Value) -> Option<String> {
    audit::token_sub(body.get("AccessToken")?.as_str()?)
}
