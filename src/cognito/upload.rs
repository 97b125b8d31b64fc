//! `PUT /{pool_id}/user-import/{job_id}?token=...`: the pre-signed URL of CreateUserImportJob,
//! served by Incognito itself. One upload per job, within 15 minutes, with the token of the
//! job's URL; anything else is 403 and stores nothing.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::import_jobs::{self, MAX_CSV_BYTES};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Token {
    token: String,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/{pool_id}/user-import/{job_id}")
            .app_data(web::PayloadConfig::new(MAX_CSV_BYTES))
            .route(web::put().to(upload)),
    );
}

async fn upload(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: Result<web::Query<Token>, actix_web::Error>,
    body: web::Bytes,
) -> HttpResponse {
    let refused = || {
        HttpResponse::Forbidden()
            .content_type("text/plain")
            .body("The upload URL is invalid, expired or already used.\n")
    };
    let Ok(query) = query else {
        return refused();
    };
    let (_, job_id) = path.into_inner();
    let (now, token) = (state.now(), query.into_inner().token);
    let stored = state
        .store
        .write(move |db| import_jobs::upload(db, &job_id, &token, &body, now))
        .await;
    match stored {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(crate::Error::NotAuthorized) => refused(),
        Err(e) => {
            tracing::error!(error = %e, "cannot store an import upload");
            HttpResponse::InternalServerError().finish()
        }
    }
}
