//! Linking, never silent: an administrator links an upstream identity to an existing user
//! (Cognito's AdminLinkProviderForUser), after which signing in with that identity yields that
//! user; AdminDisableProviderForUser takes a link away. Cognito's rules: the provider must
//! exist, an identity that already has a user here cannot be merged, and a user holds at most
//! five linked identities. Nothing links by e-mail.

use serde_json::{Value, json};

use crate::accounts::{User, UserStatus, service};
use crate::pools::Pool;
use crate::store::{self, Db};
use crate::{Error, Result};

/// Most identities one user may hold (Cognito's limit).
pub const MAX_IDENTITIES: usize = 5;

/// Why a link was refused, in Cognito's terms.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The identity already belongs to a user here (Cognito: "Merging is not currently supported").
    #[error(
        "Merging is not currently supported, provide a SourceUser that has not been registered yet."
    )]
    AlreadyLinked,
    #[error("A user can have at most {MAX_IDENTITIES} linked identities.")]
    TooMany,
    #[error(transparent)]
    Core(#[from] Error),
}

impl From<store::StoreError> for LinkError {
    fn from(e: store::StoreError) -> LinkError {
        LinkError::Core(e.into())
    }
}

fn identities_of(user: &User) -> Vec<Value> {
    user.attributes
        .get("identities")
        .and_then(|s| serde_json::from_str::<Vec<Value>>(s).ok())
        .unwrap_or_default()
}

fn set_identities(user: &mut User, ids: Vec<Value>) {
    if ids.is_empty() {
        user.attributes.remove("identities");
    } else {
        user.attributes
            .insert("identities".into(), Value::Array(ids).to_string());
    }
}

/// Links (`provider`, `subject`) to the user `destination` (a login name of the pool).
pub fn link(
    db: &Db,
    pool: &Pool,
    destination: &str,
    provider: &str,
    subject: &str,
    now: i64,
) -> Result<User, LinkError> {
    let p = super::providers::require(db, &pool.id, provider)?;
    if subject.is_empty() || subject.len() > 255 {
        return Err(Error::invalid("ProviderAttributeValue: 1 to 255 characters").into());
    }
    if store::federation::linked_user(db, &pool.id, provider, subject)?.is_some() {
        return Err(LinkError::AlreadyLinked);
    }
    let mut user = service::require(db, pool, destination)?;
    if store::federation::links_of(db, &user.id)?.len() >= MAX_IDENTITIES {
        return Err(LinkError::TooMany);
    }
    store::federation::link(db, &pool.id, provider, subject, &user.id, now)?;
    let mut ids = identities_of(&user);
    ids.push(json!({
        "userId": subject,
        "providerName": provider,
        "providerType": p.provider_type,
        "issuer": null,
        "primary": "false",
        "dateCreated": (now * 1000).to_string(),
    }));
    set_identities(&mut user, ids);
    user.updated_at = now;
    store::users::update(db, &user)?;
    Ok(user)
}

/// Takes the link of (`provider`, `subject`) away. A federated user left with no identity is
/// disabled (it could no longer sign in anyway). `Ok(false)`: there was no such link.
pub fn unlink(db: &Db, pool: &Pool, provider: &str, subject: &str, now: i64) -> Result<bool> {
    let Some(user_id) = store::federation::linked_user(db, &pool.id, provider, subject)? else {
        return Ok(false);
    };
    store::federation::unlink(db, &pool.id, provider, subject)?;
    if let Some(mut user) = store::users::get(db, &pool.id, &user_id)? {
        let ids: Vec<Value> = identities_of(&user)
            .into_iter()
            .filter(|i| !(i["providerName"] == provider && i["userId"] == subject))
            .collect();
        set_identities(&mut user, ids);
        if user.status == UserStatus::ExternalProvider
            && store::federation::links_of(db, &user.id)?.is_empty()
        {
            user.enabled = false;
        }
        user.updated_at = now;
        store::users::update(db, &user)?;
    }
    Ok(true)
}

/// A federated sign-in waiting for the person to prove they own the local account with the
/// same verified e-mail (`link_by_verified_email`): kept in `pending` like an upstream
/// sign-in, single use, five minutes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LinkProof {
    /// The pending authorization request.
    pub request: String,
    pub subject: String,
    /// The local user to link to.
    pub user_id: String,
    /// The mapped attributes of the upstream sign-in, applied once linked.
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Whether this first sign-in may link by e-mail: the provider opted in, the upstream says the
/// e-mail is verified, and exactly one local account has it, verified, with a password.
pub fn link_candidate(
    db: &Db,
    pool: &Pool,
    provider: &crate::store::federation::IdentityProvider,
    identity: &super::upstream::UpstreamIdentity,
) -> Result<Option<User>> {
    if provider
        .details
        .get("link_by_verified_email")
        .map(String::as_str)
        != Some("true")
    {
        return Ok(None);
    }
    let verified = matches!(
        identity.claims.get("email_verified"),
        Some(Value::Bool(true))
    ) || identity.claims.get("email_verified") == Some(&json!("true"));
    let Some(email) = identity.claims.get("email").and_then(Value::as_str) else {
        return Ok(None);
    };
    let Ok(email) = service::normalize_email(email) else {
        return Ok(None);
    };
    if !verified {
        return Ok(None);
    }
    Ok(store::users::by_email(db, &pool.id, &email)?.filter(|u| {
        u.email_verified
            && u.enabled
            && u.status == UserStatus::Confirmed
            && u.password_hash.is_some()
    }))
}
