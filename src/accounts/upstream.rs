//! The Cognito-compatible user pool a pool migrates from (`pools::migrate_from`): AWS Cognito
//! or another Incognito, spoken to over its JSON API as any SDK would: USER_PASSWORD_AUTH
//! with the app client, GetUser and RevokeToken with the tokens it answers, and, with admin
//! credentials, the SigV4-signed AdminGetUser, ListUsers and AdminListGroupsForUser.
//!
//! Blocking (the triggers' pooled client, 5 s per call): call on the blocking pool, outside
//! any transaction. No password, token or secret is ever logged.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::keys::seal::Sealer;
use crate::pools::migrate_from::MigrateFrom;
use crate::triggers::target::{Attempt, AwsCredentials, Caller, sigv4_headers};

/// Why the upstream gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Down, slow (past the timeout) or refused.
    #[error("upstream unavailable: {0}")]
    Unavailable(String),
    /// An answer that is not Cognito's (or a secret that cannot be opened here).
    #[error("upstream answer not understood: {0}")]
    BadAnswer(String),
    /// One of Cognito's errors (`__type` without its namespace, and the message).
    #[error("upstream {kind}: {message}")]
    Api { kind: String, message: String },
}

/// A user as the upstream describes them.
#[derive(Debug, Clone, Default)]
pub struct UpstreamUser {
    pub username: String,
    /// Every attribute, `sub` and `email` included, as strings.
    pub attributes: BTreeMap<String, String>,
    pub enabled: bool,
    /// Cognito's `UserStatus` (`CONFIRMED`, `RESET_REQUIRED`, ...), when the call returns it.
    pub status: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// What USER_PASSWORD_AUTH came to.
pub enum SignIn {
    /// The password is right: the user as GetUser reads it and the groups of its access token
    /// (the upstream refresh token is already revoked).
    Accepted {
        user: UpstreamUser,
        groups: Vec<String>,
    },
    /// The password is right, but the upstream wants more than it (an MFA code, a new
    /// password): the sign-in cannot finish there.
    Challenged(String),
    /// Wrong password, unknown or disabled user, or a reset required upstream.
    Refused { reset_required: bool },
}

/// One upstream pool, its secrets opened.
pub struct Upstream<'a> {
    config: &'a MigrateFrom,
    caller: &'a Caller,
    client_secret: Option<String>,
    admin: Option<AwsCredentials>,
}

impl<'a> Upstream<'a> {
    pub fn open(
        config: &'a MigrateFrom,
        caller: &'a Caller,
        sealer: &Sealer,
    ) -> Result<Self, UpstreamError> {
        let open = |sealed: &Option<String>| {
            sealed
                .as_ref()
                .map(|s| sealer.open(s))
                .transpose()
                .map_err(|_| UpstreamError::BadAnswer("cannot open the sealed secret".into()))
        };
        let admin = match (&config.admin_key_id, open(&config.admin_secret)?) {
            (Some(id), Some(secret)) => Some(AwsCredentials {
                access_key_id: id.clone(),
                secret_access_key: secret,
                session_token: None,
            }),
            _ => None,
        };
        Ok(Upstream {
            config,
            caller,
            client_secret: open(&config.client_secret)?,
            admin,
        })
    }

    pub fn has_admin(&self) -> bool {
        self.admin.is_some()
    }

    /// USER_PASSWORD_AUTH; when accepted, GetUser, then RevokeToken of the refresh token so
    /// nothing stays signed in upstream.
    pub fn sign_in(&self, login: &str, password: &str) -> Result<SignIn, UpstreamError> {
        let mut parameters = json!({ "USERNAME": login, "PASSWORD": password });
        if let Some(secret) = &self.client_secret {
            parameters["SECRET_HASH"] = json!(crate::authn::secret_hash::secret_hash(
                secret,
                login,
                &self.config.client_id
            ));
        }
        let answer = self.call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": self.config.client_id,
                "AuthParameters": parameters,
            }),
        );
        let answer = match answer {
            Ok(a) => a,
            Err(UpstreamError::Api { kind, .. }) => {
                return match kind.as_str() {
                    "NotAuthorizedException" | "UserNotFoundException" => Ok(SignIn::Refused {
                        reset_required: false,
                    }),
                    "PasswordResetRequiredException" => Ok(SignIn::Refused {
                        reset_required: true,
                    }),
                    // The password was right but the account is not confirmed upstream.
                    "UserNotConfirmedException" => Ok(SignIn::Challenged(kind)),
                    _ => Err(UpstreamError::BadAnswer(format!("InitiateAuth: {kind}"))),
                };
            }
            Err(e) => return Err(e),
        };
        if let Some(challenge) = answer.get("ChallengeName").and_then(Value::as_str) {
            return Ok(SignIn::Challenged(challenge.to_string()));
        }
        let result = &answer["AuthenticationResult"];
        let Some(access) = result["AccessToken"].as_str() else {
            return Err(UpstreamError::BadAnswer(
                "InitiateAuth: no AuthenticationResult".into(),
            ));
        };
        let user = self.get_user(access);
        if let Some(refresh) = result["RefreshToken"].as_str() {
            self.revoke(refresh);
        }
        Ok(SignIn::Accepted {
            user: user?,
            groups: token_groups(access),
        })
    }

    fn get_user(&self, access_token: &str) -> Result<UpstreamUser, UpstreamError> {
        let answer = self.call("GetUser", &json!({ "AccessToken": access_token }))?;
        let mut user = parse_user(&answer, "UserAttributes")?;
        user.enabled = true;
        Ok(user)
    }

    /// Best effort: a refresh token that outlives the migration is the upstream's to expire.
    fn revoke(&self, refresh_token: &str) {
        let mut body = json!({ "Token": refresh_token, "ClientId": self.config.client_id });
        if let Some(secret) = &self.client_secret {
            body["ClientSecret"] = json!(secret);
        }
        if let Err(e) = self.call("RevokeToken", &body) {
            tracing::warn!(error = %e, "could not revoke the upstream refresh token");
        }
    }

    /// AdminGetUser: `Ok(None)` for a user the upstream does not know.
    pub fn admin_get_user(&self, login: &str) -> Result<Option<UpstreamUser>, UpstreamError> {
        let body = json!({ "UserPoolId": self.config.user_pool_id, "Username": login });
        match self.call_signed("AdminGetUser", &body) {
            Ok(answer) => parse_user(&answer, "UserAttributes").map(Some),
            Err(UpstreamError::Api { kind, .. }) if kind == "UserNotFoundException" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of ListUsers and the token of the next.
    pub fn list_users(
        &self,
        page: Option<&str>,
    ) -> Result<(Vec<UpstreamUser>, Option<String>), UpstreamError> {
        let mut body = json!({ "UserPoolId": self.config.user_pool_id, "Limit": 60 });
        if let Some(p) = page {
            body["PaginationToken"] = json!(p);
        }
        let answer = self.call_signed("ListUsers", &body)?;
        let users = answer["Users"]
            .as_array()
            .ok_or_else(|| UpstreamError::BadAnswer("ListUsers: no Users".into()))?
            .iter()
            .map(|u| parse_user(u, "Attributes"))
            .collect::<Result<_, _>>()?;
        let next = answer["PaginationToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        Ok((users, next))
    }

    /// Every group of a user (AdminListGroupsForUser, all pages).
    pub fn groups_of(&self, username: &str) -> Result<Vec<String>, UpstreamError> {
        let body = json!({ "UserPoolId": self.config.user_pool_id, "Username": username });
        Ok(self
            .all_pages("AdminListGroupsForUser", body, "Groups")?
            .iter()
            .filter_map(|g| g["GroupName"].as_str().map(str::to_string))
            .collect())
    }

    /// Every group of the pool (ListGroups, all pages), as Cognito's `GroupType` objects.
    pub fn groups(&self) -> Result<Vec<Value>, UpstreamError> {
        let body = json!({ "UserPoolId": self.config.user_pool_id });
        self.all_pages("ListGroups", body, "Groups")
    }

    /// The usernames of a group's members (ListUsersInGroup, all pages).
    pub fn members(&self, group: &str) -> Result<Vec<String>, UpstreamError> {
        let body = json!({ "UserPoolId": self.config.user_pool_id, "GroupName": group });
        Ok(self
            .all_pages("ListUsersInGroup", body, "Users")?
            .iter()
            .filter_map(|u| u["Username"].as_str().map(str::to_string))
            .collect())
    }

    /// DescribeUserPool's `EstimatedNumberOfUsers` (for a progress bar).
    pub fn estimated_users(&self) -> Result<u64, UpstreamError> {
        let body = json!({ "UserPoolId": self.config.user_pool_id });
        let answer = self.call_signed("DescribeUserPool", &body)?;
        Ok(answer["UserPool"]["EstimatedNumberOfUsers"]
            .as_u64()
            .unwrap_or(0))
    }

    /// Every item of a signed List action that pages with `NextToken` (at most 10,000 pages).
    fn all_pages(
        &self,
        action: &str,
        body: Value,
        list: &str,
    ) -> Result<Vec<Value>, UpstreamError> {
        let mut items = Vec::new();
        let mut body = body;
        body["Limit"] = json!(60);
        for _ in 0..10_000 {
            let answer = self.call_signed(action, &body)?;
            let page = answer[list]
                .as_array()
                .ok_or_else(|| UpstreamError::BadAnswer(format!("{action}: no {list}")))?;
            items.extend(page.iter().cloned());
            match answer["NextToken"].as_str().filter(|t| !t.is_empty()) {
                Some(next) if !page.is_empty() => body["NextToken"] = json!(next),
                _ => return Ok(items),
            }
        }
        Err(UpstreamError::BadAnswer(format!(
            "{action}: pages without end"
        )))
    }

    fn call(&self, action: &str, body: &Value) -> Result<Value, UpstreamError> {
        self.send(action, body, false)
    }

    fn call_signed(&self, action: &str, body: &Value) -> Result<Value, UpstreamError> {
        self.send(action, body, true)
    }

    fn send(&self, action: &str, body: &Value, signed: bool) -> Result<Value, UpstreamError> {
        let url = self.config.endpoint.trim_end_matches('/').to_string() + "/";
        let bytes = body.to_string().into_bytes();
        let mut headers = vec![
            (
                "content-type".to_string(),
                "application/x-amz-json-1.1".to_string(),
            ),
            (
                "x-amz-target".to_string(),
                format!("AWSCognitoIdentityProviderService.{action}"),
            ),
        ];
        if signed {
            let Some(credentials) = &self.admin else {
                return Err(UpstreamError::BadAnswer(format!(
                    "{action} needs admin_key_id and admin_secret"
                )));
            };
            headers = sigv4_headers(
                credentials,
                self.config.region(),
                "cognito-idp",
                &url,
                headers,
                &bytes,
            )
            .map_err(UpstreamError::BadAnswer)?;
        }
        let (status, answer) = match self.caller.post(&url, &headers, &bytes) {
            Attempt::Answer { status, body, .. } => (status, body),
            Attempt::NoAnswer(why) | Attempt::Refused(why) => {
                return Err(UpstreamError::Unavailable(why));
            }
        };
        let parsed: Option<Value> = serde_json::from_slice(&answer).ok();
        match (status, parsed) {
            (200, Some(v)) if v.is_object() => Ok(v),
            (400..=499, Some(v)) if v["__type"].is_string() => {
                let kind = v["__type"].as_str().unwrap_or_default();
                Err(UpstreamError::Api {
                    kind: kind.rsplit('#').next().unwrap_or(kind).to_string(),
                    message: v["message"]
                        .as_str()
                        .or(v["Message"].as_str())
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect(),
                })
            }
            (500..=599, _) => Err(UpstreamError::Unavailable(format!(
                "{action}: HTTP {status}"
            ))),
            _ => Err(UpstreamError::BadAnswer(format!(
                "{action}: HTTP {status} without Cognito's JSON"
            ))),
        }
    }
}

/// A user of GetUser / AdminGetUser / ListUsers (`attributes_key` names the attribute list).
fn parse_user(v: &Value, attributes_key: &str) -> Result<UpstreamUser, UpstreamError> {
    let bad = |why: &str| UpstreamError::BadAnswer(why.to_string());
    let username = v["Username"]
        .as_str()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad("a user without Username"))?
        .to_string();
    let mut attributes = BTreeMap::new();
    for a in v[attributes_key].as_array().into_iter().flatten() {
        let (Some(name), Some(value)) = (a["Name"].as_str(), a["Value"].as_str()) else {
            return Err(bad("an attribute without Name or Value"));
        };
        attributes.insert(name.to_string(), value.to_string());
    }
    let when = |k: &str| v[k].as_f64().map(|t| t as i64);
    Ok(UpstreamUser {
        username,
        attributes,
        enabled: v["Enabled"].as_bool().unwrap_or(true),
        status: v["UserStatus"].as_str().map(str::to_string),
        created_at: when("UserCreateDate"),
        updated_at: when("UserLastModifiedDate"),
    })
}

/// The `cognito:groups` claim of an access token the upstream has just issued to us over
/// TLS (read, not verified: it came from the party that signs it).
fn token_groups(access_token: &str) -> Vec<String> {
    access_token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|claims| {
            claims["cognito:groups"].as_array().map(|groups| {
                groups
                    .iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_from_the_access_token_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"cognito:groups":["admins","staff"]}"#);
        assert_eq!(
            token_groups(&format!("h.{payload}.s")),
            vec!["admins", "staff"]
        );
        assert!(token_groups("not-a-jwt").is_empty());
        assert!(token_groups("a.!!!.c").is_empty());
    }

    #[test]
    fn users_parse_from_cognito_shapes_and_garbage_is_refused() {
        let v = json!({"Username": "ann", "UserAttributes": [{"Name": "sub", "Value": "s-1"}],
            "Enabled": false, "UserStatus": "CONFIRMED", "UserCreateDate": 1.7e9});
        let u = parse_user(&v, "UserAttributes").unwrap();
        assert_eq!(u.attributes["sub"], "s-1");
        assert!(!u.enabled);
        assert_eq!(u.created_at, Some(1_700_000_000));
        assert!(parse_user(&json!({"Username": ""}), "UserAttributes").is_err());
        assert!(
            parse_user(
                &json!({"Username": "a", "UserAttributes": [{"Name": 1}]}),
                "UserAttributes"
            )
            .is_err()
        );
    }
}
