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
use crate::cognito::wire::StringMap;
use crate::pools::UsernameAttribute;
use crate::store;
use crate::triggers::{Triggers, pre_authentication};

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

/// Runs big-number work on the blocking pool, outside any transaction (and so outside the
/// store's writer turn).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(crate::logging::traced(f))
        .await
        .map_err(|_| CognitoError::internal())
}

/// InitiateAuth USER_SRP_AUTH: answers the PASSWORD_VERIFIER challenge, once PreAuthentication
/// (which Cognito fires at this step, before the proof) has allowed the sign-in.
pub async fn start(
    ctx: &Ctx,
    client: &ClientRef,
    login: &str,
    srp_a: &str,
    client_metadata: &StringMap,
) -> Result<Value> {
    start_with(ctx, client, login, srp_a, client_metadata, None).await
}

/// `start`, for a CUSTOM_AUTH flow when `custom` (its state) is given: the answer then goes
/// back to `custom_auth` instead of finishing the sign-in.
pub async fn start_with(
    ctx: &Ctx,
    client: &ClientRef,
    login: &str,
    srp_a: &str,
    client_metadata: &StringMap,
    custom: Option<Value>,
) -> Result<Value> {
    let a = srp::parse_a(srp_a)
        .map_err(|e| CognitoError::invalid_parameter(format!("Invalid SRP_A: {e}.")))?;
    if ctx.state.address_limiter.is_blocked(ctx.ip, ctx.now) {
        return Err(CognitoError::new(
            "TooManyRequestsException",
            "Too many requests.",
        ));
    }
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    let prevent = client.client.settings.prevent_user_existence_errors;
    // 1. What we know of the login name (read only).
    let (pool, l2, s2) = (client.entry.pool.clone(), login.to_string(), sealer.clone());
    let (locked, user, verifier, key) = ctx
        .read(move |db| {
            let locked =
                crate::authn::throttle::locked_for(db, &pool.id, &l2.trim().to_lowercase(), now)?;
            let user = find_by_login(db, &pool, &l2)?;
            let verifier = match &user {
                Some(u) => store::cognito::get_verifier(db, &u.id)?,
                None => None,
            };
            Ok((locked, user, verifier, shared::load_server_key(db, &s2)?))
        })
        .await?;
    if locked.is_some() {
        return Err(CognitoError::not_authorized("Password attempts exceeded"));
    }
    if user.is_none() && !prevent {
        return Err(CognitoError::user_not_found());
    }
    if Triggers::target(&client.entry.pool, pre_authentication::TRIGGER).is_some() {
        let (triggers, pool, l1) = (
            ctx.state.triggers.clone(),
            client.entry.pool.clone(),
            login.to_string(),
        );
        let (context, u1) = (
            shared::sign_in_context(ctx, client, client_metadata),
            user.clone(),
        );
        store::blocking(move || {
            crate::authn::flow::pre_authentication(&triggers, &pool, u1.as_ref(), &l1, &context)
                .map_err(crate::Error::from)
        })
        .await?;
    }
    let key = match key {
        Some(k) => k,
        None => {
            let s3 = sealer.clone();
            ctx.write(move |db| shared::server_key(db, &s3, now))
                .await?
        }
    };
    // 2. The maths: the real verifier, or a stable decoy.
    let (c2, l3) = (client.clone(), login.to_string());
    let (salt, srp_user, user_id, b, b_pub) = blocking(move || {
        let real = match (&user, verifier) {
            (Some(u), Some(row)) => {
                let salt = hex::decode(&row.salt).ok();
                let v = sealer
                    .open(&row.verifier)
                    .ok()
                    .and_then(|h| srp::from_hex(&h));
                salt.zip(v)
                    .map(|(salt, v)| (salt, v, u.username.clone(), u.id.clone()))
            }
            _ => None,
        };
        // The decoy is computed for everyone, so known and unknown names cost the same.
        let (d_salt, d_v, d_name) = decoy(&key, &c2, &l3);
        let (salt, v, srp_user, user_id) = match real {
            Some((salt, v, name, id)) => (salt, v, name, Some(id)),
            None => {
                let (salt, v, name) = (d_salt, d_v, d_name);
                // A known user without a verifier keeps their real user id for SRP.
                let name = user.as_ref().map_or(name, |u| u.username.clone());
                (salt, v, name, None)
            }
        };
        let b = srp::new_b();
        let b_pub = srp::public_b(&v, &b);
        (salt, srp_user, user_id, b, b_pub)
    })
    .await?;
    // 3. The single-use challenge.
    let (c3, l4, u4, a_hex, b_pub_hex) = (
        client.clone(),
        login.to_string(),
        srp_user.clone(),
        srp::to_hex(&a),
        srp::to_hex(&b_pub),
    );
    let (cid, session) = ctx
        .write(move |db| {
            shared::new_challenge(
                db,
                c3.pool_id(),
                &c3.client.id,
                user_id.as_deref(),
                &u4,
                CHALLENGE,
                json!({ "A": a_hex, "B": b_pub_hex, "login": l4, "custom": custom }),
                now,
            )
        })
        .await?;
    let block = json!({ "c": cid, "b": srp::to_hex(&b), "t": now }).to_string();
    let secret_block = crate::keys::seal::seal_block(
        &key,
        block.as_bytes(),
        &aad(client.pool_id(), &client.client.id, &srp_user),
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
}

/// The PASSWORD_VERIFIER answer.
pub struct Answer {
    pub username: String,
    pub secret_block: String,
    pub timestamp: String,
    pub signature: String,
    pub session: Option<String>,
    /// RespondToAuthChallenge's `ClientMetadata`, for PostAuthentication.
    pub client_metadata: Option<StringMap>,
}

/// What the spent challenge gives the proof check.
struct Spent {
    a: BigUint,
    b_pub: BigUint,
    b: BigUint,
    v: Option<BigUint>,
    user: Option<crate::accounts::User>,
    srp_user: String,
    login: String,
    custom: Option<Value>,
}

/// RespondToAuthChallenge PASSWORD_VERIFIER: checks the proof, then finishes the sign-in.
pub async fn verify(ctx: &Ctx, client: &ClientRef, ans: Answer) -> Result<Value> {
    let bad = CognitoError::bad_credentials;
    if ans.username.is_empty() || ans.username.len() > 256 {
        return Err(bad());
    }
    let blob = crate::keys::seal::decode_block(&ans.secret_block).ok_or_else(bad)?;
    srp::parse_timestamp(&ans.timestamp).map_err(|_| {
        CognitoError::invalid_parameter(
            "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.",
        )
    })?;
    let (sealer, now) = (ctx.state.sealer.clone(), ctx.now);
    // 1. Spend the challenge (committed whatever follows) and load what the proof needs.
    let (c1, s1, b1) = (client.clone(), sealer.clone(), blob.clone());
    let (username, session, timestamp) = (
        ans.username.clone(),
        ans.session.clone(),
        ans.timestamp.clone(),
    );
    let spent = ctx
        .write(move |db| {
            let pool = &c1.entry.pool;
            let key = shared::load_server_key(db, &s1)?.ok_or_else(bad)?;
            let plain =
                crate::keys::seal::open_block(&key, &b1, &aad(&pool.id, &c1.client.id, &username))
                    .ok_or_else(bad)?;
            let block: Value = serde_json::from_slice(&plain).map_err(|_| bad())?;
            let cid = block["c"].as_str().ok_or_else(bad)?;
            let b = block["b"]
                .as_str()
                .and_then(srp::from_hex)
                .ok_or_else(bad)?;
            let c = store::cognito::take_challenge_by_id(db, cid)?
                .ok_or_else(|| CognitoError::not_authorized("Invalid session for the user."))?;
            if let Some(s) = &session
                && !crate::random::ct_eq(&crate::random::sha256_hex(s), &c.session_hash)
            {
                return Err(CognitoError::not_authorized(
                    "Invalid session for the user.",
                ));
            }
            if c.expires_at <= now
                || c.challenge != CHALLENGE
                || c.client_id != c1.client.id
                || c.pool_id != pool.id
                || c.srp_user != username
            {
                return Err(CognitoError::not_authorized(
                    "Invalid session for the user.",
                ));
            }
            if srp::check_timestamp(&timestamp, now).is_err() {
                return Err(CognitoError::not_authorized(
                    "TIMESTAMP is too far from the server time.",
                ));
            }
            let data: Value = serde_json::from_str(&c.data).map_err(|_| bad())?;
            let a = data["A"].as_str().and_then(srp::from_hex).ok_or_else(bad)?;
            let b_pub = data["B"].as_str().and_then(srp::from_hex).ok_or_else(bad)?;
            let login = data["login"].as_str().unwrap_or(&username).to_string();
            let user = match &c.user_id {
                Some(id) => store::users::get(db, &pool.id, id)?,
                None => None,
            };
            let v = match &user {
                Some(u) => store::cognito::get_verifier(db, &u.id)?
                    .and_then(|row| s1.open(&row.verifier).ok())
                    .and_then(|h| srp::from_hex(&h)),
                None => None,
            };
            let custom = Some(data["custom"].clone()).filter(|c| !c.is_null());
            Ok(Spent {
                custom,
                a,
                b_pub,
                b,
                v,
                user,
                srp_user: c.srp_user,
                login,
            })
        })
        .await?;
    // 2. The proof, on the blocking pool; decoys do the same work with a throwaway verifier.
    let (pool_id, signature, ts) = (
        client.pool_id().to_string(),
        ans.signature.clone(),
        ans.timestamp.clone(),
    );
    let (ok, spent) = blocking(move || {
        let real = spent.v.is_some();
        // A throwaway verifier, computed for everyone so that decoys cost the same.
        let throwaway = srp::public_a(&srp::new_b());
        let v = spent.v.clone().unwrap_or(throwaway);
        let ok = srp::server_key(&spent.a, &spent.b_pub, &spent.b, &v).is_ok_and(|key| {
            let expected =
                srp::signature(&key, srp::pool_name(&pool_id), &spent.srp_user, &blob, &ts);
            srp::signature_matches(&expected, &signature)
        });
        (ok && real, spent)
    })
    .await?;
    crate::metrics::sign_in("cognito_srp", if ok { "success" } else { "failure" });
    if let Some(custom) = spent.custom {
        return super::custom_auth::after_password(ctx, client, spent.user, ok, custom).await;
    }
    // 3. Record the outcome and finish the sign-in.
    let (c3, issuer) = (client.clone(), ctx.issuer(client.pool_id()));
    let (limiter, ip) = (ctx.state.address_limiter.clone(), ctx.ip);
    let (risk, evidence) = (ctx.state.risk.clone(), ctx.evidence.clone());
    ctx.sign_in_with(ans.client_metadata, move |db| {
        let pool_id = c3.pool_id();
        let subject = spent.login.trim().to_lowercase();
        let Some(user) = spent.user.filter(|_| ok) else {
            crate::authn::throttle::record_failure(db, pool_id, &subject, now)?;
            limiter.record_failure(ip, now);
            tracing::info!(pool = %pool_id, "sign-in failed (SRP)");
            return Err(bad());
        };
        let failures = crate::authn::throttle::standing(db, pool_id, &subject, now)?.failures;
        crate::authn::throttle::record_success(db, pool_id, &subject)?;
        // The user as of now (disabled or deleted meanwhile: no tokens).
        let user = store::users::get(db, pool_id, &user.id)?.ok_or_else(bad)?;
        // Adaptive sign-in, as for a password sign-in (`flow::password_login`).
        let assessment = if user.can_sign_in() {
            crate::authn::risk::assess(
                db,
                &risk,
                &c3.entry.pool,
                Some(&c3.client.id),
                &user,
                &evidence,
                failures,
                now,
            )?
        } else {
            None
        };
        if assessment.as_ref().is_some_and(|a| a.blocked()) {
            return Err(crate::cognito::error::risk_blocked());
        }
        let demand = assessment.map(|a| a.demand()).unwrap_or_default();
        shared::finish_sign_in(
            db,
            &c3,
            &user,
            &["pwd".to_string()],
            now,
            &issuer,
            demand,
            now,
        )
    })
    .await
}
