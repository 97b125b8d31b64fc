//! Server-side state of federated sign-ins in flight, found by a random token the browser
//! carries: the upstream sign-in (`InFlight`, its token is the `state` the upstream hands back)
//! and the wait for a password before a link (`linking::LinkProof`). Single use (taken with
//! DELETE ... RETURNING) and five minutes long, so a callback cannot be replayed and a stale
//! one leads nowhere. The callback may be a cross-site POST (Apple's `form_post`), so nothing
//! depends on a cookie.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Result;
use crate::random::{sha256_hex, token};
use crate::store::{self, Db};

pub const TTL_SECS: i64 = 300;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InFlight {
    /// The pending authorization request (`oidc::authorize`) the sign-in resumes.
    pub request: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Stores `value` for `provider`; returns the token that finds it.
pub fn put<T: Serialize>(
    db: &Db,
    pool_id: &str,
    provider: &str,
    value: &T,
    now: i64,
) -> Result<String> {
    let token = token(32);
    let data = serde_json::to_string(value).map_err(store::StoreError::from)?;
    store::federation::put_state(
        db,
        &sha256_hex(&token),
        pool_id,
        provider,
        &data,
        now + TTL_SECS,
    )?;
    Ok(token)
}

/// Takes the state behind `token`, once: (provider, value).
pub fn take<T: DeserializeOwned>(
    db: &Db,
    pool_id: &str,
    token: &str,
    now: i64,
) -> Result<Option<(String, T)>> {
    find(token, |hash| {
        store::federation::take_state(db, hash, pool_id, now)
    })
}

/// Reads the state behind `token` and leaves it in place (to show a page about it).
pub fn peek<T: DeserializeOwned>(
    db: &Db,
    pool_id: &str,
    token: &str,
    now: i64,
) -> Result<Option<(String, T)>> {
    find(token, |hash| {
        store::federation::peek_state(db, hash, pool_id, now)
    })
}

/// A state of another kind (or garbage) under a token is as good as none.
fn find<T: DeserializeOwned>(
    token: &str,
    read: impl FnOnce(&str) -> std::result::Result<Option<(String, String)>, store::StoreError>,
) -> Result<Option<(String, T)>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let Some((provider, data)) = read(&sha256_hex(token))? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&data).ok().map(|v| (provider, v)))
}
