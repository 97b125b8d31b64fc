//! DescribeUserImportJob: the job's status and counters.

use serde::Deserialize;
use serde_json::{Value, json};

use super::user_import_job_type::user_import_job_type;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRequest {
    pub user_pool_id: String,
    pub job_id: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: JobRequest = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    ctx.read(move |db| {
        let job = crate::accounts::import_jobs::require(db, &entry.pool, &r.job_id)?;
        Ok(json!({ "UserImportJob": user_import_job_type(&job, None) }))
    })
    .await
}
