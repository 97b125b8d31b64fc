//! DescribeResourceServer.

use serde_json::{Value, json};

use super::{ServerRef, resource_server_type};
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::pools::resource_servers;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ServerRef = wire::parse(body)?;
    r.check()?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    ctx.read(move |db| {
        let server = resource_servers::require(db, &entry.pool, &r.identifier)?;
        Ok(json!({ "ResourceServer": resource_server_type(&server) }))
    })
    .await
}
