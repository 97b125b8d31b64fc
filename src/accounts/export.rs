//! The way out: every user of a pool as one JSON object per line (`Record`), the format that
//! `import` reads back. Secrets (the password hash, the TOTP secret in clear) are written only
//! when the caller asks for them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::User;
use crate::keys::seal::Sealer;
use crate::pools::Pool;
use crate::store::{self, Db};
use crate::{Error, Result};

/// One user, as exported and imported (JSON lines).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    pub username: String,
    /// The stable subject identifier, kept across an export and import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Cognito's attribute map: `email` and `email_verified` included.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Linked federated identities (none exist yet: always empty).
    #[serde(default)]
    pub identities: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// A hash string of `authn::legacy_hash` (exports write our Argon2id PHC strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Firebase's per-user salt (base64), for `password_hash` from `firebase auth:export`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_salt: Option<String>,
    /// The enabled authenticator's secret, base32, in clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
}

fn enabled_by_default() -> bool {
    true
}

/// Reads one page of a pool's users (ordered by username, after `after`) as records.
pub fn page(
    db: &Db,
    sealer: &Sealer,
    pool: &Pool,
    after: &str,
    limit: i64,
    with_secrets: bool,
) -> Result<Vec<Record>> {
    store::users::list(db, &pool.id, limit, after)?
        .into_iter()
        .map(|u| record(db, sealer, u, with_secrets))
        .collect()
}

fn record(db: &Db, sealer: &Sealer, u: User, with_secrets: bool) -> Result<Record> {
    let mut attributes = u.attributes;
    if let Some(e) = u.email {
        attributes.insert("email".into(), e);
        attributes.insert("email_verified".into(), u.email_verified.to_string());
    }
    let totp_secret = match store::mfa::get_totp(db, &u.id)? {
        Some(t) if with_secrets && t.enabled => {
            Some(sealer.open(&t.secret).map_err(Error::Crypto)?)
        }
        _ => None,
    };
    Ok(Record {
        groups: store::groups::of_user(db, &u.id)?,
        username: u.username,
        sub: Some(u.id),
        status: Some(u.status.as_str().to_string()),
        enabled: u.enabled,
        attributes,
        identities: Vec::new(),
        created_at: Some(u.created_at),
        updated_at: Some(u.updated_at),
        password_hash: if with_secrets { u.password_hash } else { None },
        password_salt: None,
        totp_secret,
    })
}
