//! SAML 2.0 identity providers, through the `samael` crate (XML signatures and decryption by
//! xmlsec; no XML signature code of ours). This module is the thin wrapper that closes the
//! crate's known gaps (`guard` for the document's shape, `response` for what is checked and
//! with which clock), reads IdP metadata and writes ours (`metadata`), and builds the
//! redirect-binding messages we send and receive (`redirect`), sign-in (`sign_in`) and single
//! logout (`logout`).

pub mod guard;
pub mod logout;
pub mod metadata;
pub mod redirect;
pub mod response;
pub mod sign_in;

/// Why a SAML message was refused. Never carries the document itself.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SamlError {
    #[error("malformed SAML message: {0}")]
    Malformed(&'static str),
    #[error("{0} algorithm not allowed: {1}")]
    Algorithm(&'static str, String),
    #[error("the signature does not verify with the identity provider's certificate")]
    Signature,
    #[error("the assertion is not signed")]
    Unsigned,
    #[error("the identity provider answered with status {0}")]
    Status(String),
    #[error("the assertion could not be decrypted")]
    Decrypt,
    #[error("the assertion must be encrypted")]
    NotEncrypted,
    #[error("{0}")]
    Invalid(String),
}

/// The SAML 2.0 protocol's URIs we name more than once.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// The service provider's entity id for a pool, as Cognito names it.
pub fn sp_entity_id(pool_id: &str) -> String {
    format!("urn:amazon:cognito:sp:{pool_id}")
}
