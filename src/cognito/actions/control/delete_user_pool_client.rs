//! DeleteUserPoolClient: `service::delete_client`, as `incognito client delete` does.

use serde_json::{Value, json};

use super::describe_user_pool_client::ClientRefRequest;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::pools::service;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ClientRefRequest = wire::parse(body)?;
    wire::check_id("clientId", &r.client_id)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    ctx.write(move |db| {
        service::delete_client(db, &entry.pool, &r.client_id)?;
        Ok(json!({}))
    })
    .await
}
