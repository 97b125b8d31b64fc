//! DescribeIdentityProvider: Cognito's `IdentityProviderType`, with the preset's endpoints
//! and never a secret.

use serde_json::Value;

use super::{ProviderRef, identity_provider};
use crate::cognito::actions::admin::pool;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers;

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: ProviderRef = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let config = ctx.state.config.clone();
    ctx.read(move |db| {
        let p = providers::require(db, &entry.pool.id, &r.provider_name)?;
        Ok(identity_provider(&p, &config))
    })
    .await
}
