//! Rendering helpers for HTML pages: the chrome every page shares (language, pool branding),
//! the error page any door may show, and the embedded static assets.

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::i18n::Tr;
use crate::pools::Pool;

/// What base.html needs: the language and the pool's look.
pub struct Chrome {
    pub tr: &'static Tr,
    pub brand_name: String,
    pub pool_id: String,
    pub logo_url: Option<String>,
    pub custom_css: bool,
}

impl Chrome {
    pub fn new(pool: &Pool, tr: &'static Tr) -> Chrome {
        let b = &pool.settings.branding;
        Chrome {
            tr,
            brand_name: pool.display_name().to_string(),
            pool_id: pool.id.clone(),
            logo_url: b.logo_url.clone(),
            custom_css: b.has_css(),
        }
    }

    /// For pages outside any pool (an unknown pool in the URL).
    pub fn bare(tr: &'static Tr) -> Chrome {
        Chrome {
            tr,
            brand_name: "Incognito".into(),
            pool_id: String::new(),
            logo_url: None,
            custom_css: false,
        }
    }
}

#[derive(Template)]
#[template(path = "ui/error.html")]
pub struct ErrorPage<'a> {
    pub c: Chrome,
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

/// Adds `Retry-After` (seconds) to a 429 page.
pub fn retry_after(mut resp: HttpResponse, secs: i64) -> HttpResponse {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.max(1).to_string()) {
        resp.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, v);
    }
    resp
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

pub fn error_page(status: StatusCode, c: Chrome, title: &str, message: &str) -> HttpResponse {
    render(status, &ErrorPage { c, title, message })
}

/// actix answers a body over the size limit with a plain-text 413 before any handler runs. On
/// the pages (and authorize, logout) that answer becomes the error page in the pool's look;
/// doors that answer 413 in their own protocol (the OAuth endpoints' JSON, the Cognito API)
/// keep their answer. For `ErrorHandlers` on the whole app.
pub fn oversized_body<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, _) = res.into_parts();
    let tr = request_tr(&req, None);
    let pool = req.path().split('/').nth(1).and_then(|id| {
        let state = req.app_data::<web::Data<crate::state::AppState>>()?;
        state.directory.cached(id, state.now())
    });
    let c = pool.map_or_else(|| Chrome::bare(tr), |e| Chrome::new(&e.pool, tr));
    let page = error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        c,
        tr.too_large_title,
        tr.too_large,
    );
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}

pub fn unknown_pool(tr: &'static Tr) -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        Chrome::bare(tr),
        tr.unknown_pool_title,
        tr.unknown_pool_msg,
    )
}

pub fn internal_error(c: Chrome, e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "page failed");
    let tr = c.tr;
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        c,
        tr.err_generic_title,
        tr.err_generic,
    )
}

/// The language for a request without a user yet: `ui_locales`, then Accept-Language.
pub fn request_tr(req: &actix_web::HttpRequest, ui_locales: Option<&str>) -> &'static Tr {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::i18n::choose(ui_locales, None, accept)
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

/// `/{pool_id}/branding.css`: the pool's colour and extra CSS (served as a file: the CSP
/// forbids inline styles).
pub fn branding_css(pool: &Pool) -> HttpResponse {
    let b = &pool.settings.branding;
    let mut css = String::new();
    if let Some(c) = &b.primary_color {
        css.push_str(&format!(":root {{ --primary: {c}; --focus: {c}; }}\n"));
    }
    if let Some(extra) = &b.extra_css {
        css.push_str(extra);
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(css)
}
