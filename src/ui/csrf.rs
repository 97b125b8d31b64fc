//! CSRF protection for the hosted forms: a random token in an HttpOnly, SameSite=Lax cookie
//! that each form repeats in a hidden field (double submit), plus an Origin check.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;
use actix_web::http::header;

use crate::http::cookies;
use crate::random::{ct_eq, token};

pub struct CsrfToken {
    pub value: String,
    /// Set when the browser had no usable token yet.
    pub cookie: Option<Cookie<'static>>,
}

pub fn issue(req: &HttpRequest, https: bool) -> CsrfToken {
    let name = cookies::csrf_name(https);
    match cookies::read(req, &name) {
        Some(v) if v.len() == 32 => CsrfToken {
            value: v,
            cookie: None,
        },
        _ => {
            let value = token(24);
            CsrfToken {
                cookie: Some(cookies::build(name, value.clone(), https, None)),
                value,
            }
        }
    }
}

/// True when the form's token matches the cookie and the request did not come from another origin.
pub fn check(req: &HttpRequest, https: bool, public_url: &str, form_token: Option<&str>) -> bool {
    // With `Referrer-Policy: no-referrer` browsers send `Origin: null` on form posts, so a
    // null origin proves nothing either way; a foreign one, or Fetch Metadata saying
    // cross-site, is refused.
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let expected = url::Url::parse(public_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        if origin
            .to_str()
            .map(|o| o != "null" && o != expected)
            .unwrap_or(true)
        {
            return false;
        }
    }
    if req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v == "cross-site")
    {
        return false;
    }
    match (cookies::read(req, &cookies::csrf_name(https)), form_token) {
        (Some(c), Some(f)) => c.len() == 32 && ct_eq(&c, f),
        _ => false,
    }
}
