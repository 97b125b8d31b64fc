//! UpdateIdentityProvider: each member given replaces what the provider had (details whole,
//! except that a secret left out is kept: tools that never saw it can still edit the rest);
//! each member left out is kept. `federation::providers::update`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{identity_provider, provider_error};
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers::{self, ProviderChange};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    provider_name: String,
    provider_details: Option<BTreeMap<String, String>>,
    attribute_mapping: Option<BTreeMap<String, String>>,
    idp_identifiers: Option<Vec<String>>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let (sealer, config, now) = (ctx.state.sealer.clone(), ctx.state.config.clone(), ctx.now);
    ctx.write(move |db| {
        let change = ProviderChange {
            details: r.provider_details,
            attribute_mapping: r.attribute_mapping,
            idp_identifiers: r.idp_identifiers,
        };
        let p = providers::update(db, &sealer, &entry.pool.id, &r.provider_name, change, now)
            .map_err(provider_error)?;
        Ok(identity_provider(&p, &config))
    })
    .await
}
