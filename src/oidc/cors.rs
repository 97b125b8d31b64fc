//! CORS for the endpoints a browser application calls directly.
//!
//! - token, userInfo, revoke: only origins of a *public* client's registered redirect URIs in
//!   the same pool; the origin is echoed only when it is one of them (never reflected
//!   blindly), with `Vary: Origin`, and never `Access-Control-Allow-Credentials`.
//! - discovery and JWKS: public documents, `Access-Control-Allow-Origin: *`.
//! - authorize and the hosted pages never send CORS headers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use super::error::OAuthError;
use crate::state::AppState;

const ALLOW_HEADERS: &str = "authorization, content-type";
const MAX_AGE: &str = "600";

/// The request's `Origin` when it belongs to a public client of the pool.
pub async fn allowed_origin(state: &AppState, pool_id: &str, req: &HttpRequest) -> Option<String> {
    let origin = req
        .headers()
        .get(header::ORIGIN)?
        .to_str()
        .ok()?
        .to_string();
    if origin.len() > 512 || origin == "null" {
        return None;
    }
    let pool = pool_id.to_string();
    let origins = state
        .store
        .read(move |db| -> crate::Result<Vec<String>> {
            Ok(crate::store::clients::list(db, &pool)?
                .iter()
                .filter(|c| c.is_public())
                .flat_map(|c| c.origins())
                .collect())
        })
        .await
        .inspect_err(|e| tracing::error!(error = %e, "cannot read client origins"))
        .ok()?;
    origins.into_iter().find(|o| *o == origin)
}

/// Adds the CORS headers of an actual (non-preflight) response.
pub fn apply(resp: &mut HttpResponse, origin: Option<&str>) {
    let headers = resp.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    }
}

/// Turns an endpoint's result into the response, with CORS headers for allowed origins
/// (on errors too, so a browser application can read the error).
pub async fn respond(
    state: &AppState,
    pool_id: &str,
    req: &HttpRequest,
    result: Result<HttpResponse, OAuthError>,
) -> HttpResponse {
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => e.error_response(),
    };
    if resp.status() == StatusCode::NOT_FOUND {
        return resp;
    }
    let origin = allowed_origin(state, pool_id, req).await;
    apply(&mut resp, origin.as_deref());
    resp
}

/// `OPTIONS` preflight of token, revoke (POST) and userInfo (GET, POST).
pub async fn preflight(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let pool_id = path.into_inner();
    if super::pool_entry(&state, &pool_id).await.is_err() {
        return OAuthError::not_found().error_response();
    }
    let methods: &[Method] = if req.path().ends_with("/userInfo") {
        &[Method::GET, Method::POST]
    } else {
        &[Method::POST]
    };
    let requested = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
    let origin = allowed_origin(&state, &pool_id, &req).await;
    match (origin, requested) {
        (Some(origin), Some(m)) if methods.contains(&m) => {
            let list = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, list))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
                .insert_header((header::VARY, "Origin"))
                .finish()
        }
        _ => HttpResponse::Forbidden()
            .insert_header((header::VARY, "Origin"))
            .json(serde_json::json!({
                "error": "invalid_request",
                "error_description": "cross-origin request not allowed",
            })),
    }
}

fn public(result: Result<HttpResponse, OAuthError>) -> HttpResponse {
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => e.error_response(),
    };
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// Discovery with `Access-Control-Allow-Origin: *`.
pub async fn openid_configuration(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    public(super::discovery::openid_configuration(state, path).await)
}

/// JWKS with `Access-Control-Allow-Origin: *`.
pub async fn jwks(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    public(super::discovery::jwks(state, path).await)
}

/// Preflight of the public documents (GET from anywhere, no credentials).
pub async fn public_preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
        .finish()
}
