//! SignUp: a new unconfirmed user and a confirmation code by email, through the same core as
//! the hosted sign-up page. Like Cognito's API (and unlike the hosted page), an existing
//! username or email is `UsernameExistsException`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::notices;
use crate::accounts::service::find_by_login;
use crate::accounts::sign_up::{self, SignUp, SignUpOutcome};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, AttributeType, StringMap};
use crate::pools::UsernameAttribute;
use crate::triggers::custom_message::Source as CustomSource;
use crate::triggers::pre_sign_up;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    client_id: String,
    username: String,
    password: Option<String>,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    #[serde(default)]
    validation_data: Vec<AttributeType>,
    secret_hash: Option<String>,
    #[serde(default)]
    client_metadata: StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("username", &r.username)?;
    wire::check_map("ClientMetadata", &r.client_metadata)?;
    let password = r
        .password
        .ok_or_else(|| CognitoError::invalid_parameter("A password is required to sign up."))?;
    wire::check_len("password", &password, 1, 256)?;
    let client = shared::client(ctx, &r.client_id).await?;
    let pool = client.entry.pool.clone();
    if !pool.settings.self_signup {
        return Err(CognitoError::not_authorized(
            "SignUp is not permitted for this user pool",
        ));
    }
    let mut attributes = wire::attribute_map(&r.user_attributes)?;
    let email_attr = attributes.remove("email");
    for reserved in ["email_verified", "phone_number_verified", "sub"] {
        if attributes.contains_key(reserved) {
            return Err(CognitoError::invalid_parameter(format!(
                "Attribute {reserved} cannot be set at sign-up."
            )));
        }
    }
    let (username, email) = match pool.settings.username_attribute {
        UsernameAttribute::Email => {
            if !r.username.contains('@') {
                return Err(CognitoError::invalid_parameter(
                    "Username should be an email.",
                ));
            }
            if email_attr
                .as_deref()
                .is_some_and(|e| !e.eq_ignore_ascii_case(r.username.trim()))
            {
                return Err(CognitoError::invalid_parameter(
                    "The email attribute must equal the username in this pool.",
                ));
            }
            (None, r.username.trim().to_string())
        }
        UsernameAttribute::Username => {
            let email = email_attr.ok_or_else(|| {
                CognitoError::invalid_parameter(
                    "Attributes did not conform to the schema: email: The attribute is required",
                )
            })?;
            (Some(r.username.clone()), email)
        }
    };
    let email = crate::accounts::service::normalize_email(&email)
        .map_err(|_| CognitoError::invalid_parameter("Invalid email address format."))?;
    crate::authn::password::check_policy(&password, &pool.settings.password_policy)?;
    for attr in &pool.settings.required_attributes {
        if attr != "email" && attributes.get(attr).is_none_or(|v| v.trim().is_empty()) {
            return Err(CognitoError::invalid_parameter(format!(
                "Attributes did not conform to the schema: {attr}: The attribute is required"
            )));
        }
    }
    let lang = attributes
        .get("locale")
        .cloned()
        .unwrap_or_else(|| "en".into());
    let sealer = ctx.state.sealer.clone();
    let (now, public_url) = (ctx.now, ctx.state.public_url.clone());
    // The client's proof first, so that only a genuine caller gets a password hashed; then
    // the hash, outside the write transaction (see `service::NewPassword`).
    let (c2, s2, typed, secret_hash) = (
        client.clone(),
        sealer.clone(),
        r.username.clone(),
        r.secret_hash.clone(),
    );
    ctx.read(move |db| {
        shared::check_secret_hash(db, &s2, &c2.client, &[&typed], secret_hash.as_deref())
    })
    .await?;
    let req = SignUp {
        username: username.clone(),
        email: email.clone(),
        password,
        attributes,
    };
    let context = pre_sign_up::Context {
        client_id: Some(r.client_id.clone()),
        validation_data: (!r.validation_data.is_empty())
            .then(|| wire::attribute_map(&r.validation_data))
            .transpose()?,
        client_metadata: (!r.client_metadata.is_empty()).then(|| r.client_metadata.clone()),
    };
    let (prepare_pool, triggers) = (pool.clone(), ctx.state.triggers.clone());
    // The PreSignUp trigger fires here, on the blocking pool, before anything is stored.
    let prepared: sign_up::PreparedSignUp = crate::store::blocking(move || {
        sign_up::prepare(&triggers, &prepare_pool, req, &context, now)
    })
    .await?;
    // CustomMessage_SignUp, before the transaction that issues the code.
    let custom = match prepared.user().status {
        crate::accounts::UserStatus::Unconfirmed => {
            shared::custom_message(
                ctx,
                &pool,
                CustomSource::SignUp,
                prepared.user(),
                Some(&r.client_id),
                &r.client_metadata,
            )
            .await?
        }
        _ => None,
    };
    let (user_sub, confirmed, to) = ctx
        .write(move |db| {
            let taken = find_by_login(db, &pool, &email)?.is_some()
                || username
                    .as_deref()
                    .map(|u| find_by_login(db, &pool, u))
                    .transpose()?
                    .flatten()
                    .is_some();
            if taken {
                return Err(CognitoError::new(
                    "UsernameExistsException",
                    "An account with the given email already exists.",
                ));
            }
            let confirm_base = format!(
                "{public_url}/{}/confirm?email={}",
                pool.id,
                url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
            );
            let link = |code: &str| format!("{confirm_base}&code={code}");
            match sign_up::sign_up(db, &pool, &sealer, prepared, &lang, link, now)? {
                SignUpOutcome::Created(user, notice) => {
                    if let Some(notice) = &notice {
                        notices::deliver_custom(db, &pool, notice, custom.as_ref(), now)?;
                    }
                    tracing::info!(pool = %pool.id, user = %user.id, "user signed up (Cognito API)");
                    Ok((user.id, notice.is_none(), email))
                }
                _ => Err(CognitoError::new(
                    "UsernameExistsException",
                    "An account with the given email already exists.",
                )),
            }
        })
        .await?;
    if confirmed {
        return Ok(json!({ "UserConfirmed": true, "UserSub": user_sub }));
    }
    ctx.state.wake_mailer();
    Ok(json!({
        "UserConfirmed": false,
        "UserSub": user_sub,
        "CodeDeliveryDetails": wire::email_delivery(&to),
    }))
}
