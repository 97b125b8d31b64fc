//! AdminUpdateUserAttributes: an administrator may change the email and `email_verified` too.
//! A changed email is unverified unless `email_verified` = "true" comes with it.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire::{self, AttributeType};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    user_attributes: Vec<AttributeType>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let mut attrs = wire::attribute_map(&r.user_attributes)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        let mut user = super::user(db, &entry, &r.username)?;
        if attrs.contains_key("sub") {
            return Err(CognitoError::invalid_parameter(
                "Attribute sub cannot be changed.",
            ));
        }
        let verified = attrs.remove("email_verified");
        attrs.remove("phone_number_verified");
        if let Some(e) = attrs.remove("email") {
            let e = crate::accounts::service::normalize_email(&e)?;
            if user.email.as_deref() != Some(e.as_str()) {
                if crate::store::users::by_email(db, &entry.pool.id, &e)?.is_some() {
                    return Err(CognitoError::new(
                        "AliasExistsException",
                        "An account with the given email already exists.",
                    ));
                }
                user.email = Some(e);
                user.email_verified = false;
            }
        }
        if let Some(v) = verified {
            user.email_verified = v == "true";
        }
        crate::accounts::service::validate_attributes(&entry.pool, &attrs, true)?;
        for (k, v) in attrs {
            if v.is_empty() {
                user.attributes.remove(&k);
            } else {
                user.attributes.insert(k, v);
            }
        }
        user.updated_at = now;
        crate::store::users::update(db, &user)?;
        Ok(json!({}))
    })
    .await
}
