//! Forgot password (request a code by email; the same answer whether or not the account
//! exists) and reset password (code + new password; every session and refresh token of the
//! user is revoked and a notification is mailed).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{
    Ctx, Path, code_message, mail_queued, policy_hint, policy_message, see_other, with_csrf,
};
use crate::accounts::recovery::{self, ResetError};
use crate::accounts::{User, notices, service::normalize_email};
use crate::http::pages::{self, Chrome};
use crate::state::AppState;
use crate::triggers::custom_message::Source;
use crate::triggers::post_confirmation;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/forgot.html")]
struct ForgotPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    email: String,
    error: Option<std::borrow::Cow<'static, str>>,
    login_url: String,
}

#[derive(Template)]
#[template(path = "ui/reset.html")]
struct ResetPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    email: String,
    policy_hint: String,
    notice: Option<&'static str>,
    error: Option<std::borrow::Cow<'static, str>>,
    login_url: String,
}

fn reset_page(ctx: &Ctx, csrf_token: String, email: &str) -> ResetPage {
    ResetPage {
        c: ctx.chrome(),
        action: ctx.link("reset-password"),
        csrf_token,
        email: email.chars().take(254).collect(),
        policy_hint: policy_hint(ctx.tr, &ctx.entry.pool.settings.password_policy),
        notice: None,
        error: None,
        login_url: ctx.link("login"),
    }
}

pub async fn show_forgot(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let token = csrf::issue(&req, state.config.is_https());
    let p = ForgotPage {
        c: ctx.chrome(),
        action: ctx.link("forgot-password"),
        csrf_token: token.value.clone(),
        email: String::new(),
        error: None,
        login_url: ctx.link("login"),
    };
    with_csrf(pages::render(StatusCode::OK, &p), token)
}

/// The forgot-password form again, with what was typed and an error.
fn forgot_page(
    ctx: &Ctx,
    csrf_token: String,
    email: &str,
    error: impl Into<std::borrow::Cow<'static, str>>,
) -> ForgotPage {
    ForgotPage {
        c: ctx.chrome(),
        action: ctx.link("forgot-password"),
        csrf_token,
        email: email.chars().take(254).collect(),
        error: Some(error.into()),
        login_url: ctx.link("login"),
    }
}

pub async fn submit_forgot(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let email = f.get("email").unwrap_or_default().to_string();
    if normalize_email(&email).is_err() {
        let p = forgot_page(
            &ctx,
            f.get("csrf_token").unwrap_or_default().to_string(),
            &email,
            ctx.tr.err_email_invalid,
        );
        return pages::render(StatusCode::BAD_REQUEST, &p);
    }
    let (pool, now, lang, e2, ip) = (
        ctx.entry.pool.clone(),
        state.now(),
        ctx.tr.lang.to_string(),
        email.clone(),
        crate::http::client_ip(&req),
    );
    // A user not here yet may be migrated first (UserMigration_ForgotPassword). The page
    // answers the same whatever happened, so a failing trigger is only logged.
    let (st, p2, e3) = (state.get_ref().clone(), pool.clone(), email.clone());
    let migrated = crate::store::blocking(move || {
        recovery::migrate_unknown(&st.sign_in_services(), &p2, &e3, &Default::default(), now)
    })
    .await;
    if let Err(e) = migrated {
        tracing::warn!(pool = %ctx.pool_id(), error = %e, "user migration for a reset failed");
    }
    // CustomMessage_ForgotPassword, before the transaction that issues the code.
    let custom = match super::custom_message(&state, &ctx, Source::ForgotPassword, &email).await {
        Ok(Ok(template)) => template,
        Ok(Err(message)) => {
            let csrf = f.get("csrf_token").unwrap_or_default().to_string();
            let p = forgot_page(&ctx, csrf, &email, message);
            return pages::render(StatusCode::BAD_REQUEST, &p);
        }
        Err(page) => return page,
    };
    let result = state
        .store
        .write(move |db| -> crate::Result<_> {
            let sent = recovery::request_reset(db, &pool, &e2, &lang, Some(ip), now)?;
            if let Ok(Some(notice)) = &sent {
                notices::deliver_custom(db, &pool, notice, custom.as_ref(), now)?;
            }
            Ok(sent.map(|_| ()))
        })
        .await;
    match result {
        Ok(Ok(())) => {
            mail_queued(&state);
            see_other(&ctx.link_with("reset-password", "email", &email))
        }
        Ok(Err(_)) => {
            let p = forgot_page(
                &ctx,
                f.get("csrf_token").unwrap_or_default().to_string(),
                &email,
                ctx.tr.err_send_limited,
            );
            pages::render(StatusCode::TOO_MANY_REQUESTS, &p)
        }
        Err(e) => ctx.internal(e),
    }
}

pub async fn show_reset(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let token = csrf::issue(&req, state.config.is_https());
    let mut p = reset_page(
        &ctx,
        token.value.clone(),
        ctx.query.get("email").unwrap_or_default(),
    );
    p.notice = Some(ctx.tr.forgot_sent);
    with_csrf(pages::render(StatusCode::OK, &p), token)
}

pub async fn submit_reset(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let email = f.get("email").unwrap_or_default().to_string();
    let code = f.get("code").unwrap_or_default().trim().to_string();
    let password = f.get("password").unwrap_or_default().to_string();
    let mut p = reset_page(
        &ctx,
        f.get("csrf_token").unwrap_or_default().to_string(),
        &email,
    );
    if password != f.get("password2").unwrap_or_default() {
        p.error = Some(ctx.tr.err_pw_mismatch.into());
        return pages::render(StatusCode::BAD_REQUEST, &p);
    }
    let (pool, now, lang) = (ctx.entry.pool.clone(), state.now(), ctx.tr.lang.to_string());
    let e2 = email.clone();
    let (sealer, store) = (state.sealer.clone(), state.store.clone());
    let result = crate::store::blocking(move || -> crate::Result<Result<User, ResetError>> {
        // The hash before the write transaction, when the code is right.
        let prepared =
            store.read_sync(|db| recovery::prepare_reset(db, &pool, &e2, &code, &password, now))?;
        store.write_sync(|db| {
            match recovery::reset_password(
                db, &pool, &sealer, &e2, &code, &password, prepared, &lang, now,
            )? {
                Ok((user, notice)) => {
                    notices::deliver(db, &pool, &notice, now)?;
                    Ok(Ok(user))
                }
                Err(e) => Ok(Err(e)),
            }
        })
    })
    .await;
    match result {
        Ok(Ok(user)) => {
            mail_queued(&state);
            tracing::info!(pool = %ctx.pool_id(), "password reset completed");
            super::audit::user_did(&state, &ctx, &req, crate::audit::PASSWORD_RESET, &user.id);
            let source = post_confirmation::Source::ConfirmForgotPassword;
            match or_respond!(super::post_confirmation(&state, &ctx, source, user).await) {
                None => see_other(&ctx.link_with("login", "notice", "reset")),
                // The password is changed all the same (as at Cognito); the form says why not "done".
                Some(message) => {
                    p.error = Some(message.into());
                    pages::render(StatusCode::BAD_REQUEST, &p)
                }
            }
        }
        Ok(Err(ResetError::Code(e))) => {
            p.error = Some(code_message(ctx.tr, e).into());
            pages::render(StatusCode::BAD_REQUEST, &p)
        }
        Ok(Err(ResetError::Policy(e))) => {
            p.error = Some(policy_message(ctx.tr, e).into());
            pages::render(StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => ctx.internal(e),
    }
}
