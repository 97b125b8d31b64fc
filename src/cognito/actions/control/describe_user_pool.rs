//! DescribeUserPool.

use serde_json::Value;

use crate::cognito::shared::{Ctx, Result};

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: super::PoolRequest = crate::cognito::wire::parse(body)?;
    let account_id = ctx.state.config.account_id.clone();
    ctx.read(move |db| {
        let pool = super::require_pool(db, &r.user_pool_id)?;
        super::describe(db, &pool, &account_id)
    })
    .await
}
