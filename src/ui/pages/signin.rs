//! The end of every hosted sign-in (password, then the second factor if any): a new session
//! and the pending authorization request resumed.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{Ctx, Path, see_other};
use crate::accounts::User;
use crate::audit::{self, Door, Event};
use crate::authn::mfa::{self, AfterPassword};
use crate::authn::sessions;
use crate::http::cookies;
use crate::http::pages;
use crate::oidc::authorize::{self, Next};
use crate::state::AppState;
use crate::store::mfa::Challenge;
use crate::triggers::{Triggers, post_authentication};

/// Starts a new session (a new id on every sign-in: no fixation; the old one ends) and, when
/// the page belongs to a pending request, decides what follows for it.
pub async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    user_id: &str,
    auth_time: i64,
    amr: Vec<String>,
    resume: bool,
) -> Result<(Cookie<'static>, Option<Next>), HttpResponse> {
    post_authentication(state, ctx, user_id).await?;
    let https = state.config.is_https();
    let old = cookies::read(req, &cookies::session_name(ctx.pool_id(), https));
    let (config, issuer, entry, pending, now) = (
        state.config.clone(),
        state.issuer(ctx.pool_id()),
        ctx.entry.clone(),
        ctx.pending_id(),
        state.now(),
    );
    let user_id = user_id.to_string();
    let signed_in = Event::new(Door::Hosted, audit::SIGN_IN, "success")
        .pool(ctx.pool_id())
        .actor(audit::user_actor(&user_id))
        .target(user_id.as_str())
        .source(crate::http::client_ip(req));
    let result = state
        .store
        .write(move |db| -> crate::Result<(String, Option<Next>)> {
            if let Some(old) = &old {
                sessions::end(db, &entry.pool.id, old)?;
            }
            let cookie =
                sessions::create(db, &config, &entry.pool.id, &user_id, auth_time, &amr, now)?;
            let Some(id) = pending.filter(|_| resume) else {
                return Ok((cookie, None));
            };
            let Some((request, client)) = authorize::load_pending(db, &entry.pool.id, &id, now)?
            else {
                return Ok((cookie, None));
            };
            let session = crate::store::sessions::get(
                db,
                &entry.pool.id,
                &crate::random::sha256_hex(&cookie),
            )?
            .ok_or_else(|| crate::Error::not_found("new session"))?;
            let next = authorize::proceed(
                db,
                &config,
                &entry,
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
            Ok((cookie, Some(next)))
        })
        .await;
    if result.is_ok() {
        state.audit(signed_in);
    }
    match result {
        Ok((value, next)) => Ok((
            cookies::build(
                cookies::session_name(ctx.pool_id(), https),
                value,
                https,
                None,
            ),
            next,
        )),
        Err(e) => Err(ctx.internal(e)),
    }
}

/// PostAuthentication, before the session exists. Should it fail, the sign-in ends: the
/// relying party of the pending request gets `access_denied` with Cognito's message as
/// `error_description` (the request is used up); without one, the message is shown.
async fn post_authentication(
    state: &AppState,
    ctx: &Ctx,
    user_id: &str,
) -> Result<(), HttpResponse> {
    if Triggers::target(&ctx.entry.pool, post_authentication::TRIGGER).is_none() {
        return Ok(());
    }
    let (st, pool, pending) = (state.clone(), ctx.entry.pool.clone(), ctx.pending_id());
    let (user_id, now) = (user_id.to_string(), state.now());
    let fired = crate::store::blocking(move || -> crate::Result<_> {
        let (user, request) = st.store.read_sync(|db| -> crate::Result<_> {
            let user = crate::store::users::get(db, &pool.id, &user_id)?
                .ok_or_else(|| crate::Error::not_found("user"))?;
            let request = match &pending {
                Some(id) => authorize::load_pending(db, &pool.id, id, now)?,
                None => None,
            };
            Ok((user, request))
        })?;
        let client_id = request.as_ref().map(|(_, c)| c.id.as_str());
        let fired = post_authentication::fire(&st.triggers, &pool, &user, client_id, None);
        if fired.is_err()
            && let Some(id) = &pending
        {
            st.store
                .write_sync(|db| crate::store::sessions::delete_pending(db, id))?;
        }
        Ok(fired.map_err(|e| (e, request.map(|(r, _)| r))))
    })
    .await;
    match fired {
        Ok(Ok(())) => Ok(()),
        Ok(Err((e, Some(request)))) => Err(authorize::Redirect::error(
            &request,
            &state.issuer(ctx.pool_id()),
            "access_denied",
            &e.to_string(),
        )
        .respond(true)),
        Ok(Err((e, None))) => Err(pages::error_page(
            StatusCode::FORBIDDEN,
            ctx.chrome(),
            ctx.tr.refused_title,
            &e.to_string(),
        )),
        Err(e) => Err(ctx.internal(e)),
    }
}

/// The answer for what follows a sign-in: the client's redirect, the consent page, or the
/// account page when the sign-in was not for a client.
pub fn respond(ctx: &Ctx, next: Option<Next>) -> HttpResponse {
    match next {
        Some(Next::Respond(r)) => r.respond(true),
        Some(Next::Consent(p)) => see_other(&authorize::consent_location(ctx.pool_id(), &p)),
        Some(Next::Login(_)) => ctx.internal("login loop"),
        None => see_other(&format!("/{}/account", ctx.pool_id())),
    }
}

/// Signs in and goes on at once.
pub async fn complete(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    user_id: &str,
    auth_time: i64,
    amr: Vec<String>,
    extra: Vec<Cookie<'static>>,
) -> HttpResponse {
    match start_session(state, ctx, req, user_id, auth_time, amr, true).await {
        Ok((cookie, next)) => {
            let mut resp = respond(ctx, next);
            let _ = resp.add_cookie(&cookie);
            for c in extra {
                let _ = resp.add_cookie(&c);
            }
            resp
        }
        Err(r) => r,
    }
}

/// `GET /{pool_id}/login/resume?request=…`: continues a pending request for a browser that has
/// just signed in (after a page in between, such as the recovery codes).
pub async fn resume(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let Some(id) = ctx.pending_id() else {
        return see_other(&format!("/{}/account", ctx.pool_id()));
    };
    let Some((session, _)) = ctx.session(&state, &req).await else {
        return see_other(&authorize::login_location(ctx.pool_id(), &id));
    };
    let (config, issuer, entry, now) = (
        state.config.clone(),
        state.issuer(ctx.pool_id()),
        ctx.entry.clone(),
        state.now(),
    );
    let result = state
        .store
        .write(move |db| -> crate::Result<Option<Next>> {
            let Some(created) = authorize::pending_created_at(db, &entry.pool.id, &id, now)? else {
                return Ok(None);
            };
            let Some((request, client)) = authorize::load_pending(db, &entry.pool.id, &id, now)?
            else {
                return Ok(None);
            };
            // Signed in after the request was made: that sign-in satisfies prompt=login and max_age.
            let fresh = session.auth_time >= created;
            let next = authorize::proceed(
                db,
                &config,
                &entry,
                &client,
                &issuer,
                &request,
                Some(&session),
                fresh,
                false,
                now,
            )?;
            if matches!(next, Next::Respond(_)) {
                crate::store::sessions::delete_pending(db, &id)?;
            }
            Ok(Some(next))
        })
        .await;
    match result {
        Ok(Some(Next::Login(p))) => see_other(&authorize::login_location(ctx.pool_id(), &p)),
        Ok(Some(next)) => respond(&ctx, Some(next)),
        Ok(None) => ctx.expired(),
        Err(e) => ctx.internal(e),
    }
}

/// Sends the browser to the next sign-in step (`page`), holding the step's token in a cookie.
pub fn to_step(state: &AppState, ctx: &Ctx, page: &str, token: String) -> HttpResponse {
    let https = state.config.is_https();
    let mut resp = see_other(&ctx.link(page));
    let _ = resp.add_cookie(&cookies::build(
        cookies::mfa_name(ctx.pool_id(), https),
        token,
        https,
        Some(mfa::CHALLENGE_TTL_SECS),
    ));
    resp
}

/// Expires the step cookie.
pub fn step_cookie_removal(state: &AppState, ctx: &Ctx) -> Cookie<'static> {
    let https = state.config.is_https();
    cookies::removal(cookies::mfa_name(ctx.pool_id(), https), https)
}

/// The sign-in step this browser is at (from its cookie) for `purpose`, with its user.
pub async fn current_step(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    purpose: &str,
) -> Option<(Challenge, User)> {
    let token = cookies::read(
        req,
        &cookies::mfa_name(ctx.pool_id(), state.config.is_https()),
    )?;
    let (pool_id, now, purpose) = (ctx.pool_id().to_string(), state.now(), purpose.to_string());
    state
        .store
        .read(move |db| -> crate::Result<Option<(Challenge, User)>> {
            let Some(c) =
                mfa::load_challenge(db, &pool_id, &token, now)?.filter(|c| c.purpose == purpose)
            else {
                return Ok(None);
            };
            let user =
                crate::store::users::get(db, &pool_id, &c.user_id)?.filter(User::can_sign_in);
            Ok(user.map(|u| (c, u)))
        })
        .await
        .ok()
        .flatten()
}

/// After a password the core has checked (the sign-in page, the account-link page): the
/// second factor when one is needed (before any session exists), else the session.
pub async fn after_checked_password(
    state: &AppState,
    ctx: &mut Ctx,
    req: &HttpRequest,
    authenticated: &crate::authn::flow::Authenticated,
) -> HttpResponse {
    let wants_mfa = match ctx.pending(state).await {
        Ok(Some((request, _))) => request.wants_mfa(),
        _ => false,
    };
    let https = state.config.is_https();
    let device = cookies::read(req, &cookies::device_name(ctx.pool_id(), https));
    let (pool, user, now) = (
        ctx.entry.pool.clone(),
        authenticated.user.clone(),
        state.now(),
    );
    let auth_time = authenticated.auth_time;
    let demand = authenticated
        .risk
        .as_ref()
        .map(|r| r.demand())
        .unwrap_or_default();
    let decided = state
        .store
        .write(move |db| {
            mfa::after_password(
                db,
                &pool,
                &user,
                wants_mfa,
                demand,
                device.as_deref(),
                auth_time,
                now,
            )
        })
        .await;
    after_password(
        state,
        ctx,
        req,
        &authenticated.user.id,
        auth_time,
        decided,
        Vec::new(),
    )
    .await
}

/// What follows a correct password: a session now, or the second-factor page.
pub async fn after_password(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    user_id: &str,
    auth_time: i64,
    decided: crate::Result<AfterPassword>,
    extra: Vec<Cookie<'static>>,
) -> HttpResponse {
    match decided {
        Ok(AfterPassword::SignedIn(amr)) => {
            complete(state, ctx, req, user_id, auth_time, amr, extra).await
        }
        Ok(AfterPassword::Challenge { token, enrol }) => {
            to_step(state, ctx, if enrol { "mfa/setup" } else { "mfa" }, token)
        }
        Err(e) => ctx.internal(e),
    }
}
