//! The authorization endpoint (code flow only) and the completion of a request once the
//! browser has a session: used by this endpoint and resumed by the hosted pages.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::params::{Params, split_scope};
use super::pkce;
use crate::authn::sessions;
use crate::config::Config;
use crate::http::cookies;
use crate::http::pages::{self, Chrome};
use crate::i18n::Tr;
use crate::pools::directory::PoolEntry;
use crate::pools::{Client, OAuthFlow};
use crate::random::{sha256_hex, token};
use crate::state::AppState;
use crate::store::{self, Db, codes::AuthCode, sessions::BrowserSession};

/// How long a sign-in may take between the authorize request and the login POST.
pub const PENDING_TTL_SECS: i64 = 30 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A validated authorization request: client and redirect URI verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub prompt_consent: bool,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// Requested authentication context (`mfa` asks for a second factor).
    #[serde(default)]
    pub acr_values: Option<String>,
}

impl AuthorizeRequest {
    pub fn wants_mfa(&self) -> bool {
        crate::authn::mfa::acr_wants_mfa(self.acr_values.as_deref())
    }
}

/// Where an error or a code goes, once the client and its redirect URI are known.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub issuer: String,
    pub params: Vec<(&'static str, String)>,
}

impl Redirect {
    pub fn error(
        req: &AuthorizeRequest,
        issuer: &str,
        code: &'static str,
        description: &str,
    ) -> Redirect {
        let mut params = vec![
            ("error", code.to_string()),
            ("error_description", description.to_string()),
        ];
        if let Some(s) = &req.state {
            params.push(("state", s.clone()));
        }
        Redirect {
            redirect_uri: req.redirect_uri.clone(),
            mode: req.response_mode,
            issuer: issuer.to_string(),
            params,
        }
    }

    /// The HTTP answer: a redirect (303 after a POST, RFC 9700 §4.11) or an auto-submitted form.
    pub fn respond(self, after_post: bool) -> HttpResponse {
        let mut all = self.params;
        all.push(("iss", self.issuer));
        match self.mode {
            ResponseMode::Query => {
                let mut url =
                    url::Url::parse(&self.redirect_uri).expect("registered redirect URIs parse");
                url.query_pairs_mut()
                    .extend_pairs(all.iter().map(|(k, v)| (*k, v.as_str())));
                let status = if after_post {
                    StatusCode::SEE_OTHER
                } else {
                    StatusCode::FOUND
                };
                HttpResponse::build(status)
                    .insert_header((header::LOCATION, url.to_string()))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish()
            }
            ResponseMode::FormPost => pages::render(
                StatusCode::OK,
                &FormPostPage {
                    action: self.redirect_uri,
                    fields: all.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                },
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "ui/form_post.html")]
struct FormPostPage {
    action: String,
    fields: Vec<(String, String)>,
}

/// Why a request cannot proceed.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Client or redirect URI not verified: never redirect, show a page.
    Page(PageError),
    /// Verified: send the error to the client.
    Redirect(Redirect),
    Internal(crate::Error),
}

impl From<crate::Error> for AuthorizeError {
    fn from(e: crate::Error) -> AuthorizeError {
        AuthorizeError::Internal(e)
    }
}
impl From<crate::store::StoreError> for AuthorizeError {
    fn from(e: crate::store::StoreError) -> AuthorizeError {
        AuthorizeError::Internal(e.into())
    }
}

/// Problems shown to the user on a page, because the client cannot be trusted with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    NoClientId,
    UnknownClient,
    BadRedirectUri,
    NoRedirectUri,
    Malformed,
}

impl PageError {
    pub fn texts(self, tr: &'static Tr) -> (&'static str, &'static str) {
        match self {
            PageError::NoClientId => (tr.invalid_request_title, tr.no_client_id_msg),
            PageError::UnknownClient => (tr.unknown_client_title, tr.unknown_client_msg),
            PageError::BadRedirectUri => (tr.bad_redirect_title, tr.bad_redirect_msg),
            PageError::NoRedirectUri => (tr.invalid_request_title, tr.no_redirect_msg),
            PageError::Malformed => (tr.invalid_request_title, tr.malformed_msg),
        }
    }

    pub fn respond(self, c: Chrome) -> HttpResponse {
        let (title, message) = self.texts(c.tr);
        pages::error_page(StatusCode::BAD_REQUEST, c, title, message)
    }
}

impl AuthorizeError {
    pub fn respond(self, c: Chrome, after_post: bool) -> HttpResponse {
        match self {
            AuthorizeError::Page(e) => e.respond(c),
            AuthorizeError::Redirect(r) => r.respond(after_post),
            AuthorizeError::Internal(e) => pages::internal_error(c, e),
        }
    }
}

/// Checks client and redirect URI first (errors as a page), then everything else (errors to the client).
pub fn validate(
    db: &Db,
    entry: &PoolEntry,
    issuer: &str,
    p: &Params,
) -> Result<(AuthorizeRequest, Client), AuthorizeError> {
    let page = AuthorizeError::Page;
    let client_id = p.get("client_id").ok_or(page(PageError::NoClientId))?;
    let client = store::clients::get(db, &entry.pool.id, client_id)?
        .ok_or(page(PageError::UnknownClient))?;
    let redirect_uri = match p.get("redirect_uri") {
        Some(uri) if client.redirect_uri_registered(uri) => uri.to_string(),
        Some(_) => return Err(page(PageError::BadRedirectUri)),
        None if client.settings.redirect_uris.len() == 1 => {
            client.settings.redirect_uris[0].clone()
        }
        None => return Err(page(PageError::NoRedirectUri)),
    };
    let response_mode = match p.get("response_mode") {
        None | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => ResponseMode::Query,
    };
    let mut req = AuthorizeRequest {
        client_id: client.id.clone(),
        redirect_uri,
        response_mode,
        scope: vec![],
        state: p.get("state").map(str::to_string),
        nonce: None,
        code_challenge: None,
        prompt_none: false,
        prompt_login: false,
        prompt_consent: false,
        max_age: None,
        login_hint: None,
        ui_locales: None,
        acr_values: None,
    };
    let fail = |req: &AuthorizeRequest, code: &'static str, d: &str| {
        AuthorizeError::Redirect(Redirect::error(req, issuer, code, d))
    };

    if let Some(m) = p.get("response_mode")
        && !matches!(m, "query" | "form_post")
    {
        return Err(fail(
            &req,
            "invalid_request",
            "response_mode must be query or form_post",
        ));
    }
    if p.contains("request") {
        return Err(fail(
            &req,
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if p.contains("request_uri") {
        return Err(fail(
            &req,
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    match p.get("response_type") {
        Some("code") => {}
        None => return Err(fail(&req, "invalid_request", "missing response_type")),
        Some(_) => {
            return Err(fail(
                &req,
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
    }
    if !client.allows(OAuthFlow::Code) {
        return Err(fail(
            &req,
            "unauthorized_client",
            "the client may not use the authorization code flow",
        ));
    }
    req.scope = match p.get("scope") {
        Some(s) => split_scope(s),
        None => client.settings.scopes.clone(),
    };
    if let Some(bad) = req
        .scope
        .iter()
        .find(|s| !client.settings.scopes.contains(s))
    {
        let msg = format!("scope {bad} is not allowed for this client");
        return Err(fail(&req, "invalid_scope", &msg));
    }
    match (p.get("code_challenge"), p.get("code_challenge_method")) {
        (Some(c), Some("S256")) if pkce::valid_challenge(c) => {
            req.code_challenge = Some(c.to_string())
        }
        (Some(_), Some("S256")) => {
            return Err(fail(
                &req,
                "invalid_request",
                "code_challenge must be 43 base64url characters",
            ));
        }
        (Some(_), _) => {
            return Err(fail(
                &req,
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, Some(_)) => {
            return Err(fail(
                &req,
                "invalid_request",
                "code_challenge_method without code_challenge",
            ));
        }
        (None, None) => {}
    }
    if req.code_challenge.is_none()
        && (client.is_public() || entry.pool.settings.pkce_required_for_confidential)
    {
        return Err(fail(
            &req,
            "invalid_request",
            "PKCE (code_challenge with S256) is required",
        ));
    }
    if let Some(prompt) = p.get("prompt") {
        for v in prompt.split(' ').filter(|v| !v.is_empty()) {
            match v {
                "none" => req.prompt_none = true,
                "login" => req.prompt_login = true,
                "consent" => req.prompt_consent = true,
                "select_account" => {}
                _ => return Err(fail(&req, "invalid_request", "unknown prompt value")),
            }
        }
        if req.prompt_none && (req.prompt_login || req.prompt_consent) {
            return Err(fail(
                &req,
                "invalid_request",
                "prompt=none cannot be combined with other values",
            ));
        }
    }
    if let Some(m) = p.get("max_age") {
        req.max_age = Some(m.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            fail(
                &req,
                "invalid_request",
                "max_age must be a non-negative integer",
            )
        })?);
    }
    for name in ["nonce", "login_hint", "ui_locales"] {
        if p.get(name).is_some_and(|v| v.len() > 512) {
            let msg = format!("{name} is too long");
            return Err(fail(&req, "invalid_request", &msg));
        }
    }
    req.nonce = p.get("nonce").map(str::to_string);
    req.login_hint = p.get("login_hint").map(str::to_string);
    req.ui_locales = p.get("ui_locales").map(str::to_string);
    req.acr_values = p.get("acr_values").map(|v| v.chars().take(512).collect());
    Ok((req, client))
}

/// What happens next for a validated request.
pub enum Next {
    /// Send the code (or an error) to the client.
    Respond(Redirect),
    /// Show the login page for this pending request.
    Login(String),
    /// Show the consent page for this pending request.
    Consent(String),
}

/// Decides, for a request and the browser's session (if any): code now, login, or consent.
/// `fresh_login` says the user signed in for this very request (prompt=login/max_age satisfied);
/// `consented` that the consent page was answered with "allow".
#[allow(clippy::too_many_arguments)]
pub fn proceed(
    db: &Db,
    config: &Config,
    entry: &PoolEntry,
    client: &Client,
    issuer: &str,
    req: &AuthorizeRequest,
    session: Option<&BrowserSession>,
    fresh_login: bool,
    consented: bool,
    now: i64,
) -> crate::Result<Next> {
    let needs_login = match session {
        None => true,
        Some(s) => {
            let amr = crate::authn::sessions::amr_of(s);
            let step_up = req.wants_mfa() && !amr.iter().any(|a| a == "otp");
            !fresh_login
                && (req.prompt_login
                    || step_up
                    || req.max_age.is_some_and(|m| m == 0 || now - s.auth_time > m))
        }
    };
    if needs_login {
        if req.prompt_none {
            return Ok(Next::Respond(Redirect::error(
                req,
                issuer,
                "login_required",
                "the user is not signed in",
            )));
        }
        return Ok(Next::Login(save_pending(db, &entry.pool.id, req, now)?));
    }
    let session = session.expect("a session exists when no login is needed");
    if req.prompt_consent && !client.settings.first_party && !consented {
        return Ok(Next::Consent(save_pending(db, &entry.pool.id, req, now)?));
    }
    let code = token(32);
    store::codes::insert(
        db,
        &AuthCode {
            code_hash: sha256_hex(&code),
            pool_id: entry.pool.id.clone(),
            client_id: client.id.clone(),
            user_id: session.user_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.join(" "),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            created_at: now,
            expires_at: now + config.code_ttl_secs,
            consumed_at: None,
            family_id: None,
        },
    )?;
    let mut params = vec![("code", code)];
    if let Some(s) = &req.state {
        params.push(("state", s.clone()));
    }
    Ok(Next::Respond(Redirect {
        redirect_uri: req.redirect_uri.clone(),
        mode: req.response_mode,
        issuer: issuer.to_string(),
        params,
    }))
}

fn save_pending(db: &Db, pool_id: &str, req: &AuthorizeRequest, now: i64) -> crate::Result<String> {
    let id = token(24);
    let json = serde_json::to_string(req).map_err(crate::store::StoreError::from)?;
    store::sessions::insert_pending(db, &id, pool_id, &json, now, now + PENDING_TTL_SECS)?;
    Ok(id)
}

/// The authorization request an IdP-initiated SAML sign-in stands for (its RelayState carries
/// the parameters `/oauth2/authorize` would get, as at Cognito): checked like one and saved as
/// pending; with the provider it names (`identity_provider` or `idp_identifier`), if any.
pub fn unsolicited(
    db: &Db,
    entry: &PoolEntry,
    issuer: &str,
    p: &Params,
    now: i64,
) -> Result<(String, AuthorizeRequest, Option<String>), AuthorizeError> {
    let (request, client) = validate(db, entry, issuer, p)?;
    let provider = match upstream_provider(db, &entry.pool.id, p)? {
        Some(Upstream::Provider(name)) if client.offers_provider(&name) => Some(name),
        _ => None,
    };
    let pending = save_pending(db, &entry.pool.id, &request, now)?;
    Ok((pending, request, provider))
}

/// When a pending request was created (a sign-in after it satisfies its prompt and max_age).
pub fn pending_created_at(
    db: &Db,
    pool_id: &str,
    id: &str,
    now: i64,
) -> crate::Result<Option<i64>> {
    Ok(store::sessions::get_pending(db, pool_id, id, now)?.map(|(_, t)| t))
}

/// A pending request by id, with its client (None when unknown or expired).
pub fn load_pending(
    db: &Db,
    pool_id: &str,
    id: &str,
    now: i64,
) -> crate::Result<Option<(AuthorizeRequest, Client)>> {
    if id.len() > 64 {
        return Ok(None);
    }
    let Some((json, _)) = store::sessions::get_pending(db, pool_id, id, now)? else {
        return Ok(None);
    };
    let Ok(req) = serde_json::from_str::<AuthorizeRequest>(&json) else {
        return Ok(None);
    };
    let Some(client) = store::clients::get(db, pool_id, &req.client_id)? else {
        return Ok(None);
    };
    // The client's registration may have changed since: re-check the redirect URI.
    if !client.redirect_uri_registered(&req.redirect_uri) {
        return Ok(None);
    }
    Ok(Some((req, client)))
}

/// Where the hosted pages live for a pending request.
pub fn login_location(pool_id: &str, pending: &str) -> String {
    format!("/{pool_id}/login?request={pending}")
}
pub fn consent_location(pool_id: &str, pending: &str) -> String {
    format!("/{pool_id}/consent?request={pending}")
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// `GET|POST /{pool_id}/oauth2/authorize`
pub async fn authorize(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let query = Params::parse(req.query_string().as_bytes());
    let tr = pages::request_tr(&req, query.as_ref().ok().and_then(|q| q.get("ui_locales")));
    let Ok(Some(entry)) = state.pool(&path).await else {
        return pages::unknown_pool(tr);
    };
    let chrome = Chrome::new(&entry.pool, tr);
    let is_post = req.method() == actix_web::http::Method::POST;
    let params = query.and_then(|q| {
        if is_post {
            q.merge(Params::parse(&body)?)
        } else {
            Ok(q)
        }
    });
    let Ok(params) = params else {
        return PageError::Malformed.respond(chrome);
    };
    let https = state.config.is_https();
    let cookie = cookies::read(&req, &cookies::session_name(&entry.pool.id, https));
    let issuer = state.issuer(&entry.pool.id);
    let (config, now) = (state.config.clone(), state.now());
    let pool_id = entry.pool.id.clone();
    let outcome = state
        .store
        .write(
            move |db| -> Result<(Next, Option<String>), AuthorizeError> {
                let (request, client) = validate(db, &entry, &issuer, &params)?;
                // `identity_provider` / `idp_identifier`: straight upstream when a sign-in is needed.
                let upstream = match upstream_provider(db, &entry.pool.id, &params)? {
                    Some(Upstream::Provider(name)) if client.offers_provider(&name) => Some(name),
                    None => None,
                    // Not offered by this client, or an identifier no provider has.
                    Some(_) => {
                        let error = Redirect::error(
                            &request,
                            &issuer,
                            "invalid_request",
                            "identity provider is not enabled for this client",
                        );
                        return Ok((Next::Respond(error), None));
                    }
                };
                let session = match &cookie {
                    Some(c) => {
                        sessions::resolve(db, &config, &entry.pool.id, c, now)?.map(|(s, _)| s)
                    }
                    None => None,
                };
                let next = proceed(
                    db,
                    &config,
                    &entry,
                    &client,
                    &issuer,
                    &request,
                    session.as_ref(),
                    false,
                    false,
                    now,
                )?;
                Ok((next, upstream))
            },
        )
        .await;
    match outcome {
        Ok((Next::Login(pending), Some(provider))) => found(
            &crate::ui::pages::federation::start_location(&pool_id, &provider, &pending),
        ),
        Ok((next, _)) => match next {
            Next::Respond(r) => r.respond(is_post),
            Next::Login(pending) => found(&login_location(&pool_id, &pending)),
            Next::Consent(pending) => found(&consent_location(&pool_id, &pending)),
        },
        Err(e) => e.respond(chrome, is_post),
    }
}

/// What an authorization request asks of federation.
enum Upstream {
    /// `identity_provider` (but `COGNITO`, the hosted page), or the provider whose
    /// `IdpIdentifiers` hold `idp_identifier`.
    Provider(String),
    /// An `idp_identifier` no provider has.
    Unknown,
}

fn upstream_provider(db: &Db, pool_id: &str, p: &Params) -> crate::Result<Option<Upstream>> {
    if let Some(name) = p.get("identity_provider").filter(|n| *n != "COGNITO") {
        return Ok(Some(Upstream::Provider(name.to_string())));
    }
    let Some(identifier) = p.get("idp_identifier") else {
        return Ok(None);
    };
    Ok(Some(
        crate::federation::providers::by_identifier(db, pool_id, identifier)?
            .map_or(Upstream::Unknown, |p| Upstream::Provider(p.name)),
    ))
}

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{pool_id}/oauth2/authorize", web::get().to(authorize))
        .route("/{pool_id}/oauth2/authorize", web::post().to(authorize))
        .route("/{pool_id}/logout", web::get().to(super::logout::logout))
        .route("/{pool_id}/logout", web::post().to(super::logout::logout));
}
