//! AdminCreateUser: a user with a temporary password (FORCE_CHANGE_PASSWORD, so the first
//! sign-in answers NEW_PASSWORD_REQUIRED) and the invitation email, unless `SUPPRESS`.
//! `RESEND` gives an existing, not yet signed-in user a new temporary password and mail.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::service::{self, NewUser};
use crate::accounts::{User, UserStatus};
use crate::cognito::error::CognitoError;
use crate::cognito::shared::{self, Ctx, Result};
use crate::cognito::wire::{self, AttributeType};
use crate::pools::{PasswordPolicy, Pool, UsernameAttribute};
use crate::store::Db;
use crate::triggers::{Triggers, custom_message, pre_sign_up};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_pool_id: String,
    username: String,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    temporary_password: Option<String>,
    message_action: Option<String>,
    #[serde(default)]
    desired_delivery_mediums: Vec<String>,
    #[serde(default)]
    client_metadata: wire::StringMap,
}

pub async fn handle(ctx: &Ctx, body: &Value) -> Result<Value> {
    let r: Request = wire::parse(body)?;
    wire::check_id("username", &r.username)?;
    let entry = super::pool(ctx, &r.user_pool_id).await?;
    let pool = entry.pool.clone();
    let mut attrs = wire::attribute_map(&r.user_attributes)?;
    let suppress = match r.message_action.as_deref() {
        None => false,
        Some("SUPPRESS") => true,
        Some("RESEND") => false,
        Some(_) => {
            return Err(CognitoError::invalid_parameter(
                "MessageAction must be SUPPRESS or RESEND.",
            ));
        }
    };
    if r.desired_delivery_mediums.iter().any(|m| m != "EMAIL") {
        return Err(CognitoError::invalid_parameter(
            "Only EMAIL delivery is supported.",
        ));
    }
    let resend = r.message_action.as_deref() == Some("RESEND");
    let temporary = match r.temporary_password {
        Some(p) => {
            crate::authn::password::check_policy(&p, &pool.settings.password_policy)?;
            p
        }
        None => temporary_password(&pool.settings.password_policy),
    };
    let email_verified = attrs.remove("email_verified").is_some_and(|v| v == "true");
    attrs.remove("phone_number_verified");
    if attrs.contains_key("sub") {
        return Err(CognitoError::invalid_parameter(
            "Attribute sub cannot be set.",
        ));
    }
    let email_attr = attrs.remove("email");
    let (username, email) = match pool.settings.username_attribute {
        UsernameAttribute::Email => {
            let e = email_attr.unwrap_or_else(|| r.username.clone());
            if !r.username.contains('@') && !resend {
                return Err(CognitoError::invalid_parameter(
                    "Username should be an email.",
                ));
            }
            (None, Some(e))
        }
        UsernameAttribute::Username => (Some(r.username.clone()), email_attr),
    };
    let (sealer, now, login) = (ctx.state.sealer.clone(), ctx.now, r.username.clone());
    // The temporary password is hashed before the write transaction (`service::NewPassword`),
    // for the username it will belong to.
    let new_user = if resend {
        None
    } else {
        Some(service::prepare_user(
            &pool,
            NewUser {
                username,
                email,
                password: None,
                password_hash: None,
                attributes: attrs,
                confirmed: true,
                email_verified,
            },
            now,
        )?)
    };
    let new_password = match &new_user {
        Some(u) => shared::prepare_password(&pool, u.username(), &temporary).await?,
        None => super::prepare_password_for(ctx, &entry, &login, &temporary).await?,
    };
    if let Some(u) = new_user
        .as_ref()
        .filter(|_| Triggers::target(&pool, pre_sign_up::TRIGGER).is_some())
    {
        // PreSignUp, on the blocking pool and before anything is stored; its response is
        // not honoured for AdminCreateUser (as at Cognito).
        wire::check_map("ClientMetadata", &r.client_metadata)?;
        let (triggers, p2) = (ctx.state.triggers.clone(), pool.clone());
        let (user_name, attributes) = (u.username().to_string(), u.given_attributes());
        let context = pre_sign_up::Context {
            client_id: None,
            validation_data: None,
            client_metadata: (!r.client_metadata.is_empty()).then(|| r.client_metadata.clone()),
        };
        crate::store::blocking(move || {
            pre_sign_up::fire(
                &triggers,
                &p2,
                pre_sign_up::Source::AdminCreateUser,
                &user_name,
                &attributes,
                &context,
            )
            .map_err(crate::Error::from)
        })
        .await?;
    }
    // CustomMessage_AdminCreateUser (the temporary password is the code), before the write.
    let custom = if suppress || Triggers::target(&pool, custom_message::TRIGGER).is_none() {
        None
    } else {
        let invited = match &new_user {
            Some(u) => u.user().clone(),
            None => {
                let (e2, l2) = (entry.clone(), login.clone());
                ctx.read(move |db| super::user(db, &e2, &l2)).await?
            }
        };
        let source = custom_message::Source::AdminCreateUser;
        let metadata = &r.client_metadata;
        shared::custom_message(ctx, &pool, source, &invited, None, metadata).await?
    };
    let user = ctx
        .write(move |db| {
            let mut user = match new_user {
                None => {
                    let u = super::user(db, &entry, &login)?;
                    if u.status != UserStatus::ForceChangePassword {
                        return Err(CognitoError::new(
                            "UnsupportedUserStateException",
                            "Resend not possible. The user has already signed in.",
                        ));
                    }
                    u
                }
                Some(new_user) => {
                    service::create(db, &pool, &sealer, new_user).map_err(|e| match e {
                        crate::Error::AlreadyExists(_) => CognitoError::new(
                            "UsernameExistsException",
                            "User account already exists",
                        ),
                        other => other.into(),
                    })?
                }
            };
            service::set_password(db, &sealer, &mut user, &new_password, false, now)?;
            if !suppress {
                invite(db, &pool, &user, &temporary, custom.as_ref(), now)?;
            }
            Ok(user)
        })
        .await?;
    ctx.state.wake_mailer();
    tracing::info!(pool = %user.pool_id, user = %user.id, "user created (admin API)");
    Ok(json!({ "User": super::user_type(&user) }))
}

fn invite(
    db: &Db,
    pool: &Pool,
    user: &User,
    temporary: &str,
    custom: Option<&custom_message::Template>,
    now: i64,
) -> Result<()> {
    let Some(to) = user.email.clone() else {
        return Ok(());
    };
    let login = match pool.settings.username_attribute {
        UsernameAttribute::Email => to.clone(),
        UsernameAttribute::Username => user.username.clone(),
    };
    let notice = crate::accounts::notices::Notice::Invitation {
        to,
        lang: shared::lang_of(user),
        login,
        temporary_password: temporary.to_string(),
    };
    crate::accounts::notices::deliver_custom(db, pool, &notice, custom, now)?;
    Ok(())
}

/// A random temporary password that meets the pool's policy.
fn temporary_password(policy: &PasswordPolicy) -> String {
    let base = crate::random::alnum((policy.minimum_length as usize).max(14));
    let composition = policy.require_uppercase
        || policy.require_lowercase
        || policy.require_numbers
        || policy.require_symbols;
    if composition {
        format!("{base}Aa1!")
    } else {
        base
    }
}
