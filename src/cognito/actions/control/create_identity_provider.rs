//! CreateIdentityProvider: `federation::providers::create`, as `incognito idp create` and a
//! bootstrap file's `[[pool.identity_provider]]` do. SAML is refused by the core.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{identity_provider, provider_error};
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers::{self, ProviderInput};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    provider_name: String,
    provider_type: String,
    provider_details: BTreeMap<String, String>,
    #[serde(default)]
    attribute_mapping: BTreeMap<String, String>,
    #[serde(default)]
    idp_identifiers: Vec<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let (sealer, config, now) = (ctx.state.sealer.clone(), ctx.state.config.clone(), ctx.now);
    ctx.write(move |db| {
        let input = ProviderInput {
            name: r.provider_name,
            provider_type: r.provider_type,
            details: r.provider_details,
            attribute_mapping: r.attribute_mapping,
            idp_identifiers: r.idp_identifiers,
        };
        let p =
            providers::create(db, &sealer, &entry.pool.id, input, now).map_err(provider_error)?;
        Ok(identity_provider(&p, &config))
    })
    .await
}
