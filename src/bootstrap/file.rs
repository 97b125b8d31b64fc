//! The bootstrap file's format: what a `[[pool]]` and its clients, groups and users may
//! declare (docs/bootstrap.md).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::pools::{MfaMode, PasswordPolicy, UsernameAttribute};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BootstrapFile {
    #[serde(default)]
    pub(super) pool: Vec<PoolDecl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PoolDecl {
    /// Fixed id (`region_alphanumerics`); without it the pool is matched by name.
    pub(super) id: Option<String>,
    pub(super) name: String,
    /// Region prefix of a generated id (default: the config's `region`).
    pub(super) region: Option<String>,
    pub(super) username_attribute: Option<UsernameAttribute>,
    pub(super) required_attributes: Option<Vec<String>>,
    pub(super) self_signup: Option<bool>,
    #[serde(default, deserialize_with = "crate::pools::optional_policy_or_preset")]
    pub(super) password_policy: Option<PasswordPolicy>,
    pub(super) mfa: Option<MfaMode>,
    pub(super) pkce_required_for_confidential: Option<bool>,
    pub(super) id_token_ttl_secs: Option<i64>,
    pub(super) access_token_ttl_secs: Option<i64>,
    pub(super) refresh_token_ttl_secs: Option<i64>,
    pub(super) confirm_code_ttl_secs: Option<i64>,
    pub(super) reset_code_ttl_secs: Option<i64>,
    pub(super) branding: Option<crate::pools::Branding>,
    pub(super) remember_device_days: Option<i64>,
    /// E-mail one-time codes as a second factor (EMAIL_OTP).
    pub(super) email_mfa: Option<bool>,
    /// Custom attributes (and standard ones with other bounds), as `[[pool.attribute]]`.
    #[serde(default)]
    pub(super) attribute: Vec<crate::pools::schema::SchemaAttribute>,
    pub(super) deletion_protection: Option<bool>,
    pub(super) tags: Option<std::collections::BTreeMap<String, String>>,
    /// Cognito triggers, `[pool.triggers]` `PreSignUp = "https://..."` or a Lambda ARN: the
    /// pool's `LambdaConfig`.
    pub(super) triggers: Option<std::collections::BTreeMap<String, String>>,
    /// The pool's own webhook secret (`whsec_...`) for its webhook triggers.
    pub(super) webhook_secret: Option<String>,
    /// Where users migrate from on first sign-in (`pool update --migrate-from`'s string).
    pub(super) migrate_from: Option<String>,
    /// `[[pool.identity_provider]]`, applied before the clients that may offer them.
    #[serde(default)]
    pub(super) identity_provider: Vec<ProviderDecl>,
    #[serde(default)]
    pub(super) client: Vec<ClientDecl>,
    #[serde(default)]
    pub(super) group: Vec<GroupDecl>,
    #[serde(default)]
    pub(super) user: Vec<UserDecl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClientDecl {
    /// Fixed client id; without it the client is matched by name within the pool.
    pub(super) id: Option<String>,
    pub(super) name: String,
    /// A fixed secret (16 to 256 characters): a confidential client. Absent: a public client.
    pub(super) secret: Option<String>,
    #[serde(default)]
    pub(super) redirect_uris: Vec<String>,
    #[serde(default)]
    pub(super) logout_uris: Vec<String>,
    pub(super) flows: Option<Vec<String>>,
    pub(super) scopes: Option<Vec<String>>,
    pub(super) auth_flows: Option<Vec<String>>,
    pub(super) id_token_ttl_secs: Option<i64>,
    pub(super) access_token_ttl_secs: Option<i64>,
    pub(super) refresh_token_ttl_secs: Option<i64>,
    pub(super) always_issue_refresh_token: Option<bool>,
    pub(super) rotate_refresh_tokens: Option<bool>,
    pub(super) first_party: Option<bool>,
    /// Cognito API: unknown users look like wrong passwords (default true).
    pub(super) prevent_user_existence_errors: Option<bool>,
    /// No longer has an effect: the Cognito API answers CORS by the server-wide
    /// `cognito_api_allowed_origins`. Accepted so that earlier bootstrap files still load.
    #[serde(default)]
    pub(super) allowed_origins: Vec<String>,
    /// The only attributes the client may read (Cognito's ReadAttributes); empty: all.
    #[serde(default)]
    pub(super) read_attributes: Vec<String>,
    /// The only attributes the client may change (Cognito's WriteAttributes); empty: all.
    #[serde(default)]
    pub(super) write_attributes: Vec<String>,
    /// `COGNITO` and the pool's identity providers the client offers.
    #[serde(default)]
    pub(super) supported_identity_providers: Vec<String>,
}

/// An identity provider, in Cognito's terms (`federation::providers` checks it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProviderDecl {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) provider_type: String,
    /// Cognito's `ProviderDetails` (secrets in clear here, sealed in the store).
    #[serde(default)]
    pub(super) details: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) attribute_mapping: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) idp_identifiers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupDecl {
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) precedence: Option<i64>,
    /// An IAM role ARN (`cognito:roles` / `cognito:preferred_role` in ID tokens).
    pub(super) role_arn: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserDecl {
    pub(super) email: Option<String>,
    /// Username pools only.
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
    /// A pre-computed Argon2id PHC string, instead of `password`.
    pub(super) password_hash: Option<String>,
    #[serde(default)]
    pub(super) attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) groups: Vec<String>,
    #[serde(default)]
    pub(super) confirmed: bool,
    pub(super) email_verified: Option<bool>,
    /// Set the password from the file even though the user exists.
    #[serde(default)]
    pub(super) reset_password: bool,
}
