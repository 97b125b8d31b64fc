//! The hosted door of SAML identity providers: the service provider's metadata
//! (`GET /{pool_id}/saml2/metadata`) and the assertion consumer service
//! (`POST /{pool_id}/saml2/idpresponse`, HTTP-POST binding), and single logout
//! (`GET /{pool_id}/saml2/logout`, HTTP-Redirect binding). A response answers the sign-in
//! its RelayState names (SP-initiated); an unsolicited one is taken only from a provider with
//! `IDPInit` on, its RelayState carrying the authorization request's parameters as at Cognito.
//! Once the relying party's request is known, failures go to it as OAuth errors; before, a
//! page. Sending the browser upstream is `federation::start`'s, as for every provider.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::federation::{self, to_client};
use super::{Ctx, Path};
use crate::federation::pending;
use crate::federation::providers::ProviderType;
use crate::federation::saml::logout::Answered;
use crate::federation::saml::metadata::sp_metadata;
use crate::federation::saml::response::MAX_RESPONSE_CHARS;
use crate::federation::saml::sign_in::{self as saml, Posted, SamlFlight};
use crate::federation::saml::sp_entity_id;
use crate::federation::upstream::FedError;
use crate::oidc::authorize;
use crate::oidc::params::Params;
use crate::state::AppState;

/// How long the metadata we serve says it is valid.
const METADATA_VALID_SECS: i64 = 7 * 86_400;

/// `GET /{pool_id}/saml2/metadata`
pub async fn metadata(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let (st, pool_id, now) = (
        state.get_ref().clone(),
        ctx.pool_id().to_string(),
        state.now(),
    );
    let issuer = state.issuer(&pool_id);
    let made = web::block(move || {
        let key = saml::sp_key(&st.sign_in_services(), &pool_id, now)?;
        sp_metadata(
            &sp_entity_id(&pool_id),
            &saml::acs_url(&issuer),
            &saml::slo_url(&issuer),
            &key.certificate_der,
            now + METADATA_VALID_SECS,
        )
        .map_err(FedError::Internal)
    })
    .await;
    match made {
        Ok(Ok(xml)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/samlmetadata+xml"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(xml),
        Ok(Err(e)) => ctx.internal(e),
        Err(e) => ctx.internal(e),
    }
}

/// `POST /{pool_id}/saml2/idpresponse`
pub async fn acs(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let Ok(params) = Params::parse_limited(&body, MAX_RESPONSE_CHARS * 2) else {
        return ctx.expired();
    };
    let Some(saml_response) = params.get("SAMLResponse").map(str::to_string) else {
        return ctx.expired();
    };
    let relay_state = params.get("RelayState").unwrap_or_default().to_string();
    let (pool_id, now) = (ctx.pool_id().to_string(), state.now());
    let relay = relay_state.clone();
    let taken = state
        .store
        .write(move |db| pending::take::<SamlFlight>(db, &pool_id, &relay, now))
        .await;
    let (provider_name, pending_id, request_id) = match taken {
        Ok(Some((provider, flight))) => (provider, flight.request, Some(flight.request_id)),
        Ok(None) => match unsolicited(&state, &ctx, &relay_state).await {
            Ok(found) => found,
            Err(response) => return response,
        },
        Err(e) => return ctx.internal(e),
    };
    // From here on the relying party's request is known: it gets every answer.
    ctx.query = Params::parse(format!("request={pending_id}").as_bytes()).unwrap_or_default();
    let (request, client) = match ctx.pending(&state).await {
        Ok(Some(p)) => p,
        Ok(None) => return ctx.expired(),
        Err(r) => return r,
    };
    if !client.offers_provider(&provider_name) {
        let why = "identity provider is not enabled for this client";
        return to_client(&state, &ctx, &request, "invalid_request", why, true);
    }
    let (st, pool, issuer, client_id) = (
        state.get_ref().clone(),
        ctx.entry.pool.clone(),
        state.issuer(ctx.pool_id()),
        client.id.clone(),
    );
    let signed_in = web::block(move || {
        let services = st.sign_in_services();
        let provider = services
            .store
            .read_sync(|db| crate::store::federation::get(db, &pool.id, &provider_name))
            .map_err(FedError::internal)?
            .filter(|p| p.provider_type == ProviderType::Saml.as_str())
            .ok_or(FedError::Gone)?;
        if request_id.is_none() && !saml::allows_idp_initiated(&provider) {
            return Err(FedError::Invalid(
                "IdP-initiated sign-in is not enabled for this provider".into(),
            ));
        }
        let posted = Posted {
            saml_response: &saml_response,
            request_id: request_id.as_deref(),
            issuer: &issuer,
            client_id: &client_id,
            pending_request: &pending_id,
        };
        saml::finish(&services, &pool, &provider, &posted, now)
    })
    .await;
    federation::finish(&state, &ctx, &req, &request, signed_in, true, now).await
}

/// `GET /{pool_id}/saml2/logout`: the IdP's LogoutResponse to ours (the logout continues where
/// `/logout` would have gone), or its own LogoutRequest (answered with ours).
pub async fn logout(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let ctx = or_respond!(Ctx::load(&state, &path, &req).await);
    let Ok(params) = Params::parse_limited(req.query_string().as_bytes(), 64 * 1024) else {
        return ctx.expired();
    };
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let (st, pool_id, now) = (
        state.get_ref().clone(),
        ctx.pool_id().to_string(),
        state.now(),
    );
    let answered = web::block(move || {
        crate::federation::saml::logout::answer(
            &st.sign_in_services(),
            &pool_id,
            &params,
            &target,
            now,
        )
    })
    .await;
    let location = match answered {
        Ok(Ok(Answered::Done(Some(then)) | Answered::Respond(then))) => then,
        Ok(Ok(Answered::Done(None))) => {
            return crate::oidc::logout::logged_out_page(ctx.chrome());
        }
        Ok(Err(e)) => {
            tracing::warn!(pool = %ctx.pool_id(), error = %e, "SAML logout message refused");
            return ctx.expired();
        }
        Err(e) => return ctx.internal(e),
    };
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// An unsolicited response's RelayState as an authorization request: (provider, pending
/// request, no request id). Anything else is the "expired" page: nothing to answer.
async fn unsolicited(
    state: &AppState,
    ctx: &Ctx,
    relay_state: &str,
) -> Result<(String, String, Option<String>), HttpResponse> {
    let Ok(params) = Params::parse_limited(relay_state.as_bytes(), 8 * 1024) else {
        return Err(ctx.expired());
    };
    if params.get("client_id").is_none() {
        return Err(ctx.expired());
    }
    let (entry, issuer, now) = (ctx.entry.clone(), state.issuer(ctx.pool_id()), state.now());
    let saved = state
        .store
        .write(move |db| authorize::unsolicited(db, &entry, &issuer, &params, now))
        .await;
    match saved {
        Ok((pending, _, Some(provider))) => Ok((provider, pending, None)),
        Ok((_, request, None)) => Err(to_client(
            state,
            ctx,
            &request,
            "invalid_request",
            "identity provider is not enabled for this client",
            true,
        )),
        Err(e) => Err(e.respond(ctx.chrome(), true)),
    }
}
