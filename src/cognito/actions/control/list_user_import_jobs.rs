//! ListUserImportJobs: newest first; `PaginationToken` is the offset of the next page.

use serde::Deserialize;
use serde_json::{Value, json};

use super::user_import_job_type::user_import_job_type;
use crate::cognito::actions::admin::pool;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    max_results: i64,
    pagination_token: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let offset = match &r.pagination_token {
        None => 0,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|o| *o >= 0)
            .ok_or_else(|| CognitoError::invalid_parameter("Invalid pagination token."))?,
    };
    let limit = r.max_results;
    ctx.read(move |db| {
        let jobs = crate::store::import_jobs::list(db, &entry.pool.id, limit + 1, offset)?;
        let more = jobs.len() as i64 > limit;
        let page: Vec<Value> = jobs
            .iter()
            .take(limit as usize)
            .map(|j| user_import_job_type(j, None))
            .collect();
        let mut out = json!({ "UserImportJobs": page });
        if more {
            out["PaginationToken"] = json!((offset + limit).to_string());
        }
        Ok(out)
    })
    .await
}
