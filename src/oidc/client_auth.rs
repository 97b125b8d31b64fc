//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! §2.3): `client_secret_basic`, `client_secret_post`, and `none` for public clients.
//!
//! Unknown clients and wrong secrets look the same (`invalid_client`, 401 with a Basic
//! challenge); secrets are compared in constant time; sending credentials both ways is
//! `invalid_request`; a public client must not send a secret. Secret guessing is throttled per
//! (pool, client id, source address) in memory: after `MAX_FAILURES` wrong secrets in
//! `WINDOW_SECS`, that address's requests for that client are refused with 429 `slow_down` and
//! `Retry-After` until the window ends, whatever secret they carry. The genuine client at any
//! other address is never locked out by someone who only knows its id.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;

use super::error::OAuthError;
use super::params::Params;
use crate::pools::Client;
use crate::store::Db;

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW_SECS: i64 = 60;

/// Wrong secrets per (pool, client id, source address).
pub type SecretLimiter = crate::authn::throttle::WindowLimiter<(String, String, IpAddr)>;

pub fn secret_limiter() -> SecretLimiter {
    SecretLimiter::new(MAX_FAILURES, WINDOW_SECS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

#[derive(Debug, Clone)]
pub struct Authenticated {
    pub client: Client,
    pub method: AuthMethod,
}

/// Which clients may use an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Public clients authenticate with `none` (token and revocation endpoints).
    PublicToo,
    /// Confidential clients only (introspection).
    ConfidentialOnly,
}

/// Credentials as presented, before any lookup.
#[derive(Debug, PartialEq, Eq)]
pub struct Presented {
    client_id: String,
    secret: Option<String>,
    method: AuthMethod,
    /// The request's source address (failures are counted per client and address).
    ip: IpAddr,
}

/// Checks presented credentials against the stored client (blocking: SQLite). The token,
/// revocation and introspection endpoints call it inside their one call on the request pool
/// (`request_pool`), so a request leaves the executor once.
pub fn check(
    db: &Db,
    limiter: &SecretLimiter,
    pool_id: &str,
    presented: Presented,
    allow: Allow,
    now: i64,
) -> Result<Authenticated, OAuthError> {
    let used_basic = presented.method == AuthMethod::ClientSecretBasic;
    let key = (
        pool_id.to_string(),
        presented.client_id.clone(),
        presented.ip,
    );
    if let Some(secs) = limiter.retry_after(&key, now) {
        tracing::warn!(pool = %pool_id, client = %presented.client_id, ip = %presented.ip, "client authentication throttled");
        return Err(OAuthError::too_many_requests(secs));
    }
    let Some(client) = crate::store::clients::get(db, pool_id, &presented.client_id)? else {
        // Same work and the same answer as a wrong secret.
        let _ = crate::random::sha256_hex(presented.secret.as_deref().unwrap_or_default());
        return Err(OAuthError::invalid_client(used_basic));
    };
    let ok = match (&presented.secret, client.is_public()) {
        (Some(secret), false) => client.secret_matches(secret),
        (None, true) => allow == Allow::PublicToo,
        // A confidential client without its secret, or a public client sending one.
        _ => false,
    };
    if !ok {
        if presented.secret.is_some() {
            limiter.record_failure(key, now);
        }
        tracing::info!(pool = %pool_id, client = %client.id, "client authentication failed");
        return Err(OAuthError::invalid_client(used_basic));
    }
    Ok(Authenticated {
        client,
        method: presented.method,
    })
}

/// The client credentials of a request (Authorization header or body), before any lookup.
pub fn presented(req: &HttpRequest, params: &Params) -> Result<Presented, OAuthError> {
    let mut auth = req.headers().get_all(header::AUTHORIZATION);
    let first = auth.next();
    if auth.next().is_some() {
        return Err(OAuthError::invalid_request("several Authorization headers"));
    }
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if let Some(value) = first {
        let (id, secret) =
            parse_basic(value.as_bytes()).ok_or_else(|| OAuthError::invalid_client(true))?;
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "client credentials in both the Authorization header and the body",
            ));
        }
        if body_id.is_some_and(|b| b != id) {
            return Err(OAuthError::invalid_request(
                "client_id differs from the Authorization header",
            ));
        }
        return Ok(Presented {
            client_id: id,
            // "id:" (an empty password) is how some libraries send a public client's id.
            secret: Some(secret).filter(|s| !s.is_empty()),
            method: AuthMethod::ClientSecretBasic,
            ip: crate::http::client_ip(req),
        });
    }
    let Some(client_id) = body_id else {
        return Err(OAuthError::invalid_client(false));
    };
    if client_id.len() > 128 {
        return Err(OAuthError::invalid_client(false));
    }
    Ok(Presented {
        client_id: client_id.to_string(),
        secret: body_secret.map(String::from),
        method: if body_secret.is_some() {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::None
        },
        ip: crate::http::client_ip(req),
    })
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(value: &[u8]) -> Option<(String, String)> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || rest.len() > 2048 {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_decode(id)?;
    let secret = form_decode(secret)?;
    if id.is_empty() || id.len() > 128 || secret.len() > 512 {
        return None;
    }
    Some((id, secret))
}

/// `application/x-www-form-urlencoded` decoding of one component; None for bad escapes or
/// invalid UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("my%20client:s%3Ac+r%25t")
        );
        assert_eq!(
            parse_basic(header.as_bytes()),
            Some(("my client".into(), "s:c r%t".into()))
        );
        let lower = format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD.encode("a:b")
        );
        assert_eq!(
            parse_basic(lower.as_bytes()),
            Some(("a".into(), "b".into()))
        );
    }

    #[test]
    fn malformed_basic_is_refused() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(parse_basic(b"Bearer abc"), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
        assert_eq!(
            parse_basic(format!("Basic {}", b64("nocolon")).as_bytes()),
            None
        );
        assert_eq!(
            parse_basic(format!("Basic {}", b64("a:%zz")).as_bytes()),
            None
        );
        assert_eq!(
            parse_basic(format!("Basic {}", b64("a:%ff")).as_bytes()),
            None
        );
        assert_eq!(
            parse_basic(format!("Basic {}", b64(":secret")).as_bytes()),
            None
        );
        assert_eq!(
            parse_basic(format!("Basic {}", b64("id:")).as_bytes()),
            Some(("id".into(), String::new()))
        );
    }
}
