//! The user behind an access token (GetUser, UpdateUserAttributes, ... authorise with it).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::accounts::User;
use crate::cognito::error::CognitoError;
use crate::pools::directory::PoolEntry;
use crate::store::{self};
use crate::tokens::{self, AccessClaims, claims::COGNITO_ADMIN_SCOPE};

use super::*;

/// A signed-in user behind an access token: signature, issuer, `token_use`, expiry,
/// revocation, the `aws.cognito.signin.user.admin` scope, and a user who may still sign in.
pub async fn access_token_user(
    ctx: &Ctx,
    token: &str,
) -> Result<(Arc<PoolEntry>, User, AccessClaims)> {
    if token.is_empty() || token.len() > 16 * 1024 {
        return Err(CognitoError::invalid_token());
    }
    let pool_id =
        unverified_pool(&ctx.state.public_url, token).ok_or_else(CognitoError::invalid_token)?;
    let entry = ctx
        .state
        .pool(&pool_id)
        .await?
        .ok_or_else(CognitoError::invalid_token)?;
    let issuer = ctx.issuer(&pool_id);
    let (e2, token, now) = (entry.clone(), token.to_string(), ctx.now);
    let (user, claims) = ctx
        .read(move |db| {
            let claims = tokens::verify_access_token(db, &e2, &issuer, &token, now)?;
            if !claims.has_scope(COGNITO_ADMIN_SCOPE) {
                return Err(CognitoError::not_authorized(
                    "Access Token does not have required scopes",
                ));
            }
            let user = claims
                .user_id
                .as_deref()
                .map(|id| store::users::get(db, &e2.pool.id, id))
                .transpose()?
                .flatten()
                .ok_or_else(CognitoError::invalid_token)?;
            if !user.enabled {
                return Err(CognitoError::not_authorized("User is disabled."));
            }
            Ok((user, claims))
        })
        .await?;
    Ok((entry, user, claims))
}

/// The pool id named by a JWT's `iss`, read before verification only to pick the keys.
fn unverified_pool(public_url: &str, token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let iss = claims.get("iss")?.as_str()?;
    let pool = iss.strip_prefix(public_url)?.strip_prefix('/')?;
    crate::pools::is_valid_pool_id(pool).then(|| pool.to_string())
}
