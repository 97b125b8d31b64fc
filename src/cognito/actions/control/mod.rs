//! The control plane: the SigV4-signed actions that manage pools and their configuration, so
//! that Terraform, the AWS CLI and boto3 manage Incognito. One file per action, each a thin
//! call into the same core function as the CLI verb and the bootstrap file.

mod add_custom_attributes;
mod create_user_pool;
mod delete_user_pool;
mod describe_user_pool;
mod list_user_pools;
mod update_user_pool;
pub mod user_pool_shape;

use serde_json::Value;

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

/// Control-plane actions (signed like the admin actions).
pub const ACTIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "UpdateUserPool",
    "DeleteUserPool",
    "ListUserPools",
    "AddCustomAttributes",
];

pub async fn handle(action: &str, ctx: &Ctx, body: &Value) -> Result<Value> {
    match action {
        "CreateUserPool" => create_user_pool::handle(ctx, body).await,
        "DescribeUserPool" => describe_user_pool::handle(ctx, body).await,
        "UpdateUserPool" => update_user_pool::handle(ctx, body).await,
        "DeleteUserPool" => delete_user_pool::handle(ctx, body).await,
        "ListUserPools" => list_user_pools::handle(ctx, body).await,
        "AddCustomAttributes" => add_custom_attributes::handle(ctx, body).await,
        _ => Err(CognitoError::new(
            "UnknownOperationException",
            "Unknown operation.",
        )),
    }
}

/// A request that names only a pool.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolRequest {
    user_pool_id: String,
}

/// A pool by `UserPoolId` for a write: unknown is `ResourceNotFoundException`.
fn require_pool(db: &crate::store::Db, pool_id: &str) -> Result<crate::pools::Pool> {
    crate::store::pools::get(db, pool_id)?.ok_or_else(|| {
        CognitoError::resource_not_found(format!("User pool {pool_id} does not exist."))
    })
}

/// `{"UserPool": UserPoolType}` of a pool, read in the same transaction.
fn describe(db: &crate::store::Db, pool: &crate::pools::Pool, account_id: &str) -> Result<Value> {
    let users = crate::store::users::count(db, &pool.id)?;
    Ok(serde_json::json!({
        "UserPool": user_pool_shape::user_pool_type(pool, account_id, users)
    }))
}
