//! ListUsersInGroup.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    group_name: String,
    limit: Option<i64>,
    next_token: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("groupName", &r.group_name)?;
    let (limit, _) = super::page(r.limit, 60, None)?;
    let after = r.next_token.unwrap_or_default();
    if after.len() > 64 {
        return Err(CognitoError::invalid_parameter("Invalid pagination token."));
    }
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    ctx.read(move |db| {
        let pool_id = &entry.pool.id;
        if !crate::store::groups::exists(db, pool_id, &r.group_name)? {
            return Err(CognitoError::resource_not_found("Group not found."));
        }
        let ids = crate::store::cognito::group_member_ids(
            db,
            pool_id,
            &r.group_name,
            &after,
            limit as i64 + 1,
        )?;
        let mut users = Vec::new();
        for id in ids.iter().take(limit) {
            if let Some(u) = crate::store::users::get(db, pool_id, id)? {
                users.push(super::user_type(&u));
            }
        }
        let mut out = json!({ "Users": users });
        if ids.len() > limit {
            out["NextToken"] = json!(ids[limit - 1]);
        }
        Ok(out)
    })
    .await
}
