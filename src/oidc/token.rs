//! The token endpoint (RFC 6749 §3.2): form body only, strict parameters, client
//! authentication, then one grant in at most one write transaction, all in one call on the
//! request pool. Every answer, success or error, carries `Cache-Control: no-store` and
//! `Pragma: no-cache`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::client_auth::{self, Allow};
use super::error::OAuthError;
use super::grants::{self, GrantType};
use super::params::Params;
use crate::audit::{self, Door, Event};
use crate::http::{NO_CACHE, NO_STORE, client_ip};
use crate::state::AppState;
use crate::tokens::TokenSet;

/// Largest form body the OAuth endpoints read.
pub const MAX_BODY: usize = 64 * 1024;

pub async fn token(
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
    state: &web::Data<AppState>,
    pool_id: &str,
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, OAuthError> {
    let entry = super::pool_entry(state, pool_id).await?;
    let params = form_params(req, body)?;
    let grant_type = GrantType::parse(params.require("grant_type")?)?;
    let presented = client_auth::presented(req, &params)?;
    let state = state.clone();
    let pool_id = pool_id.to_string();
    let audited = (grant_type == GrantType::RefreshToken)
        .then(|| (state.get_ref().clone(), pool_id.clone(), client_ip(req)));
    // Client authentication, the grant's transaction and the signatures in one call on the
    // request pool: each crossing from the executor costs two thread wake-ups.
    let pool = state.request_pool.clone();
    let (triggers, store) = (state.triggers.clone(), state.store.clone());
    let signing = pool
        .run(move || {
            let now = state.now();
            let client = state
                .store
                .read_sync(|db| {
                    client_auth::check(
                        db,
                        &state.secret_limiter,
                        &pool_id,
                        presented,
                        Allow::PublicToo,
                        now,
                    )
                })?
                .client;
            grant_type.check_registered(&client)?;
            match grant_type {
                GrantType::AuthorizationCode => {
                    grants::authorization_code::grant(&state, &entry, client, &params)
                }
                GrantType::RefreshToken => {
                    grants::refresh_token::grant(&state, &entry, client, &params)
                }
                GrantType::ClientCredentials => {
                    grants::client_credentials::grant(&state, &entry, client, &params)
                }
            }
        })
        .await;
    let set = match signing {
        Ok(signing) => signing
            .finish(&triggers, &store)
            .await
            .map_err(OAuthError::from),
        Err(e) => Err(e),
    };
    if set.is_ok() {
        crate::metrics::token_issued(grant_type.name());
    }
    if let Some((state, pool_id, ip)) = audited {
        // Refreshes count users as active (the MAU report); sign-ins are recorded where
        // they happen (the hosted pages, the Cognito API).
        let (outcome, sub) = match &set {
            Ok(set) => ("success".to_string(), audit::token_sub(&set.access_token)),
            Err(e) => (e.code.to_string(), None),
        };
        let mut event = Event::new(Door::OAuth, audit::TOKEN_REFRESH, outcome)
            .pool(pool_id)
            .source(ip);
        if let Some(sub) = sub {
            event = event.actor(audit::user_actor(&sub)).target(sub);
        }
        state.audit(event);
    }
    Ok(success(&set?))
}

/// The successful token response (RFC 6749 §5.1).
pub fn success(set: &TokenSet) -> HttpResponse {
    let mut body = json!({
        "access_token": set.access_token,
        "token_type": "Bearer",
        "expires_in": set.expires_in,
        "scope": set.scope,
    });
    if let Some(t) = &set.id_token {
        body["id_token"] = json!(t);
    }
    if let Some(t) = &set.refresh_token {
        body["refresh_token"] = json!(t);
    }
    HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header(NO_CACHE)
        .json(body)
}

/// True when the request's content type is `application/x-www-form-urlencoded`
/// (parameters such as `charset=UTF-8` allowed).
pub fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Reads a form body strictly: the content type must be a form, the body within
/// `MAX_BODY`, valid UTF-8 after decoding, and no parameter repeated.
pub fn form_params(
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<Params, OAuthError> {
    if !is_form(req) {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = body.map_err(|e| {
        if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            OAuthError::too_large()
        } else {
            OAuthError::invalid_request("unreadable body")
        }
    })?;
    if body.len() > MAX_BODY {
        return Err(OAuthError::too_large());
    }
    Ok(Params::parse(&body)?)
}
