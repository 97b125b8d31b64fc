//! SetRiskConfiguration and DescribeRiskConfiguration: the pool's (ClientId omitted or `ALL`)
//! or one app client's threat-protection settings (`pools::risk`). A client's own
//! configuration replaces the pool's for that client, as at Cognito; setting one with none of
//! the three configurations removes it. The shapes' members are checked by the generated
//! constraint table before this runs.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::pools::risk::{POOL_WIDE, RiskConfiguration};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    client_id: Option<String>,
    compromised_credentials_risk_configuration: Option<Value>,
    account_takeover_risk_configuration: Option<Value>,
    risk_exception_configuration: Option<Value>,
}

/// The configuration's key, after checking that a named client belongs to the pool.
fn key(db: &crate::store::Db, pool_id: &str, client_id: Option<&str>) -> Result<String> {
    match client_id {
        None | Some(POOL_WIDE) => Ok(POOL_WIDE.to_string()),
        Some(c) => match crate::store::clients::get(db, pool_id, c)? {
            Some(_) => Ok(c.to_string()),
            None => Err(CognitoError::resource_not_found(format!(
                "Client {c} does not exist in user pool {pool_id}."
            ))),
        },
    }
}

/// Cognito's `RiskConfigurationType`.
fn shape(pool_id: &str, key: &str, c: Option<&RiskConfiguration>) -> Value {
    let mut v = json!({ "UserPoolId": pool_id });
    if key != POOL_WIDE {
        v["ClientId"] = json!(key);
    }
    if let Some(c) = c {
        for (name, value) in [
            (
                "CompromisedCredentialsRiskConfiguration",
                &c.compromised_credentials,
            ),
            ("AccountTakeoverRiskConfiguration", &c.account_takeover),
            ("RiskExceptionConfiguration", &c.risk_exception),
        ] {
            if let Some(x) = value {
                v[name] = x.clone();
            }
        }
        v["LastModifiedDate"] = json!(c.last_modified);
    }
    v
}

pub async fn set(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    let now = ctx.now;
    ctx.write(move |db| {
        let mut pool = super::require_pool(db, &r.user_pool_id)?;
        let key = key(db, &pool.id, r.client_id.as_deref())?;
        let config = RiskConfiguration {
            compromised_credentials: r.compromised_credentials_risk_configuration,
            account_takeover: r.account_takeover_risk_configuration,
            risk_exception: r.risk_exception_configuration,
            last_modified: now,
        };
        let empty = config.compromised_credentials.is_none()
            && config.account_takeover.is_none()
            && config.risk_exception.is_none();
        if empty {
            pool.settings.risk.remove(&key);
        } else {
            pool.settings.risk.insert(key.clone(), config);
        }
        crate::pools::service::update_pool(db, &mut pool, now)?;
        let stored = pool.settings.risk.get(&key);
        Ok(json!({ "RiskConfiguration": shape(&pool.id, &key, stored) }))
    })
    .await
}

pub async fn describe(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    ctx.read(move |db| {
        let pool = super::require_pool(db, &r.user_pool_id)?;
        let key = key(db, &pool.id, r.client_id.as_deref())?;
        let stored = pool.settings.risk.get(&key);
        Ok(json!({ "RiskConfiguration": shape(&pool.id, &key, stored) }))
    })
    .await
}
