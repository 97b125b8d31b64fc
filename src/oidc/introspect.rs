//! Token introspection (RFC 7662), for resource servers: confidential clients only (a public
//! client gets `invalid_client`). Anything invalid, expired, revoked or of another pool is
//! `{"active": false}`. Access tokens may be introspected by any confidential client of the
//! pool (resource servers); refresh tokens only by the client they were issued to.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::client_auth::{self, Allow};
use super::error::OAuthError;
use super::token::form_params;
use crate::http::{NO_CACHE, NO_STORE};
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::{self, Db};
use crate::tokens::{self, TokenError};

pub async fn introspect(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, OAuthError> {
    let pool_id = path.into_inner();
    let entry = super::pool_entry(&state, &pool_id).await?;
    let params = form_params(&req, body)?;
    let token = params.require("token")?.to_string();
    let presented = client_auth::presented(&req, &params)?;
    let issuer = state.issuer(&pool_id);
    let now = state.now();
    let (store, limiter) = (state.store.clone(), state.secret_limiter.clone());
    // Client authentication and the answer in one call on the request pool (like a grant).
    let answer = state
        .request_pool
        .run(move || {
            store.read_sync(|db| -> Result<Value, OAuthError> {
                let client = client_auth::check(
                    db,
                    &limiter,
                    &pool_id,
                    presented,
                    Allow::ConfidentialOnly,
                    now,
                )?
                .client;
                Ok(inspect(db, &entry, &client, &issuer, &token, now)?)
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header(NO_CACHE)
        .json(answer))
}

fn inactive() -> Value {
    json!({ "active": false })
}

/// The introspection answer for `token`, as seen by `client`.
pub fn inspect(
    db: &Db,
    entry: &PoolEntry,
    client: &Client,
    issuer: &str,
    token: &str,
    now: i64,
) -> crate::Result<Value> {
    if token.split('.').count() == 3 {
        return match tokens::verify_access_token(db, entry, issuer, token, now) {
            Ok(c) => {
                // A user token is active only while its user may still sign in.
                if let Some(user_id) = &c.user_id {
                    match store::users::get(db, &entry.pool.id, user_id)? {
                        Some(u) if u.can_sign_in() => {}
                        _ => return Ok(inactive()),
                    }
                }
                let mut out = json!({
                    "active": true,
                    "scope": c.scope.join(" "),
                    "client_id": c.client_id,
                    "sub": c.sub,
                    "exp": c.exp,
                    "iat": c.iat,
                    "iss": c.iss,
                    "jti": c.jti,
                    "token_type": "access_token",
                    "token_use": "access",
                });
                if let Some(u) = &c.username {
                    out["username"] = json!(u);
                }
                Ok(out)
            }
            Err(TokenError::Invalid(_)) => Ok(inactive()),
            Err(TokenError::Core(e)) => Err(e),
        };
    }
    let Some((row, family)) = tokens::refresh::lookup(db, &entry.pool.id, token)? else {
        return Ok(inactive());
    };
    let live = row.rotated_at.is_none()
        && family.revoked_at.is_none()
        && family.expires_at > now
        && family.client_id == client.id;
    if !live {
        return Ok(inactive());
    }
    let Some(user_id) = family.user_id.as_deref() else {
        return Ok(inactive());
    };
    let user = match store::users::get(db, &entry.pool.id, user_id)? {
        Some(u) if u.can_sign_in() => u,
        _ => return Ok(inactive()),
    };
    Ok(json!({
        "active": true,
        "scope": family.scope,
        "client_id": family.client_id,
        "username": user.username,
        "sub": user.id,
        "exp": family.expires_at,
        "iat": row.created_at,
        "iss": issuer,
        "token_type": "refresh_token",
        "token_use": "refresh",
    }))
}
