//! GetUser: the signed-in user's attributes (access token with the
//! `aws.cognito.signin.user.admin` scope), as far as the client's `ReadAttributes` allow.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::User;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let (entry, user, claims) = shared::access_token_user(ctx, &r.access_token).await?;
    let id = user.id.clone();
    let (mfa_settings, readable) = ctx
        .read(move |db| {
            let readable = crate::store::clients::get(db, &entry.pool.id, &claims.client_id)?
                .map(|c| c.settings.read_attributes)
                .unwrap_or_default();
            Ok((crate::authn::mfa::settings_list(db, &id)?, readable))
        })
        .await?;
    let mut shown = attributes(&user);
    shown.retain(|a| {
        crate::pools::clients::attribute_allowed(&readable, a["Name"].as_str().unwrap_or(""))
    });
    let mut out = json!({
        "Username": user.username,
        "UserAttributes": shown,
        "UserMFASettingList": [],
    });
    let (list, preferred) = mfa_settings;
    out["UserMFASettingList"] = json!(list);
    if let Some(p) = preferred {
        out["PreferredMfaSetting"] = json!(p);
    }
    Ok(out)
}

/// A user's attributes as Cognito lists them: `sub`, `email`, `email_verified` (as a string),
/// then the others.
pub fn attributes(user: &User) -> Vec<Value> {
    let mut out = vec![json!({ "Name": "sub", "Value": user.id })];
    if let Some(e) = &user.email {
        out.push(json!({ "Name": "email", "Value": e }));
        out.push(json!({ "Name": "email_verified", "Value": user.email_verified.to_string() }));
    }
    for (k, v) in &user.attributes {
        out.push(json!({ "Name": k, "Value": v }));
    }
    out
}
