//! One module per grant type; each runs its checks and issuance in at most one write transaction.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use super::error::OAuthError;
use crate::pools::{Client, OAuthFlow};

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

impl GrantType {
    /// The `grant_type` value.
    pub fn name(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// RFC 6749 §5.2 `unauthorized_client`: checked after client authentication and before
    /// anything the grant itself looks at.
    pub fn check_registered(self, client: &Client) -> Result<(), OAuthError> {
        let (registered, name) = match self {
            GrantType::AuthorizationCode => (client.allows(OAuthFlow::Code), "authorization code"),
            GrantType::RefreshToken => (client.allows_refresh_grant(), "refresh token"),
            GrantType::ClientCredentials => (
                !client.is_public() && client.allows(OAuthFlow::ClientCredentials),
                "client credentials",
            ),
        };
        if registered {
            Ok(())
        } else {
            Err(OAuthError::unauthorized_client(format!(
                "the {name} grant is not enabled for this client"
            )))
        }
    }
}
