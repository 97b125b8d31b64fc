//! First sign-in with a temporary password (an administrator created the user or set the
//! password with `--temporary`): the user chooses their own before any session exists, then
//! the sign-in goes on (second factor if any, then the client).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, policy_hint, policy_message, see_other, signin, with_csrf};
use crate::accounts::service::NewPassword;
use crate::authn::mfa::{self, AfterPassword};
use crate::authn::password;
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::state::AppState;
use crate::ui::csrf;

pub const PURPOSE: &str = "new_password";

#[derive(Template)]
#[template(path = "ui/new_password.html")]
struct NewPasswordPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    policy_hint: String,
    error: Option<&'static str>,
}

fn page(ctx: &Ctx, csrf_token: String, error: Option<&'static str>) -> NewPasswordPage {
    NewPasswordPage {
        c: ctx.chrome(),
        action: ctx.link("new-password"),
        csrf_token,
        policy_hint: policy_hint(ctx.tr, &ctx.entry.pool.settings.password_policy),
        error,
    }
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let _ = ctx.pending(&state).await;
    if signin::current_step(&state, &ctx, &req, PURPOSE)
        .await
        .is_none()
    {
        return see_other(&ctx.link("login"));
    }
    let token = csrf::issue(&req, state.config.is_https());
    with_csrf(
        pages::render(StatusCode::OK, &page(&ctx, token.value.clone(), None)),
        token,
    )
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let wants_mfa = matches!(ctx.pending(&state).await, Ok(Some((ref r, _))) if r.wants_mfa());
    let f = or_respond!(ctx.form(&state, &req, &body));
    let Some((c, user)) = signin::current_step(&state, &ctx, &req, PURPOSE).await else {
        return see_other(&ctx.link("login"));
    };
    let csrf_token = f.get("csrf_token").unwrap_or_default().to_string();
    let new = f.get("password").unwrap_or_default().to_string();
    if new != f.get("password2").unwrap_or_default() {
        return pages::render(
            StatusCode::BAD_REQUEST,
            &page(&ctx, csrf_token, Some(ctx.tr.err_pw_mismatch)),
        );
    }
    if let Err(e) = password::check_policy(&new, &ctx.entry.pool.settings.password_policy) {
        return pages::render(
            StatusCode::BAD_REQUEST,
            &page(&ctx, csrf_token, Some(policy_message(ctx.tr, e))),
        );
    }
    let old_hash = user.password_hash.clone().unwrap_or_default();
    let (hash_pool, username) = (ctx.entry.pool.clone(), user.username.clone());
    // Compared with the temporary one and hashed on the blocking pool, before the write
    // transaction (`service::NewPassword`).
    let prepared = web::block(move || {
        (password::verify(&new, &old_hash) == password::Verified::No)
            .then(|| NewPassword::prepare(&hash_pool, &username, &new))
    })
    .await;
    let new = match prepared {
        Ok(Some(Ok(new))) => new,
        Ok(None) => {
            return pages::render(
                StatusCode::BAD_REQUEST,
                &page(&ctx, csrf_token, Some(ctx.tr.err_same_password)),
            );
        }
        Ok(Some(Err(e))) => return ctx.internal(e),
        Err(_) => return ctx.internal(crate::store::StoreError::Join),
    };
    let https = state.config.is_https();
    let device = cookies::read(&req, &cookies::device_name(ctx.pool_id(), https));
    let (pool, sealer, now, mut u) = (
        ctx.entry.pool.clone(),
        state.sealer.clone(),
        state.now(),
        user.clone(),
    );
    let auth_time = c.auth_time;
    let result = state
        .store
        .write(move |db| -> crate::Result<AfterPassword> {
            crate::accounts::service::set_password(db, &sealer, &mut u, &new, true, now)?;
            mfa::finish_challenge(db, &c)?;
            mfa::after_password(
                db,
                &pool,
                &u,
                wants_mfa,
                Default::default(),
                device.as_deref(),
                auth_time,
                now,
            )
        })
        .await;
    tracing::info!(pool = %ctx.pool_id(), user = %user.id, "temporary password replaced");
    let extra = vec![signin::step_cookie_removal(&state, &ctx)];
    signin::after_password(&state, &ctx, &req, &user.id, auth_time, result, extra).await
}
