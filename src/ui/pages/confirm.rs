//! The sign-up confirmation page: the 6-digit code from the email (the email's link pre-fills
//! it), and "send a new code". After confirming, the user signs in and the pending
//! authorization request continues.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, code_message, mail_queued, see_other, with_csrf};
use crate::accounts::notices;
use crate::accounts::sign_up::{self, ConfirmError};
use crate::http::pages::{self, Chrome};
use crate::state::AppState;
use crate::triggers::custom_message::Source;
use crate::triggers::post_confirmation;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    action: String,
    resend_action: String,
    csrf_token: String,
    email: String,
    code: String,
    notice: Option<&'static str>,
    error: Option<std::borrow::Cow<'static, str>>,
}

fn page(ctx: &Ctx, csrf_token: String, email: &str, code: &str) -> ConfirmPage {
    ConfirmPage {
        c: ctx.chrome(),
        action: ctx.link("confirm"),
        resend_action: ctx.link("confirm/resend"),
        csrf_token,
        email: email.chars().take(254).collect(),
        code: code.chars().filter(char::is_ascii_digit).take(6).collect(),
        notice: None,
        error: None,
    }
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let token = csrf::issue(&req, state.config.is_https());
    let p = page(
        &ctx,
        token.value.clone(),
        ctx.query.get("email").unwrap_or_default(),
        ctx.query.get("code").unwrap_or_default(),
    );
    with_csrf(pages::render(StatusCode::OK, &p), token)
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let email = f.get("email").unwrap_or_default().to_string();
    let code = f.get("code").unwrap_or_default().trim().to_string();
    let (pool, now) = (ctx.entry.pool.clone(), state.now());
    let (e2, c2) = (email.clone(), code.clone());
    let result = state
        .store
        .write(move |db| sign_up::confirm(db, &pool, &e2, &c2, now))
        .await;
    let mut p = page(
        &ctx,
        f.get("csrf_token").unwrap_or_default().to_string(),
        &email,
        "",
    );
    match result {
        Ok(Ok(user)) => {
            tracing::info!(pool = %ctx.pool_id(), user = %user.id, "sign-up confirmed");
            let source = post_confirmation::Source::ConfirmSignUp;
            match or_respond!(super::post_confirmation(&state, &ctx, source, user).await) {
                None => see_other(&ctx.link_with("login", "notice", "confirmed")),
                // Confirmed all the same (as at Cognito); the form says what the trigger said.
                Some(message) => {
                    p.error = Some(message.into());
                    pages::render(StatusCode::BAD_REQUEST, &p)
                }
            }
        }
        Ok(Err(ConfirmError::AlreadyConfirmed)) => {
            see_other(&ctx.link_with("login", "notice", "confirmed"))
        }
        Ok(Err(ConfirmError::Code(e))) => {
            p.error = Some(code_message(ctx.tr, e).into());
            p.code = code.chars().filter(char::is_ascii_digit).take(6).collect();
            pages::render(StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => ctx.internal(e),
    }
}

pub async fn resend(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let email = f.get("email").unwrap_or_default().to_string();
    let confirm_base = format!(
        "{}{}",
        state.public_url,
        ctx.link_with("confirm", "email", &email)
    );
    let (pool, now, lang, e2, ip) = (
        ctx.entry.pool.clone(),
        state.now(),
        ctx.tr.lang.to_string(),
        email.clone(),
        crate::http::client_ip(&req),
    );
    let mut p = page(
        &ctx,
        f.get("csrf_token").unwrap_or_default().to_string(),
        &email,
        "",
    );
    // CustomMessage_ResendCode, before the transaction that issues the code.
    let custom = match super::custom_message(&state, &ctx, Source::ResendCode, &email).await {
        Ok(Ok(template)) => template,
        Ok(Err(message)) => {
            p.error = Some(message.into());
            return pages::render(StatusCode::BAD_REQUEST, &p);
        }
        Err(page) => return page,
    };
    let result = state
        .store
        .write(move |db| -> crate::Result<_> {
            let link = |code: &str| format!("{confirm_base}&code={code}");
            // Unknown, confirmed or unconfirmed: the same answer (only the limit, counted
            // alike for all, differs), so the form does not reveal which accounts exist.
            let sent = sign_up::resend_confirmation(db, &pool, &e2, &lang, link, Some(ip), now)?;
            if let Ok(Some(notice)) = &sent {
                notices::deliver_custom(db, &pool, notice, custom.as_ref(), now)?;
            }
            Ok(sent.map(|_| ()))
        })
        .await;
    match result {
        Ok(Ok(())) => {
            mail_queued(&state);
            p.notice = Some(ctx.tr.resent);
            pages::render(StatusCode::OK, &p)
        }
        Ok(Err(_)) => {
            p.error = Some(ctx.tr.err_send_limited.into());
            pages::render(StatusCode::TOO_MANY_REQUESTS, &p)
        }
        Err(e) => ctx.internal(e),
    }
}
