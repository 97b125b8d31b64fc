//! actix plumbing shared by the doors: security headers, cookies, pages, client addresses.

pub mod cookies;
pub mod observe;
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

/// The client's address: the TCP peer, unless the peer is a configured trusted proxy, in which
/// case the right-most `X-Forwarded-For` hop that is not itself a trusted proxy.
pub fn client_ip(req: &actix_web::HttpRequest) -> std::net::IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let trusted = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.config.trusted_proxies.clone())
        .unwrap_or_default();
    forwarded_client(
        peer,
        &trusted,
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
    )
}

/// The pure part of `client_ip`, for tests.
pub fn forwarded_client(
    peer: std::net::IpAddr,
    trusted: &[std::net::IpAddr],
    xff: Option<&str>,
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops = xff.unwrap_or_default().split(',').rev().map(str::trim);
    for hop in hops {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let client: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        let spoofed = Some("1.2.3.4, 203.0.113.7");
        assert_eq!(
            forwarded_client(client, &[proxy], spoofed),
            client,
            "not from a proxy: the peer"
        );
        assert_eq!(
            forwarded_client(proxy, &[proxy], spoofed),
            client,
            "the last hop before the proxy"
        );
        assert_eq!(forwarded_client(proxy, &[proxy], Some("garbage")), proxy);
        assert_eq!(forwarded_client(proxy, &[proxy], None), proxy);
    }
}
