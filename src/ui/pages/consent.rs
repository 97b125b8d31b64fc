//! The consent page, shown for `prompt=consent` to clients that are not first-party.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, see_other, with_csrf};
use crate::http::pages::{self, Chrome};
use crate::oidc::authorize::{self, Next, Redirect};
use crate::state::AppState;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/consent.html")]
struct ConsentPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    client_name: String,
    scopes: Vec<String>,
    username: String,
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let Some(id) = ctx.pending_id() else {
        return ctx.expired();
    };
    let Some((_, user)) = ctx.session(&state, &req).await else {
        return see_other(&authorize::login_location(ctx.pool_id(), &id));
    };
    let (request, client) = match ctx.pending(&state).await {
        Ok(Some(p)) => p,
        Ok(None) => return ctx.expired(),
        Err(r) => return r,
    };
    let token = csrf::issue(&req, state.config.is_https());
    let page = ConsentPage {
        c: ctx.chrome(),
        action: ctx.link("consent"),
        csrf_token: token.value.clone(),
        client_name: client.name,
        scopes: request.scope,
        username: user.email.unwrap_or(user.username),
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
    let f = or_respond!(ctx.form(&state, &req, &body));
    let Some(id) = ctx.pending_id() else {
        return ctx.expired();
    };
    let Some((session, _)) = ctx.session(&state, &req).await else {
        return see_other(&authorize::login_location(ctx.pool_id(), &id));
    };
    let allow = f.get("decision") == Some("allow");
    let (config, issuer, now, entry) = (
        state.config.clone(),
        state.issuer(ctx.pool_id()),
        state.now(),
        ctx.entry.clone(),
    );
    let result = state
        .store
        .write(move |db| -> crate::Result<Option<Next>> {
            let Some((request, client)) = authorize::load_pending(db, &entry.pool.id, &id, now)?
            else {
                return Ok(None);
            };
            crate::store::sessions::delete_pending(db, &id)?;
            if !allow {
                return Ok(Some(Next::Respond(Redirect::error(
                    &request,
                    &issuer,
                    "access_denied",
                    "the user denied the request",
                ))));
            }
            Ok(Some(authorize::proceed(
                db,
                &config,
                &entry,
                &client,
                &issuer,
                &request,
                Some(&session),
                true,
                true,
                now,
            )?))
        })
        .await;
    match result {
        Ok(Some(Next::Respond(r))) => r.respond(true),
        Ok(Some(_)) => ctx.internal("consent loop"),
        Ok(None) => ctx.expired(),
        Err(e) => ctx.internal(e),
    }
}
