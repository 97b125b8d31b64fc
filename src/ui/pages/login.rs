//! The sign-in page. GET shows the form (for a pending authorization request, or plain, which
//! leads to the account page); POST checks the password through `authn::flow`, starts a new
//! session and resumes the authorization request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Path, expired_request, forbidden, form, internal, query, unknown_pool};
use crate::authn::flow::{self, LoginError};
use crate::authn::sessions;
use crate::http::{client_ip, cookies, pages};
use crate::oidc::authorize::{self, Next};
use crate::state::AppState;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/login.html")]
struct LoginPage {
    lang: String,
    brand_name: String,
    action: String,
    csrf_token: String,
    username: String,
    error: Option<String>,
    client_name: String,
    signup_url: Option<String>,
    forgot_url: Option<String>,
}

fn action(pool_id: &str, pending: Option<&str>) -> String {
    match pending {
        Some(p) => format!("/{pool_id}/login?request={p}"),
        None => format!("/{pool_id}/login"),
    }
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let Some(entry) = authorize::entry_for(&state, &path).await else {
        return unknown_pool();
    };
    let q = query(&req);
    // Cognito's hosted UI accepts the authorize parameters on /login itself.
    if q.contains("client_id") {
        return authorize::see_other(&format!(
            "/{}/oauth2/authorize?{}",
            entry.pool.id,
            req.query_string()
        ));
    }
    let pending = q.get("request").map(str::to_string);
    let (mut client_name, mut username) = (entry.pool.name.clone(), String::new());
    if let Some(id) = pending.clone() {
        let (pool_id, now) = (entry.pool.id.clone(), state.now());
        match state
            .store
            .read(move |db| authorize::load_pending(db, &pool_id, &id, now))
            .await
        {
            Ok(Some((request, client))) => {
                client_name = client.name;
                username = request.login_hint.unwrap_or_default();
            }
            Ok(None) => return expired_request(&entry.pool.name),
            Err(e) => return internal(&entry.pool.name, e),
        }
    }
    let token = csrf::issue(&req, state.config.is_https());
    let page = LoginPage {
        lang: "en".into(),
        brand_name: entry.pool.name.clone(),
        action: action(&entry.pool.id, pending.as_deref()),
        csrf_token: token.value,
        username,
        error: None,
        client_name,
        signup_url: None,
        forgot_url: None,
    };
    let mut resp = pages::render(StatusCode::OK, &page);
    if let Some(c) = token.cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(entry) = authorize::entry_for(&state, &path).await else {
        return unknown_pool();
    };
    let brand = entry.pool.name.clone();
    let https = state.config.is_https();
    let Some(f) = form(&body) else {
        return forbidden(&brand);
    };
    if !csrf::check(&req, https, &state.public_url, f.get("csrf_token")) {
        return forbidden(&brand);
    }
    let pending = query(&req).get("request").map(str::to_string);
    let username = f.get("username").unwrap_or_default().to_string();
    let password = f.get("password").unwrap_or_default().to_string();
    let retry = |status: StatusCode, message: &str| {
        let page = LoginPage {
            lang: "en".into(),
            brand_name: brand.clone(),
            action: action(&entry.pool.id, pending.as_deref()),
            csrf_token: f.get("csrf_token").unwrap_or_default().to_string(),
            username: username.clone(),
            error: Some(message.to_string()),
            client_name: brand.clone(),
            signup_url: None,
            forgot_url: None,
        };
        pages::render(status, &page)
    };
    let ip = client_ip(&req);
    let now = state.now();
    if state.address_limiter.is_blocked(ip, now) {
        return retry(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts from your network. Try again in a few minutes.",
        );
    }
    if username.is_empty() || password.is_empty() {
        return retry(StatusCode::BAD_REQUEST, "Enter your email and password.");
    }
    let (store, pool) = (state.store.clone(), entry.pool.clone());
    let login_name = username.clone();
    let login =
        web::block(move || flow::password_login(&store, &pool, &login_name, &password, now)).await;
    let authenticated = match login {
        Ok(Ok(a)) => a,
        Ok(Err(LoginError::InvalidCredentials)) => {
            state.address_limiter.record_failure(ip, now);
            return retry(StatusCode::UNAUTHORIZED, "Incorrect email or password.");
        }
        Ok(Err(LoginError::Throttled(_))) => {
            return retry(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed attempts. Wait a few minutes and try again.",
            );
        }
        Ok(Err(LoginError::NotConfirmed)) => {
            return retry(
                StatusCode::FORBIDDEN,
                "Your account is not confirmed yet. Use the code we sent to your email to confirm it.",
            );
        }
        Ok(Err(LoginError::NewPasswordRequired(_))) => {
            return retry(
                StatusCode::FORBIDDEN,
                "Your password must be changed before you can sign in. Ask your administrator.",
            );
        }
        Ok(Err(LoginError::Internal(e))) => return internal(&brand, e),
        Err(e) => return internal(&brand, e),
    };

    // A new session id on every sign-in (no fixation); the old session, if any, ends.
    let old = cookies::read(&req, &cookies::session_name(&entry.pool.id, https));
    let (config, issuer, entry2) = (
        state.config.clone(),
        state.issuer(&entry.pool.id),
        entry.clone(),
    );
    let result = state
        .store
        .write(move |db| -> crate::Result<(String, Option<Next>, bool)> {
            if let Some(old) = &old {
                sessions::end(db, &entry2.pool.id, old)?;
            }
            let user = &authenticated.user;
            let cookie = sessions::create(
                db,
                &config,
                &entry2.pool.id,
                &user.id,
                authenticated.auth_time,
                &authenticated.amr,
                now,
            )?;
            let Some(id) = pending else {
                return Ok((cookie, None, false));
            };
            let Some((request, client)) = authorize::load_pending(db, &entry2.pool.id, &id, now)?
            else {
                return Ok((cookie, None, true));
            };
            let session = crate::store::sessions::get(
                db,
                &entry2.pool.id,
                &crate::random::sha256_hex(&cookie),
            )?
            .ok_or_else(|| crate::Error::not_found("new session"))?;
            let next = authorize::proceed(
                db,
                &config,
                &entry2,
                &client,
                &issuer,
                &request,
                Some(&session),
                true,
                false,
                now,
            )?;
            if !matches!(next, Next::Consent(_)) {
                crate::store::sessions::delete_pending(db, &id)?;
            }
            Ok((cookie, Some(next), false))
        })
        .await;
    let (cookie, next, expired) = match result {
        Ok(r) => r,
        Err(e) => return internal(&brand, e),
    };
    let mut resp = match next {
        Some(Next::Respond(r)) => r.respond(true),
        Some(Next::Consent(p)) => {
            authorize::see_other(&authorize::consent_location(&entry.pool.id, &p))
        }
        Some(Next::Login(_)) => return internal(&brand, "login loop"),
        None if expired => expired_request(&brand),
        None => authorize::see_other(&format!("/{}/account", entry.pool.id)),
    };
    let _ = resp.add_cookie(&cookies::build(
        cookies::session_name(&entry.pool.id, https),
        cookie,
        https,
        None,
    ));
    resp
}
