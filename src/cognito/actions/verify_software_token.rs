//! VerifySoftwareToken: the first code from the authenticator app turns TOTP MFA on.

use serde::Deserialize;
use serde_json::{Value, json};

use super::associate_software_token::{pool_and_user, take};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: Option<String>,
    session: Option<String>,
    user_code: String,
    #[allow(dead_code)]
    friendly_device_name: Option<String>,
}

fn mismatch() -> CognitoError {
    CognitoError::new(
        "EnableSoftwareTokenMFAException",
        "Code mismatch and fail enable Software Token MFA",
    )
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let (sealer, now, code) = (ctx.state.sealer.clone(), ctx.now, r.user_code);
    match (r.access_token, r.session) {
        (Some(token), None) => {
            let (_, user, _) = shared::access_token_user(ctx, &token).await?;
            ctx.write(move |db| {
                match crate::authn::mfa::confirm_setup(db, &sealer, &user.id, &code, now)? {
                    Ok(_) => Ok(json!({ "Status": "SUCCESS" })),
                    Err(_) => Err(mismatch()),
                }
            })
            .await
        }
        (None, Some(session)) => {
            ctx.write(move |db| {
                let c = take(db, &session, "MFA_SETUP_ASSOCIATED", now)?;
                let (_, user) = pool_and_user(db, &c)?;
                match crate::authn::mfa::confirm_setup(db, &sealer, &user.id, &code, now)? {
                    Ok(_) => {
                        let (_, session) = shared::new_challenge(
                            db,
                            &c.pool_id,
                            &c.client_id,
                            c.user_id.as_deref(),
                            &c.srp_user,
                            "MFA_SETUP_VERIFIED",
                            serde_json::from_str(&c.data).unwrap_or_default(),
                            now,
                        )?;
                        Ok(json!({ "Status": "SUCCESS", "Session": session }))
                    }
                    Err(_) => {
                        shared::retry_challenge(db, &c)?;
                        Err(mismatch())
                    }
                }
            })
            .await
        }
        _ => Err(CognitoError::invalid_parameter(
            "Give either AccessToken or Session.",
        )),
    }
}
