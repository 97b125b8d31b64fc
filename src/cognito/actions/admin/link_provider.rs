//! AdminLinkProviderForUser and AdminDisableProviderForUser (`federation::linking`): the
//! destination is `{ProviderName: "Cognito", ProviderAttributeValue: <username>}`, the source
//! an identity provider of the pool with `ProviderAttributeName: "Cognito_Subject"` and the
//! upstream user id as the value.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::cognito::wire;
use crate::federation::linking::{self, LinkError};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProviderUser {
    provider_name: String,
    provider_attribute_name: Option<String>,
    provider_attribute_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LinkRequest {
    user_pool_id: String,
    destination_user: ProviderUser,
    source_user: ProviderUser,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DisableRequest {
    user_pool_id: String,
    user: ProviderUser,
}

/// The upstream identity a request names: (provider, user id).
fn source(u: ProviderUser) -> Result<(String, String)> {
    let attribute = u
        .provider_attribute_name
        .as_deref()
        .unwrap_or("Cognito_Subject");
    if attribute != "Cognito_Subject" {
        return Err(CognitoError::invalid_parameter(
            "ProviderAttributeName: only Cognito_Subject (the upstream user id) is supported.",
        ));
    }
    let value = u
        .provider_attribute_value
        .ok_or_else(|| CognitoError::invalid_parameter("ProviderAttributeValue is required."))?;
    Ok((u.provider_name, value))
}

pub async fn link(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: LinkRequest = wire::parse(body)?;
    if !r
        .destination_user
        .provider_name
        .eq_ignore_ascii_case("Cognito")
    {
        return Err(CognitoError::invalid_parameter(
            "DestinationUser: ProviderName must be Cognito (a user of the pool).",
        ));
    }
    let destination = r.destination_user.provider_attribute_value.ok_or_else(|| {
        CognitoError::invalid_parameter("DestinationUser: ProviderAttributeValue is required.")
    })?;
    let (provider, subject) = source(r.source_user)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        match linking::link(db, &entry.pool, &destination, &provider, &subject, now) {
            Ok(_) => Ok(json!({})),
            Err(LinkError::AlreadyLinked) => Err(CognitoError::invalid_parameter(
                LinkError::AlreadyLinked.to_string(),
            )),
            Err(LinkError::TooMany) => {
                Err(CognitoError::limit_exceeded(LinkError::TooMany.to_string()))
            }
            Err(LinkError::Core(crate::Error::NotFound(what))) if what.starts_with("user") => {
                Err(CognitoError::user_not_found())
            }
            Err(LinkError::Core(e)) => Err(e.into()),
        }
    })
    .await
}

pub async fn disable(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: DisableRequest = wire::parse(body)?;
    let (provider, subject) = source(r.user)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let now = ctx.now;
    ctx.write(move |db| {
        crate::federation::providers::require(db, &entry.pool.id, &provider)?;
        linking::unlink(db, &entry.pool, &provider, &subject, now)?;
        Ok(json!({}))
    })
    .await
}
