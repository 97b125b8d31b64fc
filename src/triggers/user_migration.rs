//! UserMigration: fired for a login name the pool does not know, with the password the user
//! typed (`UserMigration_Authentication`: USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and the
//! hosted sign-in form) or without it (`UserMigration_ForgotPassword`). The request has no
//! `userAttributes`; `userName` is what the user typed.
//!
//! Honoured: `userAttributes` (non-string values such as `true` or numbers are taken as their
//! text, as Cognito does), `finalUserStatus` (`CONFIRMED` or `RESET_REQUIRED`). Checked but
//! without effect here: `messageAction` (only `SUPPRESS`: no welcome message is ever sent for
//! a migrated user), `desiredDeliveryMediums` (`EMAIL`/`SMS`), `forceAliasCreation`,
//! `enableSMSMFA`. A response without `userAttributes` means "no such user or wrong
//! password". Anything else malformed is `InvalidLambdaResponseException`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{TriggerError, Triggers};
use crate::pools::Pool;

pub const TRIGGER: &str = "UserMigration";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Authentication,
    ForgotPassword,
}

/// What the door knows besides the login name: as for PreSignUp, the client,
/// `validationData` and `clientMetadata`.
pub use super::pre_sign_up::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalStatus {
    Confirmed,
    ResetRequired,
}

/// The user the handler vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub attributes: BTreeMap<String, String>,
    pub final_status: Option<FinalStatus>,
}

/// `Ok(None)`: no such user (or a wrong password), also when the pool has no such trigger.
pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    source: Source,
    user_name: &str,
    password: Option<&str>,
    context: &Context,
) -> Result<Option<Migrated>, TriggerError> {
    let trigger_source = match source {
        Source::Authentication => "UserMigration_Authentication",
        Source::ForgotPassword => "UserMigration_ForgotPassword",
    };
    let mut request = json!({
        "validationData": super::string_map(context.validation_data.as_ref()),
    });
    if let (Source::Authentication, Some(p)) = (source, password) {
        request["password"] = json!(p);
    }
    if let Some(m) = &context.client_metadata {
        request["clientMetadata"] = json!(m);
    }
    let event = super::event(
        pool,
        trigger_source,
        user_name,
        context.client_id.as_deref(),
        request,
        json!({
            "userAttributes": null,
            "finalUserStatus": null,
            "messageAction": null,
            "desiredDeliveryMediums": null,
            "forceAliasCreation": null,
            "enableSMSMFA": null,
        }),
    );
    let Some(response) = triggers.invoke(pool, TRIGGER, &event)? else {
        return Ok(None);
    };
    read_response(&response).ok_or(TriggerError::InvalidResponse { trigger: TRIGGER })
}

/// The handler's `response`: `Some(None)` for "no such user", `None` when it is malformed.
fn read_response(response: &Value) -> Option<Option<Migrated>> {
    let attributes = match response.get("userAttributes") {
        None | Some(Value::Null) => return Some(None),
        Some(Value::Object(map)) if map.is_empty() => return Some(None),
        Some(Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| Some((k.clone(), attribute_text(v)?)))
            .collect::<Option<BTreeMap<_, _>>>()?,
        Some(_) => return None,
    };
    let final_status = match response.get("finalUserStatus") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "CONFIRMED" => Some(FinalStatus::Confirmed),
        Some(Value::String(s)) if s == "RESET_REQUIRED" => Some(FinalStatus::ResetRequired),
        Some(_) => return None,
    };
    match response.get("messageAction") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "SUPPRESS" => {}
        Some(_) => return None,
    }
    match response.get("desiredDeliveryMediums") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list))
            if list
                .iter()
                .all(|m| m.as_str().is_some_and(|m| m == "EMAIL" || m == "SMS")) => {}
        Some(_) => return None,
    }
    for flag in ["forceAliasCreation", "enableSMSMFA"] {
        if !matches!(
            response.get(flag),
            None | Some(Value::Null) | Some(Value::Bool(_))
        ) {
            return None;
        }
    }
    Some(Some(Migrated {
        attributes,
        final_status,
    }))
}

/// An attribute value as stored: strings as they are, booleans and numbers as their text.
fn attribute_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_missing_attributes_mean_no_user() {
        assert_eq!(read_response(&json!({})), Some(None));
        assert_eq!(read_response(&json!({"userAttributes": {}})), Some(None));
        assert_eq!(read_response(&json!({"userAttributes": null})), Some(None));
    }

    #[test]
    fn non_string_values_are_taken_as_text() {
        let r = read_response(&json!({
            "userAttributes": {"email": "a@b.example", "email_verified": true, "custom:n": 3},
            "finalUserStatus": "RESET_REQUIRED",
            "messageAction": "SUPPRESS",
        }))
        .unwrap()
        .unwrap();
        assert_eq!(r.attributes["email_verified"], "true");
        assert_eq!(r.attributes["custom:n"], "3");
        assert_eq!(r.final_status, Some(FinalStatus::ResetRequired));
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            json!({"userAttributes": "x"}),
            json!({"userAttributes": {"a": {"b": 1}}}),
            json!({"userAttributes": {"email": "a@b.example"}, "finalUserStatus": "ENABLED"}),
            json!({"userAttributes": {"email": "a@b.example"}, "messageAction": "SHOUT"}),
            json!({"userAttributes": {"email": "a@b.example"}, "desiredDeliveryMediums": ["FAX"]}),
            json!({"userAttributes": {"email": "a@b.example"}, "forceAliasCreation": "yes"}),
        ] {
            assert_eq!(read_response(&bad), None, "{bad}");
        }
    }
}
