//! SetUserMFAPreference: software token MFA on (once verified) or off (where the pool does not
//! require it). SMS and email MFA are not offered.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::pools::MfaMode;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Settings {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    #[allow(dead_code)]
    preferred_mfa: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: String,
    #[serde(rename = "SMSMfaSettings")]
    sms_mfa_settings: Option<Settings>,
    software_token_mfa_settings: Option<Settings>,
    email_mfa_settings: Option<Settings>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    if r.sms_mfa_settings.as_ref().is_some_and(|s| s.enabled)
        || r.email_mfa_settings.as_ref().is_some_and(|s| s.enabled)
    {
        return Err(CognitoError::invalid_parameter(
            "Only software token (TOTP) MFA is available.",
        ));
    }
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    let Some(totp) = r.software_token_mfa_settings else {
        return Ok(json!({}));
    };
    ctx.write(move |db| {
        let enabled = crate::authn::mfa::is_enabled(db, &user.id)?;
        if totp.enabled && !enabled {
            return Err(CognitoError::invalid_parameter(
                "User has not verified software token mfa",
            ));
        }
        if !totp.enabled && enabled {
            if entry.pool.settings.mfa == MfaMode::Required {
                return Err(CognitoError::invalid_parameter(
                    "This user pool requires MFA.",
                ));
            }
            crate::authn::mfa::reset(db, &user.id)?;
        }
        Ok(json!({}))
    })
    .await
}
