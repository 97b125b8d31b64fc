//! GetCSVHeader: the columns of a user import CSV for the pool, in Cognito's order; the same
//! list `incognito user import` checks a CSV header against.

use serde_json::{Value, json};

use super::PoolRequest;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: PoolRequest = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    Ok(json!({
        "UserPoolId": entry.pool.id,
        "CSVHeader": crate::accounts::import::csv_header(&entry.pool),
    }))
}
