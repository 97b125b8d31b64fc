//! USER_SRP_AUTH over `authn::srp`: the PASSWORD_VERIFIER challenge and its answer.
//!
//! - The server's secret `b` travels only inside `SECRET_BLOCK`, sealed with AES-256-GCM under
//!   the server key, with the pool, client and `USER_ID_FOR_SRP` as associated data.
//! - The challenge row (public values `A`, `B`) is single use: answering spends it, right or
//!   wrong; it expires after three minutes.
//! - An unknown user (or one without a verifier) gets a decoy: a stable salt and user id
//!   derived from the server key, the same work, and the same final error.

use num_bigint::BigUint;
use serde_json::{Value, json};

use super::error::CognitoError;
use super::shared::{self, ClientRef, Ctx, Result};
use crate::accounts::service::find_by_login;
use crate::authn::srp;
use crate::pools::UsernameAttribute;
use crate::store;

pub const CHALLENGE: &str = "PASSWORD_VERIFIER";

fn aad(pool_id: &str, client_id: &str, srp_user: &str) -> Vec<u8> {
    format!("incognito-srp-v1|{pool_id}|{client_id}|{srp_user}").into_bytes()
}

/// Decoy salt, verifier and user id for a login name that has no usable verifier.
fn decoy(key: &[u8; 32], client: &ClientRef, login: &str) -> (Vec<u8>, BigUint, String) {
    let pool_id = client.pool_id();
    let login = login.trim().to_lowercase();
    let mut salt = shared::derive(key, &format!("salt|{pool_id}|{login}"))[..16].to_vec();
    salt[0] = (salt[0] % 0x7f) + 1;
    let x = BigUint::from_bytes_be(&shared::derive(key, &format!("x|{pool_id}|{login}")));
    let v = srp::public_a(&x);
    let srp_user = match client.entry.pool.settings.username_attribute {
        UsernameAttribute::Email => {
            let b = shared::derive(key, &format!("id|{pool_id}|{login}"));
            let mut id = [0u8; 16];
            id.copy_from_slice(&b[..16]);
            uuid::Builder::from_random_bytes(id).into_uuid().to_string()
        }
        UsernameAttribute::Username => login,
    };
    (salt, v, srp_user)
}

/// InitiateAuth USER_SRP_AUTH: answers the PASSWORD_VERIFIER challenge.
pub async fn start(ctx: &Ctx, client: &ClientRef, login: &str, srp_a: &str) -> Result<Value> {
    let a = srp::parse_a(srp_a)
        .map_err(|e| CognitoError::invalid_parameter(format!("Invalid SRP_A: {e}.")))?;
    let (client, login) = (client.clone(), login.to_string());
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    let prevent = client.client.settings.prevent_user_existence_errors;
    let limiter = ctx.state.address_limiter.clone();
    let ip = ctx.ip;
    ctx.write(move |db| {
        if limiter.is_blocked(ip, now) {
            return Err(CognitoError::new(
                "TooManyRequestsException",
                "Too many requests.",
            ));
        }
        let pool = &client.entry.pool;
        if crate::authn::throttle::locked_for(db, &pool.id, &login.trim().to_lowercase(), now)?
            .is_some()
        {
            return Err(CognitoError::not_authorized("Password attempts exceeded"));
        }
        let key = shared::server_key(db, &sealer, now)?;
        let user = find_by_login(db, pool, &login)?;
        if user.is_none() && !prevent {
            return Err(CognitoError::user_not_found());
        }
        let real = match &user {
            Some(u) => store::cognito::get_verifier(db, &u.id)?.and_then(|row| {
                let salt = hex::decode(&row.salt).ok()?;
                let v = sealer
                    .open(&row.verifier)
                    .ok()
                    .and_then(|h| srp::from_hex(&h))?;
                Some((salt, v, u.username.clone(), u.id.clone()))
            }),
            None => None,
        };
        let (salt, v, srp_user, user_id) = match real {
            Some((salt, v, name, id)) => (salt, v, name, Some(id)),
            None => {
                let (salt, v, name) = decoy(&key, &client, &login);
                // A known user without a verifier keeps their real user id for SRP.
                let name = user.as_ref().map_or(name, |u| u.username.clone());
                (salt, v, name, None)
            }
        };
        let b = srp::new_b();
        let b_pub = srp::public_b(&v, &b);
        let (cid, session) = shared::new_challenge(
            db,
            &pool.id,
            &client.client.id,
            user_id.as_deref(),
            &srp_user,
            CHALLENGE,
            json!({ "A": srp::to_hex(&a), "B": srp::to_hex(&b_pub), "login": login }),
            now,
        )?;
        let block = json!({ "c": cid, "b": srp::to_hex(&b), "t": now }).to_string();
        let secret_block = shared::seal_block(
            &key,
            block.as_bytes(),
            &aad(&pool.id, &client.client.id, &srp_user),
        );
        Ok(json!({
            "ChallengeName": CHALLENGE,
            "Session": session,
            "ChallengeParameters": {
                "SALT": hex::encode(&salt),
                "SRP_B": srp::to_hex(&b_pub),
                "SECRET_BLOCK": secret_block,
                "USER_ID_FOR_SRP": srp_user,
                "USERNAME": srp_user,
            },
        }))
    })
    .await
}

/// The PASSWORD_VERIFIER answer.
pub struct Answer {
    pub username: String,
    pub secret_block: String,
    pub timestamp: String,
    pub signature: String,
    pub session: Option<String>,
}

/// RespondToAuthChallenge PASSWORD_VERIFIER: checks the proof, then finishes the sign-in.
pub async fn verify(ctx: &Ctx, client: &ClientRef, ans: Answer) -> Result<Value> {
    let bad = CognitoError::bad_credentials;
    if ans.username.is_empty() || ans.username.len() > 256 {
        return Err(bad());
    }
    let blob = shared::decode_block(&ans.secret_block).ok_or_else(bad)?;
    srp::parse_timestamp(&ans.timestamp).map_err(|_| {
        CognitoError::invalid_parameter(
            "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.",
        )
    })?;
    let (client, sealer, now) = (client.clone(), ctx.state.sealer.clone(), ctx.now);
    let issuer = ctx.issuer(client.pool_id());
    let limiter = ctx.state.address_limiter.clone();
    let ip = ctx.ip;
    ctx.write(move |db| {
        let pool = client.entry.pool.clone();
        let key = shared::server_key(db, &sealer, now)?;
        let plain = shared::open_block(
            &key,
            &blob,
            &aad(&pool.id, &client.client.id, &ans.username),
        )
        .ok_or_else(bad)?;
        let block: Value = serde_json::from_slice(&plain).map_err(|_| bad())?;
        let cid = block["c"].as_str().ok_or_else(bad)?;
        let b = block["b"]
            .as_str()
            .and_then(srp::from_hex)
            .ok_or_else(bad)?;
        // Spent here, whatever the outcome.
        let c = store::cognito::take_challenge_by_id(db, cid)?
            .ok_or_else(|| CognitoError::not_authorized("Invalid session for the user."))?;
        if let Some(s) = &ans.session
            && !crate::random::ct_eq(&crate::random::sha256_hex(s), &c.session_hash)
        {
            return Err(CognitoError::not_authorized(
                "Invalid session for the user.",
            ));
        }
        if c.expires_at <= now
            || c.challenge != CHALLENGE
            || c.client_id != client.client.id
            || c.pool_id != pool.id
            || c.srp_user != ans.username
        {
            return Err(CognitoError::not_authorized(
                "Invalid session for the user.",
            ));
        }
        if srp::check_timestamp(&ans.timestamp, now).is_err() {
            return Err(CognitoError::not_authorized(
                "TIMESTAMP is too far from the server time.",
            ));
        }
        let data: Value = serde_json::from_str(&c.data).map_err(|_| bad())?;
        let a = data["A"].as_str().and_then(srp::from_hex).ok_or_else(bad)?;
        let b_pub = data["B"].as_str().and_then(srp::from_hex).ok_or_else(bad)?;
        let login = data["login"].as_str().unwrap_or(&ans.username).to_string();
        let user = match &c.user_id {
            Some(id) => store::users::get(db, &pool.id, id)?,
            None => None,
        };
        let v = match &user {
            Some(u) => store::cognito::get_verifier(db, &u.id)?
                .and_then(|row| sealer.open(&row.verifier).ok())
                .and_then(|h| srp::from_hex(&h)),
            None => None,
        };
        // Same work for decoys: a throwaway verifier.
        let (v, real) = match v {
            Some(v) => (v, true),
            None => (srp::public_a(&srp::new_b()), false),
        };
        let session_key = srp::server_key(&a, &b_pub, &b, &v).map_err(|_| bad())?;
        let expected = srp::signature(
            &session_key,
            srp::pool_name(&pool.id),
            &c.srp_user,
            &blob,
            &ans.timestamp,
        );
        let ok = srp::signature_matches(&expected, &ans.signature) && real;
        let subject = login.trim().to_lowercase();
        let Some(user) = user.filter(|_| ok) else {
            crate::authn::throttle::record_failure(db, &pool.id, &subject, now)?;
            limiter.record_failure(ip, now);
            tracing::info!(pool = %pool.id, "sign-in failed (SRP)");
            return Err(bad());
        };
        crate::authn::throttle::record_success(db, &pool.id, &subject)?;
        shared::finish_sign_in(db, &client, &user, &["pwd".to_string()], now, &issuer, now)
    })
    .await
}
