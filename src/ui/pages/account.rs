//! The account page of the signed-in user (a first version: who is signed in, and sign out).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Path, current_session, unknown_pool};
use crate::http::pages;
use crate::oidc::authorize;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "ui/account.html")]
struct AccountPage {
    lang: String,
    brand_name: String,
    email: String,
    name: String,
    logout_url: String,
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let Some(entry) = authorize::entry_for(&state, &path).await else {
        return unknown_pool();
    };
    let Some((_, user)) = current_session(&state, &entry, &req).await else {
        return authorize::see_other(&format!("/{}/login", entry.pool.id));
    };
    let page = AccountPage {
        lang: "en".into(),
        brand_name: entry.pool.name.clone(),
        email: user.email.clone().unwrap_or_default(),
        name: user.attributes.get("name").cloned().unwrap_or_default(),
        logout_url: format!("/{}/logout", entry.pool.id),
    };
    pages::render(StatusCode::OK, &page)
}
