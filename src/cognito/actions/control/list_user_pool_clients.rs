//! ListUserPoolClients: `{ClientId, UserPoolId, ClientName}`, MaxResults 1 to 60 a page.

use serde_json::{Value, json};

use crate::cognito::shared::{Ctx, Result};

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    super::list(
        ctx,
        body,
        60,
        "UserPoolClients",
        |db, pool_id| crate::store::clients::list(db, pool_id),
        |c| json!({ "ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name }),
    )
    .await
}
