//! CreateResourceServer: an identifier, a name and scopes (`pools::resource_servers::create`);
//! a second server with the same identifier is `InvalidParameterException`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ScopeType, core_error, resource_server_type, scopes};
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::pools::Pool;
use crate::pools::resource_servers::{self, ResourceServer};
use crate::store::Db;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServerRequest {
    user_pool_id: String,
    identifier: String,
    name: String,
    #[serde(default)]
    scopes: Vec<ScopeType>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    write(ctx, body, resource_servers::create).await
}

/// Create or Update (same members): `op` stores the server the request describes.
pub async fn write(
    ctx: &Ctx,
    body: &Value,
    op: fn(&Db, &Pool, ResourceServer, i64) -> crate::Result<ResourceServer>,
) -> Result<Value> {
    let r: ServerRequest = wire::parse(body)?;
    wire::check_len("identifier", &r.identifier, 1, 256)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    let out = ctx
        .write(move |db| {
            let server = ResourceServer {
                pool_id: entry.pool.id.clone(),
                identifier: r.identifier,
                name: r.name,
                scopes: scopes(r.scopes),
                created_at: now,
                updated_at: now,
            };
            let server = op(db, &entry.pool, server, now).map_err(core_error)?;
            Ok(json!({ "ResourceServer": resource_server_type(&server) }))
        })
        .await;
    // The pool's scope list (discovery) changed: no need to wait for the generation watch.
    ctx.state.directory.invalidate();
    out
}
