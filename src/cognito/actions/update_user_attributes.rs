//! UpdateUserAttributes: the user changes their own attributes. `email_verified` and `sub` are
//! not writable, nor what the client's `WriteAttributes` leave out; a new email waits
//! unverified (the old one stays the login alias) until the user enters the code mailed to it
//! (VerifyUserAttribute).

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
    let (entry, mut user, claims) = shared::access_token_user(ctx, &r.access_token).await?;
    let client_id = claims.client_id.clone();
    let pool_id = entry.pool.id.clone();
    let writable = ctx
        .read(move |db| {
            Ok(crate::store::clients::get(db, &pool_id, &claims.client_id)?
                .map(|c| c.settings.write_attributes)
                .unwrap_or_default())
        })
        .await?;
    for name in attrs.keys() {
        let reserved = matches!(
            name.as_str(),
            "email_verified" | "phone_number_verified" | "sub" | "updated_at"
        );
        if reserved || !crate::pools::clients::attribute_allowed(&writable, name) {
            return Err(CognitoError::not_authorized(format!(
                "A client attempted to write unauthorized attribute {name}"
            )));
        }
    }
    let mut changes = attrs;
    let new_email = changes
        .remove("email")
        .filter(|e| Some(e) != user.email.as_ref());
    crate::accounts::service::validate_attributes(&entry.pool, &changes, true)?;
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
    let now = ctx.now;
    let pool = entry.pool.clone();
    // CustomMessage_UpdateUserAttribute: the event shows the address the code goes to.
    let custom = match &new_email {
        Some(new) => {
            let mut pending = user.clone();
            pending.email = Some(new.clone());
            pending.email_verified = false;
            shared::custom_message(
                ctx,
                &pool,
                crate::triggers::custom_message::Source::UpdateUserAttribute,
                &pending,
                Some(&client_id),
                &r.client_metadata,
            )
            .await?
        }
        None => None,
    };
    let delivered = ctx
        .write(move |db| {
            crate::store::users::update(db, &user)?;
            let Some(new) = new_email else {
                return Ok(None);
            };
            let notice = crate::accounts::email_change::request(
                db,
                &pool,
                &user,
                &new,
                &shared::lang_of(&user),
                now,
            )
            .map_err(|e| match e {
                crate::Error::AlreadyExists(_) => CognitoError::new(
                    "AliasExistsException",
                    "An account with the given email already exists.",
                ),
                other => other.into(),
            })?;
            crate::accounts::notices::deliver_custom(db, &pool, &notice, custom.as_ref(), now)?;
            Ok(Some(notice.recipient().to_string()))
        })
        .await?;
    match delivered {
        Some(to) => {
            ctx.state.wake_mailer();
            Ok(json!({ "CodeDeliveryDetailsList": [wire::email_delivery(&to)] }))
        }
        None => Ok(json!({ "CodeDeliveryDetailsList": [] })),
    }
}
