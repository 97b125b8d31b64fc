//! AddCustomAttributes: new `custom:` attributes; an existing name is refused (attributes are
//! never removed or retyped).

use serde::Deserialize;
use serde_json::{Value, json};

use super::user_pool_shape;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    custom_attributes: Vec<Value>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let added = r
        .custom_attributes
        .iter()
        .map(|a| user_pool_shape::schema_attribute(a, true))
        .collect::<Result<Vec<_>>>()?;
    let now = ctx.now;
    ctx.write(move |db| {
        let mut pool = super::require_pool(db, &r.user_pool_id)?;
        for a in added {
            if pool.settings.schema.iter().any(|x| x.name == a.name) {
                return Err(CognitoError::invalid_parameter(format!(
                    "Existing attribute already has name {}.",
                    a.name
                )));
            }
            pool.settings.schema.push(a);
        }
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(json!({}))
    })
    .await
}
