//! Request parameters of the OAuth endpoints, parsed strictly: a parameter given twice is an
//! error (RFC 6749 §3.1), sizes are capped, and an empty value counts as absent.

use std::collections::HashMap;

use super::error::OAuthError;

pub const MAX_VALUE_LEN: usize = 4096;
pub const MAX_PARAMS: usize = 64;

#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    Duplicate(String),
    TooLong(String),
    TooMany,
    Malformed,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::Duplicate(n) => write!(f, "parameter {n} is repeated"),
            ParamError::TooLong(n) => write!(f, "parameter {n} is too long"),
            ParamError::TooMany => write!(f, "too many parameters"),
            ParamError::Malformed => write!(f, "malformed parameters"),
        }
    }
}

impl From<ParamError> for OAuthError {
    fn from(e: ParamError) -> OAuthError {
        OAuthError::invalid_request(e.to_string())
    }
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub fn parse(input: &[u8]) -> Result<Params, ParamError> {
        Params::parse_limited(input, MAX_VALUE_LEN)
    }

    /// `parse` with another cap on each value (the hosted forms check lengths field by field).
    pub fn parse_limited(input: &[u8], max_value_len: usize) -> Result<Params, ParamError> {
        let mut map = HashMap::new();
        for (count, (k, v)) in url::form_urlencoded::parse(input).enumerate() {
            if count >= MAX_PARAMS {
                return Err(ParamError::TooMany);
            }
            if k.len() > 128 {
                return Err(ParamError::Malformed);
            }
            if v.len() > max_value_len {
                return Err(ParamError::TooLong(k.into_owned()));
            }
            if map.insert(k.clone().into_owned(), v.into_owned()).is_some() {
                return Err(ParamError::Duplicate(k.into_owned()));
            }
        }
        // form_urlencoded replaces invalid UTF-8 with U+FFFD; treat that as malformed input.
        if map
            .iter()
            .any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}'))
        {
            return Err(ParamError::Malformed);
        }
        Ok(Params(map))
    }

    /// The value, with empty strings treated as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Merges query and body parameters (e.g. authorize via POST); a name in both is a duplicate.
    pub fn merge(mut self, other: Params) -> Result<Params, ParamError> {
        for (k, v) in other.0 {
            if self.0.insert(k.clone(), v).is_some() {
                return Err(ParamError::Duplicate(k));
            }
        }
        Ok(self)
    }
}

/// Splits a space-delimited scope string into distinct scopes, preserving order.
pub fn split_scope(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_rejected() {
        assert_eq!(
            Params::parse(b"a=1&a=2").unwrap_err(),
            ParamError::Duplicate("a".into())
        );
    }

    #[test]
    fn empty_values_are_absent() {
        let p = Params::parse(b"a=&b=x").unwrap();
        assert_eq!(p.get("a"), None);
        assert_eq!(p.get("b"), Some("x"));
    }

    #[test]
    fn invalid_utf8_is_malformed() {
        assert_eq!(Params::parse(b"a=%ff").unwrap_err(), ParamError::Malformed);
    }

    #[test]
    fn scope_split_dedups() {
        assert_eq!(split_scope("openid  email openid"), vec!["openid", "email"]);
    }
}
