//! The consent page, shown for `prompt=consent` to clients that are not first-party.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{
    Path, current_session, expired_request, forbidden, form, internal, query, unknown_pool,
};
use crate::http::pages;
use crate::oidc::authorize::{self, Next, Redirect};
use crate::state::AppState;
use crate::ui::csrf;

#[derive(Template)]
#[template(path = "ui/consent.html")]
struct ConsentPage {
    lang: String,
    brand_name: String,
    action: String,
    csrf_token: String,
    client_name: String,
    scopes: Vec<String>,
    username: String,
}

pub async fn show(state: web::Data<AppState>, path: Path, req: HttpRequest) -> HttpResponse {
    let Some(entry) = authorize::entry_for(&state, &path).await else {
        return unknown_pool();
    };
    let Some(id) = query(&req).get("request").map(str::to_string) else {
        return expired_request(&entry.pool.name);
    };
    let Some((_, user)) = current_session(&state, &entry, &req).await else {
        return authorize::see_other(&authorize::login_location(&entry.pool.id, &id));
    };
    let (pool_id, now, pending_id) = (entry.pool.id.clone(), state.now(), id.clone());
    let (request, client) = match state
        .store
        .read(move |db| authorize::load_pending(db, &pool_id, &pending_id, now))
        .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return expired_request(&entry.pool.name),
        Err(e) => return internal(&entry.pool.name, e),
    };
    let token = csrf::issue(&req, state.config.is_https());
    let page = ConsentPage {
        lang: "en".into(),
        brand_name: entry.pool.name.clone(),
        action: authorize::consent_location(&entry.pool.id, &id),
        csrf_token: token.value,
        client_name: client.name,
        scopes: request.scope,
        username: user.email.unwrap_or(user.username),
    };
    let mut resp = pages::render(StatusCode::OK, &page);
    if let Some(c) = token.cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub async fn submit(
    state: web::Data<AppState>,
    path: Path,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(entry) = authorize::entry_for(&state, &path).await else {
        return unknown_pool();
    };
    let brand = entry.pool.name.clone();
    let Some(f) = form(&body) else {
        return forbidden(&brand);
    };
    if !csrf::check(
        &req,
        state.config.is_https(),
        &state.public_url,
        f.get("csrf_token"),
    ) {
        return forbidden(&brand);
    }
    let Some(id) = query(&req).get("request").map(str::to_string) else {
        return expired_request(&brand);
    };
    let Some((session, _)) = current_session(&state, &entry, &req).await else {
        return authorize::see_other(&authorize::login_location(&entry.pool.id, &id));
    };
    let allow = f.get("decision") == Some("allow");
    let (config, issuer, now, entry2) = (
        state.config.clone(),
        state.issuer(&entry.pool.id),
        state.now(),
        entry.clone(),
    );
    let result = state
        .store
        .write(move |db| -> crate::Result<Option<Next>> {
            let Some((request, client)) = authorize::load_pending(db, &entry2.pool.id, &id, now)?
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
                &entry2,
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
        Ok(Some(_)) => internal(&brand, "consent loop"),
        Ok(None) => expired_request(&brand),
        Err(e) => internal(&brand, e),
    }
}
