//! The account page of the signed-in user: profile attributes, password change (current
//! password required), sessions (end one, or all).

use crate::audit;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Ctx, Path, mail_queued, policy_hint, policy_message, see_other, with_csrf};
use crate::accounts::notices::{self, Notice};
use crate::accounts::service::{MAX_ATTRIBUTE_LEN, NewPassword};
use crate::accounts::{User, history, recovery};
use crate::authn::password;
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::i18n::{LOCALES, Tr, is_known_locale};
use crate::state::AppState;
use crate::store::{self, sessions::BrowserSession};
use crate::ui::csrf;

/// One line of the "Recent sign-ins" list.
pub struct SignInRow {
    pub id: String,
    pub when: String,
    pub place: &'static str,
    pub network: String,
    pub outcome: &'static str,
    /// Adaptive sign-in's level and decision ("Medium (possible takeover)"); empty when the
    /// sign-in was not scored.
    pub risk: String,
    /// The feedback already given, if any (then no button).
    pub feedback: Option<&'static str>,
}

pub struct SessionRow {
    pub id: String,
    pub current: bool,
    pub started: String,
    pub last_seen: String,
}

#[derive(Template)]
#[template(path = "ui/account.html")]
struct AccountPage {
    c: Chrome,
    base: String,
    csrf_token: String,
    email: String,
    name: String,
    locale: String,
    locales: &'static [(&'static str, &'static str)],
    policy_hint: String,
    sessions: Vec<SessionRow>,
    sign_ins: Vec<SignInRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    mfa_available: bool,
    mfa_on: bool,
    /// The pool offers e-mail codes and the user's e-mail is verified: the toggle shows.
    email_mfa_available: bool,
    email_mfa_on: bool,
}

/// UTC date and time, for the sessions list.
fn when(ts: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// The account page's language: the user's locale first, then the browser's.
fn tr_for(req: &HttpRequest, user: &User) -> &'static Tr {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    crate::i18n::choose(
        None,
        user.attributes.get("locale").map(String::as_str),
        accept,
    )
}

/// Loads the context and the signed-in user, or redirects to the sign-in page.
async fn signed_in(
    state: &AppState,
    path: &str,
    req: &HttpRequest,
) -> Result<(Ctx, BrowserSession, User), HttpResponse> {
    let mut ctx = Ctx::load(state, path, req).await?;
    let Some((session, user)) = ctx.session(state, req).await else {
        return Err(see_other(&format!("/{}/login", ctx.pool_id())));
    };
    ctx.tr = tr_for(req, &user);
    Ok((ctx, session, user))
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    session: &BrowserSession,
    user: &User,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> HttpResponse {
    let (user_id, now, pool_id) = (user.id.clone(), state.now(), ctx.pool_id().to_string());
    let (sessions, mfa_on, email_mfa_on, history) = match state
        .store
        .read(move |db| -> crate::Result<_> {
            Ok((
                store::sessions::list_for_user(db, &user_id, now)?,
                crate::authn::mfa::is_enabled(db, &user_id)?,
                store::mfa::email_mfa_enabled(db, &user_id)?,
                history::sign_ins(db, &pool_id, &user_id, history::MAX_PAGE, None)?,
            ))
        })
        .await
    {
        Ok(s) => s,
        Err(e) => return ctx.internal(e),
    };
    let token = csrf::issue(req, state.config.is_https());
    let page = AccountPage {
        c: ctx.chrome(),
        base: format!("/{}", ctx.pool_id()),
        csrf_token: token.value.clone(),
        email: user.email.clone().unwrap_or_else(|| user.username.clone()),
        name: user.attributes.get("name").cloned().unwrap_or_default(),
        locale: user
            .attributes
            .get("locale")
            .cloned()
            .unwrap_or_else(|| "en".into()),
        locales: LOCALES,
        policy_hint: policy_hint(ctx.tr, &ctx.entry.pool.settings.password_policy),
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                current: s.id_hash == session.id_hash,
                started: when(s.created_at),
                last_seen: when(s.last_seen),
                id: s.id_hash,
            })
            .collect(),
        sign_ins: history
            .events
            .into_iter()
            .map(|e| sign_in_row(ctx.tr, e))
            .collect(),
        notice,
        error,
        mfa_available: ctx.entry.pool.settings.mfa != crate::pools::MfaMode::Off,
        email_mfa_available: email_mfa_offered(ctx, user),
        email_mfa_on,
        mfa_on,
    };
    with_csrf(pages::render(status, &page), token)
}

fn sign_in_row(tr: &'static Tr, e: history::SignIn) -> SignInRow {
    SignInRow {
        when: when(e.at),
        place: match e.door {
            history::Door::Hosted => tr.history_hosted,
            history::Door::App => tr.history_app,
        },
        network: e.source.unwrap_or_default(),
        outcome: if e.success {
            tr.history_pass
        } else {
            tr.history_fail
        },
        risk: e
            .risk
            .as_ref()
            .map_or_else(String::new, |r| risk_text(tr, r)),
        feedback: e.feedback.map(|(f, _)| match f {
            history::Feedback::Invalid => tr.history_reported,
            history::Feedback::Valid => tr.history_confirmed,
        }),
        id: e.id,
    }
}

/// A scored sign-in's level and decision, in the page's language.
fn risk_text(tr: &'static Tr, r: &history::Risk) -> String {
    let level = match r.level.as_deref() {
        Some("Low") => tr.risk_low,
        Some("Medium") => tr.risk_medium,
        Some("High") => tr.risk_high,
        _ => return tr.risk_none.to_string(),
    };
    let decision = if r.decision == "Block" {
        tr.risk_blocked
    } else {
        tr.risk_takeover
    };
    format!("{level} ({decision})")
}

/// The page again, with `error`.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    session: &BrowserSession,
    user: &User,
    status: StatusCode,
    error: &'static str,
) -> HttpResponse {
    render(state, ctx, req, session, user, status, None, Some(error)).await
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let (ctx, session, user) = or_respond!(signed_in(&state, &path, &req).await);
    let notice = match ctx.query.get("notice") {
        Some("saved") => Some(ctx.tr.saved),
        Some("password") => Some(ctx.tr.password_changed),
        Some("revoked") => Some(ctx.tr.session_revoked),
        Some("mfa-off") => Some(ctx.tr.mfa_disabled),
        Some("email-mfa") => Some(ctx.tr.saved),
        _ => None,
    };
    render(
        &state,
        &ctx,
        &req,
        &session,
        &user,
        StatusCode::OK,
        notice,
        None,
    )
    .await
}

pub async fn update_profile(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, session, mut user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let name = f.get("name").unwrap_or_default().trim().to_string();
    let locale = f.get("locale").unwrap_or_default().to_string();
    let required = &ctx.entry.pool.settings.required_attributes;
    let error = if name.len() > MAX_ATTRIBUTE_LEN || name.chars().any(char::is_control) {
        Some(ctx.tr.err_invalid_value)
    } else if name.is_empty() && required.iter().any(|a| a == "name") {
        Some(ctx.tr.err_required)
    } else if !is_known_locale(&locale) {
        Some(ctx.tr.err_locale)
    } else {
        None
    };
    if let Some(error) = error {
        return refused(
            &state,
            &ctx,
            &req,
            &session,
            &user,
            StatusCode::BAD_REQUEST,
            error,
        )
        .await;
    }
    if name.is_empty() {
        user.attributes.remove("name");
    } else {
        user.attributes.insert("name".into(), name);
    }
    user.attributes.insert("locale".into(), locale);
    user.updated_at = state.now();
    let u = user.clone();
    match state
        .store
        .write(move |db| store::users::update(db, &u))
        .await
    {
        Ok(()) => see_other(&format!("/{}/account?notice=saved", ctx.pool_id())),
        Err(e) => ctx.internal(e),
    }
}

pub async fn change_password(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, session, user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let current = f.get("current_password").unwrap_or_default().to_string();
    let new = f.get("password").unwrap_or_default().to_string();
    let fail = |e| {
        refused(
            &state,
            &ctx,
            &req,
            &session,
            &user,
            StatusCode::BAD_REQUEST,
            e,
        )
    };
    if new != f.get("password2").unwrap_or_default() {
        return fail(ctx.tr.err_pw_mismatch).await;
    }
    if let Err(e) = password::check_policy(&new, &ctx.entry.pool.settings.password_policy) {
        return fail(policy_message(ctx.tr, e)).await;
    }
    let stored = user.password_hash.clone().unwrap_or_default();
    let (hash_pool, username) = (ctx.entry.pool.clone(), user.username.clone());
    // The current password checked and the new one hashed on the blocking pool, before the
    // write transaction (`service::NewPassword`).
    let prepared = web::block(move || {
        (password::verify(&current, &stored) != password::Verified::No)
            .then(|| NewPassword::prepare(&hash_pool, &username, &new))
    })
    .await
    .ok()
    .flatten();
    let new = match prepared {
        None => return fail(ctx.tr.err_current_password).await,
        Some(Err(e)) => return ctx.internal(e),
        Some(Ok(new)) => new,
    };
    let (pool, now, keep, lang) = (
        ctx.entry.pool.clone(),
        state.now(),
        session.id_hash.clone(),
        ctx.tr.lang.to_string(),
    );
    let mut u = user.clone();
    let sealer = state.sealer.clone();
    let result = state
        .store
        .write(move |db| -> crate::Result<()> {
            crate::accounts::service::set_password(db, &sealer, &mut u, &new, true, now)?;
            // Other browsers and every refresh token lose access; this browser stays signed in.
            store::sessions::delete_others(db, &u.id, &keep)?;
            crate::tokens::revoke_user(db, &pool.id, &u.id, now)?;
            if let Some(to) = u.email.clone() {
                notices::deliver(db, &pool, &Notice::PasswordChanged { to, lang }, now)?;
            }
            Ok(())
        })
        .await;
    match result {
        Ok(()) => {
            mail_queued(&state);
            super::audit::user_did(&state, &ctx, &req, audit::PASSWORD_CHANGE, &user.id);
            see_other(&format!("/{}/account?notice=password", ctx.pool_id()))
        }
        Err(e) => ctx.internal(e),
    }
}

pub async fn revoke_session(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, _, user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let target = f.get("session").unwrap_or_default().to_string();
    let user_id = user.id.clone();
    match state
        .store
        .write(move |db| store::sessions::delete_for_user_by_hash(db, &user_id, &target))
        .await
    {
        Ok(_) => see_other(&format!("/{}/account?notice=revoked", ctx.pool_id())),
        Err(e) => ctx.internal(e),
    }
}

pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, _, user) = or_respond!(signed_in(&state, &path, &req).await);
    if let Err(r) = ctx.form(&state, &req, &body) {
        return r;
    }
    let (pool, now, user_id) = (ctx.entry.pool.clone(), state.now(), user.id.clone());
    match state
        .store
        .write(move |db| recovery::revoke_everything(db, &pool, &user_id, now))
        .await
    {
        Ok(()) => {
            super::audit::user_did(&state, &ctx, &req, audit::SIGN_OUT, &user.id);
            signed_out_to(&state, &ctx, &format!("/{}/logout", ctx.pool_id()))
        }
        Err(e) => ctx.internal(e),
    }
}

/// Whether this user may turn e-mailed sign-in codes on: the pool offers them (with MFA) and
/// the user's e-mail is verified (the codes go there).
fn email_mfa_offered(ctx: &Ctx, user: &User) -> bool {
    let s = &ctx.entry.pool.settings;
    s.email_mfa
        && s.mfa != crate::pools::MfaMode::Off
        && user.email.is_some()
        && user.email_verified
}

/// `POST /{pool_id}/account/mfa/email`: e-mailed sign-in codes on (`enable=1`) or off.
pub async fn set_email_mfa(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, _, user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let enable = f.get("enable") == Some("1");
    if enable && !email_mfa_offered(&ctx, &user) {
        return ctx.forbidden();
    }
    let (user_id, now) = (user.id.clone(), state.now());
    match state
        .store
        .write(move |db| store::mfa::set_email_mfa(db, &user_id, enable, now))
        .await
    {
        Ok(()) => {
            super::audit::user_did(&state, &ctx, &req, audit::MFA_CHANGE, &user.id);
            see_other(&format!("/{}/account?notice=email-mfa", ctx.pool_id()))
        }
        Err(e) => ctx.internal(e),
    }
}

/// A redirect to `to` that also drops this browser's session cookie (its session is gone).
fn signed_out_to(state: &AppState, ctx: &Ctx, to: &str) -> HttpResponse {
    let https = state.config.is_https();
    let mut resp = see_other(to);
    let _ = resp.add_cookie(&cookies::removal(
        cookies::session_name(ctx.pool_id(), https),
        https,
    ));
    resp
}

/// "This wasn't me" on one sign-in: the feedback `Invalid`, which signs the user out
/// everywhere (this browser too), then the sign-in page.
pub async fn not_me(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (ctx, session, user) = or_respond!(signed_in(&state, &path, &req).await);
    let f = or_respond!(ctx.form(&state, &req, &body));
    let event_id = f.get("event").unwrap_or_default().to_string();
    let (pool, now, user_id) = (ctx.entry.pool.clone(), state.now(), user.id.clone());
    let given = state
        .store
        .write(move |db| {
            history::give_feedback(
                db,
                &pool,
                &user_id,
                &event_id,
                history::Feedback::Invalid,
                now,
            )
        })
        .await;
    match given {
        Ok(()) => {
            super::audit::user_did(&state, &ctx, &req, audit::SIGN_OUT, &user.id);
            signed_out_to(
                &state,
                &ctx,
                &format!("/{}/login?notice=not-me", ctx.pool_id()),
            )
        }
        Err(crate::Error::NotFound(_)) => {
            let error = ctx.tr.err_invalid_value;
            refused(
                &state,
                &ctx,
                &req,
                &session,
                &user,
                StatusCode::NOT_FOUND,
                error,
            )
            .await
        }
        Err(e) => ctx.internal(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_render_in_utc() {
        assert_eq!(super::when(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::when(1_795_000_000), "2026-11-18 11:06 UTC");
    }

    #[test]
    fn risk_reads_as_level_and_decision() {
        let risk = |level: Option<&str>, decision: &str| crate::accounts::history::Risk {
            level: level.map(String::from),
            decision: decision.into(),
            action: "NO_ACTION".into(),
            signals: vec![],
            device_name: None,
            country: None,
            city: None,
            source: "192.0.2.1".into(),
        };
        let en = &crate::i18n::EN;
        assert_eq!(super::risk_text(en, &risk(None, "NoRisk")), "No risk");
        assert_eq!(
            super::risk_text(en, &risk(Some("Medium"), "AccountTakeover")),
            "Medium (possible takeover)"
        );
        assert_eq!(
            super::risk_text(&crate::i18n::DE, &risk(Some("High"), "Block")),
            "Hoch (blockiert)"
        );
    }
}
