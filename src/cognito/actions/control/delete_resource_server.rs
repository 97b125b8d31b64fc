//! DeleteResourceServer: the server and its scopes; clients naming them are no longer granted them.

use serde_json::{Value, json};

use super::ServerRef;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::pools::resource_servers;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ServerRef = wire::parse(body)?;
    r.check()?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    ctx.write(move |db| Ok(resource_servers::delete(db, &entry.pool, &r.identifier)?))
        .await?;
    ctx.state.directory.invalidate();
    Ok(json!({}))
}
