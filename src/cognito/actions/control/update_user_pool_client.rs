//! UpdateUserPoolClient: replaces the client's whole Cognito configuration (a member left out
//! returns to its default, as at Cognito); the name stays when none is given, the secret and
//! the Incognito-only settings (first party, CORS origins) stay. `service::update_client`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::client_type::{
    ClientConfig, client_type, provider_does_not_exist, scope_does_not_exist,
};
use super::core_error;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers;
use crate::pools::service;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    client_id: String,
    client_name: Option<String>,
    #[serde(flatten)]
    config: ClientConfig,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("clientId", &r.client_id)?;
    if let Some(n) = &r.client_name {
        wire::check_len("clientName", n, 1, 128)?;
    }
    let entry = pool(ctx, &r.user_pool_id).await?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    ctx.write(move |db| {
        let pool = &entry.pool;
        let mut client = service::require_client(db, pool, &r.client_id)?;
        client.settings = r.config.apply(client.settings)?;
        if let Some(s) = service::undeclared_scopes(db, pool, &client.settings.scopes)?.first() {
            return Err(scope_does_not_exist(s));
        }
        let offered = &client.settings.supported_identity_providers;
        if let Some(p) = providers::unknown_provider(db, &pool.id, offered)? {
            return Err(provider_does_not_exist(&p, &pool.id));
        }
        if let Some(n) = r.client_name {
            client.name = n;
        }
        client.updated_at = now;
        service::update_client(db, pool, &client).map_err(core_error)?;
        let secret = shared::client_secret(db, &sealer, &client)?;
        Ok(json!({ "UserPoolClient": client_type(pool, &client, secret.as_deref()) }))
    })
    .await
}
