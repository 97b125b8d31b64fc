//! The sign-in page. GET shows the form (for a pending authorization request, or plain, which
//! leads to the account page); POST checks the password through `authn::flow`, starts a new
//! session and resumes the authorization request.

use std::borrow::Cow;

use crate::audit::{self, Door, Event};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, see_other, signin, with_csrf};
use crate::authn::flow::{self, LoginError};
use crate::authn::{mfa, risk};
use crate::http::client_ip;
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::pools::UsernameAttribute;
use crate::state::AppState;
use crate::ui::csrf;
use actix_web::cookie::Cookie;

#[derive(Template)]
#[template(path = "ui/login.html")]
struct LoginPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    username: String,
    email_login: bool,
    notice: Option<&'static str>,
    error: Option<Cow<'static, str>>,
    client_name: String,
    signup_url: Option<String>,
    forgot_url: Option<String>,
    /// One button per identity provider the client offers: (name, link).
    providers: Vec<(String, String)>,
    /// The pending request, when the client's SAML providers are found by e-mail domain
    /// instead of by button (every one of them has `IdpIdentifiers`, as at Cognito).
    corporate_email: Option<String>,
    idp_action: String,
}

/// What the sign-in page offers besides the password: a button per identity provider the
/// client offers, except SAML providers when every one of those has `IdpIdentifiers` — they
/// are found by the e-mail domain the person types (`Some(pending request)`).
#[derive(Clone)]
struct Offered {
    buttons: Vec<(String, String)>,
    corporate_email: Option<String>,
}

async fn offered(state: &AppState, ctx: &Ctx, client: &crate::pools::Client) -> Offered {
    let Some(pending) = ctx.pending_id() else {
        return Offered {
            buttons: vec![],
            corporate_email: None,
        };
    };
    let client = client.clone();
    let choices = state
        .store
        .read(move |db| crate::federation::providers::sign_in_choices(db, &client))
        .await
        .unwrap_or_default();
    let buttons = choices
        .buttons
        .into_iter()
        .map(|n| {
            let href = super::federation::start_location(ctx.pool_id(), &n, &pending);
            (n, href)
        })
        .collect();
    Offered {
        buttons,
        corporate_email: choices.by_email.then_some(pending),
    }
}

impl LoginPage {
    fn new(
        ctx: &Ctx,
        csrf_token: String,
        client_name: String,
        username: String,
        offered: Offered,
    ) -> LoginPage {
        let pool = &ctx.entry.pool;
        LoginPage {
            c: ctx.chrome(),
            action: ctx.link("login"),
            csrf_token,
            username,
            email_login: pool.settings.username_attribute == UsernameAttribute::Email,
            notice: match ctx.query.get("notice") {
                Some("confirmed") => Some(ctx.tr.confirmed_sign_in),
                Some("reset") => Some(ctx.tr.reset_done),
                Some("not-me") => Some(ctx.tr.not_me_done),
                _ => None,
            },
            error: (ctx.query.get("notice") == Some("unknown-domain"))
                .then_some(Cow::Borrowed(ctx.tr.corporate_unknown)),
            client_name,
            signup_url: pool.settings.self_signup.then(|| ctx.link("signup")),
            forgot_url: Some(ctx.link("forgot-password")),
            providers: offered.buttons,
            corporate_email: offered.corporate_email,
            idp_action: format!("/{}/oauth2/idp", ctx.pool_id()),
        }
    }
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    // Cognito's hosted UI accepts the authorize parameters on /login itself.
    if ctx.query.contains("client_id") {
        return see_other(&format!(
            "/{}/oauth2/authorize?{}",
            ctx.pool_id(),
            req.query_string()
        ));
    }
    let (client_name, username, providers) = match ctx.pending(&state).await {
        Ok(Some((request, client))) => {
            let providers = offered(&state, &ctx, &client).await;
            (
                client.name,
                request.login_hint.unwrap_or_default(),
                providers,
            )
        }
        Ok(None) => (
            ctx.entry.pool.display_name().to_string(),
            String::new(),
            Offered {
                buttons: vec![],
                corporate_email: None,
            },
        ),
        Err(r) => return r,
    };
    let token = csrf::issue(&req, state.config.is_https());
    let page = LoginPage::new(&ctx, token.value.clone(), client_name, username, providers);
    let mut resp = with_csrf(pages::render(StatusCode::OK, &page), token);
    if let Some(cookie) = new_device_cookie(&state, &req) {
        let _ = resp.add_cookie(&cookie);
    }
    resp
}

/// A device cookie for a browser without a genuine one (adaptive sign-in's device signal).
fn new_device_cookie(state: &AppState, req: &HttpRequest) -> Option<Cookie<'static>> {
    let https = state.config.is_https();
    let name = cookies::risk_device_name(https);
    if device_id(state, req).is_some() {
        return None;
    }
    let value = risk::device::new_cookie(&state.risk.key);
    Some(cookies::build(
        name,
        value,
        https,
        Some(cookies::RISK_DEVICE_MAX_AGE_SECS),
    ))
}

/// The browser's device id, when its device cookie is genuine.
fn device_id(state: &AppState, req: &HttpRequest) -> Option<String> {
    let value = cookies::read(req, &cookies::risk_device_name(state.config.is_https()))?;
    risk::device::verify_cookie(&state.risk.key, &value)
}

/// Where this sign-in comes from. A missing or forged device cookie is a device never seen
/// (a fresh random id), never an error.
fn evidence(state: &AppState, req: &HttpRequest, ip: std::net::IpAddr, now: i64) -> risk::Evidence {
    let device = device_id(state, req).unwrap_or_else(|| crate::random::token(16));
    let device_name = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(100).collect());
    risk::Evidence {
        ip,
        device: Some(device),
        device_name,
        address_failures: state.address_limiter.failures(ip, now),
    }
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let (client_name, client_id, providers) = match ctx.pending(&state).await {
        Ok(Some((_, client))) => {
            let providers = offered(&state, &ctx, &client).await;
            (client.name, Some(client.id), providers)
        }
        Ok(None) => (
            ctx.entry.pool.display_name().to_string(),
            None,
            Offered {
                buttons: vec![],
                corporate_email: None,
            },
        ),
        Err(r) => return r,
    };
    let username = f.get("username").unwrap_or_default().to_string();
    let password = f.get("password").unwrap_or_default().to_string();
    let tr = ctx.tr;
    let retry = |status: StatusCode, message: Cow<'static, str>| {
        let mut page = LoginPage::new(
            &ctx,
            f.get("csrf_token").unwrap_or_default().to_string(),
            client_name.clone(),
            username.clone(),
            providers.clone(),
        );
        page.notice = None;
        page.error = Some(message);
        pages::render(status, &page)
    };
    let ip = client_ip(&req);
    let now = state.now();
    if let Some(secs) = state.address_limiter.retry_after(ip, now) {
        return pages::retry_after(
            retry(StatusCode::TOO_MANY_REQUESTS, tr.err_throttled.into()),
            secs,
        );
    }
    if username.is_empty() || password.is_empty() {
        return retry(StatusCode::BAD_REQUEST, tr.err_missing_credentials.into());
    }
    let (st, pool) = (state.get_ref().clone(), ctx.entry.pool.clone());
    let login_name = username.clone();
    // The hosted pages never tell whether a user exists: the triggers see a client that
    // prevents user-existence errors.
    let context = flow::Context {
        client_id,
        client_metadata: None,
        prevent_user_existence_errors: true,
        door: "hosted_ui",
        evidence: Some(evidence(&state, &req, ip, now)),
    };
    let login = web::block(move || {
        let services = st.sign_in_services();
        flow::password_login(&services, &pool, &login_name, &password, &context, now)
    })
    .await;
    let authenticated = match login {
        Ok(Ok(a)) => {
            if a.risk.as_ref().is_some_and(|r| r.notified) {
                state.wake_mailer();
            }
            a
        }
        Ok(Err(LoginError::InvalidCredentials | LoginError::UnknownUser)) => {
            state.address_limiter.record_failure(ip, now);
            state.audit(
                Event::new(Door::Hosted, audit::SIGN_IN, "failed")
                    .pool(ctx.pool_id())
                    .login(username.as_str())
                    .source(ip),
            );
            return retry(StatusCode::UNAUTHORIZED, tr.err_credentials.into());
        }
        Ok(Err(LoginError::RiskBlocked)) => {
            state.audit(
                Event::new(Door::Hosted, audit::SIGN_IN, "blocked")
                    .pool(ctx.pool_id())
                    .login(username.as_str())
                    .source(ip),
            );
            return retry(StatusCode::FORBIDDEN, tr.err_risk_blocked.into());
        }
        Ok(Err(LoginError::Throttled(secs))) => {
            return pages::retry_after(
                retry(StatusCode::TOO_MANY_REQUESTS, tr.err_throttled.into()),
                secs,
            );
        }
        Ok(Err(LoginError::NotConfirmed)) => {
            return see_other(&ctx.link_with("confirm", "email", &username));
        }
        Ok(Err(LoginError::ResetRequired)) => {
            return see_other(&ctx.link_with("reset-password", "email", &username));
        }
        Ok(Err(LoginError::NewPasswordRequired(user))) => {
            let (pool_id, user_id) = (ctx.pool_id().to_string(), user.id.clone());
            let started = state
                .store
                .write(move |db| {
                    mfa::start_challenge_for(
                        db,
                        &pool_id,
                        &user_id,
                        super::new_password::PURPOSE,
                        now,
                        now,
                    )
                })
                .await;
            return match started {
                Ok(token) => signin::to_step(&state, &ctx, "new-password", token),
                Err(e) => ctx.internal(e),
            };
        }
        // The trigger's message, in the form (as Cognito's hosted UI shows it).
        Ok(Err(LoginError::Trigger(e))) => {
            return retry(StatusCode::BAD_REQUEST, e.to_string().into());
        }
        Ok(Err(LoginError::Internal(e))) => return ctx.internal(e),
        Err(e) => return ctx.internal(e),
    };

    signin::after_checked_password(&state, &mut ctx, &req, &authenticated).await
}
