//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) plus Cognito's
//! `client_id` + `logout_uri` form. Ends the browser session; redirects only to a registered
//! post-logout URI.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;

use super::params::Params;
use crate::authn::sessions;
use crate::http::{cookies, pages};
use crate::state::AppState;
use crate::store;

#[derive(Template)]
#[template(path = "ui/logged_out.html")]
struct LoggedOutPage {
    lang: String,
    brand_name: String,
}

/// The client an `id_token_hint` was issued to (signature and issuer checked; expiry is not,
/// since logging out with an expired ID token is normal).
fn client_of_hint(keys: &crate::keys::KeySet, issuer: &str, hint: &str) -> Option<String> {
    let claims = keys.verify(hint).ok()?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer)
        || claims.get("token_use").and_then(Value::as_str) == Some("access")
    {
        return None;
    }
    match claims.get("aud")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) if a.len() == 1 => a[0].as_str().map(str::to_string),
        _ => None,
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(Some(entry)) = state.pool(&path).await else {
        return pages::error_page(
            StatusCode::NOT_FOUND,
            "Incognito",
            "Unknown user pool",
            "This page does not exist.",
        );
    };
    let brand = entry.pool.name.clone();
    let is_post = req.method() == actix_web::http::Method::POST;
    let params = Params::parse(req.query_string().as_bytes()).and_then(|q| {
        if is_post {
            q.merge(Params::parse(&body)?)
        } else {
            Ok(q)
        }
    });
    let p = match params {
        Ok(p) => p,
        Err(e) => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                &brand,
                "Invalid request",
                &e.to_string(),
            );
        }
    };
    let issuer = state.issuer(&entry.pool.id);
    let hinted = match p.get("id_token_hint") {
        Some(h) => match client_of_hint(&entry.keys, &issuer, h) {
            Some(c) => Some(c),
            None => {
                return pages::error_page(
                    StatusCode::BAD_REQUEST,
                    &brand,
                    "Invalid request",
                    "The id_token_hint is not valid.",
                );
            }
        },
        None => None,
    };
    let client_id = match (p.get("client_id"), hinted.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                &brand,
                "Invalid request",
                "client_id does not match the id_token_hint.",
            );
        }
        (Some(a), _) => Some(a.to_string()),
        (None, b) => b.map(str::to_string),
    };
    let target = p
        .get("post_logout_redirect_uri")
        .or(p.get("logout_uri"))
        .map(str::to_string);
    // Cognito's other form: log out, then start a new sign-in at the authorize endpoint.
    let relogin =
        p.get("redirect_uri").is_some() && p.get("response_type").is_some() && target.is_none();

    let client = match &client_id {
        Some(id) => {
            let (pool_id, id) = (entry.pool.id.clone(), id.clone());
            match state
                .store
                .read(move |db| store::clients::get(db, &pool_id, &id))
                .await
            {
                Ok(Some(c)) => Some(c),
                Ok(None) => {
                    return pages::error_page(
                        StatusCode::BAD_REQUEST,
                        &brand,
                        "Unknown application",
                        "This application is not registered.",
                    );
                }
                Err(e) => return crate::ui::pages::internal(&brand, e),
            }
        }
        None => None,
    };
    if let Some(t) = &target {
        let registered = client
            .as_ref()
            .is_some_and(|c| c.settings.logout_uris.iter().any(|u| u == t));
        if !registered {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                &brand,
                "Invalid logout URI",
                "The logout URI is not registered for this application.",
            );
        }
    }
    if relogin && client.is_none() {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            &brand,
            "Invalid request",
            "client_id is required.",
        );
    }

    let https = state.config.is_https();
    let name = cookies::session_name(&entry.pool.id, https);
    if let Some(cookie) = cookies::read(&req, &name) {
        let pool_id = entry.pool.id.clone();
        if let Err(e) = state
            .store
            .write(move |db| sessions::end(db, &pool_id, &cookie))
            .await
        {
            return crate::ui::pages::internal(&brand, e);
        }
    }
    let mut resp = if let Some(t) = target {
        let mut url = url::Url::parse(&t).expect("registered logout URIs parse");
        if let Some(s) = p.get("state") {
            url.query_pairs_mut().append_pair("state", s);
        }
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.to_string()))
            .finish()
    } else if relogin {
        let mut url =
            url::Url::parse(&format!("{issuer}/oauth2/authorize")).expect("issuer URLs parse");
        for k in [
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "nonce",
        ] {
            if let Some(v) = p.get(k) {
                url.query_pairs_mut().append_pair(k, v);
            }
        }
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.to_string()))
            .finish()
    } else {
        pages::render(
            StatusCode::OK,
            &LoggedOutPage {
                lang: "en".into(),
                brand_name: brand.clone(),
            },
        )
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    let _ = resp.add_cookie(&cookies::removal(name, https));
    resp
}
