//! Cognito's app-client shapes: the configuration members CreateUserPoolClient and
//! UpdateUserPoolClient share (`ClientConfig`, mapped onto the core's `ClientSettings`), and
//! `UserPoolClientType`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::Result;
use crate::pools::clients::{AUTH_FLOWS, TimeUnit, TokenUnits};
use crate::pools::{Client, ClientSettings, OAuthFlow, Pool};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Units {
    access_token: Option<TimeUnit>,
    id_token: Option<TimeUnit>,
    refresh_token: Option<TimeUnit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rotation {
    feature: String,
}

/// The members of Create/UpdateUserPoolClient that configure the client. Every one that is
/// absent takes its default: an update replaces the whole configuration, as Cognito's does.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientConfig {
    refresh_token_validity: Option<i64>,
    access_token_validity: Option<i64>,
    id_token_validity: Option<i64>,
    #[serde(default)]
    token_validity_units: Units,
    #[serde(default)]
    read_attributes: Vec<String>,
    #[serde(default)]
    write_attributes: Vec<String>,
    explicit_auth_flows: Option<Vec<String>>,
    #[serde(default)]
    supported_identity_providers: Vec<String>,
    #[serde(default, rename = "CallbackURLs")]
    callback_urls: Vec<String>,
    #[serde(default, rename = "LogoutURLs")]
    logout_urls: Vec<String>,
    #[serde(rename = "DefaultRedirectURI")]
    default_redirect_uri: Option<String>,
    #[serde(default)]
    allowed_o_auth_flows: Vec<String>,
    #[serde(default)]
    allowed_o_auth_scopes: Vec<String>,
    #[serde(default)]
    allowed_o_auth_flows_user_pool_client: bool,
    prevent_user_existence_errors: Option<String>,
    enable_token_revocation: Option<bool>,
    enable_propagate_additional_user_context_data: Option<bool>,
    auth_session_validity: Option<i64>,
    refresh_token_rotation: Option<Rotation>,
}

const MAX_LIST: usize = 100;

impl ClientConfig {
    /// `base` with every Cognito-managed member set from this request (or its default); the
    /// Incognito-only settings of `base` (first party, CORS origins, refresh on every code
    /// exchange) are kept. The core validates the result (`service::create_client`/`update_client`).
    pub fn apply(self, base: ClientSettings) -> Result<ClientSettings> {
        let lists = [
            &self.read_attributes,
            &self.write_attributes,
            &self.supported_identity_providers,
            &self.callback_urls,
            &self.logout_urls,
            &self.allowed_o_auth_scopes,
        ];
        if lists.iter().any(|l| l.len() > MAX_LIST) {
            return Err(CognitoError::invalid_parameter(format!(
                "A list has more than {MAX_LIST} members."
            )));
        }
        let mut flows = Vec::new();
        for f in &self.allowed_o_auth_flows {
            let flow = match f.as_str() {
                "code" => OAuthFlow::Code,
                "client_credentials" => OAuthFlow::ClientCredentials,
                "implicit" => {
                    return Err(CognitoError::new(
                        "InvalidOAuthFlowException",
                        "The implicit flow is not supported: use code with PKCE.",
                    ));
                }
                other => {
                    return Err(CognitoError::new(
                        "InvalidOAuthFlowException",
                        format!("Unknown OAuth flow {other}."),
                    ));
                }
            };
            if !flows.contains(&flow) {
                flows.push(flow);
            }
        }
        let defaults = TokenUnits::default();
        let units = TokenUnits {
            access: self
                .token_validity_units
                .access_token
                .unwrap_or(defaults.access),
            id: self.token_validity_units.id_token.unwrap_or(defaults.id),
            refresh: self
                .token_validity_units
                .refresh_token
                .unwrap_or(defaults.refresh),
        };
        let secs = |v: Option<i64>, u: TimeUnit| v.map(|v| v.saturating_mul(u.secs()));
        let prevent = match self.prevent_user_existence_errors.as_deref() {
            None | Some("ENABLED") => true,
            Some("LEGACY") => false,
            Some(other) => {
                return Err(CognitoError::invalid_parameter(format!(
                    "Invalid PreventUserExistenceErrors {other}: ENABLED or LEGACY."
                )));
            }
        };
        let auth_flows = match self.explicit_auth_flows {
            None => ClientSettings::default().auth_flows,
            Some(list) => auth_flows(&list)?,
        };
        let rotate = match self
            .refresh_token_rotation
            .as_ref()
            .map(|r| r.feature.as_str())
        {
            None | Some("ENABLED") => true,
            Some("DISABLED") => false,
            Some(other) => {
                return Err(CognitoError::invalid_parameter(format!(
                    "Invalid RefreshTokenRotation.Feature {other}: ENABLED or DISABLED."
                )));
            }
        };
        Ok(ClientSettings {
            redirect_uris: dedup(self.callback_urls),
            logout_uris: dedup(self.logout_urls),
            default_redirect_uri: self.default_redirect_uri,
            flows,
            oauth_enabled: self.allowed_o_auth_flows_user_pool_client,
            scopes: dedup(self.allowed_o_auth_scopes),
            auth_flows,
            access_token_ttl_secs: secs(self.access_token_validity, units.access),
            id_token_ttl_secs: secs(self.id_token_validity, units.id),
            refresh_token_ttl_secs: secs(self.refresh_token_validity, units.refresh),
            token_units: units,
            read_attributes: dedup(self.read_attributes),
            write_attributes: dedup(self.write_attributes),
            supported_identity_providers: dedup(self.supported_identity_providers),
            prevent_user_existence_errors: prevent,
            enable_token_revocation: self.enable_token_revocation.unwrap_or(true),
            propagate_user_context_data: self
                .enable_propagate_additional_user_context_data
                .unwrap_or(false),
            auth_session_validity_mins: self.auth_session_validity,
            rotate_refresh_tokens: rotate,
            ..base
        })
    }
}

/// `ALLOW_*` names as they are; the legacy names mapped to theirs, except
/// `CUSTOM_AUTH_FLOW_ONLY`, which has no counterpart here. The core refuses unknown ones.
fn auth_flows(list: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for f in list {
        let name = match f.as_str() {
            "ADMIN_NO_SRP_AUTH" => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "USER_PASSWORD_AUTH" => "ALLOW_USER_PASSWORD_AUTH",
            "CUSTOM_AUTH_FLOW_ONLY" => {
                return Err(CognitoError::invalid_parameter(
                    "CUSTOM_AUTH_FLOW_ONLY is not supported.",
                ));
            }
            other if AUTH_FLOWS.contains(&other) => other,
            other => {
                return Err(CognitoError::invalid_parameter(format!(
                    "Invalid explicit auth flow {other}: one of {}.",
                    AUTH_FLOWS.join(", ")
                )));
            }
        };
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// A lifetime in the unit it was set in; in seconds when it does not divide evenly (the pool's
/// default when the client sets none).
fn validity(secs: i64, unit: TimeUnit) -> (i64, TimeUnit) {
    if secs % unit.secs() == 0 {
        (secs / unit.secs(), unit)
    } else {
        (secs, TimeUnit::Seconds)
    }
}

fn unit_name(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Seconds => "seconds",
        TimeUnit::Minutes => "minutes",
        TimeUnit::Hours => "hours",
        TimeUnit::Days => "days",
    }
}

/// Cognito's `UserPoolClientType`; `ClientSecret` only when the client has one.
pub fn client_type(pool: &Pool, c: &Client, secret: Option<&str>) -> Value {
    let s = &c.settings;
    let (access, access_u) = validity(c.access_token_ttl(pool), s.token_units.access);
    let (id, id_u) = validity(c.id_token_ttl(pool), s.token_units.id);
    let (refresh, refresh_u) = validity(c.refresh_token_ttl(pool), s.token_units.refresh);
    let flows: Vec<&str> = s
        .flows
        .iter()
        .map(|f| match f {
            OAuthFlow::Code => "code",
            OAuthFlow::ClientCredentials => "client_credentials",
        })
        .collect();
    let mut v = json!({
        "UserPoolId": c.pool_id,
        "ClientName": c.name,
        "ClientId": c.id,
        "CreationDate": c.created_at,
        "LastModifiedDate": c.updated_at,
        "RefreshTokenValidity": refresh,
        "AccessTokenValidity": access,
        "IdTokenValidity": id,
        "TokenValidityUnits": {
            "AccessToken": unit_name(access_u),
            "IdToken": unit_name(id_u),
            "RefreshToken": unit_name(refresh_u),
        },
        "ReadAttributes": s.read_attributes,
        "WriteAttributes": s.write_attributes,
        "ExplicitAuthFlows": s.auth_flows,
        "SupportedIdentityProviders": s.supported_identity_providers,
        "CallbackURLs": s.redirect_uris,
        "LogoutURLs": s.logout_uris,
        "AllowedOAuthFlows": flows,
        "AllowedOAuthScopes": s.scopes,
        "AllowedOAuthFlowsUserPoolClient": s.oauth_enabled,
        "PreventUserExistenceErrors": if s.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
        "EnableTokenRevocation": s.enable_token_revocation,
        "EnablePropagateAdditionalUserContextData": s.propagate_user_context_data,
        "AuthSessionValidity": s.auth_session_validity_mins.unwrap_or(3),
        "RefreshTokenRotation": {
            "Feature": if s.rotate_refresh_tokens { "ENABLED" } else { "DISABLED" },
            "RetryGracePeriodSeconds": 0,
        },
    });
    if let Some(d) = &s.default_redirect_uri {
        v["DefaultRedirectURI"] = json!(d);
    }
    if let Some(secret) = secret {
        v["ClientSecret"] = json!(secret);
    }
    v
}

/// `AllowedOAuthScopes` naming a resource-server scope the pool does not declare.
pub fn scope_does_not_exist(scope: &str) -> CognitoError {
    CognitoError::new(
        "ScopeDoesNotExistException",
        format!("Invalid scope requested: {scope}"),
    )
}

/// `SupportedIdentityProviders` naming neither `COGNITO` nor a provider of the pool.
pub fn provider_does_not_exist(name: &str, pool_id: &str) -> CognitoError {
    CognitoError::invalid_parameter(format!(
        "The provider {name} does not exist for User Pool {pool_id}"
    ))
}
