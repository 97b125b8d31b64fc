//! Challenge sessions: started, taken (spent) once, put back after a wrong answer.

use serde_json::{Value, json};

use crate::cognito::error::CognitoError;
use crate::store::{self, Db};

use super::*;

/// How long a challenge `Session` (and a `SECRET_BLOCK`) may be answered.
pub const CHALLENGE_TTL_SECS: i64 = 180;

// ---- challenges ----

/// Starts a challenge and returns its id and the `Session` the client must send back.
#[allow(clippy::too_many_arguments)]
pub fn new_challenge(
    db: &Db,
    pool_id: &str,
    client_id: &str,
    user_id: Option<&str>,
    srp_user: &str,
    challenge: &str,
    data: Value,
    now: i64,
) -> Result<(String, String)> {
    // Unanswered challenges go here (indexed by expiry), so they cannot pile up.
    store::cognito::purge_expired_challenges(db, now)?;
    let id = crate::random::token(16);
    let session = crate::random::token(48);
    store::cognito::insert_challenge(
        db,
        &store::cognito::Challenge {
            id: id.clone(),
            session_hash: crate::random::sha256_hex(&session),
            pool_id: pool_id.to_string(),
            client_id: client_id.to_string(),
            user_id: user_id.map(String::from),
            srp_user: srp_user.to_string(),
            challenge: challenge.to_string(),
            data: data.to_string(),
            created_at: now,
            expires_at: now + CHALLENGE_TTL_SECS,
        },
    )?;
    Ok((id, session))
}

/// Takes (and so spends) the challenge behind a `Session`, checking that it belongs to this
/// client and challenge, is unexpired and is answered for its own user.
pub fn take_challenge(
    db: &Db,
    client: &ClientRef,
    session: &str,
    challenge: &str,
    username: Option<&str>,
    now: i64,
) -> Result<store::cognito::Challenge> {
    let invalid = || CognitoError::not_authorized("Invalid session for the user.");
    if session.is_empty() || session.len() > 512 {
        return Err(invalid());
    }
    let c = store::cognito::take_challenge_by_session(db, &crate::random::sha256_hex(session))?
        .ok_or_else(invalid)?;
    if c.expires_at <= now {
        return Err(CognitoError::not_authorized(
            "Invalid session for the user, session is expired.",
        ));
    }
    if c.client_id != client.client.id
        || c.pool_id != client.entry.pool.id
        || c.challenge != challenge
    {
        return Err(invalid());
    }
    if let Some(username) = username
        && !answers_for(db, client, &c, username)?
    {
        return Err(invalid());
    }
    Ok(c)
}

/// Whether `username` (as the client sends it in ChallengeResponses) names the challenge's user.
pub fn answers_for(
    db: &Db,
    client: &ClientRef,
    c: &store::cognito::Challenge,
    username: &str,
) -> Result<bool> {
    if username == c.srp_user {
        return Ok(true);
    }
    let Some(uid) = &c.user_id else {
        return Ok(false);
    };
    let found = crate::accounts::service::find_by_login(db, &client.entry.pool, username)?;
    Ok(found.is_some_and(|u| &u.id == uid))
}

/// Puts a challenge back after a wrong answer, with one more attempt counted; false (and
/// gone for good) after five.
pub fn retry_challenge(db: &Db, c: &store::cognito::Challenge) -> Result<bool> {
    let mut data: Value = serde_json::from_str(&c.data).unwrap_or_else(|_| json!({}));
    let attempts = data["attempts"].as_i64().unwrap_or(0) + 1;
    if attempts >= crate::authn::mfa::MAX_CHALLENGE_ATTEMPTS {
        return Ok(false);
    }
    data["attempts"] = json!(attempts);
    store::cognito::insert_challenge(
        db,
        &store::cognito::Challenge {
            data: data.to_string(),
            ..c.clone()
        },
    )?;
    Ok(true)
}
