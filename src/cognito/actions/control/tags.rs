//! TagResource, UntagResource, ListTagsForResource on a pool's ARN.

use serde::Deserialize;
use serde_json::{Value, json};

use super::user_pool_shape;
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    resource_arn: String,
    #[serde(default)]
    tags: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub enum Change {
    Tag,
    Untag,
    List,
}

/// The pool an ARN of this server names (`...:{account_id}:userpool/{id}`).
fn pool_id_of<'a>(arn: &'a str, account_id: &str) -> Result<&'a str> {
    let id = arn
        .rsplit_once(":userpool/")
        .map(|(_, id)| id)
        .filter(|id| arn == user_pool_shape::arn(user_pool_shape::region_of(id), account_id, id));
    id.ok_or_else(|| CognitoError::resource_not_found(format!("Resource {arn} does not exist.")))
}

pub async fn handle(ctx: &Ctx, body: &Value, change: Change) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let pool_id = pool_id_of(&r.resource_arn, &ctx.state.config.account_id)?.to_string();
    let now = ctx.now;
    if let Change::List = change {
        return ctx
            .read(move |db| {
                let pool = super::require_pool(db, &pool_id)?;
                Ok(json!({ "Tags": pool.settings.tags }))
            })
            .await;
    }
    ctx.write(move |db| {
        let mut pool = super::require_pool(db, &pool_id)?;
        match change {
            Change::Tag => pool.settings.tags.extend(r.tags),
            Change::Untag => {
                for k in &r.tag_keys {
                    pool.settings.tags.remove(k);
                }
            }
            Change::List => {}
        }
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(json!({}))
    })
    .await
}
