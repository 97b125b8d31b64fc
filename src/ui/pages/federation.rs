//! The hosted door of federation: `GET /{pool_id}/oauth2/idp?provider=NAME&request=PENDING`
//! sends the browser upstream (from the sign-in page's button, its corporate e-mail box with
//! `email=` instead of `provider=`, or from `/oauth2/authorize` with `identity_provider` /
//! `idp_identifier`), and `/{pool_id}/oauth2/idpresponse` (GET, or
//! POST for Apple's `form_post`) brings it back: the core (`federation::sign_in`) verifies the
//! identity and finds or makes the user, and the pending authorization request completes like
//! a password sign-in. Once the pending request is known, every failure goes to the relying
//! party as `error` + `error_description` + `state`; before, it is a page.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Ctx, Path, signin};
use crate::federation::pending::{self, InFlight};
use crate::federation::sign_in::{self, Callback, Federated};
use crate::federation::upstream::FedError;
use crate::oidc::authorize::{AuthorizeRequest, Redirect};
use crate::oidc::params::Params;
use crate::state::AppState;

/// Where the browser goes to sign in with `provider` for a pending request.
pub fn start_location(pool_id: &str, provider: &str, pending: &str) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    url.append_pair("provider", provider)
        .append_pair("request", pending);
    format!("/{pool_id}/oauth2/idp?{}", url.finish())
}

fn redirect_uri(state: &AppState, pool_id: &str) -> String {
    sign_in::redirect_uri(&state.issuer(pool_id))
}

/// The relying party's redirect with an error, for a request it made.
pub(super) fn to_client(
    state: &AppState,
    ctx: &Ctx,
    request: &AuthorizeRequest,
    error: &'static str,
    description: &str,
    after_post: bool,
) -> HttpResponse {
    Redirect::error(request, &state.issuer(ctx.pool_id()), error, description).respond(after_post)
}

fn fed_error_code(e: &FedError) -> &'static str {
    match e {
        FedError::Unavailable(_) => "temporarily_unavailable",
        FedError::Config(_) | FedError::Internal(_) => "server_error",
        FedError::Refused(_) | FedError::Invalid(_) => "access_denied",
        FedError::Gone => "invalid_request",
    }
}

/// `GET /{pool_id}/oauth2/idp?provider=NAME&request=PENDING`
pub async fn start(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let (request, client) = match ctx.pending(&state).await {
        Ok(Some(p)) => p,
        Ok(None) => return ctx.expired(),
        Err(r) => return r,
    };
    let Some(pending_id) = ctx.pending_id() else {
        return ctx.expired();
    };
    let name = match ctx.query.get("email") {
        // The sign-in page's corporate e-mail box: the provider whose IdpIdentifiers hold the
        // address's domain; none is a note on the sign-in page, not an error to the client.
        Some(email) => match provider_for_email(&state, ctx.pool_id(), email).await {
            Some(name) if client.offers_provider(&name) => name,
            _ => {
                return super::see_other(&format!("{}&notice=unknown-domain", ctx.link("login")));
            }
        },
        None => ctx.query.get("provider").unwrap_or_default().to_string(),
    };
    if !client.offers_provider(&name) {
        return to_client(
            &state,
            &ctx,
            &request,
            "invalid_request",
            "identity provider is not enabled for this client",
            false,
        );
    }
    let (st, pool_id, now) = (
        state.get_ref().clone(),
        ctx.pool_id().to_string(),
        state.now(),
    );
    let issuer = state.issuer(&pool_id);
    let sent = web::block(move || {
        let services = st.sign_in_services();
        sign_in::begin(
            &services, &st.config, &pool_id, &name, pending_id, &issuer, now,
        )
    })
    .await;
    match sent {
        Ok(Ok(url)) => HttpResponse::Found()
            .insert_header(("location", url))
            .insert_header(("cache-control", "no-store"))
            .finish(),
        Ok(Err(e)) => {
            tracing::warn!(pool = %ctx.pool_id(), error = %e, "upstream sign-in could not start");
            to_client(
                &state,
                &ctx,
                &request,
                fed_error_code(&e),
                &e.to_string(),
                false,
            )
        }
        Err(e) => ctx.internal(e),
    }
}

async fn provider_for_email(state: &AppState, pool_id: &str, email: &str) -> Option<String> {
    let (pool_id, email) = (pool_id.to_string(), email.to_string());
    state
        .store
        .read(move |db| crate::federation::providers::by_email(db, &pool_id, &email))
        .await
        .ok()
        .flatten()
        .map(|p| p.name)
}

/// `GET|POST /{pool_id}/oauth2/idpresponse`
pub async fn callback(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let is_post = req.method() == actix_web::http::Method::POST;
    let params = if is_post {
        Params::parse_limited(&body, 16 * 1024)
    } else {
        Params::parse_limited(req.query_string().as_bytes(), 16 * 1024)
    };
    let Ok(params) = params else {
        return ctx.expired();
    };
    let upstream_state = params.get("state").unwrap_or_default().to_string();
    let (pool_id, now) = (ctx.pool_id().to_string(), state.now());
    let taken = state
        .store
        .write(move |db| pending::take::<InFlight>(db, &pool_id, &upstream_state, now))
        .await;
    let Ok(Some((provider_name, flight))) = taken else {
        // Unknown, used or expired state: no request to answer, nothing happens.
        return ctx.expired();
    };
    // From here on the relying party's request is known: it gets every answer.
    ctx.query = Params::parse(format!("request={}", flight.request).as_bytes()).unwrap_or_default();
    let (request, client) = match ctx.pending(&state).await {
        Ok(Some(p)) => p,
        Ok(None) => return ctx.expired(),
        Err(r) => return r,
    };
    if let Some(error) = params.get("error") {
        let described = params.get("error_description").unwrap_or(error);
        let description: String = format!("{provider_name}: {described}")
            .chars()
            .take(300)
            .collect();
        return to_client(
            &state,
            &ctx,
            &request,
            "access_denied",
            &description,
            is_post,
        );
    }
    let Some(code) = params.get("code").map(str::to_string) else {
        return to_client(
            &state,
            &ctx,
            &request,
            "invalid_request",
            "the identity provider sent no code",
            is_post,
        );
    };
    let apple_user = params.get("user").map(str::to_string);
    let (st, pool, back, client_id) = (
        state.get_ref().clone(),
        ctx.entry.pool.clone(),
        redirect_uri(&state, ctx.pool_id()),
        client.id.clone(),
    );
    let signed_in = web::block(move || {
        let callback = Callback {
            provider: &provider_name,
            code: &code,
            flight: &flight,
            apple_user: apple_user.as_deref(),
            redirect_uri: &back,
            client_id: &client_id,
        };
        sign_in::complete(&st.sign_in_services(), &st.config, &pool, &callback, now)
    })
    .await;
    finish(&state, &ctx, &req, &request, signed_in, is_post, now).await
}

/// The end of every upstream callback (OpenID Connect or SAML): the user signs in as after a
/// password, or proves they own the account to link, or the relying party hears why not.
pub(super) async fn finish(
    state: &AppState,
    ctx: &Ctx,
    req: &HttpRequest,
    request: &AuthorizeRequest,
    signed_in: Result<Result<Federated, FedError>, actix_web::error::BlockingError>,
    after_post: bool,
    now: i64,
) -> HttpResponse {
    match signed_in {
        Ok(Ok(Federated::User(user))) => {
            signin::complete(state, ctx, req, &user.id, now, vec![], vec![]).await
        }
        Ok(Ok(Federated::Prove(token))) => {
            super::see_other(&format!("{}&link={token}", ctx.link("login/link")))
        }
        Ok(Err(e)) => to_client(
            state,
            ctx,
            request,
            fed_error_code(&e),
            &e.to_string(),
            after_post,
        ),
        Err(e) => ctx.internal(e),
    }
}
