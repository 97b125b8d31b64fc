//! One file per page: its askama view, `show` and `submit`.

pub mod account;
pub mod consent;
pub mod login;

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::authn::sessions;
use crate::http::{cookies, pages};
use crate::oidc::params::Params;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::sessions::BrowserSession;

pub fn unknown_pool() -> HttpResponse {
    pages::error_page(
        StatusCode::NOT_FOUND,
        "Incognito",
        "Unknown user pool",
        "This page does not exist.",
    )
}

pub fn expired_request(brand: &str) -> HttpResponse {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        brand,
        "This sign-in link has expired",
        "Go back to the application and start signing in again.",
    )
}

pub fn forbidden(brand: &str) -> HttpResponse {
    pages::error_page(
        StatusCode::FORBIDDEN,
        brand,
        "Request refused",
        "The form was not accepted (it may have expired or come from another site). Go back, reload the page and try again.",
    )
}

pub fn internal(brand: &str, e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "hosted page failed");
    pages::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        brand,
        "Something went wrong",
        "Please try again later.",
    )
}

/// Parses a form body strictly (a repeated field is refused).
pub fn form(body: &[u8]) -> Option<Params> {
    Params::parse(body).ok()
}

/// The signed-in session of this browser in this pool, if any.
pub async fn current_session(
    state: &AppState,
    entry: &PoolEntry,
    req: &HttpRequest,
) -> Option<(BrowserSession, crate::accounts::User)> {
    let cookie = cookies::read(
        req,
        &cookies::session_name(&entry.pool.id, state.config.is_https()),
    )?;
    let (config, pool_id, now) = (state.config.clone(), entry.pool.id.clone(), state.now());
    state
        .store
        .write(move |db| sessions::resolve(db, &config, &pool_id, &cookie, now))
        .await
        .ok()
        .flatten()
}

pub fn query(req: &HttpRequest) -> Params {
    Params::parse(req.query_string().as_bytes()).unwrap_or_default()
}

pub type Path = web::Path<String>;
