//! A pool's attribute schema, Cognito's model: the standard attributes (with their types and
//! whether they are required or mutable) and up to 50 `custom:` attributes with a type
//! (String, Number, DateTime, Boolean) and length or value bounds. Values are checked against
//! it at sign-up, admin creation and every attribute update.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AttributeType {
    #[default]
    String,
    Number,
    DateTime,
    Boolean,
}

impl AttributeType {
    pub fn parse(s: &str) -> Option<AttributeType> {
        match s {
            "String" => Some(AttributeType::String),
            "Number" => Some(AttributeType::Number),
            "DateTime" => Some(AttributeType::DateTime),
            "Boolean" => Some(AttributeType::Boolean),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "String",
            AttributeType::Number => "Number",
            AttributeType::DateTime => "DateTime",
            AttributeType::Boolean => "Boolean",
        }
    }
}

/// One attribute of the schema. For a standard attribute only `required` and `mutable` may
/// differ from Cognito's defaults; a custom one (`custom:name`) is never required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemaAttribute {
    pub name: String,
    pub data_type: AttributeType,
    pub mutable: bool,
    pub required: bool,
    pub developer_only: bool,
    /// String: bounds on the length in characters.
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    /// Number: bounds on the value.
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
}

impl Default for SchemaAttribute {
    fn default() -> SchemaAttribute {
        SchemaAttribute {
            name: String::new(),
            data_type: AttributeType::String,
            mutable: true,
            required: false,
            developer_only: false,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
        }
    }
}

/// Cognito's standard attributes with their types, in Cognito's order.
pub const STANDARD: &[(&str, AttributeType)] = &[
    ("sub", AttributeType::String),
    ("name", AttributeType::String),
    ("given_name", AttributeType::String),
    ("family_name", AttributeType::String),
    ("middle_name", AttributeType::String),
    ("nickname", AttributeType::String),
    ("preferred_username", AttributeType::String),
    ("profile", AttributeType::String),
    ("picture", AttributeType::String),
    ("website", AttributeType::String),
    ("email", AttributeType::String),
    ("email_verified", AttributeType::Boolean),
    ("gender", AttributeType::String),
    ("birthdate", AttributeType::String),
    ("zoneinfo", AttributeType::String),
    ("locale", AttributeType::String),
    ("phone_number", AttributeType::String),
    ("phone_number_verified", AttributeType::Boolean),
    ("address", AttributeType::String),
    ("updated_at", AttributeType::Number),
    ("identities", AttributeType::String),
];

pub const MAX_CUSTOM_ATTRIBUTES: usize = 50;

/// The standard attribute `name` as Cognito describes it by default.
pub fn standard(name: &str, data_type: AttributeType) -> SchemaAttribute {
    let mut a = SchemaAttribute {
        name: name.to_string(),
        data_type,
        ..SchemaAttribute::default()
    };
    match (name, data_type) {
        ("sub", _) => {
            a.mutable = false;
            a.required = true;
            a.min_length = Some(1);
            a.max_length = Some(2048);
        }
        ("birthdate", _) => {
            a.min_length = Some(10);
            a.max_length = Some(10);
        }
        ("identities", _) => {}
        (_, AttributeType::String) => {
            a.min_length = Some(0);
            a.max_length = Some(2048);
        }
        (_, AttributeType::Number) => a.min_value = Some(0),
        _ => {}
    }
    a
}

pub fn is_standard(name: &str) -> bool {
    STANDARD.iter().any(|(n, _)| *n == name)
}

/// Checks a declared attribute (from CreateUserPool's `Schema`, AddCustomAttributes, the CLI
/// or the bootstrap file).
pub fn check_declared(a: &SchemaAttribute) -> Result<(), crate::Error> {
    let bad = |why: &str| {
        Err(crate::Error::invalid(format!(
            "attribute {:?}: {why}",
            a.name
        )))
    };
    if let Some(rest) = a.name.strip_prefix("custom:") {
        if rest.is_empty()
            || rest.chars().count() > 20
            || !rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad("a custom name has 1 to 20 letters, digits, '_' or '-'");
        }
        if a.required {
            return bad("custom attributes cannot be required");
        }
    } else {
        let Some((_, t)) = STANDARD.iter().find(|(n, _)| *n == a.name) else {
            return bad("not a standard attribute; custom ones are named custom:...");
        };
        if *t != a.data_type {
            return bad(&format!("a standard attribute of type {}", t.as_str()));
        }
    }
    if let (Some(lo), Some(hi)) = (a.min_length, a.max_length)
        && (lo > hi || hi > 2048)
    {
        return bad("string length bounds: 0 <= min <= max <= 2048");
    }
    if let (Some(lo), Some(hi)) = (a.min_value, a.max_value)
        && lo > hi
    {
        return bad("number bounds: min <= max");
    }
    Ok(())
}

/// Checks a value against its attribute's type and bounds.
pub fn check_value(a: &SchemaAttribute, value: &str) -> Result<(), String> {
    let name = &a.name;
    match a.data_type {
        AttributeType::String => {
            let n = value.chars().count() as u32;
            if a.min_length.is_some_and(|lo| n < lo) || a.max_length.is_some_and(|hi| n > hi) {
                return Err(format!(
                    "{name}: length must be between {} and {}",
                    a.min_length.unwrap_or(0),
                    a.max_length.unwrap_or(2048)
                ));
            }
        }
        AttributeType::Number => {
            let n: i64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{name}: a whole number is expected"))?;
            if a.min_value.is_some_and(|lo| n < lo) || a.max_value.is_some_and(|hi| n > hi) {
                return Err(format!("{name}: the number is out of range"));
            }
        }
        AttributeType::Boolean => {
            if !matches!(value, "true" | "false") {
                return Err(format!("{name}: true or false is expected"));
            }
        }
        AttributeType::DateTime => {
            // Cognito stores DateTime attributes as strings; accept ISO 8601 dates and times
            // or epoch seconds.
            let iso = value.len() >= 10
                && value.as_bytes()[4] == b'-'
                && value.as_bytes()[7] == b'-'
                && value.as_bytes()[..4].iter().all(u8::is_ascii_digit);
            if !iso && value.parse::<i64>().is_err() {
                return Err(format!("{name}: a date and time is expected"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(t: AttributeType) -> SchemaAttribute {
        SchemaAttribute {
            name: "custom:x".into(),
            data_type: t,
            ..SchemaAttribute::default()
        }
    }

    #[test]
    fn values_are_checked_against_type_and_bounds() {
        let mut s = custom(AttributeType::String);
        s.min_length = Some(2);
        s.max_length = Some(3);
        assert!(check_value(&s, "ab").is_ok());
        assert!(check_value(&s, "a").is_err());
        assert!(check_value(&s, "abcd").is_err());
        let mut n = custom(AttributeType::Number);
        n.min_value = Some(1);
        n.max_value = Some(10);
        assert!(check_value(&n, "5").is_ok());
        assert!(check_value(&n, "11").is_err());
        assert!(check_value(&n, "five").is_err());
        let b = custom(AttributeType::Boolean);
        assert!(check_value(&b, "true").is_ok());
        assert!(check_value(&b, "yes").is_err());
        let d = custom(AttributeType::DateTime);
        assert!(check_value(&d, "2026-12-04T10:00:00Z").is_ok());
        assert!(check_value(&d, "yesterday").is_err());
    }

    #[test]
    fn declarations_are_checked() {
        assert!(check_declared(&custom(AttributeType::String)).is_ok());
        let mut required = custom(AttributeType::String);
        required.required = true;
        assert!(check_declared(&required).is_err());
        let mut long = custom(AttributeType::String);
        long.name = "custom:abcdefghijklmnopqrstu".into();
        assert!(check_declared(&long).is_err());
        let mut retyped = standard("email", AttributeType::String);
        retyped.data_type = AttributeType::Number;
        assert!(check_declared(&retyped).is_err());
        let mut unknown = standard("email", AttributeType::String);
        unknown.name = "shoe_size".into();
        assert!(check_declared(&unknown).is_err());
    }
}
