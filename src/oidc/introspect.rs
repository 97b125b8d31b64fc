//! Stub: implemented by the token-endpoint work.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::OAuthError;
use crate::state::AppState;

pub async fn introspect(
    _state: web::Data<AppState>,
    _path: web::Path<String>,
    _req: HttpRequest,
    _body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    Err(OAuthError::server_error())
}
