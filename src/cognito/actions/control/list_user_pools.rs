//! ListUserPools: `MaxResults` (1-60, required) and an opaque `NextToken`.

use serde::Deserialize;
use serde_json::Value;

use super::user_pool_shape;
use crate::cognito::shared::{Ctx, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    max_results: i64,
    next_token: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let (limit, offset) =
        crate::cognito::actions::admin::page(Some(r.max_results), 60, r.next_token.as_deref())?;
    ctx.read(move |db| {
        let all = crate::store::pools::list(db)?;
        Ok(crate::cognito::actions::admin::paged(
            &all,
            limit,
            offset,
            "UserPools",
            user_pool_shape::user_pool_description,
        ))
    })
    .await
}
