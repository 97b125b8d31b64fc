//! `GET|POST /{pool_id}/login/link?request=...&link=TOKEN`: a first sign-in with an identity
//! provider that opted in to `link_by_verified_email` found the local account with the same
//! verified e-mail. Linking is never silent: the person enters that account's password (once;
//! a wrong one ends the request), and only then is the identity linked and the sign-in
//! completed as that user, second factor included.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, signin, with_csrf};
use crate::authn::flow::{self, LoginError};
use crate::authn::mfa;
use crate::federation::linking::{self, LinkProof};
use crate::federation::{pending, users};
use crate::http::pages::{self, Chrome};
use crate::state::AppState;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/link_account.html")]
struct LinkPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    provider: String,
    email: String,
    error: Option<&'static str>,
}

fn token(ctx: &Ctx) -> String {
    ctx.query.get("link").unwrap_or_default().to_string()
}

fn action(ctx: &Ctx) -> String {
    format!("{}&link={}", ctx.link("login/link"), token(ctx))
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let (pool_id, link, now) = (ctx.pool_id().to_string(), token(&ctx), state.now());
    let found = state
        .store
        .read(move |db| -> crate::Result<_> {
            let Some((provider, proof)) = pending::peek::<LinkProof>(db, &pool_id, &link, now)?
            else {
                return Ok(None);
            };
            let user = crate::store::users::get(db, &pool_id, &proof.user_id)?;
            Ok(user.and_then(|u| u.email).map(|e| (provider, e)))
        })
        .await;
    let Ok(Some((provider, email))) = found else {
        return ctx.expired();
    };
    let csrf_token = csrf::issue(&req, state.config.is_https());
    let page = LinkPage {
        c: ctx.chrome(),
        action: action(&ctx),
        csrf_token: csrf_token.value.clone(),
        provider,
        email: mfa::masked_email(&email),
        error: None,
    };
    with_csrf(pages::render(StatusCode::OK, &page), csrf_token)
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let password = f.get("password").unwrap_or_default().to_string();
    let (pool_id, link, now) = (ctx.pool_id().to_string(), token(&ctx), state.now());
    let taken = state
        .store
        .write(move |db| pending::take::<LinkProof>(db, &pool_id, &link, now))
        .await;
    let Ok(Some((provider, proof))) = taken else {
        return ctx.expired();
    };
    if ctx.pending_id().as_deref() != Some(proof.request.as_str()) {
        return ctx.expired();
    }
    let client_id = match ctx.pending(&state).await {
        Ok(Some((_, client))) => Some(client.id),
        _ => return ctx.expired(),
    };
    let (st, pool, user_id) = (
        state.get_ref().clone(),
        ctx.entry.pool.clone(),
        proof.user_id.clone(),
    );
    let signed_in = web::block(move || -> Result<flow::Authenticated, LoginError> {
        let user = st
            .store
            .read_sync(|db| crate::store::users::get(db, &pool.id, &user_id))?
            .ok_or(LoginError::InvalidCredentials)?;
        let login = user.email.clone().unwrap_or(user.username.clone());
        let context = flow::Context {
            client_id,
            client_metadata: None,
            prevent_user_existence_errors: true,
            door: "hosted_ui",
            evidence: None,
        };
        let authenticated =
            flow::password_login(&st.sign_in_services(), &pool, &login, &password, &context, now)?;
        if authenticated.user.id != user.id {
            return Err(LoginError::InvalidCredentials);
        }
        let user = st.store.write_sync(|db| -> crate::Result<_> {
            let linked = linking::link(db, &pool, &user.username, &provider, &proof.subject, now)
                .map_err(|e| crate::Error::invalid(e.to_string()))?;
            users::refresh(db, &pool, linked, proof.attributes, now)
        })?;
        tracing::info!(pool = %pool.id, user = %user.id, %provider, "identity linked after the account's password");
        Ok(flow::Authenticated { user, ..authenticated })
    })
    .await;
    let authenticated = match signed_in {
        Ok(Ok(a)) => a,
        Ok(Err(LoginError::Internal(e))) => return ctx.internal(e),
        Ok(Err(_)) => {
            return pages::error_page(
                StatusCode::UNAUTHORIZED,
                ctx.chrome(),
                ctx.tr.link_title,
                ctx.tr.link_failed,
            );
        }
        Err(e) => return ctx.internal(e),
    };
    signin::after_checked_password(&state, &mut ctx, &req, &authenticated).await
}
