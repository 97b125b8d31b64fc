//! Users of a pool: attributes, status, password, groups.

pub mod codes;
pub mod email_change;
pub mod export;
pub mod history;
pub mod import;
pub mod import_jobs;
pub mod migration;
pub mod notices;
pub mod recovery;
pub mod service;
pub mod sign_up;
pub mod upstream;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    /// An administrator asked for a password reset: no sign-in until the user completes one.
    ResetRequired,
    /// Signed in through an identity provider (`federation`): no password here.
    ExternalProvider,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
            UserStatus::ExternalProvider => "EXTERNAL_PROVIDER",
        }
    }
}

impl std::str::FromStr for UserStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "UNCONFIRMED" => Ok(UserStatus::Unconfirmed),
            "CONFIRMED" => Ok(UserStatus::Confirmed),
            "FORCE_CHANGE_PASSWORD" => Ok(UserStatus::ForceChangePassword),
            "RESET_REQUIRED" => Ok(UserStatus::ResetRequired),
            "EXTERNAL_PROVIDER" => Ok(UserStatus::ExternalProvider),
            _ => Err(format!("unknown status {s}")),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// The stable `sub`.
    pub id: String,
    pub pool_id: String,
    pub username: String,
    pub email: Option<String>,
    pub status: UserStatus,
    pub enabled: bool,
    pub email_verified: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Standard and custom:* attributes other than email.
    pub attributes: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn can_sign_in(&self) -> bool {
        self.enabled
            && !matches!(
                self.status,
                UserStatus::Unconfirmed | UserStatus::ResetRequired
            )
    }
}
