//! actix plumbing shared by the doors: security headers, cookies, pages, client addresses.

pub mod cookies;
pub mod pages;

use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;

/// Security headers on every response. Pages render no inline script or style, so the CSP
/// can be strict; `form-action` is left out on purpose: Chrome applies it to the redirect
/// that follows a login POST, which must reach the client's redirect URI.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let mut h = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ));
    if https {
        h = h.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    h
}

pub const NO_STORE: (header::HeaderName, HeaderValue) =
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
pub const NO_CACHE: (header::HeaderName, HeaderValue) =
    (header::PRAGMA, HeaderValue::from_static("no-cache"));

/// The client's address: the TCP peer (X-Forwarded-For is not trusted without a proxy list).
pub fn client_ip(req: &actix_web::HttpRequest) -> std::net::IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}
