//! `grant_type=client_credentials` (RFC 6749 §4.4): confidential clients with the flow
//! enabled, custom resource scopes only (`resource-server/scope`), an access token only
//! (`sub` = client id, as Cognito does). Cognito's `aws_client_metadata` parameter (a JSON
//! object of strings, URL-encoded) reaches a V3 PreTokenGeneration trigger as `clientMetadata`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::oidc::error::OAuthError;
use crate::oidc::params::{Params, split_scope};
use crate::pools::Client;
use crate::pools::clients::is_resource_scope;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::tokens::{self, Signing};

/// Runs on the request pool (see `oidc::token`). No store work: machine tokens are not stored.
pub fn grant(
    state: &AppState,
    entry: &Arc<PoolEntry>,
    client: Client,
    params: &Params,
) -> Result<Signing, OAuthError> {
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
    let metadata = match params.get("aws_client_metadata") {
        Some(m) => client_metadata(m)?,
        None => BTreeMap::new(),
    };
    let issuer = state.issuer(&entry.pool.id);
    let mut prepared =
        tokens::prepare_client_credentials(entry, &client, &scope, &issuer, state.now());
    prepared.set_client_metadata(metadata);
    Ok(prepared.sign_unless_trigger(entry)?)
}

/// `aws_client_metadata`: a JSON object of strings.
fn client_metadata(value: &str) -> Result<BTreeMap<String, String>, OAuthError> {
    serde_json::from_str(value).map_err(|_| {
        OAuthError::invalid_request("aws_client_metadata must be a JSON object of strings")
    })
}
