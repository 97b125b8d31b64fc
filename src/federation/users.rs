//! Federated users, as Cognito makes them: username `{ProviderName}_{id}` (the type's fixed
//! source claim, never the e-mail), status EXTERNAL_PROVIDER, no password, the `identities`
//! attribute (and ID token claim), and the automatic `{pool_id}_{ProviderName}` group. The
//! provider's attribute mapping is applied at creation and again at every sign-in: a claim the
//! upstream leaves out deletes nothing, and an unverified upstream e-mail never replaces a
//! verified one. Links are rows: (pool, provider, upstream subject) → user.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::upstream::UpstreamIdentity;
use crate::accounts::service::{self, NewGroup, NewUser};
use crate::accounts::{User, UserStatus};
use crate::pools::Pool;
use crate::store::federation::IdentityProvider;
use crate::store::{self, Db};
use crate::{Error, Result};

/// The pool attributes the mapping draws from the upstream's claims (strings, as attributes
/// are), with `email_verified` as the upstream says it.
pub fn mapped(
    provider: &IdentityProvider,
    identity: &UpstreamIdentity,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (local, upstream) in &provider.attribute_mapping {
        if local == "username" {
            continue;
        }
        let value = match identity.claims.get(upstream) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::Number(n)) => n.to_string(),
            Some(v @ (Value::Object(_) | Value::Array(_))) => v.to_string(),
            _ => continue,
        };
        if value.len() <= service::MAX_ATTRIBUTE_LEN {
            out.insert(local.clone(), value);
        }
    }
    out
}

/// The user an upstream identity is linked to, if any.
pub fn linked(db: &Db, pool: &Pool, identity: &UpstreamIdentity) -> Result<Option<User>> {
    let Some(user_id) =
        store::federation::linked_user(db, &pool.id, &identity.provider, &identity.subject)?
    else {
        return Ok(None);
    };
    Ok(store::users::get(db, &pool.id, &user_id)?)
}

/// `{ProviderName}_{id}`.
pub fn username(identity: &UpstreamIdentity) -> String {
    format!("{}_{}", identity.provider, identity.subject)
}

fn identities_attribute(identity: &UpstreamIdentity, now: i64) -> String {
    json!([{
        "userId": identity.subject,
        "providerName": identity.provider,
        "providerType": identity.provider_type.as_str(),
        "issuer": identity.issuer,
        "primary": "true",
        "dateCreated": (now * 1000).to_string(),
    }])
    .to_string()
}

/// Splits the mapped attributes into the e-mail (with its verification) and the rest, and
/// drops what the pool's schema would refuse (an upstream claim is not the user's input).
fn split(
    pool: &Pool,
    mut attrs: BTreeMap<String, String>,
) -> (Option<String>, Option<bool>, BTreeMap<String, String>) {
    let email = attrs
        .remove("email")
        .and_then(|e| service::normalize_email(&e).ok());
    let verified = attrs.remove("email_verified").map(|v| v == "true");
    attrs.remove("phone_number_verified");
    attrs.retain(|k, v| {
        let one = BTreeMap::from([(k.clone(), v.clone())]);
        service::validate_attributes(pool, &one, false).is_ok()
    });
    (email, verified, attrs)
}

/// Creates the federated user (after PreSignUp_ExternalProvider, outside this transaction),
/// links it and puts it in the provider's group. Another sign-in that created it meanwhile
/// wins: its user is returned.
pub fn create(
    db: &Db,
    pool: &Pool,
    sealer: &crate::keys::seal::Sealer,
    identity: &UpstreamIdentity,
    attributes: BTreeMap<String, String>,
    now: i64,
) -> Result<User> {
    if let Some(user) = linked(db, pool, identity)? {
        return Ok(user);
    }
    let (email, verified, attributes) = split(pool, attributes);
    // E-mail addresses are unique here: one already taken stays with its owner (linking is
    // explicit, never by e-mail), and the federated user is made without it.
    let email = match email {
        Some(e) if store::users::by_email(db, &pool.id, &e)?.is_none() => Some(e),
        _ => None,
    };
    let mut prepared = service::prepare_user(
        pool,
        NewUser {
            username: Some(username(identity)),
            email: email.clone(),
            password: None,
            password_hash: None,
            attributes,
            confirmed: true,
            email_verified: email.is_some() && verified.unwrap_or(false),
        },
        now,
    )?;
    prepared.federate(username(identity), identities_attribute(identity, now));
    let user = service::create(db, pool, sealer, prepared)?;
    store::federation::link(
        db,
        &pool.id,
        &identity.provider,
        &identity.subject,
        &user.id,
        now,
    )?;
    let group = format!("{}_{}", pool.id, identity.provider);
    if !store::groups::exists(db, &pool.id, &group)? {
        service::create_group(
            db,
            pool,
            NewGroup {
                name: group.clone(),
                description: format!(
                    "Autogenerated group for users who sign in using {}",
                    identity.provider
                ),
                precedence: None,
                role_arn: None,
            },
            now,
        )?;
    }
    store::groups::add_member(db, &pool.id, &group, &user.id)?;
    Ok(user)
}

/// Applies the mapping again at a later sign-in: what the upstream gives replaces what is
/// stored; what it leaves out stays; an unverified e-mail never replaces a verified one.
pub fn refresh(
    db: &Db,
    pool: &Pool,
    mut user: User,
    attributes: BTreeMap<String, String>,
    now: i64,
) -> Result<User> {
    let (email, verified, attributes) = split(pool, attributes);
    let mut changed = false;
    for (k, v) in attributes {
        if user.attributes.get(&k) != Some(&v) {
            user.attributes.insert(k, v);
            changed = true;
        }
    }
    if let Some(e) = email
        && user.email.as_deref() != Some(e.as_str())
    {
        let verified = verified.unwrap_or(false);
        let keep_verified = user.email_verified && !verified;
        let taken = store::users::by_email(db, &pool.id, &e)?.is_some_and(|u| u.id != user.id);
        if !keep_verified && !taken {
            user.email = Some(e);
            user.email_verified = verified;
            changed = true;
        }
    }
    if changed {
        user.updated_at = now;
        store::users::update(db, &user)?;
    }
    Ok(user)
}

/// A federated user may sign in when enabled (they have no other status to pass).
pub fn check_can_sign_in(user: &User) -> Result<()> {
    if user.enabled
        && matches!(
            user.status,
            UserStatus::ExternalProvider | UserStatus::Confirmed
        )
    {
        Ok(())
    } else {
        Err(Error::NotAuthorized)
    }
}
