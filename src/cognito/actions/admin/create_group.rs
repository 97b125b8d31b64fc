//! CreateGroup.

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
    description: Option<String>,
    precedence: Option<i64>,
    #[allow(dead_code)]
    role_arn: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let description = r.description.unwrap_or_default();
    crate::accounts::service::check_group(&r.group_name, &description, r.precedence)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        if crate::store::groups::exists(db, &entry.pool.id, &r.group_name)? {
            return Err(CognitoError::new(
                "GroupExistsException",
                "A group with the name already exists.",
            ));
        }
        let g = crate::store::groups::Group {
            pool_id: entry.pool.id.clone(),
            name: r.group_name,
            description,
            precedence: r.precedence,
            created_at: now,
        };
        crate::store::groups::insert(db, &g)?;
        Ok(json!({ "Group": super::group_type(&g) }))
    })
    .await
}
