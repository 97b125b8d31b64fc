//! DeleteIdentityProvider: the provider, its users' links to it, and its name in the
//! clients' `SupportedIdentityProviders`.

use serde_json::{Value, json};

use super::ProviderRef;
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ProviderRef = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    ctx.write(move |db| Ok(providers::delete(db, &entry.pool.id, &r.provider_name)?))
        .await?;
    // Clients changed: cached copies must not keep offering the provider.
    ctx.state.directory.invalidate();
    Ok(json!({}))
}
