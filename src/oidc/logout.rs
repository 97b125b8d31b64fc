//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) plus Cognito's
//! `client_id` + `logout_uri` form. Ends the browser session; redirects only to a registered
//! post-logout URI. A session that came from a SAML IdP with `IDPSignout` is logged out there
//! too (`federation::saml::logout`), and the browser comes back to the same place after.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::Value;

use super::params::Params;
use crate::authn::sessions;
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::state::AppState;
use crate::store;

#[derive(Template)]
#[template(path = "ui/logged_out.html")]
struct LoggedOutPage {
    c: Chrome,
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
    let query = Params::parse(req.query_string().as_bytes());
    let tr = pages::request_tr(&req, query.as_ref().ok().and_then(|q| q.get("ui_locales")));
    let Ok(Some(entry)) = state.pool(&path).await else {
        return pages::unknown_pool(tr);
    };
    let chrome = || Chrome::new(&entry.pool, tr);
    let refuse = |title: &str, message: &str| {
        pages::error_page(StatusCode::BAD_REQUEST, chrome(), title, message)
    };
    let is_post = req.method() == actix_web::http::Method::POST;
    let Ok(p) = query.and_then(|q| {
        if is_post {
            q.merge(Params::parse(&body)?)
        } else {
            Ok(q)
        }
    }) else {
        return refuse(tr.invalid_request_title, tr.malformed_msg);
    };
    let issuer = state.issuer(&entry.pool.id);
    let hinted = match p.get("id_token_hint") {
        Some(h) => match client_of_hint(&entry.keys, &issuer, h) {
            Some(c) => Some(c),
            None => return refuse(tr.invalid_request_title, tr.bad_hint_msg),
        },
        None => None,
    };
    let client_id = match (p.get("client_id"), hinted.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return refuse(tr.invalid_request_title, tr.client_mismatch_msg);
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
                Ok(None) => return refuse(tr.unknown_client_title, tr.unknown_client_msg),
                Err(e) => return pages::internal_error(chrome(), e),
            }
        }
        None => None,
    };
    if let Some(t) = &target {
        if client.is_none() {
            return refuse(tr.invalid_request_title, tr.logout_needs_client_msg);
        }
        if !client
            .as_ref()
            .is_some_and(|c| c.settings.logout_uris.iter().any(|u| u == t))
        {
            return refuse(tr.bad_logout_title, tr.bad_logout_msg);
        }
    }
    if relogin && client.is_none() {
        return refuse(tr.invalid_request_title, tr.logout_needs_client_msg);
    }

    // Where the browser goes once logged out: the logout URI, a new sign-in, or our page.
    let then = if let Some(t) = target {
        let mut url = url::Url::parse(&t).expect("registered logout URIs parse");
        if let Some(s) = p.get("state") {
            url.query_pairs_mut().append_pair("state", s);
        }
        Some(url.to_string())
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
        Some(url.to_string())
    } else {
        None
    };

    let https = state.config.is_https();
    let name = cookies::session_name(&entry.pool.id, https);
    let mut upstream = None;
    if let Some(cookie) = cookies::read(&req, &name) {
        let (st, pool_id, now, then) = (
            state.get_ref().clone(),
            entry.pool.id.clone(),
            state.now(),
            then.clone(),
        );
        // A session that came from a SAML IdP with single logout ends there too.
        let ended = web::block(move || -> Result<Option<String>, String> {
            let session = st
                .store
                .write_sync(|db| -> crate::Result<_> {
                    let found = sessions::resolve(db, &st.config, &pool_id, &cookie, now)?;
                    sessions::end(db, &pool_id, &cookie)?;
                    Ok(found.map(|(s, _)| s))
                })
                .map_err(|e| e.to_string())?;
            let Some(session) = session else {
                return Ok(None);
            };
            let services = st.sign_in_services();
            crate::federation::saml::logout::begin(
                &services,
                &pool_id,
                &session.user_id,
                session.auth_time,
                then,
                now,
            )
            .or_else(|e| {
                // Our session is over either way; the IdP's is its own business.
                tracing::warn!(pool = %pool_id, error = %e, "SAML single logout could not start");
                Ok(None)
            })
        })
        .await;
        match ended {
            Ok(Ok(to_idp)) => upstream = to_idp,
            Ok(Err(e)) => return pages::internal_error(chrome(), e),
            Err(e) => return pages::internal_error(chrome(), e),
        }
    }
    let mut resp = match upstream.or(then) {
        Some(location) => HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish(),
        None => pages::render(StatusCode::OK, &LoggedOutPage { c: chrome() }),
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    let _ = resp.add_cookie(&cookies::removal(name, https));
    resp
}

/// Our signed-out page (after a SAML single logout that had nowhere else to go).
pub fn logged_out_page(chrome: Chrome) -> HttpResponse {
    pages::render(StatusCode::OK, &LoggedOutPage { c: chrome })
}
