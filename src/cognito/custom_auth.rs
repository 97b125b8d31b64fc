//! CUSTOM_AUTH: InitiateAuth / AdminInitiateAuth start a loop of DefineAuthChallenge →
//! CreateAuthChallenge → (the client answers) → VerifyAuthChallengeResponse → Define again,
//! until Define issues tokens or fails the sign-in. `AuthParameters.CHALLENGE_NAME: SRP_A`
//! starts with SRP's PASSWORD_VERIFIER (whose result joins the session) before custom
//! challenges.
//!
//! - Between rounds the state (`session[]`, the sealed `privateChallengeParameters`, the
//!   challenge's metadata) lives in the challenge row, server side; the client holds only
//!   the single-use, three-minute `Session`.
//! - Triggers run on the blocking pool between the transactions that spend a challenge and
//!   store the next one, never inside one.
//! - An unknown login (with PreventUserExistenceErrors) runs the same loop with
//!   `userNotFound: true` and can never get tokens; without it, `UserNotFoundException`.
//! - A failed flow is Cognito's "Incorrect username or password.".

use serde_json::{Value, json};

use super::error::CognitoError;
use super::shared::{self, ClientRef, Ctx, Result};
use super::wire::StringMap;
use crate::accounts::{User, UserStatus};
use crate::triggers::auth_challenge::{self as trio, Decision, SessionEntry};

pub const CHALLENGE: &str = "CUSTOM_CHALLENGE";
/// The longest `session[]` a flow may reach: ours (Cognito does not publish one), so that
/// a handler that never decides cannot keep a sign-in open for ever.
pub const MAX_ROUNDS: usize = 10;

/// What a flow carries from one round to the next (the `custom` member of the row's data).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub login: String,
    pub session: Vec<SessionEntry>,
    /// `privateChallengeParameters` of the challenge now open, sealed at rest.
    #[serde(default)]
    pub private: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
}

/// InitiateAuth / AdminInitiateAuth with `AuthFlow: CUSTOM_AUTH`.
pub async fn initiate(ctx: &Ctx, client: &ClientRef, p: &StringMap) -> Result<Value> {
    client.require_flow("ALLOW_CUSTOM_AUTH")?;
    let login = super::actions::initiate_auth::required(p, "USERNAME")?.to_string();
    super::actions::initiate_auth::check_secret(ctx, client, &login, p.get("SECRET_HASH")).await?;
    let pool = &client.entry.pool;
    if crate::triggers::Triggers::target(pool, trio::DEFINE).is_none() {
        return Err(trio::ChallengeError::NotConfigured.into());
    }
    let srp_a = match p.get("CHALLENGE_NAME").map(String::as_str) {
        None => None,
        Some("SRP_A") => Some(super::actions::initiate_auth::required(p, "SRP_A")?.to_string()),
        Some(_) => {
            return Err(CognitoError::invalid_parameter(
                "CHALLENGE_NAME must be SRP_A when given.",
            ));
        }
    };
    if ctx.state.address_limiter.is_blocked(ctx.ip, ctx.now) {
        return Err(CognitoError::new(
            "TooManyRequestsException",
            "Too many requests.",
        ));
    }
    let (pool2, l2) = (pool.clone(), login.clone());
    let user = ctx
        .read(move |db| Ok(crate::accounts::service::find_by_login(db, &pool2, &l2)?))
        .await?;
    if user.is_none() && !client.client.settings.prevent_user_existence_errors {
        return Err(CognitoError::user_not_found());
    }
    let session = match srp_a {
        Some(_) => vec![SessionEntry {
            challenge_name: "SRP_A".into(),
            challenge_result: true,
            challenge_metadata: None,
        }],
        None => vec![],
    };
    let state = State {
        login,
        session,
        private: None,
        metadata: None,
    };
    // ClientMetadata of InitiateAuth is not passed to the trio (Cognito passes it only to
    // PreSignUp, PreAuthentication and UserMigration); RespondToAuthChallenge's is.
    next_round(ctx, client, user, state, None, srp_a).await
}

/// RespondToAuthChallenge / AdminRespondToAuthChallenge with `ChallengeName: CUSTOM_CHALLENGE`.
pub async fn respond(
    ctx: &Ctx,
    client: &ClientRef,
    session: Option<String>,
    p: &StringMap,
    metadata: &StringMap,
) -> Result<Value> {
    use super::actions::initiate_auth::{check_secret, required};
    let username = required(p, "USERNAME")?.to_string();
    let answer = required(p, "ANSWER")?.to_string();
    let session = session
        .ok_or_else(|| CognitoError::invalid_parameter("Missing required parameter Session"))?;
    check_secret(ctx, client, &username, p.get("SECRET_HASH")).await?;
    // 1. Spend the challenge (committed whatever follows).
    let (c, now) = (client.clone(), ctx.now);
    let (ch, user) = ctx
        .write(move |db| {
            let ch = shared::take_challenge(db, &c, &session, CHALLENGE, Some(&username), now)?;
            let user = match &ch.user_id {
                Some(id) => crate::store::users::get(db, c.pool_id(), id)?,
                None => None,
            };
            Ok((ch, user))
        })
        .await?;
    let data: Value = serde_json::from_str(&ch.data).unwrap_or_default();
    let mut state: State = serde_json::from_value(data["custom"].clone())
        .map_err(|_| CognitoError::not_authorized("Invalid session for the user."))?;
    let private = match state.private.take() {
        Some(sealed) => {
            let plain = ctx.state.sealer.open(&sealed).map_err(|e| {
                tracing::error!(error = %e, "cannot open a custom challenge's parameters");
                CognitoError::internal()
            })?;
            serde_json::from_str(&plain).unwrap_or_default()
        }
        None => Default::default(),
    };
    let metadata = (!metadata.is_empty()).then(|| metadata.clone());
    // 2. The handler's verdict on the answer.
    let (triggers, pool, tctx) = (
        ctx.state.triggers.clone(),
        client.entry.pool.clone(),
        context(client, user.as_ref(), &state.login, metadata.clone()),
    );
    let correct = crate::store::blocking(move || {
        trio::verify(&triggers, &pool, &tctx, &private, &answer).map_err(Failure)
    })
    .await
    .map_err(CognitoError::from)?;
    state.session.push(SessionEntry {
        challenge_name: CHALLENGE.into(),
        challenge_result: correct,
        challenge_metadata: state.metadata.take(),
    });
    next_round(ctx, client, user, state, metadata, None).await
}

/// After the PASSWORD_VERIFIER of a CUSTOM_AUTH flow that began with SRP_A: the result joins
/// the session and DefineAuthChallenge decides what follows.
pub async fn after_password(
    ctx: &Ctx,
    client: &ClientRef,
    user: Option<User>,
    ok: bool,
    custom: Value,
) -> Result<Value> {
    let mut state: State = serde_json::from_value(custom)
        .map_err(|_| CognitoError::not_authorized("Invalid session for the user."))?;
    let (pool_id, subject, now) = (
        client.pool_id().to_string(),
        state.login.trim().to_lowercase(),
        ctx.now,
    );
    let ok = ok && user.is_some();
    ctx.write(move |db| {
        if ok {
            crate::authn::throttle::record_success(db, &pool_id, &subject)?;
        } else {
            crate::authn::throttle::record_failure(db, &pool_id, &subject, now)?;
        }
        Ok(())
    })
    .await?;
    if !ok {
        ctx.state.address_limiter.record_failure(ctx.ip, now);
    }
    state.session.push(SessionEntry {
        challenge_name: super::srp_auth::CHALLENGE.into(),
        challenge_result: ok,
        challenge_metadata: None,
    });
    next_round(ctx, client, user, state, None, None).await
}

/// The trio's event context for `user` (or, for an unknown login, `userNotFound`).
fn context(
    client: &ClientRef,
    user: Option<&User>,
    login: &str,
    client_metadata: Option<StringMap>,
) -> trio::Context {
    let (user_name, user_attributes) = match user {
        Some(u) => {
            let mut attrs = crate::triggers::user_attributes(u);
            attrs.insert("cognito:user_status".into(), u.status.as_str().into());
            (u.username.clone(), attrs)
        }
        None => (login.to_string(), Default::default()),
    };
    trio::Context {
        user_name,
        user_attributes,
        client_id: client.client.id.clone(),
        client_metadata,
        user_not_found: user.is_none(),
    }
}

/// Carries a trigger failure through `store::blocking`'s error parameter.
struct Failure(trio::ChallengeError);

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        tracing::error!(error = %e, "custom auth: blocking task failed");
        Failure(trio::ChallengeError::Trigger(
            crate::triggers::TriggerError::Failed {
                trigger: trio::DEFINE,
                reason: "an internal error",
            },
        ))
    }
}

impl From<Failure> for CognitoError {
    fn from(Failure(e): Failure) -> CognitoError {
        e.into()
    }
}

/// One round: Define decides; a custom challenge is created and stored, PASSWORD_VERIFIER
/// starts SRP, tokens are issued, or the sign-in fails.
async fn next_round(
    ctx: &Ctx,
    client: &ClientRef,
    user: Option<User>,
    mut state: State,
    metadata: Option<StringMap>,
    srp_a: Option<String>,
) -> Result<Value> {
    if state.session.len() > MAX_ROUNDS {
        return Err(fail(ctx));
    }
    let tctx = context(client, user.as_ref(), &state.login, metadata);
    let (triggers, pool, session) = (
        ctx.state.triggers.clone(),
        client.entry.pool.clone(),
        state.session.clone(),
    );
    let (decision, created) = crate::store::blocking(move || {
        let decision = trio::define(&triggers, &pool, &tctx, &session).map_err(Failure)?;
        let created = match &decision {
            Decision::Challenge(name) if name == CHALLENGE => {
                Some(trio::create(&triggers, &pool, &tctx, name, &session).map_err(Failure)?)
            }
            _ => None,
        };
        Ok::<_, Failure>((decision, created))
    })
    .await?;
    match decision {
        Decision::Fail => Err(fail(ctx)),
        Decision::IssueTokens => {
            let Some(user) = user else {
                return Err(fail(ctx));
            };
            issue(ctx, client, user, &state).await
        }
        Decision::Challenge(name)
            if name == super::srp_auth::CHALLENGE
                && srp_a.is_some()
                && state.session.len() == 1 =>
        {
            let srp_a = srp_a.unwrap_or_default();
            let login = state.login.clone();
            super::srp_auth::start_with(
                ctx,
                client,
                &login,
                &srp_a,
                &StringMap::default(),
                Some(json!(state)),
            )
            .await
        }
        Decision::Challenge(name) if name == CHALLENGE => {
            let created = created.unwrap_or_default();
            state.private = Some(
                ctx.state
                    .sealer
                    .seal(&serde_json::to_string(&created.private).unwrap_or_default()),
            );
            state.metadata = created.metadata;
            let srp_user = user
                .as_ref()
                .map_or_else(|| state.login.clone(), |u| u.username.clone());
            let (c, user_id, now, su) = (
                client.clone(),
                user.as_ref().map(|u| u.id.clone()),
                ctx.now,
                srp_user.clone(),
            );
            let data = json!({ "custom": state });
            let (_, session) = ctx
                .write(move |db| {
                    shared::new_challenge(
                        db,
                        c.pool_id(),
                        &c.client.id,
                        user_id.as_deref(),
                        &su,
                        CHALLENGE,
                        data,
                        now,
                    )
                })
                .await?;
            let mut params = serde_json::Map::new();
            for (k, v) in created.public {
                params.insert(k, json!(v));
            }
            params.insert("USERNAME".into(), json!(srp_user));
            Ok(json!({
                "ChallengeName": CHALLENGE,
                "Session": session,
                "ChallengeParameters": params,
            }))
        }
        Decision::Challenge(_) => Err(crate::triggers::TriggerError::InvalidResponse {
            trigger: trio::DEFINE,
        }
        .into()),
    }
}

fn fail(ctx: &Ctx) -> CognitoError {
    ctx.state.address_limiter.record_failure(ctx.ip, ctx.now);
    CognitoError::bad_credentials()
}

/// Define said `issueTokens`: the same token path as every other Cognito sign-in.
async fn issue(ctx: &Ctx, client: &ClientRef, user: User, state: &State) -> Result<Value> {
    // `pwd` only when SRP proved the password in this flow.
    let amr: Vec<String> = state
        .session
        .iter()
        .any(|e| e.challenge_name == super::srp_auth::CHALLENGE && e.challenge_result)
        .then(|| "pwd".to_string())
        .into_iter()
        .collect();
    let (c, issuer, now) = (client.clone(), ctx.issuer(client.pool_id()), ctx.now);
    ctx.sign_in(move |db| {
        // The user as of now (disabled, deleted or changed meanwhile).
        let user = crate::store::users::get(db, c.pool_id(), &user.id)?
            .ok_or_else(CognitoError::bad_credentials)?;
        match user.status {
            UserStatus::Unconfirmed => Err(CognitoError::new(
                "UserNotConfirmedException",
                "User is not confirmed.",
            )),
            UserStatus::ResetRequired => Err(super::error::password_reset_required()),
            _ => {
                tracing::info!(pool = %c.pool_id(), user = %user.id, "custom auth succeeded");
                shared::issue_tokens(db, &c, &user, &amr, now, &issuer, now)
            }
        }
    })
    .await
}
