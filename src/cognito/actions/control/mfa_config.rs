//! SetUserPoolMfaConfig and GetUserPoolMfaConfig: the pool's MFA mode with TOTP and, with
//! `EmailMfaConfiguration`, e-mail one-time codes (SMS MFA is refused: no SMS here).

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

fn answer(mode: MfaMode, email: bool) -> Value {
    let mut v = json!({
        "MfaConfiguration": match mode {
            MfaMode::Off => "OFF",
            MfaMode::Optional => "OPTIONAL",
            MfaMode::Required => "ON",
        },
        "SoftwareTokenMfaConfiguration": { "Enabled": mode != MfaMode::Off },
    });
    if email {
        // The message is Incognito's (per language, overridable like the other e-mails).
        v["EmailMfaConfiguration"] = json!({});
    }
    v
}

pub async fn get(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: super::PoolRequest = crate::cognito::wire::parse(body)?;
    ctx.read(move |db| {
        let pool = super::require_pool(db, &r.user_pool_id)?;
        Ok(answer(pool.settings.mfa, pool.settings.email_mfa))
    })
    .await
}

pub async fn set(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = crate::cognito::wire::parse(body)?;
    if r.sms_mfa_configuration.is_some() {
        return Err(CognitoError::invalid_parameter(
            "SMS MFA is not supported; use SoftwareTokenMfaConfiguration (TOTP) or EmailMfaConfiguration.",
        ));
    }
    let email = r.email_mfa_configuration.is_some();
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
        pool.settings.email_mfa = email;
        crate::pools::service::update_pool(db, &mut pool, now)?;
        Ok(answer(mode, email))
    })
    .await
}
