//! PreTokenGeneration: fired after a grant's store work is committed and before its tokens are
//! signed, for every issue (`tokens::Prepared` carries what the event needs). The pool's
//! `LambdaConfig.PreTokenGenerationConfig {LambdaVersion, LambdaArn}` chooses the event
//! version; a bare `PreTokenGeneration` target is V1.
//!
//! Honoured, as Cognito does:
//! - V1 (`claimsOverrideDetails`): `claimsToAddOrOverride` (string values) and
//!   `claimsToSuppress` on the ID token, suppression winning; `groupOverrideDetails` replaces
//!   `cognito:groups` in both tokens and `cognito:roles`/`cognito:preferred_role` in the ID
//!   token (`null` suppresses them; absent leaves them).
//! - V2/V3 (`claimsAndScopeOverrideDetails`): the same per token (`idTokenGeneration`,
//!   `accessTokenGeneration`) with any JSON value, and `scopesToAdd`/`scopesToSuppress` on the
//!   access token's `scope`. Only V3 fires for client-credentials tokens.
//! - Reserved claims (`RESERVED`, any `cognito:` or `dev:` claim) are never changed: a
//!   response naming them is otherwise applied and those entries are ignored, as at Cognito.
//!   A response of the wrong shape is `InvalidLambdaResponseException`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Target, TriggerError, Triggers};
use crate::accounts::User;
use crate::pools::Pool;

pub const TRIGGER: &str = "PreTokenGeneration";

/// Claims no handler may add, change or suppress, in either token. `cognito:` claims change
/// only through `groupOverrideDetails`, `scope` only through the scope fields.
pub const RESERVED: &[&str] = &[
    "acr",
    "amr",
    "aud",
    "at_hash",
    "auth_time",
    "azp",
    "client_id",
    "cognito:username",
    "event_id",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "scope",
    "sub",
    "token_use",
    "username",
    "version",
];

/// ID-token claims that keep a plain value even in V2/V3.
const SCALAR_ONLY: &[&str] = &[
    "address",
    "email_verified",
    "phone_number_verified",
    "updated_at",
];

fn reserved(claim: &str) -> bool {
    RESERVED.contains(&claim) || claim.starts_with("cognito:") || claim.starts_with("dev:")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
    V3,
}

impl Version {
    fn event_version(self) -> &'static str {
        match self {
            Version::V1 => "1",
            Version::V2 => "2",
            Version::V3 => "3",
        }
    }
}

/// The pool's PreTokenGeneration target and event version.
#[derive(Debug, Clone)]
pub struct Config {
    pub version: Version,
    pub target: Target,
}

/// The pool's PreTokenGeneration, if it has one (the only work done when it has none is
/// this look-up).
pub fn config(pool: &Pool) -> Option<Config> {
    let lambda = pool.settings.recorded.lambda_config.as_ref()?;
    if let Some(c) = lambda
        .get("PreTokenGenerationConfig")
        .filter(|c| c.is_object())
    {
        let version = match c.get("LambdaVersion").and_then(Value::as_str) {
            Some("V2_0") => Version::V2,
            Some("V3_0") => Version::V3,
            _ => Version::V1,
        };
        let target = Target::parse(c.get("LambdaArn")?.as_str()?).ok()?;
        return Some(Config { version, target });
    }
    let target = Target::parse(lambda.get(TRIGGER)?.as_str()?).ok()?;
    Some(Config {
        version: Version::V1,
        target,
    })
}

/// What caused the issue: the event's `triggerSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The hosted pages' code flow, at the token endpoint.
    HostedAuth,
    /// A Cognito API sign-in.
    Authentication,
    /// A Cognito API sign-in that set a new password (NEW_PASSWORD_REQUIRED).
    NewPasswordChallenge,
    /// A refresh, at the token endpoint or through the Cognito API.
    RefreshTokens,
    /// A machine token (V3 only).
    ClientCredentials,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::HostedAuth => "TokenGeneration_HostedAuth",
            Source::Authentication => "TokenGeneration_Authentication",
            Source::NewPasswordChallenge => "TokenGeneration_NewPasswordChallenge",
            Source::RefreshTokens => "TokenGeneration_RefreshTokens",
            Source::ClientCredentials => "TokenGeneration_ClientCredentials",
        }
    }

    /// V1 and V2 pools are not called for machine tokens.
    pub fn fires(self, version: Version) -> bool {
        self != Source::ClientCredentials || version == Version::V3
    }
}

/// Everything the event says besides the claims: the user (none for machine tokens), the
/// group configuration, the granted scopes.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: Source,
    pub client_id: String,
    pub user: Option<User>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub preferred_role: Option<String>,
    pub scopes: Vec<String>,
    pub client_metadata: Option<BTreeMap<String, String>>,
}

/// The claims about to be signed; `fire` edits them in place.
pub struct Claims<'a> {
    pub id: Option<&'a mut Map<String, Value>>,
    pub access: &'a mut Map<String, Value>,
}

/// Cognito's event for `request` under `config`.
pub fn event(pool: &Pool, config: &Config, request: &Request) -> Value {
    let attributes = match &request.user {
        Some(user) => {
            let mut a = super::user_attributes(user);
            a.insert("cognito:user_status".into(), user.status.as_str().into());
            json!(a)
        }
        None => json!({}),
    };
    let mut body = json!({
        "userAttributes": attributes,
        "groupConfiguration": {
            "groupsToOverride": request.groups,
            "iamRolesToOverride": request.roles,
            "preferredRole": request.preferred_role,
        },
    });
    if config.version != Version::V1 {
        body["scopes"] = json!(request.scopes);
    }
    if let Some(m) = &request.client_metadata {
        body["clientMetadata"] = json!(m);
    }
    let response = match config.version {
        Version::V1 => json!({ "claimsOverrideDetails": null }),
        _ => json!({ "claimsAndScopeOverrideDetails": null }),
    };
    let user_name = request.user.as_ref().map_or("", |u| u.username.as_str());
    let mut event = super::event(
        pool,
        request.source.as_str(),
        user_name,
        Some(&request.client_id),
        body,
        response,
    );
    event["version"] = json!(config.version.event_version());
    if request.user.is_none() {
        event["userName"] = Value::Null;
    }
    event
}

/// Calls the handler and applies its answer to `claims` (blocking: on the blocking pool,
/// after the grant's commit).
pub fn fire(
    triggers: &Triggers,
    pool: &Pool,
    config: &Config,
    request: &Request,
    claims: Claims<'_>,
) -> Result<(), TriggerError> {
    let event = event(pool, config, request);
    let response = triggers
        .invoke_target(pool, TRIGGER, &config.target, &event)?
        .unwrap_or_default();
    let machine = request.user.is_none();
    apply(config.version, &response, claims, machine)
        .map_err(|BadShape| TriggerError::InvalidResponse { trigger: TRIGGER })
}

/// A response that does not have its version's shape (`InvalidLambdaResponseException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadShape;

/// Applies a handler's `response` to the claims (pure). `Err` when the response does not have
/// the version's shape. For machine tokens (`machine`) the group override is ignored.
pub fn apply(
    version: Version,
    response: &Value,
    claims: Claims<'_>,
    machine: bool,
) -> Result<(), BadShape> {
    let Claims { mut id, access } = claims;
    let details = match version {
        Version::V1 => response.get("claimsOverrideDetails"),
        Version::V2 | Version::V3 => response.get("claimsAndScopeOverrideDetails"),
    };
    let details = match details {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(d)) => d,
        Some(_) => return Err(BadShape),
    };
    match version {
        Version::V1 => {
            if let Some(id) = id.as_deref_mut() {
                edit_claims(id, details, true, true)?;
            }
        }
        Version::V2 | Version::V3 => {
            if let Some(id) = id.as_deref_mut()
                && let Some(d) = section(details, "idTokenGeneration")?
            {
                edit_claims(id, d, false, true)?;
            }
            if let Some(d) = section(details, "accessTokenGeneration")? {
                edit_claims(access, d, false, false)?;
                edit_scopes(access, d)?;
            }
        }
    }
    if !machine && let Some(groups) = details.get("groupOverrideDetails") {
        override_groups(id, access, groups)?;
    }
    Ok(())
}

/// An optional object member (`null` counts as absent).
fn section<'a>(
    details: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, BadShape> {
    match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(BadShape),
    }
}

/// An optional list of strings (`null` counts as empty).
fn strings(value: Option<&Value>) -> Result<Vec<&str>, BadShape> {
    match value {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().ok_or(BadShape)).collect(),
        Some(_) => Err(BadShape),
    }
}

/// `claimsToAddOrOverride` then `claimsToSuppress` (so suppression wins), reserved claims
/// left alone. V1 takes strings only (numbers and booleans as their text).
fn edit_claims(
    claims: &mut Map<String, Value>,
    details: &Map<String, Value>,
    v1: bool,
    id_token: bool,
) -> Result<(), BadShape> {
    match details.get("claimsToAddOrOverride") {
        None | Some(Value::Null) => {}
        Some(Value::Object(add)) => {
            for (name, value) in add {
                let value = match value {
                    Value::String(_) => value.clone(),
                    Value::Number(_) | Value::Bool(_) if v1 => json!(value.to_string()),
                    Value::Null => continue,
                    _ if v1 => return Err(BadShape),
                    Value::Array(_) | Value::Object(_)
                        if id_token && SCALAR_ONLY.contains(&name.as_str()) =>
                    {
                        continue;
                    }
                    _ => value.clone(),
                };
                if !reserved(name) {
                    claims.insert(name.clone(), value);
                }
            }
        }
        Some(_) => return Err(BadShape),
    }
    for name in strings(details.get("claimsToSuppress"))? {
        if !reserved(name) {
            claims.remove(name);
        }
    }
    Ok(())
}

/// `scopesToAdd` then `scopesToSuppress` on the access token's space-separated `scope`.
fn edit_scopes(
    access: &mut Map<String, Value>,
    details: &Map<String, Value>,
) -> Result<(), BadShape> {
    let add = strings(details.get("scopesToAdd"))?;
    let suppress = strings(details.get("scopesToSuppress"))?;
    if add.is_empty() && suppress.is_empty() {
        return Ok(());
    }
    let current = access.get("scope").and_then(Value::as_str).unwrap_or("");
    let mut scopes = crate::tokens::split_scope(current);
    for s in add {
        // A scope is one token of the space-separated list: no spaces inside.
        if !s.is_empty() && !s.contains(char::is_whitespace) && !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    scopes.retain(|s| !suppress.contains(&s.as_str()));
    access.insert("scope".into(), json!(scopes.join(" ")));
    Ok(())
}

/// `groupOverrideDetails` replaces the group claims: `cognito:groups` in both tokens,
/// `cognito:roles` and `cognito:preferred_role` in the ID token. `null` or `{}` removes them.
fn override_groups(
    id: Option<&mut Map<String, Value>>,
    access: &mut Map<String, Value>,
    groups: &Value,
) -> Result<(), BadShape> {
    let empty = Map::new();
    let details = match groups {
        Value::Null => &empty,
        Value::Object(o) => o,
        _ => return Err(BadShape),
    };
    let names = strings(details.get("groupsToOverride"))?;
    let roles = strings(details.get("iamRolesToOverride"))?;
    let preferred = match details.get("preferredRole") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(BadShape),
    };
    let set = |claims: &mut Map<String, Value>, name: &str, list: &[&str]| {
        if list.is_empty() {
            claims.remove(name);
        } else {
            claims.insert(name.into(), json!(list));
        }
    };
    set(access, "cognito:groups", &names);
    if let Some(id) = id {
        set(id, "cognito:groups", &names);
        set(id, "cognito:roles", &roles);
        match preferred {
            Some(r) => id.insert("cognito:preferred_role".into(), json!(r)),
            None => id.remove("cognito:preferred_role"),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        let id = json!({
            "sub": "u1", "aud": "c1", "iss": "https://x/p", "token_use": "id",
            "cognito:username": "ann", "email": "ann@example.com", "email_verified": true,
            "cognito:groups": ["staff"], "cognito:roles": ["arn:aws:iam::1:role/a"],
            "cognito:preferred_role": "arn:aws:iam::1:role/a", "name": "Ann",
        });
        let access = json!({
            "sub": "u1", "client_id": "c1", "token_use": "access", "username": "ann",
            "scope": "openid email", "cognito:groups": ["staff"],
        });
        (
            id.as_object().unwrap().clone(),
            access.as_object().unwrap().clone(),
        )
    }

    type Tokens = (Map<String, Value>, Map<String, Value>);

    fn run(version: Version, response: Value) -> Result<Tokens, BadShape> {
        let (mut id, mut access) = tokens();
        apply(
            version,
            &response,
            Claims {
                id: Some(&mut id),
                access: &mut access,
            },
            false,
        )?;
        Ok((id, access))
    }

    #[test]
    fn v1_adds_and_suppresses_on_the_id_token_only_and_suppression_wins() {
        let (id, access) = run(
            Version::V1,
            json!({"claimsOverrideDetails": {
                "claimsToAddOrOverride": {"tenantId": "acme", "name": "Anne", "level": 3, "email": "x@y"},
                "claimsToSuppress": ["email", "email_verified"],
            }}),
        )
        .unwrap();
        assert_eq!(id["tenantId"], "acme");
        assert_eq!(id["name"], "Anne");
        assert_eq!(id["level"], "3", "V1 values are strings");
        assert!(id.get("email").is_none() && id.get("email_verified").is_none());
        assert!(access.get("tenantId").is_none());
        assert_eq!(id["cognito:groups"], json!(["staff"]), "groups untouched");
    }

    #[test]
    fn v1_refuses_structured_values_and_bad_shapes() {
        let bad = [
            json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"x": {"a": 1}}}}),
            json!({"claimsOverrideDetails": {"claimsToSuppress": "email"}}),
            json!({"claimsOverrideDetails": "yes"}),
            json!({"claimsOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": [1]}}}),
        ];
        for response in bad {
            assert!(run(Version::V1, response.clone()).is_err(), "{response}");
        }
    }

    #[test]
    fn reserved_claims_are_never_changed() {
        let mut add = Map::new();
        let mut suppress = vec![];
        for name in RESERVED
            .iter()
            .chain(&["cognito:groups", "cognito:x", "dev:y"])
        {
            add.insert((*name).into(), json!("forged"));
            suppress.push(*name);
        }
        for version in [Version::V1, Version::V2] {
            let (before_id, before_access) = tokens();
            let section = json!({"claimsToAddOrOverride": add, "claimsToSuppress": suppress});
            let response = match version {
                Version::V1 => json!({"claimsOverrideDetails": section}),
                _ => json!({"claimsAndScopeOverrideDetails": {
                    "idTokenGeneration": section, "accessTokenGeneration": section,
                }}),
            };
            let (id, access) = run(version, response).unwrap();
            assert_eq!(id, before_id);
            assert_eq!(access, before_access);
        }
    }

    #[test]
    fn group_override_replaces_groups_in_both_tokens_and_roles_in_the_id_token() {
        let (id, access) = run(
            Version::V1,
            json!({"claimsOverrideDetails": {"groupOverrideDetails": {
                "groupsToOverride": ["admin", "editor"],
                "iamRolesToOverride": ["arn:aws:iam::1:role/b"],
                "preferredRole": "arn:aws:iam::1:role/b",
            }}}),
        )
        .unwrap();
        assert_eq!(id["cognito:groups"], json!(["admin", "editor"]));
        assert_eq!(access["cognito:groups"], json!(["admin", "editor"]));
        assert_eq!(id["cognito:roles"], json!(["arn:aws:iam::1:role/b"]));
        assert_eq!(id["cognito:preferred_role"], "arn:aws:iam::1:role/b");
        assert!(access.get("cognito:roles").is_none());
        // Only groups given: the roles go, as the whole configuration is replaced.
        let (id, _) = run(
            Version::V1,
            json!({"claimsOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": ["x"]}}}),
        )
        .unwrap();
        assert!(id.get("cognito:roles").is_none() && id.get("cognito:preferred_role").is_none());
        // null (or {}) suppresses the groups.
        for empty in [json!(null), json!({})] {
            let (id, access) = run(
                Version::V2,
                json!({"claimsAndScopeOverrideDetails": {"groupOverrideDetails": empty}}),
            )
            .unwrap();
            assert!(id.get("cognito:groups").is_none() && access.get("cognito:groups").is_none());
        }
    }

    #[test]
    fn v2_takes_any_json_value_per_token_and_edits_scopes() {
        let (id, access) = run(
            Version::V2,
            json!({"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"tags": {"team": ["a", "b"]}, "email_verified": {"no": 1}},
                    "claimsToSuppress": ["name"],
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"level": 3, "admin": true, "ids": [1, 2]},
                    "scopesToAdd": ["api/read", "api/write", "bad scope"],
                    "scopesToSuppress": ["email", "api/write"],
                },
            }}),
        )
        .unwrap();
        assert_eq!(id["tags"], json!({"team": ["a", "b"]}));
        assert_eq!(
            id["email_verified"], true,
            "a scalar-only claim keeps its value"
        );
        assert!(id.get("name").is_none());
        assert!(id.get("level").is_none());
        assert_eq!(access["level"], 3);
        assert_eq!(access["admin"], true);
        assert_eq!(access["ids"], json!([1, 2]));
        assert_eq!(access["scope"], "openid api/read");
    }

    #[test]
    fn versions_read_only_their_own_response_shape() {
        let v1 = json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"x": "1"}}});
        let (id, _) = run(Version::V2, v1).unwrap();
        assert!(id.get("x").is_none());
        let (id, access) = run(Version::V1, json!({})).unwrap();
        assert_eq!((id, access), tokens());
    }

    #[test]
    fn machine_tokens_ignore_group_overrides() {
        let mut access = tokens().1;
        access.remove("cognito:groups");
        apply(
            Version::V3,
            &json!({"claimsAndScopeOverrideDetails": {
                "accessTokenGeneration": {"claimsToAddOrOverride": {"tenant": "t1"}},
                "groupOverrideDetails": {"groupsToOverride": ["admin"]},
            }}),
            Claims {
                id: None,
                access: &mut access,
            },
            true,
        )
        .unwrap();
        assert_eq!(access["tenant"], "t1");
        assert!(access.get("cognito:groups").is_none());
    }
}
