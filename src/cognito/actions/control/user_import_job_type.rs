//! UserImportJobType, the answer of every import job action.

use serde_json::{Value, json};

use crate::store::import_jobs::Job;

/// The job as Cognito describes it; `PreSignedUrl` only when it is known (at creation: only
/// the token's hash is kept).
pub fn user_import_job_type(job: &Job, pre_signed_url: Option<&str>) -> Value {
    let mut v = json!({
        "JobName": job.name,
        "JobId": job.id,
        "UserPoolId": job.pool_id,
        "CreationDate": job.created_at,
        "Status": job.status,
        "CloudWatchLogsRoleArn": job.role_arn,
        "ImportedUsers": job.imported,
        "SkippedUsers": job.skipped,
        "FailedUsers": job.failed,
    });
    if let Some(url) = pre_signed_url {
        v["PreSignedUrl"] = json!(url);
    }
    if let Some(t) = job.started_at {
        v["StartDate"] = json!(t);
    }
    if let Some(t) = job.completed_at {
        v["CompletionDate"] = json!(t);
    }
    if !job.message.is_empty() {
        v["CompletionMessage"] = json!(job.message);
    }
    v
}
