//! SetUserMFAPreference: software token MFA on (once verified) or off (where the pool does not
//! require it), e-mail codes (EMAIL_OTP) on or off where the pool offers them. SMS MFA is not
//! offered.

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
    if r.sms_mfa_settings.as_ref().is_some_and(|s| s.enabled) {
        return Err(CognitoError::invalid_parameter(
            "SMS MFA is not available; use software token (TOTP) or e-mail MFA.",
        ));
    }
    let (entry, user, _) = shared::access_token_user(ctx, &r.access_token).await?;
    if let Some(email) = r.email_mfa_settings {
        if email.enabled && !entry.pool.settings.email_mfa {
            return Err(CognitoError::invalid_parameter(
                "E-mail MFA is not enabled for this user pool.",
            ));
        }
        if email.enabled && !(user.email.is_some() && user.email_verified) {
            return Err(CognitoError::invalid_parameter(
                "E-mail MFA needs a verified e-mail address.",
            ));
        }
        let (user_id, now) = (user.id.clone(), ctx.now);
        ctx.write(move |db| {
            crate::store::mfa::set_email_mfa(db, &user_id, email.enabled, now)?;
            Ok(())
        })
        .await?;
    }
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
