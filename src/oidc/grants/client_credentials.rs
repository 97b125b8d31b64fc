//! `grant_type=client_credentials` (RFC 6749 §4.4): confidential clients with the flow
//! enabled, custom resource scopes only (`resource-server/scope`), an access token only
//! (`sub` = client id, as Cognito does).

use crate::oidc::error::OAuthError;
use crate::oidc::params::{Params, split_scope};
use crate::pools::Client;
use crate::pools::clients::is_resource_scope;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::tokens::{self, TokenSet};

/// Runs on the request pool (see `oidc::token`). No store work: machine tokens are not stored.
pub fn grant(
    state: &AppState,
    entry: &PoolEntry,
    client: Client,
    params: &Params,
) -> Result<TokenSet, OAuthError> {
    let allowed: Vec<String> = client
        .settings
        .scopes
        .iter()
        .filter(|s| is_resource_scope(s))
        .cloned()
        .collect();
    let scope = match params.get("scope").map(split_scope) {
        Some(requested) => {
            if requested.iter().any(|s| !allowed.contains(s)) {
                return Err(OAuthError::invalid_scope(
                    "only the client's resource-server scopes may be requested",
                ));
            }
            requested
        }
        None => allowed,
    };
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(
            "the client has no resource-server scope",
        ));
    }
    let issuer = state.issuer(&entry.pool.id);
    Ok(tokens::issue_client_credentials(
        entry,
        &client,
        &scope,
        &issuer,
        state.now(),
    )?)
}
