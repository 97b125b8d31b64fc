//! SetUserPoolMfaConfig and GetUserPoolMfaConfig: the pool's MFA mode with TOTP, the one
//! second factor Incognito has (SMS and e-mail MFA are refused when asked for).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{Ctx, Result};
use crate::pools::MfaMode;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    mfa_configuration: Option<String>,
    software_token_mfa_configuration: Option<Value>,
    sms_mfa_configuration: Option<Value>,
    email_mfa_configuration: Option<Value>,
}

fn answer(mode: MfaMode) -> Value {
    json!({
        "MfaConfiguration": match mode {
            MfaMode::Off => "OFF",
            MfaMode::Optional => "OPTIONAL",
            MfaMode::Required => "ON",
        },
        "SoftwareTokenMfaConfiguration": { "Enabled": mode != MfaMode::Off },
    })
}

pub async fn get(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: super::PoolRequest = crate::cognito::wire::parse(body)?;
    ctx.read(move |db| {
        Ok(answer(
            super::require_pool(db, &r.user_pool_id)?.settings.mfa,
        ))
    })
    .await
}

pub async fn set(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    if r.sms_mfa_configuration.is_some() || r.email_mfa_configuration.is_some() {
        return Err(CognitoError::invalid_parameter(
            "SMS and e-mail MFA are not supported; use SoftwareTokenMfaConfiguration (TOTP).",
        ));
    }
    let totp = r
        .software_token_mfa_configuration
        .as_ref()
        .and_then(|c| c.get("Enabled"))
        .and_then(Value::as_bool);
    let now = ctx.now;
    ctx.write(move |db| {
        let mut pool = super::require_pool(db, &r.user_pool_id)?;
        let mode = match r.mfa_configuration.as_deref() {
            None => pool.settings.mfa,
            Some("OFF") => MfaMode::Off,
            Some("OPTIONAL") => MfaMode::Optional,
            Some("ON") => MfaMode::Required,
            Some(_) => {
                return Err(CognitoError::invalid_parameter(
                    "MfaConfiguration: OFF, ON or OPTIONAL.",
                ));
            }
        };
        if mode != MfaMode::Off && totp == Some(false) {
            return Err(CognitoError::invalid_parameter(
                "MFA needs a second factor: enable SoftwareTokenMfaConfiguration.",
            ));
        }
        pool.settings.mfa = mode;
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(answer(mode))
    })
    .await
}
