//! What every request passes through first: a request id (an incoming sane `X-Request-Id`,
//! or a fresh one) on a tracing span around the whole request, so that every log line of the
//! request carries it, echoed in the response; and the request counted in `/metrics` under
//! its route template (never the raw path: pool ids would make a series per pool).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Ids from a proxy or a client are kept when they are short and plain (they end up in log
/// lines and response headers), else replaced.
fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let began = crate::metrics::start();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(|| crate::random::alnum(20), str::to_string);
    let span = tracing::info_span!("request", id = %id);
    let method = req.method().clone();
    let result = next.call(req).instrument(span).await;
    let status = match &result {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    if let Some(began) = began {
        let route = result
            .as_ref()
            .ok()
            .and_then(|res| res.request().match_pattern());
        crate::metrics::http_request(
            method.as_str(),
            route.as_deref().unwrap_or("unmatched"),
            status.as_u16(),
            began.elapsed(),
        );
    }
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_ids_are_kept() {
        assert!(super::sane("3f2c-11aa_b.c:d"));
        for bad in ["", "a b", "a\nb", "ü", &"x".repeat(129)] {
            assert!(!super::sane(bad), "{bad:?}");
        }
    }
}
