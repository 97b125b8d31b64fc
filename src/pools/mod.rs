//! User pools: each one an OIDC issuer with its own settings, users, groups, clients and keys.

pub mod clients;
pub mod directory;
pub mod resource_servers;
pub mod service;

use serde::{Deserialize, Serialize};

pub use clients::{Client, ClientSettings, OAuthFlow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UsernameAttribute {
    /// Users sign in with their email address (Cognito's `UsernameAttributes: [email]`).
    #[default]
    Email,
    /// Users pick a username; email is an ordinary attribute.
    Username,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordPolicy {
    /// 8..=256 characters, no composition rules, common passwords refused (NIST / ASVS).
    #[default]
    Default,
    /// Cognito's default: 8+ characters with upper, lower, digit and symbol.
    CognitoDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MfaMode {
    #[default]
    Off,
    Optional,
    Required,
}

macro_rules! str_enum_parse {
    ($t:ty { $($s:literal => $v:expr),* $(,)? }) => {
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($v),)*
                    _ => Err(format!("expected one of: {}", [$($s),*].join(", "))),
                }
            }
        }
    };
}
str_enum_parse!(UsernameAttribute { "email" => UsernameAttribute::Email, "username" => UsernameAttribute::Username });
str_enum_parse!(PasswordPolicy { "default" => PasswordPolicy::Default, "cognito-default" => PasswordPolicy::CognitoDefault });
str_enum_parse!(MfaMode { "off" => MfaMode::Off, "optional" => MfaMode::Optional, "required" => MfaMode::Required });

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolSettings {
    pub username_attribute: UsernameAttribute,
    /// Attributes a sign-up must provide (besides the username), e.g. ["email", "name", "locale"].
    pub required_attributes: Vec<String>,
    pub self_signup: bool,
    pub password_policy: PasswordPolicy,
    pub mfa: MfaMode,
    /// Require PKCE from confidential clients too (always required for public clients).
    pub pkce_required_for_confidential: bool,
    /// Defaults for clients that do not set their own, seconds.
    pub id_token_ttl_secs: i64,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// Lifetime of email verification codes, seconds (24 h).
    pub confirm_code_ttl_secs: i64,
    /// Lifetime of password-reset codes, seconds (15 min; Cognito uses 1 h).
    pub reset_code_ttl_secs: i64,
    /// Days a browser may skip the TOTP code after "remember this device" (0: off).
    pub remember_device_days: i64,
    /// Hosted-page customisation, like Cognito's hosted UI branding.
    pub branding: Branding,
    /// Per-message overrides of the emails (subject, text, html with placeholders).
    pub email_overrides: crate::mail::EmailOverrides,
}

/// Look of the hosted pages for one pool.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(default)]
pub struct Branding {
    /// Shown instead of the pool name.
    pub display_name: Option<String>,
    /// A same-origin path or a `data:` URL (the CSP allows no third-party images).
    pub logo_url: Option<String>,
    /// A CSS colour in hex, e.g. `#0b7285`.
    pub primary_color: Option<String>,
    /// Extra CSS, served from `/{pool_id}/branding.css`.
    pub extra_css: Option<String>,
}

impl Branding {
    pub fn validate(&self) -> Result<(), crate::Error> {
        if let Some(c) = &self.primary_color {
            let hex = c.strip_prefix('#').unwrap_or("");
            if !(hex.len() == 6 || hex.len() == 3) || !hex.chars().all(|ch| ch.is_ascii_hexdigit())
            {
                return Err(crate::Error::invalid(
                    "branding primary_color: use #rgb or #rrggbb",
                ));
            }
        }
        if let Some(l) = &self.logo_url
            && !(l.starts_with("data:image/") || (l.starts_with('/') && !l.starts_with("//")))
        {
            return Err(crate::Error::invalid(
                "branding logo_url: a same-origin path or a data:image URL",
            ));
        }
        if self
            .extra_css
            .as_ref()
            .is_some_and(|c| c.len() > 64 * 1024 || c.contains("</"))
        {
            return Err(crate::Error::invalid(
                "branding extra_css: at most 64 KiB, no markup",
            ));
        }
        if self.display_name.as_ref().is_some_and(|n| n.len() > 128) {
            return Err(crate::Error::invalid(
                "branding display_name: at most 128 characters",
            ));
        }
        Ok(())
    }

    pub fn has_css(&self) -> bool {
        self.primary_color.is_some() || self.extra_css.is_some()
    }
}

impl Default for PoolSettings {
    fn default() -> PoolSettings {
        PoolSettings {
            username_attribute: UsernameAttribute::Email,
            required_attributes: vec!["email".into()],
            self_signup: true,
            password_policy: PasswordPolicy::Default,
            mfa: MfaMode::Off,
            pkce_required_for_confidential: false,
            id_token_ttl_secs: 3600,
            access_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            confirm_code_ttl_secs: 24 * 3600,
            reset_code_ttl_secs: 15 * 60,
            remember_device_days: 0,
            branding: Branding::default(),
            email_overrides: Default::default(),
        }
    }
}

pub const MIN_TOKEN_TTL: i64 = 300;
pub const MAX_TOKEN_TTL: i64 = 24 * 3600;
pub const MIN_REFRESH_TTL: i64 = 3600;
pub const MAX_REFRESH_TTL: i64 = 3650 * 24 * 3600;

/// Attribute names a pool may require or a user may carry (standard OIDC claims and custom:*).
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "email",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "address",
    "updated_at",
];

pub fn is_valid_attribute_name(name: &str) -> bool {
    STANDARD_ATTRIBUTES.contains(&name)
        || name.strip_prefix("custom:").is_some_and(|rest| {
            !rest.is_empty()
                && rest.len() <= 20
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

impl PoolSettings {
    pub fn validate(&self) -> Result<(), crate::Error> {
        for a in &self.required_attributes {
            if !is_valid_attribute_name(a) {
                return Err(crate::Error::invalid(format!("attribute name {a:?}")));
            }
        }
        if self.username_attribute == UsernameAttribute::Email
            && !self.required_attributes.iter().any(|a| a == "email")
        {
            return Err(crate::Error::invalid(
                "settings: email-username pools must require email",
            ));
        }
        check_ttl(
            "id_token_ttl_secs",
            self.id_token_ttl_secs,
            MIN_TOKEN_TTL,
            MAX_TOKEN_TTL,
        )?;
        check_ttl(
            "access_token_ttl_secs",
            self.access_token_ttl_secs,
            MIN_TOKEN_TTL,
            MAX_TOKEN_TTL,
        )?;
        check_ttl(
            "refresh_token_ttl_secs",
            self.refresh_token_ttl_secs,
            MIN_REFRESH_TTL,
            MAX_REFRESH_TTL,
        )?;
        check_ttl(
            "confirm_code_ttl_secs",
            self.confirm_code_ttl_secs,
            300,
            7 * 24 * 3600,
        )?;
        check_ttl("reset_code_ttl_secs", self.reset_code_ttl_secs, 300, 3600)?;
        if !(0..=365).contains(&self.remember_device_days) {
            return Err(crate::Error::invalid("remember_device_days: 0 to 365"));
        }
        self.branding.validate()?;
        crate::mail::validate_overrides(&self.email_overrides).map_err(crate::Error::Invalid)?;
        Ok(())
    }
}

pub fn check_ttl(name: &str, v: i64, min: i64, max: i64) -> Result<(), crate::Error> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(crate::Error::invalid(format!(
            "{name}: must be between {min} and {max} seconds"
        )))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub settings: PoolSettings,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Pool {
    /// The name the hosted pages show.
    pub fn display_name(&self) -> &str {
        self.settings
            .branding
            .display_name
            .as_deref()
            .unwrap_or(&self.name)
    }

    pub fn issuer(&self, public_url: &str) -> String {
        format!("{public_url}/{}", self.id)
    }
}

/// A new pool id in Cognito's shape, `{region}_{9 alphanumerics}`.
pub fn new_pool_id(region: &str) -> String {
    format!("{region}_{}", crate::random::alnum(9))
}

/// Pool ids come from URLs: accept only the shape we generate (or a bootstrap file declares).
pub fn is_valid_pool_id(id: &str) -> bool {
    let Some((region, rest)) = id.split_once('_') else {
        return false;
    };
    id.len() <= 55
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
}
