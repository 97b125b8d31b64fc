//! ListResourceServers: MaxResults 1 to 50 a page.

use serde_json::Value;

use crate::cognito::shared::{Ctx, Result};

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    super::list(
        ctx,
        body,
        50,
        "ResourceServers",
        |db, pool_id| crate::store::resource_servers::list(db, pool_id),
        super::resource_server_type,
    )
    .await
}
