//! CreateUserImportJob: a job and its one-time upload URL (PUT the CSV within 15 minutes).

use serde::Deserialize;
use serde_json::{Value, json};

use super::user_import_job_type::user_import_job_type;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    job_name: String,
    #[serde(rename = "CloudWatchLogsRoleArn")]
    role_arn: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    let (job, token) = ctx
        .write(move |db| {
            Ok(crate::accounts::import_jobs::create(
                db,
                &entry.pool,
                &r.job_name,
                &r.role_arn,
                now,
            )?)
        })
        .await?;
    let url = format!(
        "{}/{}/user-import/{}?token={token}",
        ctx.state.public_url, job.pool_id, job.id
    );
    Ok(json!({ "UserImportJob": user_import_job_type(&job, Some(&url)) }))
}
