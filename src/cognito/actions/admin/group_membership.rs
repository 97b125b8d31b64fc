//! AdminAddUserToGroup and AdminRemoveUserFromGroup: the group must exist; adding twice or
//! removing a non-member is not an error (as at Cognito).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::service;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    group_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Remove,
}

pub async fn handle(ctx: &Ctx, body: &Value, change: Change) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("groupName", &r.group_name)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    ctx.write(move |db| {
        let user = super::user(db, &entry, &r.username)?;
        let changed = match change {
            Change::Add => service::add_to_group(db, &entry.pool, &user, &r.group_name),
            Change::Remove => service::remove_from_group(db, &entry.pool, &user, &r.group_name),
        };
        super::group_result(changed)?;
        Ok(json!({}))
    })
    .await
}
