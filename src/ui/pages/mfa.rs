//! The second factor in the hosted pages: the code page after the password, TOTP set-up
//! (at sign-in when the pool requires it, or from the account page), recovery codes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, see_other, signin, with_csrf};
use crate::accounts::User;
use crate::authn::mfa::{self, CodeRejected, Proof, Setup};
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::pools::MfaMode;
use crate::state::AppState;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/mfa.html")]
struct CodePage {
    c: Chrome,
    action: String,
    /// Where "send a new code" posts (shown for e-mailed codes).
    resend_action: String,
    csrf_token: String,
    remember_days: i64,
    error: Option<&'static str>,
    /// Where the code was e-mailed (masked), when the factor is an e-mailed code.
    emailed_to: Option<String>,
}

/// The masked address of a user whose second factor is an e-mailed code.
async fn emailed_to(state: &AppState, user: &crate::accounts::User) -> Option<String> {
    let (user_id, email) = (user.id.clone(), user.email.clone()?);
    let factor = state
        .store
        .read(move |db| mfa::verify_factor(db, &user_id))
        .await
        .ok()?;
    (factor == mfa::Factor::Email).then(|| mfa::masked_email(&email))
}

#[derive(Template)]
#[template(path = "ui/mfa_setup.html")]
struct SetupPage {
    c: Chrome,
    action: String,
    csrf_token: String,
    required: bool,
    secret: String,
    otpauth_url: String,
    qr_png_base64: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "ui/recovery_codes.html")]
struct CodesPage {
    c: Chrome,
    codes: Vec<String>,
    codes_left: Option<i64>,
    continue_url: String,
}

#[derive(Template)]
#[template(path = "ui/account_mfa.html")]
struct ManagePage {
    c: Chrome,
    base: String,
    csrf_token: String,
    remember_days: i64,
    may_disable: bool,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

/// A set-up confirmed at sign-in: the recovery codes, or (locked?, the set-up to show again).
type SetupOutcome = Result<Vec<String>, (bool, Option<Setup>)>;

fn rejected(ctx: &Ctx, r: CodeRejected) -> &'static str {
    match r {
        CodeRejected::Replayed => ctx.tr.err_mfa_replayed,
        CodeRejected::Throttled => ctx.tr.err_throttled,
        CodeRejected::Wrong | CodeRejected::NoSetup => ctx.tr.err_mfa_wrong,
    }
}

fn back_to_login(ctx: &Ctx) -> HttpResponse {
    see_other(&ctx.link("login"))
}

fn setup_page(
    ctx: &Ctx,
    csrf_token: String,
    action: String,
    required: bool,
    s: Setup,
) -> SetupPage {
    SetupPage {
        c: ctx.chrome(),
        action,
        csrf_token,
        required,
        secret: s.secret,
        otpauth_url: s.otpauth_url,
        qr_png_base64: s.qr_png_base64,
        error: None,
    }
}

fn clear_challenge(resp: &mut HttpResponse, state: &AppState, ctx: &Ctx) {
    let _ = resp.add_cookie(&signin::step_cookie_removal(state, ctx));
}

/// `POST /{pool_id}/mfa/resend`: a new e-mailed code for the sign-in at the code step (the
/// older one is void; at most five an hour, then the page says to try later).
pub async fn resend_code(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let _ = ctx.pending(&state).await;
    let f = or_respond!(ctx.form(&state, &req, &body));
    let Some((_, user)) = signin::current_step(&state, &ctx, &req, "verify").await else {
        return back_to_login(&ctx);
    };
    let (pool, now, u) = (ctx.entry.pool.clone(), state.now(), user.clone());
    let sent = state
        .store
        .write(move |db| -> crate::Result<bool> {
            if mfa::verify_factor(db, &u.id)? != mfa::Factor::Email {
                return Ok(false);
            }
            mfa::send_email_code(db, &pool, &u, now)
        })
        .await;
    match sent {
        Ok(true) => see_other(&ctx.link("mfa")),
        Ok(false) => {
            let page = CodePage {
                c: ctx.chrome(),
                action: ctx.link("mfa"),
                resend_action: ctx.link("mfa/resend"),
                csrf_token: f.get("csrf_token").unwrap_or_default().to_string(),
                remember_days: ctx.entry.pool.settings.remember_device_days,
                error: Some(ctx.tr.err_throttled),
                emailed_to: emailed_to(&state, &user).await,
            };
            pages::render(StatusCode::TOO_MANY_REQUESTS, &page)
        }
        Err(e) => ctx.internal(e),
    }
}

pub async fn show_code(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let _ = ctx.pending(&state).await;
    let Some((_, user)) = signin::current_step(&state, &ctx, &req, "verify").await else {
        return back_to_login(&ctx);
    };
    let token = csrf::issue(&req, state.config.is_https());
    let page = CodePage {
        c: ctx.chrome(),
        action: ctx.link("mfa"),
        resend_action: ctx.link("mfa/resend"),
        csrf_token: token.value.clone(),
        remember_days: ctx.entry.pool.settings.remember_device_days,
        error: None,
        emailed_to: emailed_to(&state, &user).await,
    };
    with_csrf(pages::render(StatusCode::OK, &page), token)
}

pub async fn submit_code(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let _ = ctx.pending(&state).await;
    let f = or_respond!(ctx.form(&state, &req, &body));
    let Some((c, user)) = signin::current_step(&state, &ctx, &req, "verify").await else {
        return back_to_login(&ctx);
    };
    let code = f.get("code").unwrap_or_default().to_string();
    let (sealer, now, user_id) = (state.sealer.clone(), state.now(), user.id.clone());
    let result = state
        .store
        .write(
            move |db| -> crate::Result<Result<Proof, (CodeRejected, bool)>> {
                match mfa::verify(db, &sealer, &user_id, &code, now)? {
                    Ok(proof) => {
                        mfa::finish_challenge(db, &c)?;
                        Ok(Ok(proof))
                    }
                    Err(r) => Ok(Err((r, mfa::fail_challenge(db, &c)?))),
                }
            },
        )
        .await;
    let proof = match result {
        Ok(Ok(p)) => p,
        Ok(Err((_, true))) => {
            tracing::info!(pool = %ctx.pool_id(), user = %user.id, "MFA challenge locked after too many wrong codes");
            let mut resp = pages::error_page(
                StatusCode::UNAUTHORIZED,
                ctx.chrome(),
                ctx.tr.mfa_title,
                ctx.tr.err_mfa_locked,
            );
            clear_challenge(&mut resp, &state, &ctx);
            return resp;
        }
        Ok(Err((r, false))) => {
            tracing::info!(pool = %ctx.pool_id(), user = %user.id, "MFA code refused");
            let page = CodePage {
                c: ctx.chrome(),
                action: ctx.link("mfa"),
                resend_action: ctx.link("mfa/resend"),
                csrf_token: f.get("csrf_token").unwrap_or_default().to_string(),
                remember_days: ctx.entry.pool.settings.remember_device_days,
                error: Some(rejected(&ctx, r)),
                emailed_to: emailed_to(&state, &user).await,
            };
            return pages::render(StatusCode::UNAUTHORIZED, &page);
        }
        Err(e) => return ctx.internal(e),
    };
    let https = state.config.is_https();
    let mut extra = vec![signin::step_cookie_removal(&state, &ctx)];
    let days = ctx.entry.pool.settings.remember_device_days;
    if days > 0 && f.get("remember") == Some("1") {
        let (pool_id, user_id, now) = (ctx.pool_id().to_string(), user.id.clone(), state.now());
        match state
            .store
            .write(move |db| mfa::remember_device(db, &pool_id, &user_id, days, now))
            .await
        {
            Ok(t) => extra.push(cookies::build(
                cookies::device_name(ctx.pool_id(), https),
                t,
                https,
                Some(days * 86_400),
            )),
            Err(e) => return ctx.internal(e),
        }
    }
    match proof {
        Proof::Totp | Proof::EmailCode => {
            signin::complete(
                &state,
                &ctx,
                &req,
                &user.id,
                state.now(),
                proof.amr(),
                extra,
            )
            .await
        }
        Proof::RecoveryCode { left } => {
            // Say how many codes are left before going on.
            let (cookie, _) = match signin::start_session(
                &state,
                &ctx,
                &req,
                &user.id,
                state.now(),
                proof.amr(),
                false,
            )
            .await
            {
                Ok(x) => x,
                Err(r) => return r,
            };
            let page = CodesPage {
                c: ctx.chrome(),
                codes: vec![],
                codes_left: Some(left),
                continue_url: ctx.link("login/resume"),
            };
            let mut resp = pages::render(StatusCode::OK, &page);
            let _ = resp.add_cookie(&cookie);
            for c in extra {
                let _ = resp.add_cookie(&c);
            }
            resp
        }
    }
}

pub async fn show_setup(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let _ = ctx.pending(&state).await;
    let Some((_, user)) = signin::current_step(&state, &ctx, &req, "enrol").await else {
        return back_to_login(&ctx);
    };
    let (sealer, pool, now) = (state.sealer.clone(), ctx.entry.pool.clone(), state.now());
    let setup = match state
        .store
        .write(move |db| mfa::begin_setup(db, &sealer, &pool, &user, now))
        .await
    {
        Ok(s) => s,
        Err(e) => return ctx.internal(e),
    };
    let token = csrf::issue(&req, state.config.is_https());
    let page = setup_page(
        &ctx,
        token.value.clone(),
        ctx.link("mfa/setup"),
        true,
        setup,
    );
    with_csrf(pages::render(StatusCode::OK, &page), token)
}

pub async fn submit_setup(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let _ = ctx.pending(&state).await;
    let f = or_respond!(ctx.form(&state, &req, &body));
    let Some((c, user)) = signin::current_step(&state, &ctx, &req, "enrol").await else {
        return back_to_login(&ctx);
    };
    let code = f.get("code").unwrap_or_default().to_string();
    let (sealer, pool, now, u) = (
        state.sealer.clone(),
        ctx.entry.pool.clone(),
        state.now(),
        user.clone(),
    );
    let result = state
        .store
        .write(move |db| -> crate::Result<SetupOutcome> {
            match mfa::confirm_setup(db, &sealer, &u.id, &code, now)? {
                Ok(codes) => {
                    mfa::finish_challenge(db, &c)?;
                    Ok(Ok(codes))
                }
                Err(_) => {
                    let locked = mfa::fail_challenge(db, &c)?;
                    Ok(Err((locked, mfa::pending_setup(db, &sealer, &pool, &u)?)))
                }
            }
        })
        .await;
    match result {
        Ok(Ok(codes)) => {
            tracing::info!(pool = %ctx.pool_id(), user = %user.id, "TOTP enabled at sign-in");
            let (cookie, _) = match signin::start_session(
                &state,
                &ctx,
                &req,
                &user.id,
                state.now(),
                Proof::Totp.amr(),
                false,
            )
            .await
            {
                Ok(x) => x,
                Err(r) => return r,
            };
            let page = CodesPage {
                c: ctx.chrome(),
                codes,
                codes_left: None,
                continue_url: ctx.link("login/resume"),
            };
            let mut resp = pages::render(StatusCode::OK, &page);
            let _ = resp.add_cookie(&cookie);
            clear_challenge(&mut resp, &state, &ctx);
            resp
        }
        Ok(Err((false, Some(setup)))) => {
            let mut page = setup_page(
                &ctx,
                f.get("csrf_token").unwrap_or_default().to_string(),
                ctx.link("mfa/setup"),
                true,
                setup,
            );
            page.error = Some(ctx.tr.err_mfa_wrong);
            pages::render(StatusCode::UNAUTHORIZED, &page)
        }
        Ok(Err(_)) => {
            let mut resp = pages::error_page(
                StatusCode::UNAUTHORIZED,
                ctx.chrome(),
                ctx.tr.mfa_title,
                ctx.tr.err_mfa_locked,
            );
            clear_challenge(&mut resp, &state, &ctx);
            resp
        }
        Err(e) => ctx.internal(e),
    }
}

// ---- The account page's two-step verification section. ----

async fn signed_in(
    state: &AppState,
    path: &str,
    req: &HttpRequest,
) -> Result<(Ctx, User), HttpResponse> {
    let mut ctx = Ctx::load(state, path, req).await?;
    let Some((_, user)) = ctx.session(state, req).await else {
        return Err(see_other(&format!("/{}/login", ctx.pool_id())));
    };
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    ctx.tr = crate::i18n::choose(
        None,
        user.attributes.get("locale").map(String::as_str),
        accept,
    );
    if ctx.entry.pool.settings.mfa == MfaMode::Off {
        return Err(see_other(&format!("/{}/account", ctx.pool_id())));
    }
    Ok((ctx, user))
}

fn manage_page(
    ctx: &Ctx,
    csrf_token: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> ManagePage {
    ManagePage {
        c: ctx.chrome(),
        base: format!("/{}", ctx.pool_id()),
        csrf_token,
        remember_days: ctx.entry.pool.settings.remember_device_days,
        may_disable: ctx.entry.pool.settings.mfa == MfaMode::Optional,
        notice,
        error,
    }
}

/// `GET /{pool}/account/mfa`: manage the factor, or set one up.
pub async fn account_show(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
) -> HttpResponse {
    let (ctx, user) = or_respond!(signed_in(&state, &path, &req).await);
    let token = csrf::issue(&req, state.config.is_https());
    let (sealer, pool, now, u) = (
        state.sealer.clone(),
        ctx.entry.pool.clone(),
        state.now(),
        user.clone(),
    );
    let setup = state
        .store
        .write(move |db| -> crate::Result<Option<Setup>> {
            if mfa::is_enabled(db, &u.id)? {
                Ok(None)
            } else {
                Ok(Some(mfa::begin_setup(db, &sealer, &pool, &u, now)?))
            }
        })
        .await;
    let resp = match setup {
        Ok(Some(s)) => pages::render(
            StatusCode::OK,
            &setup_page(
                &ctx,
                token.value.clone(),
                format!("/{}/account/mfa", ctx.pool_id()),
                false,
                s,
            ),
        ),
        Ok(None) => {
            let notice = match ctx.query.get("notice") {
                Some("forgotten") => Some(ctx.tr.devices_forgotten),
                _ => None,
            };
            pages::render(
                StatusCode::OK,
                &manage_page(&ctx, token.value.clone(), notice, None),
            )
        }
        Err(e) => return ctx.internal(e),
    };
    with_csrf(resp, token)
}

/// `POST /{pool}/account/mfa`: confirm a set-up with the first code.
pub async fn account_confirm(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let code = f.get("code").unwrap_or_default().to_string();
    let (sealer, pool, now, u) = (
        state.sealer.clone(),
        ctx.entry.pool.clone(),
        state.now(),
        user.clone(),
    );
    let result = state
        .store
        .write(
            move |db| -> crate::Result<Result<Vec<String>, Option<Setup>>> {
                match mfa::confirm_setup(db, &sealer, &u.id, &code, now)? {
                    Ok(codes) => Ok(Ok(codes)),
                    Err(_) => Ok(Err(mfa::pending_setup(db, &sealer, &pool, &u)?)),
                }
            },
        )
        .await;
    match result {
        Ok(Ok(codes)) => {
            tracing::info!(pool = %ctx.pool_id(), user = %user.id, "TOTP enabled from the account page");
            super::audit::user_did(&state, &ctx, &req, crate::audit::MFA_CHANGE, &user.id);
            let page = CodesPage {
                c: ctx.chrome(),
                codes,
                codes_left: None,
                continue_url: format!("/{}/account/mfa", ctx.pool_id()),
            };
            pages::render(StatusCode::OK, &page)
        }
        Ok(Err(Some(setup))) => {
            let mut page = setup_page(
                &ctx,
                f.get("csrf_token").unwrap_or_default().to_string(),
                format!("/{}/account/mfa", ctx.pool_id()),
                false,
                setup,
            );
            page.error = Some(ctx.tr.err_mfa_wrong);
            pages::render(StatusCode::BAD_REQUEST, &page)
        }
        Ok(Err(None)) => see_other(&format!("/{}/account/mfa", ctx.pool_id())),
        Err(e) => ctx.internal(e),
    }
}

pub async fn account_regenerate(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, user) = or_respond!(signed_in(&state, &path, &req).await);
    if let Err(r) = ctx.form(&state, &req, &body) {
        return r;
    }
    let user_id = user.id.clone();
    let result = state
        .store
        .write(move |db| -> crate::Result<Option<Vec<String>>> {
            if !mfa::is_enabled(db, &user_id)? {
                return Ok(None);
            }
            Ok(Some(mfa::regenerate_recovery_codes(db, &user_id)?))
        })
        .await;
    match result {
        Ok(Some(codes)) => {
            let page = CodesPage {
                c: ctx.chrome(),
                codes,
                codes_left: None,
                continue_url: format!("/{}/account/mfa", ctx.pool_id()),
            };
            pages::render(StatusCode::OK, &page)
        }
        Ok(None) => see_other(&format!("/{}/account/mfa", ctx.pool_id())),
        Err(e) => ctx.internal(e),
    }
}

pub async fn account_disable(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    if ctx.entry.pool.settings.mfa != MfaMode::Optional {
        return see_other(&format!("/{}/account/mfa", ctx.pool_id()));
    }
    let code = f.get("code").unwrap_or_default().to_string();
    let (sealer, now, user_id) = (state.sealer.clone(), state.now(), user.id.clone());
    let result = state
        .store
        .write(move |db| -> crate::Result<Result<(), CodeRejected>> {
            match mfa::verify(db, &sealer, &user_id, &code, now)? {
                Ok(_) => {
                    mfa::reset(db, &user_id)?;
                    Ok(Ok(()))
                }
                Err(r) => Ok(Err(r)),
            }
        })
        .await;
    match result {
        Ok(Ok(())) => {
            tracing::info!(pool = %ctx.pool_id(), user = %user.id, "TOTP turned off by the user");
            super::audit::user_did(&state, &ctx, &req, crate::audit::MFA_CHANGE, &user.id);
            see_other(&format!("/{}/account?notice=mfa-off", ctx.pool_id()))
        }
        Ok(Err(r)) => {
            let page = manage_page(
                &ctx,
                f.get("csrf_token").unwrap_or_default().to_string(),
                None,
                Some(rejected(&ctx, r)),
            );
            pages::render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => ctx.internal(e),
    }
}

pub async fn account_forget_devices(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, user) = or_respond!(signed_in(&state, &path, &req).await);
    if let Err(r) = ctx.form(&state, &req, &body) {
        return r;
    }
    let user_id = user.id.clone();
    match state
        .store
        .write(move |db| mfa::forget_devices(db, &user_id))
        .await
    {
        Ok(_) => see_other(&format!("/{}/account/mfa?notice=forgotten", ctx.pool_id())),
        Err(e) => ctx.internal(e),
    }
}
