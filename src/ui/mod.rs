//! The hosted pages: sign-in, sign-up and confirmation, password reset, consent, account.

pub mod csrf;
pub mod pages;

use actix_web::web;

use pages::{
    account, confirm, consent, federation, link_account, login, mfa, new_password, not_me,
    recovery, saml, signin, signup,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{name}", web::get().to(crate::http::pages::asset))
        .route(
            "/{pool_id}/branding.css",
            web::get().to(pages::branding_css),
        )
        .route("/{pool_id}/login", web::get().to(login::show))
        .route("/{pool_id}/login", web::post().to(login::submit))
        .route("/{pool_id}/login/resume", web::get().to(signin::resume))
        .route("/{pool_id}/login/link", web::get().to(link_account::show))
        .route(
            "/{pool_id}/login/link",
            web::post().to(link_account::submit),
        )
        .route("/{pool_id}/oauth2/idp", web::get().to(federation::start))
        .route(
            "/{pool_id}/oauth2/idpresponse",
            web::get().to(federation::callback),
        )
        .route(
            "/{pool_id}/oauth2/idpresponse",
            web::post().to(federation::callback),
        )
        .route("/{pool_id}/saml2/metadata", web::get().to(saml::metadata))
        .route("/{pool_id}/saml2/idpresponse", web::post().to(saml::acs))
        .route("/{pool_id}/saml2/logout", web::get().to(saml::logout))
        .route("/{pool_id}/new-password", web::get().to(new_password::show))
        .route(
            "/{pool_id}/new-password",
            web::post().to(new_password::submit),
        )
        .route("/{pool_id}/mfa", web::get().to(mfa::show_code))
        .route("/{pool_id}/mfa", web::post().to(mfa::submit_code))
        .route("/{pool_id}/mfa/resend", web::post().to(mfa::resend_code))
        .route("/{pool_id}/mfa/setup", web::get().to(mfa::show_setup))
        .route("/{pool_id}/mfa/setup", web::post().to(mfa::submit_setup))
        .route("/{pool_id}/account/mfa", web::get().to(mfa::account_show))
        .route(
            "/{pool_id}/account/mfa",
            web::post().to(mfa::account_confirm),
        )
        .route(
            "/{pool_id}/account/mfa/recovery",
            web::post().to(mfa::account_regenerate),
        )
        .route(
            "/{pool_id}/account/mfa/disable",
            web::post().to(mfa::account_disable),
        )
        .route(
            "/{pool_id}/account/mfa/forget-devices",
            web::post().to(mfa::account_forget_devices),
        )
        .route("/{pool_id}/signup", web::get().to(signup::show))
        .route("/{pool_id}/signup", web::post().to(signup::submit))
        .route("/{pool_id}/confirm", web::get().to(confirm::show))
        .route("/{pool_id}/confirm", web::post().to(confirm::submit))
        .route("/{pool_id}/confirm/resend", web::post().to(confirm::resend))
        .route(
            "/{pool_id}/forgot-password",
            web::get().to(recovery::show_forgot),
        )
        .route(
            "/{pool_id}/forgot-password",
            web::post().to(recovery::submit_forgot),
        )
        .route(
            "/{pool_id}/reset-password",
            web::get().to(recovery::show_reset),
        )
        .route(
            "/{pool_id}/reset-password",
            web::post().to(recovery::submit_reset),
        )
        .route("/{pool_id}/consent", web::get().to(consent::show))
        .route("/{pool_id}/consent", web::post().to(consent::submit))
        .route("/{pool_id}/account", web::get().to(account::show))
        .route(
            "/{pool_id}/account/profile",
            web::post().to(account::update_profile),
        )
        .route(
            "/{pool_id}/account/password",
            web::post().to(account::change_password),
        )
        .route(
            "/{pool_id}/account/mfa/email",
            web::post().to(account::set_email_mfa),
        )
        .route(
            "/{pool_id}/account/sessions/revoke",
            web::post().to(account::revoke_session),
        )
        .route(
            "/{pool_id}/account/signout-all",
            web::post().to(account::sign_out_everywhere),
        )
        .route("/{pool_id}/account/not-me", web::post().to(account::not_me))
        .route("/{pool_id}/not-me", web::get().to(not_me::show))
        .route("/{pool_id}/not-me", web::post().to(not_me::submit));
}
