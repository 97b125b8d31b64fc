//! The server-side state of a sign-in sent upstream: what the callback needs (the pending
//! authorization request, the nonce, the PKCE verifier), found by the `state` the upstream
//! hands back. Single use (taken with DELETE ... RETURNING) and five minutes long, so a
//! callback cannot be replayed and a stale one leads nowhere. The callback may be a
//! cross-site POST (Apple's `form_post`), so nothing depends on a cookie.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::random::{sha256_hex, token};
use crate::store::{self, Db};

pub const TTL_SECS: i64 = 300;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InFlight {
    /// The pending authorization request (`oidc::authorize`) the sign-in resumes.
    pub request: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Stores the state of a new upstream sign-in; returns the `state` to send.
pub fn start(
    db: &Db,
    pool_id: &str,
    provider: &str,
    flight: &InFlight,
    now: i64,
) -> Result<String> {
    let state = token(32);
    let data = serde_json::to_string(flight).map_err(store::StoreError::from)?;
    store::federation::put_state(
        db,
        &sha256_hex(&state),
        pool_id,
        provider,
        &data,
        now + TTL_SECS,
    )?;
    Ok(state)
}

/// Takes the state the upstream sent back, once: (provider, what the callback needs).
pub fn take(db: &Db, pool_id: &str, state: &str, now: i64) -> Result<Option<(String, InFlight)>> {
    if state.is_empty() || state.len() > 128 {
        return Ok(None);
    }
    let Some((provider, data)) =
        store::federation::take_state(db, &sha256_hex(state), pool_id, now)?
    else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&data).ok().map(|f| (provider, f)))
}
