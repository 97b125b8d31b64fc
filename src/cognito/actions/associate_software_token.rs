//! AssociateSoftwareToken: a new TOTP secret for the signed-in user (`AccessToken`) or for a
//! sign-in that must set up MFA first (`Session` of an MFA_SETUP challenge).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire;
use crate::store;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    access_token: Option<String>,
    session: Option<String>,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    match (r.access_token, r.session) {
        (Some(token), None) => {
            let (entry, user, _) = shared::access_token_user(ctx, &token).await?;
            let secret = ctx
                .write(move |db| begin(db, &sealer, &entry.pool, &user, now))
                .await?;
            Ok(json!({ "SecretCode": secret }))
        }
        (None, Some(session)) => {
            ctx.write(move |db| {
                let c = take(db, &session, "MFA_SETUP", now)?;
                let (pool, user) = pool_and_user(db, &c)?;
                let secret = begin(db, &sealer, &pool, &user, now)?;
                let (_, session) = shared::new_challenge(
                    db,
                    &c.pool_id,
                    &c.client_id,
                    c.user_id.as_deref(),
                    &c.srp_user,
                    "MFA_SETUP_ASSOCIATED",
                    serde_json::from_str(&c.data).unwrap_or_default(),
                    now,
                )?;
                Ok(json!({ "SecretCode": secret, "Session": session }))
            })
            .await
        }
        _ => Err(CognitoError::invalid_parameter(
            "Give either AccessToken or Session.",
        )),
    }
}

fn begin(
    db: &store::Db,
    sealer: &crate::keys::seal::Sealer,
    pool: &crate::pools::Pool,
    user: &crate::accounts::User,
    now: i64,
) -> Result<String> {
    match crate::authn::mfa::begin_setup(db, sealer, pool, user, now) {
        Ok(setup) => Ok(setup.secret),
        Err(crate::Error::AlreadyExists(_)) => Err(CognitoError::invalid_parameter(
            "Software token MFA is already set up; turn it off first.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Spends the challenge behind a session (no client id comes with these requests).
pub fn take(
    db: &store::Db,
    session: &str,
    challenge: &str,
    now: i64,
) -> Result<store::cognito::Challenge> {
    let invalid = || CognitoError::not_authorized("Invalid session for the user.");
    if session.is_empty() || session.len() > 512 {
        return Err(invalid());
    }
    let c = store::cognito::take_challenge_by_session(db, &crate::random::sha256_hex(session))?
        .ok_or_else(invalid)?;
    if c.expires_at <= now || c.challenge != challenge {
        return Err(invalid());
    }
    Ok(c)
}

pub fn pool_and_user(
    db: &store::Db,
    c: &store::cognito::Challenge,
) -> Result<(crate::pools::Pool, crate::accounts::User)> {
    let invalid = || CognitoError::not_authorized("Invalid session for the user.");
    let pool = store::pools::get(db, &c.pool_id)?.ok_or_else(invalid)?;
    let user = c
        .user_id
        .as_deref()
        .map(|id| store::users::get(db, &c.pool_id, id))
        .transpose()?
        .flatten()
        .filter(|u| u.can_sign_in())
        .ok_or_else(invalid)?;
    Ok((pool, user))
}
