//! ListUsers with Cognito's filter syntax (`attribute = "value"` or `attribute ^= "prefix"`
//! on username, email, phone_number, name, given_name, family_name, preferred_username,
//! cognito:user_status, status, sub) and pagination.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::User;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    #[serde(default)]
    attributes_to_get: Vec<String>,
    limit: Option<i64>,
    pagination_token: Option<String>,
    filter: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Filter {
    pub attribute: String,
    pub prefix: bool,
    pub value: String,
}

const FILTERABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

/// Parses `name = "value"` / `name ^= "value"` (quotes required, `\"` escapes a quote).
pub fn parse_filter(s: &str) -> Result<Option<Filter>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || CognitoError::invalid_parameter("Error while parsing filter.");
    if s.len() > 256 {
        return Err(bad());
    }
    let (attr, rest, prefix) = if let Some((a, r)) = s.split_once("^=") {
        (a, r, true)
    } else if let Some((a, r)) = s.split_once('=') {
        (a, r, false)
    } else {
        return Err(bad());
    };
    let attribute = attr.trim().to_string();
    if !FILTERABLE.contains(&attribute.as_str()) {
        return Err(bad());
    }
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(bad)?;
    let value = inner.replace("\\\"", "\"");
    Ok(Some(Filter {
        attribute,
        prefix,
        value,
    }))
}

fn attribute_of(u: &User, attr: &str) -> Option<String> {
    match attr {
        "username" => Some(u.username.clone()),
        "email" => u.email.clone(),
        "sub" => Some(u.id.clone()),
        "cognito:user_status" => Some(u.status.as_str().to_string()),
        "status" => Some(if u.enabled { "Enabled" } else { "Disabled" }.to_string()),
        other => u.attributes.get(other).cloned(),
    }
}

fn matches(u: &User, f: &Filter) -> bool {
    attribute_of(u, &f.attribute).is_some_and(|v| {
        if f.prefix {
            v.starts_with(&f.value)
        } else {
            v == f.value
        }
    })
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let filter = r.filter.as_deref().map(parse_filter).transpose()?.flatten();
    let (limit, _) = super::page(r.limit, 60, None)?;
    let after = r.pagination_token.unwrap_or_default();
    if after.len() > 256 {
        return Err(CognitoError::invalid_parameter("Invalid pagination token."));
    }
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let wanted = r.attributes_to_get;
    ctx.read(move |db| {
        let mut out = Vec::new();
        let mut cursor = after;
        let mut more = false;
        'pages: loop {
            let page = crate::store::users::list(db, &entry.pool.id, 200, &cursor)?;
            let done = page.len() < 200;
            for u in page {
                cursor = u.username.clone();
                if filter.as_ref().is_none_or(|f| matches(&u, f)) {
                    if out.len() == limit {
                        more = true;
                        break 'pages;
                    }
                    out.push(u);
                }
            }
            if done {
                break;
            }
        }
        let users: Vec<Value> = out
            .iter()
            .map(|u| {
                let mut t = super::user_type(u);
                if !wanted.is_empty()
                    && let Some(a) = t["Attributes"].as_array_mut()
                {
                    a.retain(|x| {
                        x["Name"]
                            .as_str()
                            .is_some_and(|n| wanted.iter().any(|w| w == n))
                    });
                }
                t
            })
            .collect();
        let mut resp = json!({ "Users": users });
        if more && let Some(last) = out.last() {
            resp["PaginationToken"] = json!(last.username);
        }
        Ok(resp)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = parse_filter("email = \"a@b.c\"").unwrap().unwrap();
        assert_eq!(
            (f.attribute.as_str(), f.prefix, f.value.as_str()),
            ("email", false, "a@b.c")
        );
        let f = parse_filter("name ^= \"Jo\"").unwrap().unwrap();
        assert!(f.prefix);
        assert!(parse_filter("").unwrap().is_none());
        assert!(parse_filter("password = \"x\"").is_err());
        assert!(parse_filter("email = x").is_err());
        assert!(parse_filter("email").is_err());
    }
}
