//! One module per grant type; each runs its checks and issuance in at most one write transaction.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use super::error::OAuthError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    /// The grants this server speaks; `password`, implicit and anything else are unsupported.
    pub fn parse(s: &str) -> Result<GrantType, OAuthError> {
        match s {
            "authorization_code" => Ok(GrantType::AuthorizationCode),
            "refresh_token" => Ok(GrantType::RefreshToken),
            "client_credentials" => Ok(GrantType::ClientCredentials),
            _ => Err(OAuthError::unsupported_grant_type(
                "supported: authorization_code, refresh_token, client_credentials",
            )),
        }
    }
}
