//! AdminRemoveUserFromGroup.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    group_name: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("groupName", &r.group_name)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    ctx.write(move |db| {
        let user = super::user(db, &entry, &r.username)?;
        if !crate::store::groups::exists(db, &entry.pool.id, &r.group_name)? {
            return Err(CognitoError::resource_not_found("Group not found."));
        }
        crate::store::cognito::remove_group_member(db, &entry.pool.id, &r.group_name, &user.id)?;
        Ok(json!({}))
    })
    .await
}
