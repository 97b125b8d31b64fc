//! CreateUserPoolDomain, DescribeUserPoolDomain, UpdateUserPoolDomain, DeleteUserPoolDomain:
//! recorded; the hosted pages are served at `public_url` whatever the domain, and
//! DescribeUserPoolDomain says so in `CloudFrontDistribution`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    domain: String,
    user_pool_id: Option<String>,
    custom_domain_config: Option<Value>,
}

pub enum Change {
    Create,
    Update,
    Delete,
}

fn pool_id(r: &Request) -> Result<&str> {
    r.user_pool_id
        .as_deref()
        .ok_or_else(|| CognitoError::invalid_parameter("UserPoolId is required."))
}

pub async fn describe(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let (public_url, account_id) = (
        ctx.state.public_url.to_string(),
        ctx.state.config.account_id.clone(),
    );
    ctx.read(move |db| {
        let pools = crate::store::pools::list(db)?;
        let Some(pool) = pools
            .iter()
            .find(|p| p.settings.recorded.domain.as_deref() == Some(r.domain.as_str()))
        else {
            // Cognito answers an unknown domain with an empty description.
            return Ok(json!({ "DomainDescription": {} }));
        };
        let host = url::Url::parse(&public_url)
            .ok()
            .and_then(|u| u.host_str().map(String::from))
            .unwrap_or_default();
        let mut d = json!({
            "UserPoolId": pool.id,
            "AWSAccountId": account_id,
            "Domain": r.domain,
            "CloudFrontDistribution": host,
            "Status": "ACTIVE",
            "Version": "1",
        });
        if let Some(c) = &pool.settings.recorded.custom_domain_config {
            d["CustomDomainConfig"] = c.clone();
        }
        Ok(json!({ "DomainDescription": d }))
    })
    .await
}

pub async fn change(ctx: &Ctx, body: &Value, change: Change) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let pool_id = pool_id(&r)?.to_string();
    let now = ctx.now;
    ctx.write(move |db| {
        let taken = crate::store::pools::list(db)?.into_iter().any(|p| {
            p.id != pool_id && p.settings.recorded.domain.as_deref() == Some(r.domain.as_str())
        });
        let mut pool = super::require_pool(db, &pool_id)?;
        let recorded = &mut pool.settings.recorded;
        match change {
            Change::Create => {
                if taken || recorded.domain.is_some() {
                    return Err(CognitoError::invalid_parameter(
                        "The domain is taken, or the pool has one already.",
                    ));
                }
                recorded.domain = Some(r.domain.clone());
                recorded.custom_domain_config = r.custom_domain_config;
            }
            Change::Update | Change::Delete => {
                if recorded.domain.as_deref() != Some(r.domain.as_str()) {
                    return Err(CognitoError::resource_not_found(
                        "The domain does not belong to the user pool.",
                    ));
                }
                if let Change::Delete = change {
                    recorded.domain = None;
                    recorded.custom_domain_config = None;
                } else {
                    recorded.custom_domain_config = r.custom_domain_config;
                }
            }
        }
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(match change {
            Change::Create => json!({ "CloudFrontDomain": r.domain }),
            Change::Update => json!({ "CloudFrontDomain": r.domain }),
            Change::Delete => json!({}),
        })
    })
    .await
}
