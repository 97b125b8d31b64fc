//! UserInfo (OIDC Core §5.3): GET or POST with a bearer access token in the Authorization
//! header, or (POST only) the form parameter `access_token` (RFC 6750 §2.2). A token in the
//! URL is refused. The claims are the user's current attributes, as the token's scope
//! releases them; `openid` is required. Invalid, expired or revoked tokens get 401 with
//! `WWW-Authenticate: Bearer error="invalid_token"`.

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::error::OAuthError;
use super::token::{form_params, is_form};
use crate::accounts::User;
use crate::http::{NO_CACHE, NO_STORE};
use crate::state::AppState;
use crate::tokens::claims::{Audience, keep_readable, user_claims};
use crate::tokens::{self, AccessClaims, TokenError};

/// The verified token, its user, and the client's readable attributes (empty: all).
type Found = (AccessClaims, Option<User>, Vec<String>);

pub async fn userinfo(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> HttpResponse {
    let pool_id = path.into_inner();
    let result = handle(&state, &pool_id, &req, body).await;
    super::cors::respond(&state, &pool_id, &req, result).await
}

/// The bearer token of the Authorization header: `None` when there is no header, an error
/// when there is one that is not a well-formed Bearer credential.
pub fn bearer_from_header(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::bearer_invalid_request(
            "several Authorization headers",
        ));
    }
    let value = value.to_str().map_err(|_| OAuthError::bearer_missing())?;
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = token.trim();
            if token.is_empty() || token.contains(' ') {
                Err(OAuthError::invalid_token("malformed bearer token"))
            } else {
                Ok(Some(token.to_string()))
            }
        }
        _ => Err(OAuthError::bearer_missing()),
    }
}

async fn handle(
    state: &AppState,
    pool_id: &str,
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, OAuthError> {
    let entry = super::pool_entry(state, pool_id).await?;
    if url::form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "access_token")
    {
        return Err(OAuthError::bearer_invalid_request(
            "access tokens in the URL are refused",
        ));
    }
    let from_header = bearer_from_header(req)?;
    let from_body = if req.method() == Method::POST && is_form(req) {
        form_params(req, body)
            .map_err(|e| {
                OAuthError::bearer_invalid_request(
                    e.description.as_deref().unwrap_or("malformed body"),
                )
            })?
            .get("access_token")
            .map(String::from)
    } else {
        None
    };
    let token = match (from_header, from_body) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::bearer_invalid_request(
                "the access token was sent more than one way",
            ));
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => return Err(OAuthError::bearer_missing()),
    };
    let issuer = state.issuer(pool_id);
    let now = state.now();
    let pool = pool_id.to_string();
    let store = state.store.clone();
    let found = state
        .request_pool
        .run(move || {
            store.read_sync(|db| -> Result<Found, TokenError> {
                let claims = tokens::verify_access_token(db, &entry, &issuer, &token, now)?;
                let user = match &claims.user_id {
                    Some(id) => crate::store::users::get(db, &pool, id)?,
                    None => None,
                };
                let readable = crate::store::clients::get(db, &pool, &claims.client_id)?
                    .map(|c| c.settings.read_attributes)
                    .unwrap_or_default();
                Ok((claims, user, readable))
            })
        })
        .await;
    let (claims, user, readable) = match found {
        Ok(found) => found,
        Err(TokenError::Invalid(why)) => {
            tracing::debug!(reason = why, "userinfo: token refused");
            return Err(OAuthError::invalid_token("the access token is invalid"));
        }
        Err(TokenError::Core(e)) => return Err(e.into()),
    };
    if !claims.has_scope("openid") {
        return Err(OAuthError::insufficient_scope("openid"));
    }
    let Some(user) = user.filter(User::can_sign_in) else {
        return Err(OAuthError::invalid_token("the access token is invalid"));
    };
    let mut body = user_claims(&user, &claims.scope, Audience::UserInfo);
    keep_readable(&mut body, &readable);
    body.insert("sub".into(), json!(user.id));
    body.insert("username".into(), json!(user.username));
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header(NO_CACHE)
        .json(Value::Object(body)))
}
