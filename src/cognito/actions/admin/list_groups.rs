//! ListGroups.

use serde::Deserialize;
use serde_json::Value;

use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let (limit, offset) = super::page(r.limit, 60, r.next_token.as_deref())?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    ctx.read(move |db| {
        let all = crate::store::groups::list(db, &entry.pool.id)?;
        Ok(super::groups_paged(&all, limit, offset))
    })
    .await
}
