//! Rendering helpers for HTML pages: the error page every door may show, and embedded assets.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "ui/error.html")]
pub struct ErrorPage<'a> {
    pub lang: &'a str,
    pub brand_name: &'a str,
    pub title: &'a str,
    pub message: &'a str,
}

/// An HTML response that is never cached (pages carry CSRF tokens and personal data).
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub fn render<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain")
                .body("internal error")
        }
    }
}

pub fn error_page(
    status: StatusCode,
    brand_name: &str,
    title: &str,
    message: &str,
) -> HttpResponse {
    render(
        status,
        &ErrorPage {
            lang: "en",
            brand_name,
            title,
            message,
        },
    )
}

const STYLE_CSS: &str = include_str!("../../static/style.css");
const FORM_POST_JS: &str = include_str!("../../static/form_post.js");

/// Assets are compiled into the binary so the server runs from any directory.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, mime) = match name.as_str() {
        "style.css" => (STYLE_CSS, "text/css; charset=utf-8"),
        "form_post.js" => (FORM_POST_JS, "text/javascript; charset=utf-8"),
        _ => {
            return HttpResponse::NotFound()
                .content_type("text/plain")
                .body("not found");
        }
    };
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
