//! UpdateResourceServer: replaces the name and the scopes of a server.

use serde_json::Value;

use super::create_resource_server::write;
use crate::cognito::shared::{Ctx, Result};
use crate::pools::resource_servers;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    write(ctx, body, resource_servers::update).await
}
