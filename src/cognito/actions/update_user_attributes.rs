//! UpdateUserAttributes: the user changes their own attributes. `email_verified`, `sub` and
//! the email itself (whose change needs a verified new address first) are not writable here.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, AttributeType, StringMap};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
    user_attributes: Vec<AttributeType>,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let attrs = wire::attribute_map(&r.user_attributes)?;
    let (entry, mut user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    for name in attrs.keys() {
        match name.as_str() {
            "email_verified" | "phone_number_verified" | "sub" | "updated_at" => {
                return Err(CognitoError::not_authorized(format!(
                    "A client attempted to write unauthorized attribute {name}"
                )));
            }
            "email" if attrs.get("email") != user.email.as_ref() => {
                return Err(CognitoError::invalid_parameter(
                    "Changing the email address is not supported through this API yet.",
                ));
            }
            _ => {}
        }
    }
    let mut changes = attrs;
    changes.remove("email");
    crate::accounts::service::validate_attributes(&changes)?;
    for (k, v) in changes {
        if v.is_empty() {
            user.attributes.remove(&k);
        } else {
            user.attributes.insert(k, v);
        }
    }
    for req in &entry.pool.settings.required_attributes {
        if req != "email" && !user.attributes.contains_key(req) {
            return Err(CognitoError::invalid_parameter(format!(
                "Attributes did not conform to the schema: {req}: The attribute is required"
            )));
        }
    }
    user.updated_at = ctx.now;
    ctx.write(move |db| Ok(crate::store::users::update(db, &user)?))
        .await?;
    Ok(json!({ "CodeDeliveryDetailsList": [] }))
}
