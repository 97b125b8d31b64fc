//! The hosted pages: sign-in, consent and the account page (sign-up, reset and MFA come next).

pub mod csrf;
pub mod pages;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{name}", web::get().to(crate::http::pages::asset))
        .route("/{pool_id}/login", web::get().to(pages::login::show))
        .route("/{pool_id}/login", web::post().to(pages::login::submit))
        .route("/{pool_id}/consent", web::get().to(pages::consent::show))
        .route("/{pool_id}/consent", web::post().to(pages::consent::submit))
        .route("/{pool_id}/account", web::get().to(pages::account::show));
}
