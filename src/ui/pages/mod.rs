//! One file per page: its askama view, `show` and `submit`. Shared here: resolving the pool
//! and the language, the CSRF-checked form, the session, and the common error pages.

// Handlers return a ready `HttpResponse` as their error: it is the page to show.
#![allow(clippy::result_large_err)]

/// Unwraps a step of a page handler, or answers with the page its error carries.
macro_rules! or_respond {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return response,
        }
    };
}

pub mod account;
mod audit;
pub mod confirm;
pub mod consent;
pub mod federation;
pub mod link_account;
pub mod login;
pub mod mfa;
pub mod new_password;
pub mod not_me;
pub mod recovery;
pub mod saml;
pub mod signin;
pub mod signup;

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::authn::sessions;
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::i18n::Tr;
use crate::oidc::authorize::{self, AuthorizeRequest};
use crate::oidc::params::Params;
use crate::pools::Client;
use crate::pools::directory::PoolEntry;
use crate::state::AppState;
use crate::store::sessions::BrowserSession;
use crate::ui::csrf;

pub type Path = web::Path<String>;

/// Everything a page handler starts from: the pool, the language, the query.
pub struct Ctx {
    pub entry: Arc<PoolEntry>,
    pub tr: &'static Tr,
    pub query: Params,
}

impl Ctx {
    /// Resolves the pool and the language, or answers with the "unknown pool" page.
    pub async fn load(
        state: &AppState,
        pool_id: &str,
        req: &HttpRequest,
    ) -> Result<Ctx, HttpResponse> {
        let query = Params::parse(req.query_string().as_bytes()).unwrap_or_default();
        let tr = pages::request_tr(req, query.get("ui_locales"));
        match state.pool(pool_id).await {
            Ok(Some(entry)) => Ok(Ctx { entry, tr, query }),
            _ => Err(pages::unknown_pool(tr)),
        }
    }

    pub fn chrome(&self) -> Chrome {
        Chrome::new(&self.entry.pool, self.tr)
    }

    pub fn pool_id(&self) -> &str {
        &self.entry.pool.id
    }

    /// The pending authorization request this page belongs to, if any (`?request=`).
    pub fn pending_id(&self) -> Option<String> {
        self.query
            .get("request")
            .filter(|r| r.len() <= 64)
            .map(str::to_string)
    }

    /// A hosted page URL that keeps the pending request (and nothing else from the query).
    pub fn link(&self, page: &str) -> String {
        match self.pending_id() {
            Some(p) => format!("/{}/{page}?request={p}", self.pool_id()),
            None => format!("/{}/{page}", self.pool_id()),
        }
    }

    /// Like `link`, plus one more parameter.
    pub fn link_with(&self, page: &str, key: &str, value: &str) -> String {
        let base = self.link(page);
        let sep = if base.contains('?') { '&' } else { '?' };
        let v: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        format!("{base}{sep}{key}={v}")
    }

    /// Loads the pending request and its client; when it has `ui_locales`, they set the language.
    pub async fn pending(
        &mut self,
        state: &AppState,
    ) -> Result<Option<(AuthorizeRequest, Client)>, HttpResponse> {
        let Some(id) = self.pending_id() else {
            return Ok(None);
        };
        let (pool_id, now) = (self.pool_id().to_string(), state.now());
        match state
            .store
            .read(move |db| authorize::load_pending(db, &pool_id, &id, now))
            .await
        {
            Ok(Some((req, client))) => {
                if let Some(tr) = req
                    .ui_locales
                    .as_deref()
                    .and_then(|l| l.split(' ').find_map(crate::i18n::for_tag))
                {
                    self.tr = tr;
                }
                Ok(Some((req, client)))
            }
            Ok(None) => Err(self.expired()),
            Err(e) => Err(self.internal(e)),
        }
    }

    pub fn expired(&self) -> HttpResponse {
        pages::error_page(
            StatusCode::BAD_REQUEST,
            self.chrome(),
            self.tr.expired_title,
            self.tr.expired_msg,
        )
    }

    pub fn forbidden(&self) -> HttpResponse {
        pages::error_page(
            StatusCode::FORBIDDEN,
            self.chrome(),
            self.tr.refused_title,
            self.tr.refused_msg,
        )
    }

    pub fn internal(&self, e: impl std::fmt::Display) -> HttpResponse {
        pages::internal_error(self.chrome(), e)
    }

    /// Parses the form body and checks its CSRF token; on failure, the 403 page.
    pub fn form(
        &self,
        state: &AppState,
        req: &HttpRequest,
        body: &[u8],
    ) -> Result<Params, HttpResponse> {
        // Field lengths are checked by each page, with a message; only the body limit applies here.
        let Ok(f) = Params::parse_limited(body, 64 * 1024) else {
            return Err(self.forbidden());
        };
        if !csrf::check(
            req,
            state.config.is_https(),
            &state.public_url,
            f.get("csrf_token"),
        ) {
            return Err(self.forbidden());
        }
        Ok(f)
    }

    /// The signed-in session of this browser in this pool, if any.
    pub async fn session(
        &self,
        state: &AppState,
        req: &HttpRequest,
    ) -> Option<(BrowserSession, crate::accounts::User)> {
        current_session(state, &self.entry, req).await
    }
}

pub async fn current_session(
    state: &AppState,
    entry: &PoolEntry,
    req: &HttpRequest,
) -> Option<(BrowserSession, crate::accounts::User)> {
    let cookie = cookies::read(
        req,
        &cookies::session_name(&entry.pool.id, state.config.is_https()),
    )?;
    let (config, pool_id, now) = (state.config.clone(), entry.pool.id.clone(), state.now());
    state
        .store
        .write(move |db| sessions::resolve(db, &config, &pool_id, &cookie, now))
        .await
        .ok()
        .flatten()
}

/// Renders a page that carries a CSRF token, setting the token cookie when it is new.
pub fn with_csrf(mut resp: HttpResponse, token: csrf::CsrfToken) -> HttpResponse {
    if let Some(c) = token.cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Fires PostConfirmation once a confirmation (or reset) is committed: `Ok(None)` when it
/// succeeded, `Ok(Some(message))` for the form when the trigger failed (what was committed
/// stays, as at Cognito), `Err` with the internal-error page otherwise.
pub async fn post_confirmation(
    state: &AppState,
    ctx: &Ctx,
    source: crate::triggers::post_confirmation::Source,
    user: crate::accounts::User,
) -> Result<Option<String>, HttpResponse> {
    let fired = crate::triggers::post_confirmation::after_commit(
        state.triggers.clone(),
        ctx.entry.pool.clone(),
        source,
        user,
        None,
        None,
    )
    .await;
    match fired {
        Ok(()) => Ok(None),
        Err(crate::Error::Trigger(e)) => Ok(Some(e.to_string())),
        Err(e) => Err(ctx.internal(e)),
    }
}

/// CustomMessage for a page that mails a code to `login`, before the transaction that issues
/// it: `Ok(Ok(template))` (none without a trigger or for a login that gets no mail),
/// `Ok(Err(message))` for the form when the handler failed (nothing was issued), `Err` with
/// the internal-error page otherwise.
pub async fn custom_message(
    state: &AppState,
    ctx: &Ctx,
    source: crate::triggers::custom_message::Source,
    login: &str,
) -> Result<Result<Option<crate::triggers::custom_message::Template>, String>, HttpResponse> {
    let (triggers, store, pool, login) = (
        state.triggers.clone(),
        state.store.clone(),
        ctx.entry.pool.clone(),
        login.to_string(),
    );
    let fired = crate::store::blocking(move || {
        crate::triggers::custom_message::for_login(&triggers, &store, &pool, source, &login)
    })
    .await;
    match fired {
        Ok(template) => Ok(Ok(template)),
        Err(crate::Error::Trigger(e)) => Ok(Err(e.to_string())),
        Err(e) => Err(ctx.internal(e)),
    }
}

/// Per-field messages of a form that did not validate.
#[derive(Default)]
pub struct FieldErrors(Vec<(String, std::borrow::Cow<'static, str>)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<std::borrow::Cow<'static, str>>) {
        if self.get(field).is_none() {
            self.0.push((field.to_string(), message.into()));
        }
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_ref())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The catalogue's sentence for a password-policy refusal.
pub fn policy_message(tr: &'static Tr, e: crate::authn::password::PolicyError) -> &'static str {
    use crate::authn::password::PolicyError::*;
    match e {
        TooShort(_) => tr.err_pw_short,
        TooLong => tr.err_pw_long,
        TooCommon => tr.err_pw_common,
        NeedsUppercase => tr.err_pw_upper,
        NeedsLowercase => tr.err_pw_lower,
        NeedsNumber => tr.err_pw_digit,
        NeedsSymbol => tr.err_pw_symbol,
    }
}

/// The pool's password rules in a sentence or three, for the hint under a password field.
pub fn policy_hint(tr: &'static Tr, policy: &crate::pools::PasswordPolicy) -> String {
    let mut hint = tr
        .policy_min
        .replace("{n}", &policy.minimum_length.to_string());
    let needs: Vec<&str> = [
        (policy.require_uppercase, tr.policy_upper),
        (policy.require_lowercase, tr.policy_lower),
        (policy.require_numbers, tr.policy_digit),
        (policy.require_symbols, tr.policy_symbol),
    ]
    .into_iter()
    .filter_map(|(on, words)| on.then_some(words))
    .collect();
    if !needs.is_empty() {
        hint = format!("{hint} {} {}.", tr.policy_needs, needs.join(", "));
    }
    if policy.refuse_common_passwords {
        hint = format!("{hint} {}", tr.policy_common);
    }
    hint
}

pub fn code_message(tr: &'static Tr, e: crate::accounts::codes::CodeError) -> &'static str {
    use crate::accounts::codes::CodeError::*;
    match e {
        Mismatch => tr.err_code_mismatch,
        Expired => tr.err_code_expired,
        TooManyAttempts => tr.err_code_attempts,
        Malformed => tr.err_code_format,
    }
}

/// `/{pool_id}/branding.css`
pub async fn branding_css(state: web::Data<AppState>, path: Path) -> HttpResponse {
    match state.pool(&path).await {
        Ok(Some(entry)) => pages::branding_css(&entry.pool),
        _ => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("not found"),
    }
}

/// Wakes the mail delivery task after a transaction that queued mail has committed.
pub fn mail_queued(state: &AppState) {
    state.wake_mailer();
}
