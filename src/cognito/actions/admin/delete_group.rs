//! DeleteGroup: the group and its memberships.

use serde_json::{Value, json};

use crate::accounts::service;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: super::GroupRequest = wire::parse(body)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    ctx.write(move |db| {
        super::group_result(service::delete_group(db, &entry.pool, &r.group_name))?;
        Ok(json!({}))
    })
    .await
}
