//! Refresh tokens: opaque, stored hashed, bound to a client and a family (one authentication).
//! Each use rotates the token (unless the client keeps Cognito's reusable tokens); a
//! rotated-out token presented again after the grace period revokes the whole family
//! (RFC 9700 §4.14.2). The refresh re-reads the user, so a disabled or deleted user gets
//! nothing and the new ID token carries current attributes and groups.

use super::{Grant, Prepared, TokenSet, TokenSource, prepare};
use crate::Result;
use crate::audit::{self, Door, Event};
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::store::{self, Db};

/// What a refresh request asks for.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest<'a> {
    /// The refresh token as presented.
    pub token: &'a str,
    /// A narrower scope for the new access token; None keeps the granted scope.
    pub scope: Option<&'a [String]>,
    /// Seconds during which a just-rotated token may still be used (concurrent refreshes);
    /// 0 disables the grace.
    pub grace_secs: i64,
}

#[derive(Debug, Clone)]
pub enum RefreshOutcome<T = TokenSet> {
    Issued(T),
    Rejected(Rejection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Unknown, of another client or pool, expired, revoked, or the user can no longer sign in.
    Invalid,
    /// A rotated-out token was presented again: the family has been revoked. The caller must
    /// commit the transaction before answering.
    Reused,
    /// The requested scope is wider than the granted one.
    WiderScope,
}

/// The stored token and its family, whatever their state (for revocation and introspection).
pub fn lookup(
    db: &Db,
    pool_id: &str,
    token: &str,
) -> Result<Option<(store::tokens::RefreshToken, store::tokens::Family)>> {
    if token.is_empty() || token.len() > 512 {
        return Ok(None);
    }
    let Some(row) = store::tokens::get_refresh(db, &crate::random::sha256_hex(token))? else {
        return Ok(None);
    };
    Ok(store::tokens::get_family(db, pool_id, &row.family_id)?.map(|f| (row, f)))
}

/// The token's family when the token can be redeemed right now (current, family alive).
pub fn active(
    db: &Db,
    pool_id: &str,
    token: &str,
    now: i64,
) -> Result<Option<store::tokens::Family>> {
    Ok(lookup(db, pool_id, token)?
        .filter(|(row, family)| {
            row.rotated_at.is_none() && family.revoked_at.is_none() && family.expires_at > now
        })
        .map(|(_, family)| family))
}

/// Redeems a refresh token for `client` (already authenticated): the store work and the
/// claims. Run it inside a write transaction, commit even when the outcome is
/// `Rejected(Reused)`, and sign the `Prepared` tokens after the commit
/// (`Prepared::sign_unless_trigger`). Should the PreTokenGeneration trigger then fail, the
/// rotation is taken back: the presented token stays usable.
pub fn prepare_refresh(
    db: &Db,
    entry: &PoolEntry,
    client: &Client,
    req: &RefreshRequest<'_>,
    issuer: &str,
    now: i64,
) -> Result<RefreshOutcome<Prepared>> {
    use RefreshOutcome::Rejected;
    let pool_id = &entry.pool.id;
    let Some((row, family)) = lookup(db, pool_id, req.token)? else {
        return Ok(Rejected(Rejection::Invalid));
    };
    if family.client_id != client.id {
        tracing::warn!(pool = %pool_id, client = %client.id, "refresh token of another client presented");
        return Ok(Rejected(Rejection::Invalid));
    }
    if family.revoked_at.is_some() || family.expires_at <= now {
        return Ok(Rejected(Rejection::Invalid));
    }
    let mut rotate = client.settings.rotate_refresh_tokens;
    if let Some(rotated_at) = row.rotated_at {
        let in_grace = req.grace_secs > 0 && now - rotated_at <= req.grace_secs;
        if !in_grace {
            return reused(db, pool_id, client, &family, now);
        }
        // A concurrent refresh within the grace: answer it too, with another current token
        // of the same family (reuse detection still covers both branches).
        rotate = true;
    }
    let granted = super::split_scope(&family.scope);
    let scope = match req.scope {
        Some(requested) if !requested.is_empty() => {
            if requested.iter().any(|s| !granted.contains(s)) {
                return Ok(Rejected(Rejection::WiderScope));
            }
            requested.to_vec()
        }
        _ => granted,
    };
    let Some(user_id) = family.user_id.as_deref() else {
        return Ok(Rejected(Rejection::Invalid));
    };
    let user = match store::users::get(db, pool_id, user_id)? {
        Some(u) if u.can_sign_in() => u,
        _ => return Ok(Rejected(Rejection::Invalid)),
    };
    let claim = rotate && row.rotated_at.is_none();
    let rotated_now = claim && store::tokens::mark_rotated(db, &row.token_hash, now)?;
    if claim && !rotated_now && req.grace_secs == 0 {
        // Rotated by a concurrent refresh (another instance) since we read it: the same token
        // redeemed twice at once is a reuse. With a grace, it is the concurrent refresh the
        // grace exists for, answered like one that came a moment later.
        return reused(db, pool_id, client, &family, now);
    }
    let amr: Vec<String> = serde_json::from_str(&family.amr).unwrap_or_default();
    let grant = Grant {
        scope,
        auth_time: family.auth_time,
        amr,
        nonce: None,
        family_id: Some(family.id.clone()),
        refresh_token: rotate,
        source: TokenSource::RefreshTokens,
    };
    let mut prepared = prepare(db, entry, client, &user, &grant, issuer, now)?;
    if rotated_now {
        prepared.undo_rotation_on_failure(&row.token_hash, now);
    }
    Ok(RefreshOutcome::Issued(prepared))
}

/// A rotated-out refresh token presented again: the whole family is revoked, counted and
/// audited, and the presenter is told no.
fn reused(
    db: &Db,
    pool_id: &str,
    client: &Client,
    family: &store::tokens::Family,
    now: i64,
) -> Result<RefreshOutcome<Prepared>> {
    super::revoke_family(db, pool_id, &family.id, now)?;
    crate::metrics::refresh_reuse();
    let mut event = Event::new(Door::Core, audit::TOKEN_REUSE, "family_revoked")
        .pool(pool_id)
        .actor("server");
    if let Some(user_id) = &family.user_id {
        event = event.target(user_id.as_str());
    }
    audit::record_in(db, event, now)?;
    tracing::warn!(
        pool = %pool_id,
        client = %client.id,
        family = %family.id,
        "refresh token reuse detected; token family revoked"
    );
    Ok(RefreshOutcome::Rejected(Rejection::Reused))
}
