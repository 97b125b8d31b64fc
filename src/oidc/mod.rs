//! The OpenID Connect / OAuth 2.0 front door.

pub mod authorize;
pub mod client_auth;
pub mod cors;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod logout;
pub mod params;
pub mod pkce;
pub mod revoke;
pub mod token;
pub mod userinfo;

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::web;

use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use error::OAuthError;

/// The discovery documents: Cognito's and OIDC Discovery's `{issuer}/.well-known/...`, and
/// RFC 8414 §3.1's path insertion `/.well-known/.../{pool_id}`, which strict OAuth clients
/// derive from an issuer that has a path.
const DISCOVERY_PATHS: &[&str] = &[
    "/{pool_id}/.well-known/openid-configuration",
    "/{pool_id}/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration/{pool_id}",
    "/.well-known/oauth-authorization-server/{pool_id}",
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in DISCOVERY_PATHS {
        cfg.route(path, web::get().to(cors::openid_configuration))
            .route(
                path,
                web::method(Method::OPTIONS).to(cors::public_preflight),
            );
    }
    cfg.route(
        "/{pool_id}/.well-known/jwks.json",
        web::get().to(cors::jwks),
    )
    .route(
        "/{pool_id}/.well-known/jwks.json",
        web::method(Method::OPTIONS).to(cors::public_preflight),
    )
    .route("/{pool_id}/oauth2/token", web::post().to(token::token))
    .route(
        "/{pool_id}/oauth2/token",
        web::method(Method::OPTIONS).to(cors::preflight),
    )
    .route(
        "/{pool_id}/oauth2/userInfo",
        web::method(Method::OPTIONS).to(cors::preflight),
    )
    .route(
        "/{pool_id}/oauth2/revoke",
        web::method(Method::OPTIONS).to(cors::preflight),
    )
    .route(
        "/{pool_id}/oauth2/userInfo",
        web::get().to(userinfo::userinfo),
    )
    .route(
        "/{pool_id}/oauth2/userInfo",
        web::post().to(userinfo::userinfo),
    )
    .route("/{pool_id}/oauth2/revoke", web::post().to(revoke::revoke))
    .route(
        "/{pool_id}/oauth2/introspect",
        web::post().to(introspect::introspect),
    );
}

/// Resolves the pool named in the path, or answers 404 in OAuth's error shape.
pub async fn pool_entry(state: &AppState, pool_id: &str) -> Result<Arc<PoolEntry>, OAuthError> {
    state.pool(pool_id).await?.ok_or_else(OAuthError::not_found)
}
