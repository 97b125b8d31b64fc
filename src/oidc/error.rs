//! The one place where core errors become OAuth 2.0 / OIDC error responses (RFC 6749 §5.2).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::http::{NO_CACHE, NO_STORE};

#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: Option<String>,
    /// `WWW-Authenticate` value for 401s.
    pub challenge: Option<String>,
    /// `Retry-After` seconds for 429s.
    pub retry_after: Option<i64>,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            code,
            description: Some(description.into()),
            challenge: None,
            retry_after: None,
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_request", d)
    }
    /// A body over the size limit: `invalid_request` with 413.
    pub fn too_large() -> OAuthError {
        OAuthError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..OAuthError::invalid_request("the request body is too large")
        }
    }
    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_grant", d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_scope", d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new("unauthorized_client", d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> OAuthError {
        OAuthError::new("unsupported_grant_type", d)
    }
    /// 401 with a Basic challenge when the client used the Authorization header (RFC 6749 §5.2).
    pub fn invalid_client(used_basic: bool) -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_client",
            description: Some("client authentication failed".into()),
            challenge: Some(basic_challenge(used_basic)),
            retry_after: None,
        }
    }
    /// Bearer-token errors (RFC 6750 §3), for userinfo.
    pub fn invalid_token(d: &str) -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_token",
            description: Some(d.into()),
            challenge: Some(format!(
                "Bearer error=\"invalid_token\", error_description=\"{d}\""
            )),
            retry_after: None,
        }
    }
    /// No bearer token at all (RFC 6750 §3.1: a bare challenge, no error code in it).
    pub fn bearer_missing() -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_token",
            description: Some("missing bearer token".into()),
            challenge: Some("Bearer realm=\"incognito\"".into()),
            retry_after: None,
        }
    }
    /// A malformed bearer request (token in the URL, or sent more than one way).
    pub fn bearer_invalid_request(d: &str) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            description: Some(d.into()),
            challenge: Some(format!(
                "Bearer error=\"invalid_request\", error_description=\"{d}\""
            )),
            retry_after: None,
        }
    }
    /// The token lacks a scope the resource needs (RFC 6750 §3.1).
    pub fn insufficient_scope(scope: &str) -> OAuthError {
        OAuthError {
            status: StatusCode::FORBIDDEN,
            code: "insufficient_scope",
            description: Some(format!("the token needs the {scope} scope")),
            challenge: Some(format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            retry_after: None,
        }
    }
    pub fn not_found() -> OAuthError {
        OAuthError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            description: Some("no such user pool".into()),
            challenge: None,
            retry_after: None,
        }
    }
    pub fn server_error() -> OAuthError {
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: None,
            challenge: None,
            retry_after: None,
        }
    }
    pub fn too_many_requests(retry_after_secs: i64) -> OAuthError {
        OAuthError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "slow_down",
            description: Some("too many attempts; try again later".into()),
            challenge: None,
            retry_after: Some(retry_after_secs.max(1)),
        }
    }
}

/// RFC 6749 §5.2 requires the Basic challenge when the header was used; we send it either way
/// so that clients using client_secret_post learn which scheme to use.
fn basic_challenge(_used_basic: bool) -> String {
    "Basic realm=\"incognito\"".into()
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut body = json!({ "error": self.code });
        if let Some(d) = &self.description {
            body["error_description"] = json!(d);
        }
        let mut r = HttpResponse::build(self.status);
        r.insert_header(NO_STORE).insert_header(NO_CACHE);
        if let Some(c) = &self.challenge {
            r.insert_header((header::WWW_AUTHENTICATE, c.as_str()));
        }
        if let Some(secs) = self.retry_after {
            r.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        r.json(body)
    }
}

impl From<crate::Error> for OAuthError {
    fn from(e: crate::Error) -> OAuthError {
        match e {
            crate::Error::Invalid(what) => OAuthError::invalid_request(format!("invalid {what}")),
            crate::Error::NotFound(_) => OAuthError::not_found(),
            crate::Error::NotAuthorized => OAuthError::invalid_grant("not authorized"),
            // A trigger refused or failed: Cognito's message, so that the client can show it.
            crate::Error::Trigger(e) => OAuthError::invalid_request(e.to_string()),
            other => {
                tracing::error!(error = %other, "internal error");
                OAuthError::server_error()
            }
        }
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(e: crate::store::StoreError) -> OAuthError {
        crate::Error::from(e).into()
    }
}
