//! AdminGetUser.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let user = ctx
        .read(move |db| super::user(db, &entry, &r.username))
        .await?;
    Ok(json!({
        "Username": user.username,
        "UserAttributes": crate::cognito::actions::get_user::attributes(&user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
        "UserMFASettingList": [],
    }))
}
