//! `grant_type=refresh_token` (RFC 6749 §6): rotation and reuse detection live in the core
//! (`tokens::refresh`); a detected reuse commits the family's revocation before the error.

use std::sync::Arc;

use crate::oidc::error::OAuthError;
use crate::oidc::params::{Params, split_scope};
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::tokens::Signing;
use crate::tokens::refresh::{self, RefreshOutcome, RefreshRequest, Rejection};

/// Runs on the request pool (see `oidc::token`): the rotation commits, then the tokens are
/// signed (or left for the PreTokenGeneration trigger).
pub fn grant(
    state: &AppState,
    entry: &Arc<PoolEntry>,
    client: Client,
    params: &Params,
) -> Result<Signing, OAuthError> {
    let token = params.require("refresh_token")?;
    let scope = params.get("scope").map(split_scope);
    let issuer = state.issuer(&entry.pool.id);
    let now = state.now();
    let grace_secs = state.config.refresh_reuse_grace_secs;
    let outcome = state.store.write_sync(|db| {
        refresh::prepare_refresh(
            db,
            entry,
            &client,
            &RefreshRequest {
                token,
                scope: scope.as_deref(),
                grace_secs,
            },
            &issuer,
            now,
        )
    })?;
    match outcome {
        RefreshOutcome::Issued(prepared) => Ok(prepared.sign_unless_trigger(entry)?),
        RefreshOutcome::Rejected(Rejection::WiderScope) => Err(OAuthError::invalid_scope(
            "the requested scope exceeds the granted scope",
        )),
        RefreshOutcome::Rejected(Rejection::Reused) => {
            Err(OAuthError::invalid_grant("refresh token already used"))
        }
        RefreshOutcome::Rejected(Rejection::Invalid) => {
            Err(OAuthError::invalid_grant("invalid refresh token"))
        }
    }
}
