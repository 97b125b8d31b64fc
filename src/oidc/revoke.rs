//! Token revocation (RFC 7009). The client authenticates as at the token endpoint; it can
//! revoke only its own tokens; unknown, foreign or already dead tokens still get 200.
//! Revoking a refresh token — or an access token — revokes the whole family, so the access
//! tokens of the grant are refused from then on by every endpoint of this server.

use actix_web::{HttpRequest, HttpResponse, web};

use super::client_auth::{self, Allow};
use super::error::OAuthError;
use super::token::form_params;
use crate::http::{NO_CACHE, NO_STORE};
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::Db;
use crate::tokens::{self, TokenError};

pub async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> HttpResponse {
    let pool_id = path.into_inner();
    let result = handle(&state, &pool_id, &req, body).await;
    super::cors::respond(&state, &pool_id, &req, result).await
}

async fn handle(
    state: &AppState,
    pool_id: &str,
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, OAuthError> {
    let entry = super::pool_entry(state, pool_id).await?;
    let params = form_params(req, body)?;
    let token = params.require("token")?.to_string();
    // token_type_hint is optional and only a hint (RFC 7009 §2.1); both kinds are looked up.
    let presented = client_auth::presented(req, &params)?;
    let issuer = state.issuer(pool_id);
    let now = state.now();
    let (store, pool) = (state.store.clone(), pool_id.to_string());
    let limiter = state.secret_limiter.clone();
    // Client authentication and the revocation in one call on the request pool.
    let revoked = state
        .request_pool
        .run(move || {
            let client = store
                .read_sync(|db| {
                    client_auth::check(db, &limiter, &pool, presented, Allow::PublicToo, now)
                })?
                .client;
            store.write_sync(|db| -> Result<_, OAuthError> {
                Ok(revoke_token(db, &entry, &client, &issuer, &token, now)?)
            })
        })
        .await?;
    if let Some(family) = revoked {
        tracing::info!(pool = %pool_id, family = %family, "token family revoked by its client");
    }
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header(NO_CACHE)
        .finish())
}

/// Revokes the family of `token` when it belongs to `client`; returns the family revoked.
pub fn revoke_token(
    db: &Db,
    entry: &PoolEntry,
    client: &Client,
    issuer: &str,
    token: &str,
    now: i64,
) -> crate::Result<Option<String>> {
    let pool_id = &entry.pool.id;
    if token.split('.').count() == 3 {
        // An access token of this pool, live, issued to this client.
        let claims = match tokens::verify_access_token(db, entry, issuer, token, now) {
            Ok(c) if c.client_id == client.id => c,
            Ok(_) | Err(TokenError::Invalid(_)) => return Ok(None),
            Err(TokenError::Core(e)) => return Err(e),
        };
        if claims.is_machine() {
            tokens::revoke_machine_token(db, entry, &claims, now)?;
        } else {
            tokens::revoke_family(db, pool_id, &claims.origin_jti, now)?;
        }
        return Ok(Some(claims.origin_jti));
    }
    match tokens::refresh::lookup(db, pool_id, token)? {
        Some((_, family)) if family.client_id == client.id => {
            tokens::revoke_family(db, pool_id, &family.id, now)?;
            Ok(Some(family.id))
        }
        _ => Ok(None),
    }
}
