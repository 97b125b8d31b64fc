//! Request bodies: JSON objects whose `null` members count as absent (the JS libraries send
//! `JSON.stringify(params)`), parsed into typed structs; wrong types are
//! `SerializationException`, missing or out-of-range members `InvalidParameterException`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CognitoError;

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// Drops `null` members of objects, recursively.
pub fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// Parses the body (already a JSON object) into `T`.
pub fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, CognitoError> {
    serde_json::from_value(strip_nulls(body.clone())).map_err(|e| {
        let msg = e.to_string();
        if let Some(rest) = msg.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or("");
            CognitoError::invalid_parameter(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(field)
            ))
        } else {
            CognitoError::serialization(format!(
                "Cannot deserialize the request body: {}",
                msg.split(" at line").next().unwrap_or("malformed")
            ))
        }
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Checks a required string member: present (serde did that), 1..=max characters.
pub fn check_len(name: &str, v: &str, min: usize, max: usize) -> Result<(), CognitoError> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(CognitoError::invalid_parameter(format!(
            "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length between {min} and {max}"
        )));
    }
    Ok(())
}

/// Client ids, usernames and the like: bounded and printable.
pub fn check_id(name: &str, v: &str) -> Result<(), CognitoError> {
    check_len(name, v, 1, 128)?;
    if v.chars().any(char::is_control) {
        return Err(CognitoError::invalid_parameter(format!(
            "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must satisfy regular expression pattern"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// A list of `{Name, Value}` as a map; a name given twice is an error.
pub fn attribute_map(list: &[AttributeType]) -> Result<BTreeMap<String, String>, CognitoError> {
    if list.len() > 100 {
        return Err(CognitoError::invalid_parameter("Too many attributes."));
    }
    let mut out = BTreeMap::new();
    for a in list {
        check_len("UserAttributes.member.Name", &a.name, 1, 64)?;
        let v = a.value.clone().unwrap_or_default();
        check_len("UserAttributes.member.Value", &v, 0, 2048)?;
        if out.insert(a.name.clone(), v).is_some() {
            return Err(CognitoError::invalid_parameter(format!(
                "Duplicate attribute {}.",
                a.name
            )));
        }
    }
    Ok(out)
}

/// Free-form string maps (AuthParameters, ChallengeResponses, ClientMetadata): bounded.
pub type StringMap = BTreeMap<String, String>;

pub fn check_map(name: &str, m: &StringMap) -> Result<(), CognitoError> {
    if m.len() > 64 || m.iter().any(|(k, v)| k.len() > 256 || v.len() > 8192) {
        return Err(CognitoError::invalid_parameter(format!(
            "{name} is too large."
        )));
    }
    Ok(())
}

/// `{Destination, DeliveryMedium, AttributeName}` for an email, with the address masked as
/// Cognito does (`a***@e***`).
pub fn email_delivery(email: &str) -> Value {
    serde_json::json!({
        "Destination": mask_email(email),
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    })
}

pub fn mask_email(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(local), first(domain))
}
