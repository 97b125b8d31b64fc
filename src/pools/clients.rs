//! App clients: confidential (with a secret) or public (PKCE), with their redirect URIs,
//! flows, scopes and token lifetimes.

use serde::{Deserialize, Serialize};

use super::{MAX_REFRESH_TTL, MAX_TOKEN_TTL, MIN_REFRESH_TTL, MIN_TOKEN_TTL, Pool, check_ttl};
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFlow {
    Code,
    ClientCredentials,
}

impl std::str::FromStr for OAuthFlow {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "code" | "authorization_code" => Ok(OAuthFlow::Code),
            "client_credentials" => Ok(OAuthFlow::ClientCredentials),
            _ => Err("expected code or client_credentials".into()),
        }
    }
}

/// The standard OIDC scopes a client may be allowed.
pub const STANDARD_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "phone",
    "address",
    "offline_access",
    "aws.cognito.signin.user.admin",
];

/// Cognito's explicit auth flows for the JSON API.
pub const AUTH_FLOWS: &[&str] = &[
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientSettings {
    pub redirect_uris: Vec<String>,
    pub logout_uris: Vec<String>,
    pub flows: Vec<OAuthFlow>,
    pub scopes: Vec<String>,
    pub auth_flows: Vec<String>,
    pub id_token_ttl_secs: Option<i64>,
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    /// Issue a refresh token on every code exchange even without `offline_access` (Cognito's behaviour).
    pub always_issue_refresh_token: bool,
    /// Rotate refresh tokens on use (RFC 9700); off gives Cognito's reusable refresh tokens.
    pub rotate_refresh_tokens: bool,
    /// A first-party client never shows the consent page, even with `prompt=consent`.
    pub first_party: bool,
    /// Cognito's `PreventUserExistenceErrors`: unknown users look like wrong passwords or
    /// codes in the Cognito API (on by default; off gives `UserNotFoundException`).
    pub prevent_user_existence_errors: bool,
    /// Cognito's `AllowedOAuthFlowsUserPoolClient`: off, the client may use no OAuth flow at
    /// the OAuth endpoints (it keeps `flows` for when it is switched back on).
    pub oauth_enabled: bool,
    /// Attributes the client may read (GetUser, userinfo, the ID token); empty: all. `sub`
    /// is always readable.
    pub read_attributes: Vec<String>,
    /// Attributes the client may change (UpdateUserAttributes); empty: all.
    pub write_attributes: Vec<String>,
    /// Cognito's `DefaultRedirectURI`: one of `redirect_uris`.
    pub default_redirect_uri: Option<String>,
    /// Cognito's `SupportedIdentityProviders` (`COGNITO`, or federated IdP names), as given.
    pub supported_identity_providers: Vec<String>,
    /// Cognito's `EnableTokenRevocation` (stored; revocation is always available).
    pub enable_token_revocation: bool,
    /// Cognito's `EnablePropagateAdditionalUserContextData` (stored, no effect).
    pub propagate_user_context_data: bool,
    /// Cognito's `AuthSessionValidity`, minutes (3 to 15), stored.
    pub auth_session_validity_mins: Option<i64>,
    /// The units the token lifetimes were given in (Cognito's `TokenValidityUnits`), so that
    /// they are reported back as they were set. Absent: Cognito's defaults.
    pub token_units: TokenUnits,
}

/// A unit of Cognito's `TokenValidityUnits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn secs(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86400,
        }
    }
}

/// The units of the three token lifetimes; Cognito's defaults are hours, hours and days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenUnits {
    pub access: TimeUnit,
    pub id: TimeUnit,
    pub refresh: TimeUnit,
}

impl Default for TokenUnits {
    fn default() -> TokenUnits {
        TokenUnits {
            access: TimeUnit::Hours,
            id: TimeUnit::Hours,
            refresh: TimeUnit::Days,
        }
    }
}

/// Whether a client whose read (or write) list is `list` may see (or change) `attribute`:
/// an empty list allows all, and `sub` is always readable.
pub fn attribute_allowed(list: &[String], attribute: &str) -> bool {
    list.is_empty() || attribute == "sub" || list.iter().any(|a| a == attribute)
}

impl Default for ClientSettings {
    fn default() -> ClientSettings {
        ClientSettings {
            redirect_uris: vec![],
            logout_uris: vec![],
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            auth_flows: vec![
                "ALLOW_USER_SRP_AUTH".into(),
                "ALLOW_REFRESH_TOKEN_AUTH".into(),
            ],
            id_token_ttl_secs: None,
            access_token_ttl_secs: None,
            refresh_token_ttl_secs: None,
            always_issue_refresh_token: false,
            rotate_refresh_tokens: true,
            first_party: false,
            prevent_user_existence_errors: true,
            oauth_enabled: true,
            read_attributes: vec![],
            write_attributes: vec![],
            default_redirect_uri: None,
            supported_identity_providers: vec![],
            enable_token_revocation: true,
            propagate_user_context_data: false,
            auth_session_validity_mins: None,
            token_units: TokenUnits::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub pool_id: String,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: Option<String>,
    pub settings: ClientSettings,
    pub created_at: i64,
    /// Last change (Cognito's `LastModifiedDate`).
    pub updated_at: i64,
}

impl Client {
    /// Whether the client offers sign-in with this identity provider (Cognito's
    /// `SupportedIdentityProviders`).
    pub fn offers_provider(&self, provider: &str) -> bool {
        self.settings
            .supported_identity_providers
            .iter()
            .any(|p| p == provider)
    }

    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    pub fn allows(&self, flow: OAuthFlow) -> bool {
        self.settings.oauth_enabled && self.settings.flows.contains(&flow)
    }

    pub fn id_token_ttl(&self, pool: &Pool) -> i64 {
        self.settings
            .id_token_ttl_secs
            .unwrap_or(pool.settings.id_token_ttl_secs)
    }
    pub fn access_token_ttl(&self, pool: &Pool) -> i64 {
        self.settings
            .access_token_ttl_secs
            .unwrap_or(pool.settings.access_token_ttl_secs)
    }
    pub fn refresh_token_ttl(&self, pool: &Pool) -> i64 {
        self.settings
            .refresh_token_ttl_secs
            .unwrap_or(pool.settings.refresh_token_ttl_secs)
    }

    /// Checks a presented secret against the stored hash in constant time.
    pub fn secret_matches(&self, presented: &str) -> bool {
        match &self.secret_hash {
            Some(hash) => crate::random::ct_eq(&crate::random::sha256_hex(presented), hash),
            None => false,
        }
    }

    /// Exact match against the registered redirect URIs. Only a native (public) client's
    /// loopback `http://127.0.0.1` / `http://[::1]` URI may differ in the port (RFC 8252 §7.3):
    /// a confidential client is a server with a fixed address (RFC 9700 §2.1).
    pub fn redirect_uri_registered(&self, uri: &str) -> bool {
        self.settings
            .redirect_uris
            .iter()
            .any(|r| r == uri || (self.is_public() && loopback_port_variant(r, uri)))
    }

    /// Whether the client may redeem refresh tokens at the token endpoint: it signs users in
    /// by the code flow, or through the Cognito API with `ALLOW_REFRESH_TOKEN_AUTH`. A machine
    /// client (client_credentials without the code flow) never holds a refresh token.
    pub fn allows_refresh_grant(&self) -> bool {
        self.allows(OAuthFlow::Code)
            || (self.allows_auth_flow("ALLOW_REFRESH_TOKEN_AUTH")
                && !self.allows(OAuthFlow::ClientCredentials))
    }

    /// Whether the client may use a Cognito API auth flow (`ALLOW_USER_SRP_AUTH`, ...).
    pub fn allows_auth_flow(&self, flow: &str) -> bool {
        self.settings.auth_flows.iter().any(|f| f == flow)
    }

    /// Browser origins (scheme://host[:port]) of the registered redirect URIs, for CORS.
    pub fn origins(&self) -> Vec<String> {
        self.settings
            .redirect_uris
            .iter()
            .filter_map(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
            .collect()
    }
}

fn loopback_port_variant(registered: &str, presented: &str) -> bool {
    let (Ok(r), Ok(p)) = (url::Url::parse(registered), url::Url::parse(presented)) else {
        return false;
    };
    let loopback = |u: &url::Url| {
        u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"))
    };
    if !loopback(&r) || !loopback(&p) || r.host_str() != p.host_str() {
        return false;
    }
    // Compare everything except the port, on the raw strings, so no normalisation sneaks in.
    let strip = |s: &str, u: &url::Url| match u.port() {
        Some(port) => s.replacen(&format!(":{port}"), "", 1),
        None => s.to_string(),
    };
    strip(registered, &r) == strip(presented, &p)
}

/// A redirect or logout URI a client may register: absolute, no fragment, https or loopback
/// http or a private-use scheme for native apps.
pub fn validate_redirect_uri(uri: &str) -> Result<(), Error> {
    let parsed =
        url::Url::parse(uri).map_err(|_| Error::invalid(format!("redirect URI {uri:?}")))?;
    if parsed.fragment().is_some() || uri.len() > 1024 {
        return Err(Error::invalid(format!(
            "redirect URI {uri:?}: no fragments, at most 1024 characters"
        )));
    }
    let ok = match parsed.scheme() {
        "https" => true,
        "http" => matches!(
            parsed.host_str(),
            Some("localhost") | Some("127.0.0.1") | Some("[::1]")
        ),
        "javascript" | "data" | "file" | "vbscript" => false,
        other => other.contains('.'),
    };
    if !ok {
        return Err(Error::invalid(format!(
            "redirect URI {uri:?}: use https, http on localhost/loopback, or a reverse-DNS app scheme"
        )));
    }
    Ok(())
}

/// A scope a client may be given: standard, or `resource-server/scope`.
pub fn is_valid_scope(scope: &str) -> bool {
    STANDARD_SCOPES.contains(&scope) || is_resource_scope(scope)
}

/// `<identifier>/<name>`: the name is what follows the last `/`, so the identifier may be a
/// URL (`https://api.example.com/read`), as Cognito's resource-server identifiers may.
pub fn is_resource_scope(scope: &str) -> bool {
    match scope.rsplit_once('/') {
        Some((server, name)) => {
            is_resource_server_identifier(server)
                && !name.is_empty()
                && name.len() <= 256
                && name.chars().all(|c| scope_char(c) && c != '/')
        }
        None => false,
    }
}

fn scope_char(c: char) -> bool {
    c.is_ascii_graphic() && c != '"' && c != '\\'
}

/// A resource server's identifier (Cognito: 1 to 256 printable ASCII characters but `"` and `\\`).
pub fn is_resource_server_identifier(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.chars().all(scope_char)
}

impl ClientSettings {
    pub fn validate(&self) -> Result<(), Error> {
        for u in self.redirect_uris.iter().chain(&self.logout_uris) {
            validate_redirect_uri(u)?;
        }
        if self.flows.contains(&OAuthFlow::Code) && self.redirect_uris.is_empty() {
            // Allowed (the CLI may add URIs later) but such a client cannot start a login.
        }
        for s in &self.scopes {
            if !is_valid_scope(s) {
                return Err(Error::invalid(format!("scope {s:?}")));
            }
        }
        if let Some(d) = &self.default_redirect_uri
            && !self.redirect_uris.contains(d)
        {
            return Err(Error::invalid(format!(
                "default redirect URI {d:?}: it must be one of the redirect URIs"
            )));
        }
        for a in self.read_attributes.iter().chain(&self.write_attributes) {
            if a.is_empty() || a.len() > 64 || a.chars().any(|c| c.is_control() || c == ' ') {
                return Err(Error::invalid(format!("attribute name {a:?}")));
            }
        }
        if let Some(m) = self.auth_session_validity_mins
            && !(3..=15).contains(&m)
        {
            return Err(Error::invalid("auth session validity: 3 to 15 minutes"));
        }
        for f in &self.auth_flows {
            if !AUTH_FLOWS.contains(&f.as_str()) {
                return Err(Error::invalid(format!(
                    "auth flow {f:?} (one of {})",
                    AUTH_FLOWS.join(", ")
                )));
            }
        }
        if let Some(v) = self.id_token_ttl_secs {
            check_ttl("id_token_ttl_secs", v, MIN_TOKEN_TTL, MAX_TOKEN_TTL)?;
        }
        if let Some(v) = self.access_token_ttl_secs {
            check_ttl("access_token_ttl_secs", v, MIN_TOKEN_TTL, MAX_TOKEN_TTL)?;
        }
        if let Some(v) = self.refresh_token_ttl_secs {
            check_ttl(
                "refresh_token_ttl_secs",
                v,
                MIN_REFRESH_TTL,
                MAX_REFRESH_TTL,
            )?;
        }
        Ok(())
    }
}

/// Normalises CLI-style auth flow names: `USER_SRP_AUTH` becomes `ALLOW_USER_SRP_AUTH`.
pub fn normalize_auth_flow(flow: &str) -> String {
    let upper = flow.trim().to_ascii_uppercase();
    if upper.starts_with("ALLOW_") {
        upper
    } else {
        format!("ALLOW_{upper}")
    }
}

/// Keeps a sealed copy of a client's secret (AES-GCM under the master key; the plain secret
/// when no master key is configured), so that the Cognito API can check `SECRET_HASH`, which
/// is an HMAC keyed with the secret itself. Call it wherever a secret is set in the clear.
pub fn remember_secret(
    db: &crate::store::Db,
    sealer: &crate::keys::seal::Sealer,
    client_id: &str,
    secret: &str,
) -> crate::Result<()> {
    crate::store::cognito::set_client_secret_sealed(db, client_id, Some(&sealer.seal(secret)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_scopes_may_name_url_identifiers() {
        assert!(is_resource_scope("api/read"));
        assert!(is_resource_scope("https://api.example.com/read"));
        assert!(is_resource_scope("https://api.example.com/v2/orders.write"));
        for bad in [
            "openid",
            "api/",
            "/read",
            "api/re\"ad",
            "a\\b/read",
            "api/read ",
        ] {
            assert!(!is_resource_scope(bad), "{bad}");
        }
    }

    #[test]
    fn attribute_lists_allow_all_when_empty_and_sub_always() {
        assert!(attribute_allowed(&[], "locale"));
        let list = vec!["email".to_string()];
        assert!(attribute_allowed(&list, "email"));
        assert!(attribute_allowed(&list, "sub"));
        assert!(!attribute_allowed(&list, "locale"));
    }

    #[test]
    fn stored_settings_without_the_new_fields_still_load() {
        let s: ClientSettings =
            serde_json::from_str(r#"{"redirect_uris": ["https://a.example/cb"]}"#).unwrap();
        assert!(s.oauth_enabled && s.enable_token_revocation);
        assert!(s.read_attributes.is_empty());
        assert_eq!(s.token_units, TokenUnits::default());
    }
}
