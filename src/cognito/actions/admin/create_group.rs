//! CreateGroup.

use serde_json::{Value, json};

use crate::accounts::service;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: super::GroupRequest = wire::parse(body)?;
    let new = service::NewGroup {
        name: r.group_name,
        description: r.description.unwrap_or_default(),
        precedence: r.precedence,
        role_arn: r.role_arn,
    };
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        let g = super::group_result(service::create_group(db, &entry.pool, new, now))?;
        Ok(json!({ "Group": super::group_type(&g) }))
    })
    .await
}
