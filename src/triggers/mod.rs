//! Cognito's Lambda triggers: the pool's `LambdaConfig` names a target per trigger (a Lambda
//! function ARN or a webhook URL); the core fires a trigger with Cognito's event and gets the
//! handler's `response`. One file per trigger builds its event and says what of the response
//! is honoured. Calls are blocking: make them on the blocking pool, never inside a write
//! transaction. Event bodies (which may hold passwords) are never logged.

pub mod auth_challenge;
pub mod custom_message;
pub mod post_authentication;
pub mod post_confirmation;
pub mod pre_authentication;
pub mod pre_sign_up;
pub mod pre_token_generation;
pub mod target;
pub mod user_migration;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};

use crate::config::Config;
use crate::keys::seal::Sealer;
use crate::pools::{Pool, PoolSettings};
use target::{ATTEMPTS, Attempt, Caller};
pub use target::{AwsCredentials, Target, address_allowed, webhook_key, webhook_signature};

/// Why a trigger did not give an answer to act on. The `Display` text is Cognito's message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TriggerError {
    /// The handler threw (or a webhook answered non-2xx with an `errorMessage`).
    #[error("{trigger} failed with error {message}.")]
    Rejected {
        trigger: &'static str,
        message: String,
    },
    /// No usable answer: timeout, unreachable, refused address, missing credentials.
    #[error("{trigger} invocation failed due to error {reason}.")]
    Failed {
        trigger: &'static str,
        reason: &'static str,
    },
    /// An answer that is not the event.
    #[error("Unrecognizable lambda output")]
    InvalidResponse { trigger: &'static str },
}

/// `callerContext.clientId` where no app client is involved (AdminCreateUser).
pub const NO_CLIENT: &str = "CLIENT_ID_NOT_APPLICABLE";

/// The caller of every trigger: one pooled client and the server's trigger settings.
pub struct Triggers {
    caller: Caller,
    lambda_endpoint: Option<String>,
    webhook_key: Option<Vec<u8>>,
    credentials: Option<AwsCredentials>,
    /// Opens pools' own webhook secrets.
    sealer: Sealer,
}

impl Triggers {
    pub fn new(config: &Config, sealer: Sealer) -> Triggers {
        Triggers {
            sealer,
            caller: Caller::new(config.trigger_deny_private),
            lambda_endpoint: config.lambda_endpoint.clone(),
            webhook_key: config
                .webhook_secret
                .as_ref()
                .and_then(|s| webhook_key(&s.0)),
            credentials: config
                .aws_credentials
                .clone()
                .or_else(AwsCredentials::from_env),
        }
    }

    /// The pooled outbound client (also `accounts::upstream`'s: one pool of connections and
    /// one address policy for every call the server makes).
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The pool's target for `trigger` (a `LambdaConfig` key), if it has one.
    pub fn target(pool: &Pool, trigger: &str) -> Option<Target> {
        let value = pool
            .settings
            .recorded
            .lambda_config
            .as_ref()?
            .get(trigger)?;
        Target::parse(value.as_str()?).ok()
    }

    /// Calls the pool's `trigger` with `event` and returns the handler's `response` (an
    /// object); `None` when the pool has no such trigger. Blocking, with retries.
    pub fn invoke(
        &self,
        pool: &Pool,
        trigger: &'static str,
        event: &Value,
    ) -> Result<Option<Value>, TriggerError> {
        let Some(target) = Self::target(pool, trigger) else {
            return Ok(None);
        };
        self.invoke_target(pool, trigger, &target, event)
    }

    /// `invoke` with a target the caller has resolved (PreTokenGeneration's comes from
    /// `PreTokenGenerationConfig` when set).
    pub fn invoke_target(
        &self,
        pool: &Pool,
        trigger: &'static str,
        target: &Target,
        event: &Value,
    ) -> Result<Option<Value>, TriggerError> {
        let started = Instant::now();
        let result = self.pool_webhook_key(pool, trigger).and_then(|pool_key| {
            let key = pool_key.as_deref().or(self.webhook_key.as_deref());
            self.call(target, trigger, event, key)
        });
        let outcome = match &result {
            Ok(_) => "ok",
            Err(TriggerError::Rejected { .. }) => "rejected",
            Err(TriggerError::Failed { .. }) => "failed",
            Err(TriggerError::InvalidResponse { .. }) => "invalid response",
        };
        crate::metrics::trigger_call(trigger, outcome, started.elapsed());
        tracing::info!(
            pool = %pool.id,
            trigger,
            target = target.kind(),
            ms = started.elapsed().as_millis() as u64,
            outcome,
            "trigger called"
        );
        result.map(Some)
    }

    /// The pool's own webhook key, when it has a secret of its own.
    fn pool_webhook_key(
        &self,
        pool: &Pool,
        trigger: &'static str,
    ) -> Result<Option<Vec<u8>>, TriggerError> {
        let Some(sealed) = &pool.settings.webhook_secret else {
            return Ok(None);
        };
        match self.sealer.open(sealed).ok().and_then(|s| webhook_key(&s)) {
            Some(key) => Ok(Some(key)),
            None => {
                tracing::error!(pool = %pool.id, "the pool's webhook secret cannot be opened");
                Err(TriggerError::Failed {
                    trigger,
                    reason: "the pool's webhook secret cannot be read",
                })
            }
        }
    }

    fn call(
        &self,
        target: &Target,
        trigger: &'static str,
        event: &Value,
        webhook_key: Option<&[u8]>,
    ) -> Result<Value, TriggerError> {
        let failed = |reason| TriggerError::Failed { trigger, reason };
        let body = serde_json::to_vec(event).expect("a JSON value serialises");
        // The same webhook-id on every attempt: receivers deduplicate by it.
        let webhook_id = format!("msg_{}", crate::random::alnum(24));
        let mut last = "Socket timeout while invoking Lambda function";
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(100 * u64::from(attempt)));
            }
            let sent = match target {
                Target::Webhook { url } => {
                    let Some(key) = webhook_key else {
                        tracing::warn!(trigger, "webhook trigger but no webhook_secret is set");
                        return Err(failed("webhook_secret is not set"));
                    };
                    let timestamp = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or(0);
                    let headers = vec![
                        ("content-type".into(), "application/json".into()),
                        ("webhook-id".into(), webhook_id.clone()),
                        ("webhook-timestamp".into(), timestamp.to_string()),
                        (
                            "webhook-signature".into(),
                            webhook_signature(key, &webhook_id, timestamp, &body),
                        ),
                    ];
                    self.caller.post(url, &headers, &body)
                }
                Target::Lambda { arn, region } => {
                    let Some(credentials) = &self.credentials else {
                        tracing::warn!(trigger, "Lambda trigger but no AWS credentials are set");
                        return Err(failed("no AWS credentials are configured"));
                    };
                    let endpoint = self
                        .lambda_endpoint
                        .clone()
                        .unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
                    let url = target::lambda_url(&endpoint, arn);
                    match target::lambda_headers(credentials, region, &url, &body) {
                        Ok(headers) => self.caller.post(&url, &headers, &body),
                        Err(e) => Attempt::Refused(e),
                    }
                }
            };
            match sent {
                Attempt::Refused(detail) => {
                    tracing::warn!(trigger, %detail, "trigger target refused");
                    return Err(failed(if detail.contains(target::NOT_ALLOWED) {
                        "the target address is not allowed"
                    } else {
                        "the target cannot be resolved"
                    }));
                }
                Attempt::NoAnswer(detail) => {
                    tracing::warn!(trigger, attempt, %detail, "trigger target did not answer");
                    last = if detail.contains("timed out") || detail.contains("Timeout") {
                        "Socket timeout while invoking Lambda function"
                    } else {
                        "Connection failure while invoking Lambda function"
                    };
                }
                Attempt::Answer {
                    status,
                    function_error,
                    body,
                    ..
                } => {
                    let answer: Option<Value> = serde_json::from_slice(&body).ok();
                    let error_message = answer
                        .as_ref()
                        .and_then(|a| a.get("errorMessage"))
                        .and_then(Value::as_str)
                        .map(String::from);
                    if status == 401 || status == 403 {
                        // The target refused our signature or credentials: not the handler's word.
                        tracing::warn!(
                            trigger,
                            status,
                            "trigger target refused the request's signature"
                        );
                        return Err(failed("the target refused the request's signature"));
                    }
                    if function_error || !(200..300).contains(&status) {
                        if let Some(message) = error_message {
                            return Err(TriggerError::Rejected { trigger, message });
                        }
                        if function_error {
                            return Err(TriggerError::InvalidResponse { trigger });
                        }
                        tracing::warn!(
                            trigger,
                            attempt,
                            status,
                            "trigger target answered an error"
                        );
                        last = "Unexpected status while invoking Lambda function";
                        if status >= 500 || status == 429 {
                            continue;
                        }
                        return Err(failed(last));
                    }
                    return match answer {
                        Some(Value::Object(mut event)) => match event.remove("response") {
                            Some(Value::Null) => Ok(json!({})),
                            Some(response @ Value::Object(_)) => Ok(response),
                            _ => Err(TriggerError::InvalidResponse { trigger }),
                        },
                        _ => Err(TriggerError::InvalidResponse { trigger }),
                    };
                }
            }
        }
        Err(failed(last))
    }
}

/// Checks a `LambdaConfig`: every trigger's target (a string, or an object's `LambdaArn`) is
/// a Lambda function ARN or a webhook URL. The object is kept as given.
pub fn check_lambda_config(config: &Value) -> Result<(), String> {
    let Some(map) = config.as_object() else {
        return Err("LambdaConfig must be an object.".into());
    };
    for (key, value) in map {
        let target = match value {
            Value::String(s) => s.as_str(),
            Value::Object(o) => match o.get("LambdaArn").and_then(Value::as_str) {
                Some(s) => s,
                None => continue,
            },
            _ => return Err(format!("LambdaConfig.{key} must be a string.")),
        };
        // KMSKeyID is a key ARN, not a target.
        if key == "KMSKeyID" {
            continue;
        }
        Target::parse(target).map_err(|e| format!("LambdaConfig.{key}: {e}"))?;
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) a pool's own webhook secret (`whsec_` + base64 of at
/// least 16 bytes), sealed at rest: the one check for the Cognito API, the CLI and the
/// bootstrap file.
pub fn set_pool_webhook_secret(
    settings: &mut PoolSettings,
    sealer: &Sealer,
    secret: Option<&str>,
) -> Result<(), String> {
    settings.webhook_secret = match secret {
        None => None,
        Some(s) => {
            webhook_key(s)
                .ok_or("a webhook secret is whsec_ followed by base64 of at least 16 bytes")?;
            // Unchanged secrets keep their sealed form (the bootstrap file compares settings).
            if let Some(old) = &settings.webhook_secret
                && sealer.open(old).is_ok_and(|o| o == s)
            {
                return Ok(());
            }
            Some(sealer.seal(s))
        }
    };
    Ok(())
}

/// The triggers a `LambdaConfig` may name with a target of its own.
pub const TRIGGER_NAMES: &[&str] = &[
    "PreSignUp",
    "CustomMessage",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "PreTokenGeneration",
    "UserMigration",
];

/// Sets (or with `None` removes) one trigger's target in a `LambdaConfig`, as the CLI and the
/// bootstrap file do: the same object CreateUserPool/UpdateUserPool store.
pub fn set_target(
    config: &mut Option<Value>,
    name: &str,
    target: Option<&str>,
) -> Result<(), String> {
    if !TRIGGER_NAMES.contains(&name) {
        return Err(format!(
            "trigger {name:?}: one of {}",
            TRIGGER_NAMES.join(", ")
        ));
    }
    let map = config
        .get_or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("LambdaConfig is not an object")?;
    match target {
        Some(t) => {
            Target::parse(t).map_err(|e| format!("trigger {name}: {e}"))?;
            map.insert(name.into(), json!(t));
        }
        None => {
            map.remove(name);
            if name == "PreTokenGeneration" {
                map.remove("PreTokenGenerationConfig");
            }
        }
    }
    if map.is_empty() {
        *config = None;
    }
    Ok(())
}

/// The envelope every trigger event shares (`version` "1" unless a trigger says otherwise).
pub fn event(
    pool: &Pool,
    trigger_source: &str,
    user_name: &str,
    client_id: Option<&str>,
    request: Value,
    response: Value,
) -> Value {
    let region = pool.id.split_once('_').map_or("", |(r, _)| r);
    json!({
        "version": "1",
        "triggerSource": trigger_source,
        "region": region,
        "userPoolId": pool.id,
        "userName": user_name,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": client_id.unwrap_or(NO_CLIENT),
        },
        "request": request,
        "response": response,
    })
}

/// A user's attributes as a trigger sees them: every value a string, `email` included.
pub fn user_attributes(user: &crate::accounts::User) -> BTreeMap<String, String> {
    let mut attrs = user.attributes.clone();
    attrs.insert("sub".into(), user.id.clone());
    if let Some(email) = &user.email {
        attrs.insert("email".into(), email.clone());
        attrs.insert("email_verified".into(), user.email_verified.to_string());
    }
    attrs
}

/// A string map as the event carries it: `null` when the caller gave none.
pub fn string_map(map: Option<&BTreeMap<String, String>>) -> Value {
    map.map_or(Value::Null, |m| json!(m))
}
