//! Token revocation (RFC 7009). The client authenticates as at the token endpoint; it can
//! revoke only its own tokens; unknown, foreign or already dead tokens still get 200.
//! Revoking a refresh token — or an access token — revokes the whole family, so the access
//! tokens of the grant are refused from then on by every endpoint of this server.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::client_auth::{self, Allow};
use super::error::OAuthError;
use super::token::form_params;
use crate::http::{NO_CACHE, NO_STORE};
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::Db;
use crate::tokens;

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
    let client = client_auth::authenticate(state, pool_id, req, &params, Allow::PublicToo)
        .await?
        .client;
    let issuer = state.issuer(pool_id);
    let now = state.now();
    let revoked = state
        .store
        .write(move |db| revoke_token(db, &entry, &client, &issuer, &token, now))
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
    let family = if token.split('.').count() == 3 {
        // An access token of this pool, issued to this client and not yet expired.
        match entry.keys.verify(token) {
            Ok(c) => {
                let s = |n: &str| c.get(n).and_then(Value::as_str);
                let live = c
                    .get("exp")
                    .and_then(Value::as_i64)
                    .is_some_and(|e| e > now);
                if live
                    && s("iss") == Some(issuer)
                    && s("token_use") == Some("access")
                    && s("client_id") == Some(client.id.as_str())
                {
                    s("origin_jti").map(String::from)
                } else {
                    None
                }
            }
            Err(_) => None,
        }
    } else {
        tokens::refresh::lookup(db, pool_id, token)?
            .filter(|(_, family)| family.client_id == client.id)
            .map(|(_, family)| family.id)
    };
    let Some(family) = family else {
        return Ok(None);
    };
    // The family must be the client's too (an access token names it by origin_jti).
    match crate::store::tokens::get_family(db, pool_id, &family)? {
        Some(f) if f.client_id == client.id => {
            tokens::revoke_family(db, pool_id, &family, now)?;
            Ok(Some(family))
        }
        _ => Ok(None),
    }
}
