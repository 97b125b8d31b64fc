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
    let (user, mfa_settings) = ctx
        .read(move |db| {
            let user = super::user(db, &entry, &r.username)?;
            let mfa_settings = crate::authn::mfa::settings_list(db, &user.id)?;
            Ok((user, mfa_settings))
        })
        .await?;
    let mut out = json!({
        "Username": user.username,
        "UserAttributes": crate::cognito::actions::get_user::attributes(&user),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
        "UserMFASettingList": [],
    });
    let (list, preferred) = mfa_settings;
    out["UserMFASettingList"] = json!(list);
    if let Some(p) = preferred {
        out["PreferredMfaSetting"] = json!(p);
    }
    Ok(out)
}
