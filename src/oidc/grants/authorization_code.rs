//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5).
//!
//! The code is single use, unexpired, and bound to the client, the exact redirect URI and the
//! PKCE challenge (a verifier for a code issued without a challenge, or none for a code with
//! one, is a downgrade: `invalid_grant`). A second redemption of a code fails and revokes the
//! family the first one created — but only when the replay is otherwise a correct request
//! (authenticated client, same redirect URI, right verifier), so that a stranger cannot revoke
//! a user's tokens. That revocation is committed although the answer is an error.

use std::sync::Arc;

use crate::oidc::error::OAuthError;
use crate::oidc::params::{Params, split_scope};
use crate::oidc::pkce;
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store;
use crate::tokens::{self, Grant, Prepared, Signing, TokenSource};

enum Outcome<T> {
    Issued(T),
    Rejected(&'static str),
    /// A consumed code came back; its family has been revoked.
    Replayed,
}

/// Runs on the request pool (see `oidc::token`): the redemption commits, then the tokens are
/// signed (or left for the PreTokenGeneration trigger).
pub fn grant(
    state: &AppState,
    entry: &Arc<PoolEntry>,
    client: Client,
    params: &Params,
) -> Result<Signing, OAuthError> {
    let code = params.require("code")?;
    let redirect_uri = params.get("redirect_uri");
    let verifier = params.get("code_verifier");
    if code.len() > 512 {
        return Err(OAuthError::invalid_grant("invalid authorization code"));
    }
    let code_hash = crate::random::sha256_hex(code);
    let issuer = state.issuer(&entry.pool.id);
    let now = state.now();
    let outcome = state.store.write_sync(|db| {
        redeem(
            db,
            entry,
            &client,
            &code_hash,
            redirect_uri,
            verifier,
            &issuer,
            now,
        )
    })?;
    match outcome {
        Outcome::Issued(prepared) => Ok(prepared.sign_unless_trigger(entry)?),
        Outcome::Rejected(why) => Err(OAuthError::invalid_grant(why)),
        Outcome::Replayed => Err(OAuthError::invalid_grant("authorization code already used")),
    }
}

#[allow(clippy::too_many_arguments)]
fn redeem(
    db: &store::Db,
    entry: &PoolEntry,
    client: &Client,
    code_hash: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    issuer: &str,
    now: i64,
) -> crate::Result<Outcome<Prepared>> {
    let pool = &entry.pool;
    let Some(code) = store::codes::get(db, &pool.id, code_hash)? else {
        return Ok(Outcome::Rejected("invalid authorization code"));
    };
    if code.client_id != client.id {
        return Ok(Outcome::Rejected("invalid authorization code"));
    }
    // Exact string match. RFC 6749 lets a client omit redirect_uri when its authorization
    // request did; the code does not record that, so omission is accepted only when the
    // client has a single registered URI, the code's (no other value was possible).
    let redirect_ok = match redirect_uri {
        Some(uri) => code.redirect_uri == uri,
        None => client.settings.redirect_uris == [code.redirect_uri.as_str()],
    };
    if !redirect_ok {
        return Ok(Outcome::Rejected("redirect_uri does not match"));
    }
    match (code.code_challenge.as_deref(), verifier) {
        (Some(challenge), Some(v)) => {
            if !pkce::verify(v, challenge) {
                return Ok(Outcome::Rejected("code_verifier does not match"));
            }
        }
        (Some(_), None) => return Ok(Outcome::Rejected("code_verifier required")),
        (None, Some(_)) => {
            return Ok(Outcome::Rejected(
                "code_verifier sent for a code issued without code_challenge",
            ));
        }
        (None, None) => {
            if client.is_public() || pool.settings.pkce_required_for_confidential {
                return Ok(Outcome::Rejected("PKCE required"));
            }
        }
    }
    if code.consumed_at.is_some() {
        if let Some(family) = &code.family_id {
            tokens::revoke_family(db, &pool.id, family, now)?;
        }
        tracing::warn!(
            pool = %pool.id,
            client = %client.id,
            family = code.family_id.as_deref().unwrap_or("-"),
            "authorization code replayed; tokens of its first redemption revoked"
        );
        return Ok(Outcome::Replayed);
    }
    if code.expires_at <= now {
        return Ok(Outcome::Rejected("authorization code expired"));
    }
    let user = match store::users::get(db, &pool.id, &code.user_id)? {
        Some(u) if u.can_sign_in() => u,
        _ => return Ok(Outcome::Rejected("the user can no longer sign in")),
    };
    // The client's scopes may have shrunk since the code was issued.
    let scope: Vec<String> = split_scope(&code.scope)
        .into_iter()
        .filter(|s| client.settings.scopes.contains(s))
        .collect();
    let refresh =
        client.settings.always_issue_refresh_token || scope.iter().any(|s| s == "offline_access");
    let grant = Grant {
        scope,
        auth_time: code.auth_time,
        amr: serde_json::from_str(&code.amr).unwrap_or_default(),
        nonce: code.nonce.clone(),
        family_id: None,
        refresh_token: refresh,
        source: TokenSource::HostedAuth,
    };
    let user_id = user.id.clone();
    let prepared = tokens::prepare(db, entry, client, &user, &grant, issuer, now)?;
    if !store::codes::mark_consumed(db, code_hash, prepared.family_id(), now)? {
        // A concurrent redemption (another instance) won between our read and this write:
        // this is a replay; neither redemption keeps its tokens.
        tokens::revoke_family(db, &pool.id, prepared.family_id(), now)?;
        if let Some(first) = store::codes::get(db, &pool.id, code_hash)?.and_then(|c| c.family_id) {
            tokens::revoke_family(db, &pool.id, &first, now)?;
        }
        tracing::warn!(pool = %pool.id, client = %client.id, "authorization code redeemed twice at once; both redemptions revoked");
        return Ok(Outcome::Replayed);
    }
    tracing::info!(pool = %pool.id, client = %client.id, user = %user_id, "authorization code redeemed");
    Ok(Outcome::Issued(prepared))
}
