//! OpenID Connect Discovery 1.0 metadata and the JWKS, per pool, served from memory.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use super::error::OAuthError;
use crate::pools::clients::STANDARD_SCOPES;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;

pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "amr",
    "acr",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "address",
    "updated_at",
    "cognito:username",
    "cognito:groups",
    "cognito:roles",
    "cognito:preferred_role",
    "token_use",
];

/// The discovery document; pure, so tests and the cache share it.
pub fn document(issuer: &str, entry: &PoolEntry) -> serde_json::Value {
    let mut scopes: Vec<&str> = STANDARD_SCOPES.to_vec();
    scopes.extend(entry.resource_scopes.iter().map(String::as_str));
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userInfo"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": entry.keys.algorithms(),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "acr_values_supported": ["pwd", "mfa"],
    })
}

pub async fn openid_configuration(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    let entry = super::pool_entry(&state, &path).await?;
    let body = entry
        .discovery_json
        .get_or_init(|| document(&state.issuer(&entry.pool.id), &entry).to_string())
        .clone();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(body))
}

pub async fn jwks(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    let entry = super::pool_entry(&state, &path).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(entry.keys.jwks_json().to_string()))
}
