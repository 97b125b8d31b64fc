//! DeleteUserPool: refused while deletion protection is on.

use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: super::PoolRequest = crate::cognito::wire::parse(body)?;
    ctx.write(move |db| {
        let pool = super::require_pool(db, &r.user_pool_id)?;
        if pool.settings.deletion_protection {
            return Err(CognitoError::invalid_parameter(
                "The user pool cannot be deleted because deletion protection is activated.",
            ));
        }
        crate::pools::service::delete_pool(db, &pool.id)?;
        Ok(json!({}))
    })
    .await
}
