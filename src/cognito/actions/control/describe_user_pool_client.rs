//! DescribeUserPoolClient: the client's configuration, with its secret (as Cognito returns
//! it), read from the sealed copy.

use serde::Deserialize;
use serde_json::{Value, json};

use super::client_type::client_type;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::pools::service;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientRefRequest {
    pub user_pool_id: String,
    pub client_id: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ClientRefRequest = wire::parse(body)?;
    wire::check_id("clientId", &r.client_id)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let sealer = ctx.state.sealer.clone();
    ctx.read(move |db| {
        let client = service::require_client(db, &entry.pool, &r.client_id)?;
        let secret = shared::client_secret(db, &sealer, &client)?;
        Ok(json!({ "UserPoolClient": client_type(&entry.pool, &client, secret.as_deref()) }))
    })
    .await
}
