//! StartUserImportJob and StopUserImportJob: the same core as the job's runner.

use serde_json::{Value, json};

use super::describe_user_import_job::JobRequest;
use super::user_import_job_type::user_import_job_type;
use crate::accounts::import_jobs;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

pub async fn start(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: JobRequest = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let (now, p) = (ctx.now, entry.pool.clone());
    let job = ctx
        .write(move |db| Ok(import_jobs::start(db, &p, &r.job_id, now)?))
        .await?;
    let s = &ctx.state;
    import_jobs::spawn(
        s.store.clone(),
        s.sealer.clone(),
        s.clock.clone(),
        entry.pool.clone(),
        job.id.clone(),
    );
    Ok(json!({ "UserImportJob": user_import_job_type(&job, None) }))
}

pub async fn stop(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: JobRequest = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    let job = ctx
        .write(move |db| Ok(import_jobs::stop(db, &entry.pool, &r.job_id, now)?))
        .await?;
    Ok(json!({ "UserImportJob": user_import_job_type(&job, None) }))
}
