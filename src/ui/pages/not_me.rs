//! The page behind the "this wasn't me" link of the notification mail "new sign-in to your
//! account" (`/{pool}/not-me?r=…&x=…&t=…`, see `authn::risk::notify`). Opening it changes
//! nothing (mail scanners open links); its CSRF-protected button marks the sign-in `Invalid`
//! and signs the user out everywhere, once. A link that is forged, expired or used shows a
//! friendly page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, with_csrf};
use crate::audit;
use crate::authn::risk::{self, notify};
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::state::AppState;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/not_me.html")]
struct NotMePage {
    c: Chrome,
    action: String,
    csrf_token: String,
    /// The sign-in was reported: the page says so instead of asking.
    done: bool,
}

/// The sign-in the link names, if the link is genuine and unexpired.
fn genuine(state: &AppState, ctx: &Ctx) -> Option<i64> {
    let q = &ctx.query;
    let risk_id: i64 = q.get("r")?.parse().ok()?;
    let expires: i64 = q.get("x")?.parse().ok()?;
    let tag = q.get("t")?;
    notify::check_link(
        &state.risk.key,
        ctx.pool_id(),
        risk_id,
        expires,
        tag,
        state.now(),
    )
    .then_some(risk_id)
}

fn gone(ctx: &Ctx) -> HttpResponse {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        ctx.chrome(),
        ctx.tr.not_me_gone_title,
        ctx.tr.not_me_gone_msg,
    )
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let Some(risk_id) = genuine(&state, &ctx) else {
        return gone(&ctx);
    };
    let pool_id = ctx.pool_id().to_string();
    match state
        .store
        .read(move |db| crate::store::risk::link_open(db, &pool_id, risk_id))
        .await
    {
        Ok(true) => {}
        Ok(false) => return gone(&ctx),
        Err(e) => return ctx.internal(e),
    }
    let token = csrf::issue(&req, state.config.is_https());
    let page = NotMePage {
        c: ctx.chrome(),
        action: format!("/{}/not-me?{}", ctx.pool_id(), req.query_string()),
        csrf_token: token.value.clone(),
        done: false,
    };
    with_csrf(pages::render(StatusCode::OK, &page), token)
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    or_respond!(ctx.form(&state, &req, &body));
    let Some(risk_id) = genuine(&state, &ctx) else {
        return gone(&ctx);
    };
    let (pool, now) = (ctx.entry.pool.clone(), state.now());
    let user_id = match state
        .store
        .write(move |db| risk::not_me(db, &pool, risk_id, now))
        .await
    {
        Ok(Some(user_id)) => user_id,
        Ok(None) => return gone(&ctx),
        Err(e) => return ctx.internal(e),
    };
    super::audit::user_did(&state, &ctx, &req, audit::SIGN_OUT, &user_id);
    let page = NotMePage {
        c: ctx.chrome(),
        action: String::new(),
        csrf_token: String::new(),
        done: true,
    };
    // This browser's session (if it is the user's) was ended with the others.
    let https = state.config.is_https();
    let mut resp = pages::render(StatusCode::OK, &page);
    let _ = resp.add_cookie(&cookies::removal(
        cookies::session_name(ctx.pool_id(), https),
        https,
    ));
    resp
}
