//! User pools: each one an OIDC issuer with its own settings, users, groups, clients and keys.

pub mod clients;
pub mod directory;
pub mod migrate_from;
pub mod resource_servers;
pub mod risk;
pub mod schema;
pub mod service;

use std::collections::BTreeMap;

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

/// Rules for new passwords: Cognito's `PasswordPolicy` plus Incognito's common-password check.
/// Stored and read as this struct; the names `default` and `cognito-default` (what earlier
/// versions stored, and what the CLI and bootstrap file accept) are presets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// 6 to 99 characters (Cognito's range); passwords are never longer than 256.
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// Days a temporary password (AdminCreateUser) stays usable, 0 to 365.
    pub temporary_password_validity_days: u32,
    /// Cognito's `PasswordHistorySize` (0 to 24): recorded, not enforced yet.
    pub password_history_size: u32,
    /// Incognito extension: refuse passwords from the list of common passwords.
    pub refuse_common_passwords: bool,
}

impl Default for PasswordPolicy {
    /// 8 characters, no composition rules, common passwords refused (NIST SP 800-63B, ASVS).
    fn default() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            temporary_password_validity_days: 7,
            password_history_size: 0,
            refuse_common_passwords: true,
        }
    }
}

impl PasswordPolicy {
    /// Cognito's default: 8+ characters with upper, lower, digit and symbol.
    pub fn cognito_default() -> PasswordPolicy {
        PasswordPolicy {
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            ..PasswordPolicy::default()
        }
    }

    /// A preset by name (`default`, `cognito-default`).
    pub fn preset(name: &str) -> Option<PasswordPolicy> {
        match name {
            "default" => Some(PasswordPolicy::default()),
            "cognito-default" => Some(PasswordPolicy::cognito_default()),
            _ => None,
        }
    }

    /// One line for people: "8+ characters, uppercase, numbers, common refused".
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("{}+ characters", self.minimum_length)];
        for (on, name) in [
            (self.require_uppercase, "uppercase"),
            (self.require_lowercase, "lowercase"),
            (self.require_numbers, "numbers"),
            (self.require_symbols, "symbols"),
        ] {
            if on {
                parts.push(name.into());
            }
        }
        if self.refuse_common_passwords {
            parts.push("common refused".into());
        }
        parts.join(", ")
    }

    pub fn validate(&self) -> Result<(), crate::Error> {
        if !(6..=99).contains(&self.minimum_length) {
            return Err(crate::Error::invalid(
                "password policy minimum_length: 6 to 99",
            ));
        }
        if self.temporary_password_validity_days > 365 {
            return Err(crate::Error::invalid(
                "password policy temporary_password_validity_days: 0 to 365",
            ));
        }
        if self.password_history_size > 24 {
            return Err(crate::Error::invalid(
                "password policy password_history_size: 0 to 24",
            ));
        }
        Ok(())
    }
}

impl std::str::FromStr for PasswordPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<PasswordPolicy, String> {
        PasswordPolicy::preset(s).ok_or_else(|| "expected one of: default, cognito-default".into())
    }
}

/// `policy_or_preset` for an optional member.
pub fn optional_policy_or_preset<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<PasswordPolicy>, D::Error> {
    policy_or_preset(d).map(Some)
}

/// Reads a password policy stored or declared as a preset's name or as the fields (earlier
/// versions stored the name).
pub fn policy_or_preset<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<PasswordPolicy, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Preset(String),
        Fields(PasswordPolicy),
    }
    match Repr::deserialize(d)? {
        Repr::Preset(name) => name.parse().map_err(serde::de::Error::custom),
        Repr::Fields(p) => Ok(p),
    }
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
str_enum_parse!(MfaMode { "off" => MfaMode::Off, "optional" => MfaMode::Optional, "required" => MfaMode::Required });

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolSettings {
    pub username_attribute: UsernameAttribute,
    /// Attributes a sign-up must provide (besides the username), e.g. ["email", "name", "locale"].
    pub required_attributes: Vec<String>,
    pub self_signup: bool,
    #[serde(deserialize_with = "policy_or_preset")]
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
    /// Declared attributes: every `custom:` one, and standard ones declared with other
    /// bounds or mutability than Cognito's defaults (`schema::standard`).
    pub schema: Vec<schema::SchemaAttribute>,
    /// Cognito's `AliasAttributes`: other attributes users may sign in with (recorded).
    pub alias_attributes: Vec<String>,
    /// Cognito's `AutoVerifiedAttributes` (`email`): verification codes are sent at sign-up.
    pub auto_verified_attributes: Vec<String>,
    /// Cognito's `UsernameConfiguration.CaseSensitive` (recorded; sign-in names are matched
    /// case-insensitively).
    pub case_sensitive_usernames: bool,
    /// Cognito's `DeletionProtection`: the pool cannot be deleted while it is on.
    pub deletion_protection: bool,
    /// Cognito's `UserPoolTags` (also TagResource / UntagResource).
    pub tags: BTreeMap<String, String>,
    /// Cognito settings that are stored and returned as given, not acted on (yet).
    pub recorded: RecordedSettings,
    /// This pool's own Standard Webhooks secret for its webhook triggers, sealed
    /// (`triggers::set_pool_webhook_secret`); none: the server's `webhook_secret`. Never
    /// shown by DescribeUserPool or the CLI.
    pub webhook_secret: Option<String>,
    /// The Cognito-compatible pool whose users migrate here on first sign-in (issue #15's
    /// `migrate_from`; `accounts::upstream`). Its secrets are sealed; never shown.
    pub migrate_from: Option<migrate_from::MigrateFrom>,
    /// SetRiskConfiguration's configurations: `ALL` for the pool, else per app client.
    pub risk: BTreeMap<String, risk::RiskConfiguration>,
    /// E-mail one-time codes as a second factor (Cognito's `EmailMfaConfiguration`): users
    /// with a verified e-mail may use them, and where MFA is required, those without an
    /// authenticator do.
    pub email_mfa: bool,
}

/// Cognito's pool settings that Incognito keeps and returns verbatim: mail goes through the
/// server's SMTP settings whatever `EmailConfiguration` says, triggers are the triggers
/// issue's. Each is the JSON object Cognito's API carries.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct RecordedSettings {
    pub account_recovery_setting: Option<serde_json::Value>,
    pub verification_message_template: Option<serde_json::Value>,
    pub user_attribute_update_settings: Option<serde_json::Value>,
    pub email_configuration: Option<serde_json::Value>,
    pub sms_configuration: Option<serde_json::Value>,
    pub lambda_config: Option<serde_json::Value>,
    pub device_configuration: Option<serde_json::Value>,
    pub invite_message_template: Option<serde_json::Value>,
    pub user_pool_add_ons: Option<serde_json::Value>,
    pub unused_account_validity_days: Option<i64>,
    pub email_verification_message: Option<String>,
    pub email_verification_subject: Option<String>,
    pub sms_verification_message: Option<String>,
    pub sms_authentication_message: Option<String>,
    pub user_pool_tier: Option<String>,
    /// CreateUserPoolDomain's prefix or custom domain (the pages stay at `public_url`).
    pub domain: Option<String>,
    pub custom_domain_config: Option<serde_json::Value>,
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
            password_policy: PasswordPolicy::default(),
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
            schema: Vec::new(),
            alias_attributes: Vec::new(),
            auto_verified_attributes: vec!["email".into()],
            case_sensitive_usernames: false,
            deletion_protection: false,
            tags: BTreeMap::new(),
            recorded: RecordedSettings::default(),
            webhook_secret: None,
            migrate_from: None,
            risk: BTreeMap::new(),
            email_mfa: false,
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
        self.password_policy.validate()?;
        self.validate_schema()?;
        self.branding.validate()?;
        crate::mail::validate_overrides(&self.email_overrides).map_err(crate::Error::Invalid)?;
        Ok(())
    }
}

impl PoolSettings {
    fn validate_schema(&self) -> Result<(), crate::Error> {
        let mut seen = std::collections::HashSet::new();
        for a in &self.schema {
            schema::check_declared(a)?;
            if !seen.insert(a.name.as_str()) {
                return Err(crate::Error::invalid(format!(
                    "attribute {:?} is declared twice",
                    a.name
                )));
            }
        }
        let custom = self
            .schema
            .iter()
            .filter(|a| a.name.starts_with("custom:"))
            .count();
        if custom > schema::MAX_CUSTOM_ATTRIBUTES {
            return Err(crate::Error::invalid("at most 50 custom attributes"));
        }
        for a in self
            .alias_attributes
            .iter()
            .chain(&self.auto_verified_attributes)
        {
            if !matches!(a.as_str(), "email" | "phone_number" | "preferred_username") {
                return Err(crate::Error::invalid(format!("attribute {a:?} as alias")));
            }
        }
        if self.tags.len() > 50
            || self
                .tags
                .iter()
                .any(|(k, v)| k.is_empty() || k.len() > 128 || v.len() > 256)
        {
            return Err(crate::Error::invalid(
                "tags: at most 50, keys 1-128 and values 0-256 characters",
            ));
        }
        Ok(())
    }

    /// The declared (or default) schema entry of an attribute; `None` for an undeclared
    /// custom attribute.
    pub fn attribute(&self, name: &str) -> Option<schema::SchemaAttribute> {
        if let Some(a) = self.schema.iter().find(|a| a.name == name) {
            return Some(a.clone());
        }
        schema::STANDARD
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, t)| schema::standard(n, *t))
    }

    /// Checks attribute values against the schema: declared custom attributes only (when the
    /// pool declares any), each value of its type and within its bounds, and, for an update
    /// of an existing user, only mutable attributes.
    pub fn check_attribute_values<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a String, &'a String)>,
        update: bool,
    ) -> Result<(), crate::Error> {
        let declares_custom = self.schema.iter().any(|a| a.name.starts_with("custom:"));
        for (name, value) in values {
            match self.attribute(name) {
                Some(a) => {
                    if update && !a.mutable {
                        return Err(crate::Error::invalid(format!(
                            "{name}: the attribute cannot be changed"
                        )));
                    }
                    schema::check_value(&a, value).map_err(crate::Error::Invalid)?;
                }
                None if declares_custom => {
                    return Err(crate::Error::invalid(format!(
                        "{name}: the attribute is not in the pool's schema"
                    )));
                }
                None => {}
            }
        }
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
