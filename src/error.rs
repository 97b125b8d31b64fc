//! The core's error: domain words that each front door maps to its protocol in its own error.rs.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("invalid {0}")]
    Invalid(String),
    #[error("not authorized")]
    NotAuthorized,
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("crypto: {0}")]
    Crypto(String),
    /// A trigger rejected the operation, failed or answered nonsense.
    #[error("{0}")]
    Trigger(#[from] crate::triggers::TriggerError),
}

impl Error {
    pub fn invalid(what: impl Into<String>) -> Error {
        Error::Invalid(what.into())
    }
    pub fn not_found(what: impl Into<String>) -> Error {
        Error::NotFound(what.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
