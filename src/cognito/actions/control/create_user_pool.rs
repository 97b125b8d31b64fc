//! CreateUserPool: a new pool with its first signing key, from Cognito's request shape.

use serde::Deserialize;
use serde_json::Value;

use super::user_pool_shape::{self, Mode};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::pools::PoolSettings;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    pool_name: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let mut settings =
        user_pool_shape::settings_from(body, Mode::Create, &PoolSettings::default())?;
    user_pool_shape::webhook_secret_from(body, &mut settings, &ctx.state.sealer)?;
    let config = ctx.state.config.clone();
    let alg = crate::keys::Alg::parse(&config.key_algorithm).ok_or_else(CognitoError::internal)?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    ctx.write(move |db| {
        let pool = crate::pools::service::create_pool(
            db,
            None,
            &r.pool_name,
            &config.region,
            settings,
            alg,
            &sealer,
            now,
        )?;
        super::describe(db, &pool, &config.account_id)
    })
    .await
}
