//! CreateUserPoolClient: `service::create_client`, as `incognito client create` does.

use serde::Deserialize;
use serde_json::{Value, json};

use super::client_type::{
    ClientConfig, client_type, provider_does_not_exist, scope_does_not_exist,
};
use super::core_error;
use crate::cognito::actions::admin::pool;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers;
use crate::pools::ClientSettings;
use crate::pools::service::{self, SecretChoice};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    client_name: String,
    #[serde(default)]
    generate_secret: bool,
    client_secret: Option<String>,
    #[serde(flatten)]
    config: ClientConfig,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_len("clientName", &r.client_name, 1, 128)?;
    let settings = r.config.apply(ClientSettings::default())?;
    let secret = match (r.generate_secret, r.client_secret) {
        (_, Some(s)) => SecretChoice::Fixed(s),
        (true, None) => SecretChoice::Generate,
        (false, None) => SecretChoice::Public,
    };
    let entry = pool(ctx, &r.user_pool_id).await?;
    let (sealer, now, name) = (ctx.state.sealer.clone(), ctx.now, r.client_name);
    ctx.write(move |db| {
        let pool = &entry.pool;
        if let Some(s) = service::undeclared_scopes(db, pool, &settings.scopes)?.first() {
            return Err(scope_does_not_exist(s));
        }
        let offered = &settings.supported_identity_providers;
        if let Some(p) = providers::unknown_provider(db, &pool.id, offered)? {
            return Err(provider_does_not_exist(&p, &pool.id));
        }
        let (client, secret) = service::create_client(db, pool, None, &name, settings, secret, now)
            .map_err(core_error)?;
        if let Some(s) = &secret {
            crate::pools::clients::remember_secret(db, &sealer, &client.id, s)
                .map_err(CognitoError::from)?;
        }
        Ok(json!({ "UserPoolClient": client_type(pool, &client, secret.as_deref()) }))
    })
    .await
}
