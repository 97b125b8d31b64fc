//! Cognito's input constraints, enforced before any action runs: lengths, patterns, enums,
//! ranges and required members as Cognito's published API model states them, answered with
//! Cognito's `InvalidParameterException` wording (`1 validation error detected: Value at
//! 'username' failed to satisfy constraint: ...`).
//!
//! The table is `constraints.json`, generated from botocore's copy of the model by
//! `scripts/cognito-constraints.py` (add an action there and re-run it). An action the table
//! does not know is an unknown operation, so no action can skip validation.
//!
//! Members the model does not name are ignored; `null` counts as absent; a member of the
//! wrong JSON type is a `SerializationException`, as when Cognito cannot read the body.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::error::CognitoError;

#[derive(Deserialize)]
struct Model {
    /// Action → its input shape.
    operations: HashMap<String, String>,
    shapes: HashMap<String, Shape>,
}

#[derive(Deserialize)]
struct Shape {
    #[serde(rename = "type")]
    kind: String,
    min: Option<i64>,
    max: Option<i64>,
    /// Java regular-expression syntax, as the model and Cognito's messages spell it.
    pattern: Option<String>,
    #[serde(rename = "enum")]
    values: Option<Vec<String>>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    required: Vec<String>,
    /// `[name, shape]` or `[name, shape, "sensitive"]`, in the model's order.
    #[serde(default)]
    members: Vec<Vec<String>>,
    /// Element shape of a list.
    member: Option<String>,
    key: Option<String>,
    value: Option<String>,
    #[serde(skip)]
    regex: OnceLock<Regex>,
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    serde_json::from_str(include_str!("constraints.json")).expect("constraints.json is valid")
});

impl Shape {
    /// The pattern, compiled once, anchored at both ends (Java's `matches`).
    fn regex(&self, pattern: &str) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(&format!(r"\A(?:{})\z", java_to_rust(pattern)))
                .expect("constraints.json patterns compile")
        })
    }
}

/// Java regex → `regex` crate: `\w`, `\d`, `\s`, `\S` are ASCII in Java (Unicode in `regex`),
/// and a `-` right after a range inside a class is a literal in Java.
fn java_to_rust(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars().peekable();
    let mut depth = 0usize;
    // Inside a class: whether the last item was a complete range (`a-z`).
    let mut after_range = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else { break };
                let class = match e {
                    'w' => Some("[a-zA-Z0-9_]"),
                    'd' => Some("[0-9]"),
                    's' => Some(r"[ \t\n\x0B\f\r]"),
                    'S' => Some(r"[^ \t\n\x0B\f\r]"),
                    _ => None,
                };
                match class {
                    Some(c) => out.push_str(c),
                    None => {
                        out.push('\\');
                        out.push(e);
                        if e == 'p' || e == 'P' {
                            // `\p{L}`: copy the braces.
                            for b in chars.by_ref() {
                                out.push(b);
                                if b == '}' {
                                    break;
                                }
                            }
                        }
                    }
                }
                after_range = false;
            }
            '[' => {
                depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                after_range = false;
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(']');
                after_range = false;
            }
            '-' if depth > 0 && after_range => {
                out.push_str(r"\-");
                after_range = false;
            }
            '-' if depth > 0 && chars.peek().is_some_and(|n| *n != ']') => {
                out.push('-');
                if let Some(n) = chars.next() {
                    out.push(n);
                }
                after_range = true;
            }
            other => {
                out.push(other);
                after_range = false;
            }
        }
    }
    out
}

/// Checks `body` (a JSON object) against the input shape of `action`.
pub fn validate(action: &str, body: &Value) -> Result<(), CognitoError> {
    let model = &*MODEL;
    let Some(shape) = model.operations.get(action) else {
        return Err(CognitoError::new(
            "UnknownOperationException",
            "Unknown operation.",
        ));
    };
    let mut errors = Vec::new();
    check(model, shape, body, "", false, &mut errors)?;
    match errors.len() {
        0 => Ok(()),
        1 => Err(CognitoError::invalid_parameter(format!(
            "1 validation error detected: {}",
            errors[0]
        ))),
        n => Err(CognitoError::invalid_parameter(format!(
            "{n} validation errors detected: {}",
            errors.join("; ")
        ))),
    }
}

fn mismatch(path: &str) -> CognitoError {
    CognitoError::serialization(format!(
        "Cannot deserialize the request body: unexpected type at '{path}'."
    ))
}

/// Cognito's member path: lower-camel-case names joined with `.`, list items as `.N.member`.
fn join(path: &str, name: &str) -> String {
    let mut c = name.chars();
    let lower: String = c
        .next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default();
    if path.is_empty() {
        lower
    } else {
        format!("{path}.{lower}")
    }
}

fn check(
    model: &Model,
    name: &str,
    v: &Value,
    path: &str,
    sensitive: bool,
    errors: &mut Vec<String>,
) -> Result<(), CognitoError> {
    let Some(shape) = model.shapes.get(name) else {
        return Ok(());
    };
    let sensitive = sensitive || shape.sensitive;
    if v.is_null() {
        return Ok(());
    }
    // The value shown in the message (never a sensitive one), and what it violates.
    let (shown, violations) = match shape.kind.as_str() {
        "structure" => {
            let obj = v.as_object().ok_or_else(|| mismatch(path))?;
            for required in &shape.required {
                if obj.get(required).is_none_or(Value::is_null) {
                    errors.push(format!(
                        "Value null at '{}' failed to satisfy constraint: Member must not be null",
                        join(path, required)
                    ));
                }
            }
            for m in &shape.members {
                let (Some(member), Some(member_shape)) = (m.first(), m.get(1)) else {
                    continue;
                };
                if let Some(value) = obj.get(member) {
                    let flagged = m.get(2).is_some_and(|s| s == "sensitive");
                    check(
                        model,
                        member_shape,
                        value,
                        &join(path, member),
                        flagged,
                        errors,
                    )?;
                }
            }
            return Ok(());
        }
        "list" => {
            let items = v.as_array().ok_or_else(|| mismatch(path))?;
            if let Some(member) = &shape.member {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}.{}.member", i + 1);
                    check(model, member, item, &item_path, sensitive, errors)?;
                }
            }
            (None, bounds(shape, items.len(), "length"))
        }
        "map" => {
            let map = v.as_object().ok_or_else(|| mismatch(path))?;
            for (k, item) in map {
                if let Some(key) = &shape.key {
                    check(model, key, &Value::String(k.clone()), path, true, errors)?;
                }
                if let Some(value) = &shape.value {
                    check(model, value, item, path, true, errors)?;
                }
            }
            (None, bounds(shape, map.len(), "length"))
        }
        "string" => {
            let s = v.as_str().ok_or_else(|| mismatch(path))?;
            let mut out = bounds(shape, s.chars().count(), "length");
            if let Some(p) = &shape.pattern
                && !shape.regex(p).is_match(s)
            {
                out.push(format!(
                    "Member must satisfy regular expression pattern: {p}"
                ));
            }
            if let Some(values) = &shape.values
                && !values.iter().any(|e| e == s)
            {
                out.push(format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ));
            }
            ((!sensitive).then(|| s.to_string()), out)
        }
        "integer" | "long" => {
            let n = v.as_i64().ok_or_else(|| mismatch(path))?;
            (Some(n.to_string()), bounds(shape, n, "value"))
        }
        "boolean" => {
            v.as_bool().ok_or_else(|| mismatch(path))?;
            return Ok(());
        }
        "double" | "float" | "timestamp" => {
            v.as_f64().ok_or_else(|| mismatch(path))?;
            return Ok(());
        }
        _ => return Ok(()),
    };
    let shown = shown.map(|s| format!(" '{s}'")).unwrap_or_default();
    for o in violations {
        errors.push(format!(
            "Value{shown} at '{path}' failed to satisfy constraint: {o}"
        ));
    }
    Ok(())
}

/// Range violations: of the `length` of a string, list or map, or of an integer's `value`.
fn bounds(shape: &Shape, n: impl TryInto<i64>, what: &str) -> Vec<String> {
    let n = n.try_into().unwrap_or(i64::MAX);
    let mut out = Vec::new();
    if let Some(min) = shape.min.filter(|m| n < *m) {
        out.push(format!(
            "Member must have {what} greater than or equal to {min}"
        ));
    }
    if let Some(max) = shape.max.filter(|m| n > *m) {
        out.push(format!(
            "Member must have {what} less than or equal to {max}"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_pattern_compiles_and_every_shape_exists() {
        for (name, shape) in &MODEL.shapes {
            if let Some(p) = &shape.pattern {
                Regex::new(&java_to_rust(p)).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            for m in &shape.members {
                assert!(MODEL.shapes.contains_key(&m[1]), "{name}.{}", m[0]);
            }
        }
        for shape in MODEL.operations.values() {
            assert!(MODEL.shapes.contains_key(shape), "{shape}");
        }
    }

    #[test]
    fn java_classes_become_ascii_classes() {
        assert_eq!(java_to_rust(r"[\w+]+"), "[[a-zA-Z0-9_]+]+");
        assert_eq!(java_to_rust("[A-Za-z0-9-_=.]+"), r"[A-Za-z0-9\-_=.]+");
        assert_eq!(
            java_to_rust(r"[\w-]+_[0-9a-zA-Z]+"),
            "[[a-zA-Z0-9_]-]+_[0-9a-zA-Z]+"
        );
        let token = Regex::new(&format!(r"\A(?:{})\z", java_to_rust("[A-Za-z0-9-_=.]+"))).unwrap();
        assert!(token.is_match("eyJ.a-b_c="));
        assert!(!token.is_match("a b"));
        assert!(!token.is_match("a+b"));
        let id = Regex::new(&format!(r"\A(?:{})\z", java_to_rust(r"[\w+]+"))).unwrap();
        assert!(id.is_match("abc+123_"));
        assert!(!id.is_match("é"), "Java's \\w is ASCII");
    }

    #[test]
    fn messages_use_cognitos_wording() {
        let e = validate(
            "ForgotPassword",
            &json!({"ClientId": "abc", "Username": "a b"}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            r"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+"
        );
        let e = validate(
            "InitiateAuth",
            &json!({"ClientId": "c", "AuthFlow": "NOPE"}),
        )
        .unwrap_err();
        assert!(
            e.message.starts_with(
                "1 validation error detected: Value 'NOPE' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, "
            ),
            "{}",
            e.message
        );
        let e = validate(
            "SignUp",
            &json!({"ClientId": "c", "Username": "u", "UserAttributes": [{"Name": "email", "Value": "x"}, {"Name": ""}]}),
        )
        .unwrap_err();
        assert!(
            e.message.contains("'userAttributes.2.member.name'"),
            "{}",
            e.message
        );
        let e = validate("ListUsers", &json!({"UserPoolId": "x_1", "Limit": 61})).unwrap_err();
        assert!(
            e.message.contains(
                "Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
            ),
            "{}",
            e.message
        );
        let e = validate("GetUser", &json!({})).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null"
        );
        let e = validate("GetUser", &json!({"AccessToken": 5})).unwrap_err();
        assert_eq!(e.name, "SerializationException");
        assert!(validate("GetUser", &json!({"AccessToken": "a.b.c", "Other": 5})).is_ok());
        assert!(
            validate(
                "ForgotPassword",
                &json!({"ClientId": "abc", "Username": "a@b.c", "SecretHash": null})
            )
            .is_ok()
        );
        assert_eq!(
            validate("NoSuchAction", &json!({})).unwrap_err().name,
            "UnknownOperationException"
        );
    }

    #[test]
    fn passwords_may_hold_inner_spaces_only() {
        let body = |p: &str| json!({"ClientId": "c", "Username": "u", "Password": p});
        assert!(validate("SignUp", &body("correct horse battery staple")).is_ok());
        assert!(validate("SignUp", &body(" leading")).is_err());
        assert!(validate("SignUp", &body("trailing ")).is_err());
    }
}
