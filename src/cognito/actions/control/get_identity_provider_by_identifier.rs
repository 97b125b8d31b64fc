//! GetIdentityProviderByIdentifier: the provider one of whose `IdpIdentifiers` is the given
//! one (compared without case, as sign-in routing compares them).

use serde::Deserialize;
use serde_json::Value;

use super::identity_provider;
use crate::cognito::actions::admin::pool;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::providers;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    idp_identifier: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = pool(ctx, &r.user_pool_id).await?;
    let config = ctx.state.config.clone();
    ctx.read(move |db| {
        let p =
            providers::by_identifier(db, &entry.pool.id, &r.idp_identifier)?.ok_or_else(|| {
                CognitoError::resource_not_found(format!(
                    "Identity provider with identifier {} does not exist.",
                    r.idp_identifier
                ))
            })?;
        Ok(identity_provider(&p, &config))
    })
    .await
}
