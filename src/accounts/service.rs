//! Account operations shared by every door and the CLI. Each takes an open transaction,
//! except the preparations of a password (`NewPassword`, `prepare_user`), which run before it:
//! Argon2 (12 ms) and the SRP verifier (2 ms) inside a write transaction would hold the single
//! writer, and with it every token grant and sign-in of the server, for 14 ms.

use std::collections::BTreeMap;

use super::{User, UserStatus};
use crate::authn::{password, srp};
use crate::keys::seal::Sealer;
use crate::pools::{Pool, UsernameAttribute, is_valid_attribute_name};
use crate::store::{self, Db};
use crate::{Error, Result};

pub struct NewUser {
    pub username: Option<String>,
    pub email: Option<String>,
    /// Plain password, checked against the pool policy; None leaves the user without one.
    pub password: Option<String>,
    /// A pre-computed hash (bootstrap and import: Argon2 or a format of `authn::legacy_hash`);
    /// used when `password` is None.
    pub password_hash: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub confirmed: bool,
    pub email_verified: bool,
}

pub const MAX_ATTRIBUTE_LEN: usize = 2048;

pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid("email address"))
    }
}

/// Checks attribute names and values: known names, sane values, and the pool's schema (types,
/// bounds, declared custom attributes; on an `update` of an existing user, mutability).
pub fn validate_attributes(
    pool: &Pool,
    attributes: &BTreeMap<String, String>,
    update: bool,
) -> Result<()> {
    pool.settings
        .check_attribute_values(attributes.iter().filter(|(_, v)| !v.is_empty()), update)?;
    for (k, v) in attributes {
        if !is_valid_attribute_name(k) || k == "email" {
            return Err(Error::invalid(format!("attribute {k:?}")));
        }
        if v.len() > MAX_ATTRIBUTE_LEN || v.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::invalid(format!("value of attribute {k:?}")));
        }
    }
    Ok(())
}

/// A password ready to store: checked against the pool's policy, hashed, and turned into the
/// SRP verifier of the username it belongs to. Prepare it before the write transaction.
pub struct NewPassword {
    username: String,
    hash: String,
    srp: srp::StoredVerifier,
}

impl NewPassword {
    pub fn prepare(pool: &Pool, username: &str, password: &str) -> Result<NewPassword> {
        password::check_policy(password, &pool.settings.password_policy)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(NewPassword {
            username: username.to_string(),
            hash: password::hash(password),
            srp: srp::StoredVerifier::compute(&pool.id, username, password),
        })
    }

    /// A password another system has already accepted (a migrated user's): hashed and turned
    /// into the SRP verifier, without the pool's policy, which it predates.
    pub fn migrated(pool: &Pool, username: &str, password: &str) -> NewPassword {
        NewPassword {
            username: username.to_string(),
            hash: password::hash(password),
            srp: srp::StoredVerifier::compute(&pool.id, username, password),
        }
    }

    /// Whether it was prepared for the user called `username`.
    pub fn is_for(&self, username: &str) -> bool {
        self.username == username
    }
}

/// A user checked and built from `NewUser` (password prepared), not stored yet: `create`
/// stores it.
pub struct PreparedUser {
    user: User,
    password: Option<NewPassword>,
}

impl PreparedUser {
    /// The user as it will be stored.
    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn username(&self) -> &str {
        &self.user.username
    }

    /// The normalised email.
    pub fn email(&self) -> Option<&str> {
        self.user.email.as_deref()
    }

    /// The attributes given, `email` included, as a PreSignUp trigger sees them.
    pub fn given_attributes(&self) -> BTreeMap<String, String> {
        let mut attrs = self.user.attributes.clone();
        if let Some(e) = &self.user.email {
            attrs.insert("email".into(), e.clone());
        }
        attrs
    }

    /// Honours a PreSignUp trigger's `autoConfirmUser` and `autoVerifyEmail`.
    pub fn apply(&mut self, decision: crate::triggers::pre_sign_up::Decision) {
        if decision.auto_confirm_user {
            self.user.status = UserStatus::Confirmed;
        }
        if decision.auto_verify_email && self.user.email.is_some() {
            self.user.email_verified = true;
        }
    }

    /// Gives the user a password prepared for them (`NewPassword::migrated`).
    pub fn set_password(&mut self, new: NewPassword) {
        self.user.password_hash = Some(new.hash.clone());
        self.password = Some(new);
    }

    /// Makes it a federated user (`federation::users`): Cognito's `{Provider}_{id}` username
    /// in every pool (e-mail pools too), EXTERNAL_PROVIDER, its `identities`.
    pub fn federate(&mut self, username: String, identities: String) {
        self.user.username = username;
        self.user.status = UserStatus::ExternalProvider;
        self.user.attributes.insert("identities".into(), identities);
    }

    pub fn set_status(&mut self, status: UserStatus) {
        self.user.status = status;
    }

    pub fn is_confirmed(&self) -> bool {
        self.user.status == UserStatus::Confirmed
    }

    /// An imported user keeps who they were elsewhere: their `sub` (in email pools also their
    /// username, which is the sub), status, enabled flag and timestamps.
    pub fn keep_identity(&mut self, pool: &Pool, kept: KeptIdentity) {
        if let Some(sub) = kept.sub {
            if pool.settings.username_attribute == UsernameAttribute::Email {
                self.user.username = sub.clone();
            }
            self.user.id = sub;
        }
        self.user.status = kept.status;
        self.user.enabled = kept.enabled;
        self.user.created_at = kept.created_at;
        self.user.updated_at = kept.updated_at;
    }
}

/// What an imported user brings besides `NewUser` (see `PreparedUser::keep_identity`).
pub struct KeptIdentity {
    pub sub: Option<String>,
    pub status: UserStatus,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Creates a user: `prepare_user` then `create`, for callers without a hot writer (the CLI,
/// bootstrap, tests).
pub fn create_now(db: &Db, pool: &Pool, sealer: &Sealer, new: NewUser, now: i64) -> Result<User> {
    create(db, pool, sealer, prepare_user(pool, new, now)?)
}

/// Stores a prepared user (its SRP verifier too), unless the email or username is taken.
pub fn create(db: &Db, pool: &Pool, sealer: &Sealer, prepared: PreparedUser) -> Result<User> {
    let PreparedUser { user, password } = prepared;
    if let Some(e) = &user.email
        && store::users::by_email(db, &pool.id, e)?.is_some()
    {
        return Err(Error::AlreadyExists("a user with this email".into()));
    }
    if store::users::by_username(db, &pool.id, &user.username)?.is_some() {
        return Err(Error::AlreadyExists("a user with this username".into()));
    }
    store::users::insert(db, &user)?;
    if let Some(p) = &password {
        p.srp.put(db, sealer, &user.id, user.created_at)?;
    }
    Ok(user)
}

/// Checks a new user's input and prepares its password, without the database (call it before
/// the write transaction).
pub fn prepare_user(pool: &Pool, new: NewUser, now: i64) -> Result<PreparedUser> {
    let email = new.email.as_deref().map(normalize_email).transpose()?;
    validate_attributes(pool, &new.attributes, false)?;
    let id = uuid::Uuid::new_v4().to_string();
    let username = match pool.settings.username_attribute {
        // Cognito gives email-username pools a UUID username (equal to sub).
        UsernameAttribute::Email => {
            if email.is_none() {
                return Err(Error::invalid(
                    "email: required as the username of this pool",
                ));
            }
            id.clone()
        }
        UsernameAttribute::Username => {
            let u = new
                .username
                .ok_or_else(|| Error::invalid("username: required"))?;
            validate_username(&u)?;
            u
        }
    };
    for attr in &pool.settings.required_attributes {
        let present = if attr == "email" {
            email.is_some()
        } else {
            new.attributes
                .get(attr)
                .is_some_and(|v| !v.trim().is_empty())
        };
        if !present {
            return Err(Error::invalid(format!("{attr}: required by the pool")));
        }
    }
    let password = new
        .password
        .as_deref()
        .map(|p| NewPassword::prepare(pool, &username, p))
        .transpose()?;
    let password_hash = match (&password, new.password_hash) {
        (Some(p), _) => Some(p.hash.clone()),
        (None, Some(h)) => {
            validate_password_hash(&h)?;
            Some(h)
        }
        (None, None) => None,
    };
    let user = User {
        id,
        pool_id: pool.id.clone(),
        username,
        email,
        status: if new.confirmed {
            UserStatus::Confirmed
        } else {
            UserStatus::Unconfirmed
        },
        enabled: true,
        email_verified: new.email_verified,
        password_hash,
        attributes: new.attributes,
        created_at: now,
        updated_at: now,
    };
    Ok(PreparedUser { user, password })
}

fn validate_username(u: &str) -> Result<()> {
    if u.is_empty() || u.len() > 128 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("username"));
    }
    Ok(())
}

/// Finds a user by what they type at sign-in: email (in email pools, or as an alias), username, or sub.
pub fn find_by_login(db: &Db, pool: &Pool, login: &str) -> Result<Option<User>> {
    find_by_login_in(db, &pool.id, login)
}

/// `find_by_login` where only the pool's id is at hand (the audit writer).
pub fn find_by_login_in(db: &Db, pool_id: &str, login: &str) -> Result<Option<User>> {
    let login = login.trim();
    if login.is_empty() || login.len() > 256 {
        return Ok(None);
    }
    if login.contains('@')
        && let Ok(email) = normalize_email(login)
        && let Some(u) = store::users::by_email(db, pool_id, &email)?
    {
        return Ok(Some(u));
    }
    if let Some(u) = store::users::by_username(db, pool_id, login)? {
        return Ok(Some(u));
    }
    Ok(store::users::get(db, pool_id, login)?)
}

/// Like `find_by_login`, but a missing user is an error (for the CLI and admin calls).
pub fn require(db: &Db, pool: &Pool, login: &str) -> Result<User> {
    find_by_login(db, pool, login)?.ok_or_else(|| Error::not_found(format!("user {login:?}")))
}

/// Sets a prepared password and its SRP verifier. `permanent` false makes it temporary
/// (FORCE_CHANGE_PASSWORD).
pub fn set_password(
    db: &Db,
    sealer: &Sealer,
    user: &mut User,
    new_password: &NewPassword,
    permanent: bool,
    now: i64,
) -> Result<()> {
    // Usernames never change, so a mismatch is a caller's mistake, never a race.
    if !new_password.is_for(&user.username) {
        return Err(Error::invalid("password prepared for another user"));
    }
    user.password_hash = Some(new_password.hash.clone());
    if permanent {
        if matches!(
            user.status,
            UserStatus::ForceChangePassword | UserStatus::ResetRequired
        ) {
            user.status = UserStatus::Confirmed;
        }
    } else {
        user.status = UserStatus::ForceChangePassword;
    }
    user.updated_at = now;
    store::users::update(db, user)?;
    new_password.srp.put(db, sealer, &user.id, now)?;
    Ok(())
}

pub fn add_to_group(db: &Db, pool: &Pool, user: &User, group: &str) -> Result<()> {
    if !store::groups::exists(db, &pool.id, group)? {
        return Err(Error::not_found(format!("group {group:?}")));
    }
    store::groups::add_member(db, &pool.id, group, &user.id)?;
    Ok(())
}

/// Puts a user who arrives from elsewhere (import, migration) in their groups, which travel by
/// name: one missing here is created, empty, on first use.
pub fn join_groups(db: &Db, pool: &Pool, user: &User, groups: &[String], now: i64) -> Result<()> {
    for g in groups {
        if !store::groups::exists(db, &pool.id, g)? {
            let group = NewGroup {
                name: g.clone(),
                description: String::new(),
                precedence: None,
                role_arn: None,
            };
            create_group(db, pool, group, now)?;
        }
        store::groups::add_member(db, &pool.id, g, &user.id)?;
    }
    Ok(())
}

/// Takes a user out of a group of the pool (a non-member is not an error).
pub fn remove_from_group(db: &Db, pool: &Pool, user: &User, group: &str) -> Result<()> {
    if !store::groups::exists(db, &pool.id, group)? {
        return Err(Error::not_found(format!("group {group:?}")));
    }
    store::groups::remove_member(db, &pool.id, group, &user.id)?;
    Ok(())
}

pub fn validate_group_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 128
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid(format!("group name {name:?}")));
    }
    Ok(())
}

/// Checks a pre-computed password hash (bootstrap, import): a format `password::verify`
/// understands, salted, with a bounded cost.
pub fn validate_password_hash(hash: &str) -> Result<()> {
    crate::authn::legacy_hash::check(hash)
        .map(|_| ())
        .map_err(|e| Error::invalid(format!("password_hash: {e}")))
}

/// Checks a group's name, description, precedence and role before it is stored (every door:
/// CLI, bootstrap, Cognito API).
pub fn check_group(
    name: &str,
    description: &str,
    precedence: Option<i64>,
    role_arn: Option<&str>,
) -> Result<()> {
    validate_group_name(name)?;
    check_group_fields(description, precedence, role_arn)
}

fn check_group_fields(
    description: &str,
    precedence: Option<i64>,
    role_arn: Option<&str>,
) -> Result<()> {
    if description.len() > 2048 || description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            "group description: at most 2048 printable characters",
        ));
    }
    if precedence.is_some_and(|p| !(0..=i64::from(i32::MAX)).contains(&p)) {
        return Err(Error::invalid("group precedence: 0 to 2147483647"));
    }
    if let Some(arn) = role_arn {
        validate_role_arn(arn)?;
    }
    Ok(())
}

/// An IAM role ARN: `arn:aws:iam::123456789012:role/path/name` (other AWS partitions too).
pub fn validate_role_arn(arn: &str) -> Result<()> {
    let valid = (20..=2048).contains(&arn.len())
        && arn.split_once(":iam::").is_some_and(|(partition, rest)| {
            partition
                .strip_prefix("arn:aws")
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
                && rest.split_once(":role/").is_some_and(|(account, role)| {
                    account.len() == 12
                        && account.bytes().all(|b| b.is_ascii_digit())
                        && !role.is_empty()
                        && !role.ends_with('/')
                        && role
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@/-".contains(&b))
                })
        });
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "role ARN {arn:?}: expected arn:aws:iam::<12-digit account>:role/<name>"
        )))
    }
}

/// A group to create.
pub struct NewGroup {
    pub name: String,
    pub description: String,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

/// Creates a group of the pool, unless one of that name exists.
pub fn create_group(db: &Db, pool: &Pool, new: NewGroup, now: i64) -> Result<store::groups::Group> {
    check_group(
        &new.name,
        &new.description,
        new.precedence,
        new.role_arn.as_deref(),
    )?;
    if store::groups::exists(db, &pool.id, &new.name)? {
        return Err(Error::AlreadyExists(format!("group {:?}", new.name)));
    }
    let group = store::groups::Group {
        pool_id: pool.id.clone(),
        name: new.name,
        description: new.description,
        precedence: new.precedence,
        role_arn: new.role_arn,
        created_at: now,
        updated_at: now,
    };
    store::groups::insert(db, &group)?;
    Ok(group)
}

/// What an update changes: only the members given (Cognito's UpdateGroup).
#[derive(Default)]
pub struct GroupChange {
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

/// A group of the pool; unknown is `NotFound`.
pub fn require_group(db: &Db, pool: &Pool, name: &str) -> Result<store::groups::Group> {
    store::groups::get(db, &pool.id, name)?
        .ok_or_else(|| Error::not_found(format!("group {name:?}")))
}

/// Changes the members of a group that `change` gives; the others stay.
pub fn update_group(
    db: &Db,
    pool: &Pool,
    name: &str,
    change: GroupChange,
    now: i64,
) -> Result<store::groups::Group> {
    // The input first, as for a new group; what is kept was checked when stored.
    check_group_fields(
        change.description.as_deref().unwrap_or(""),
        change.precedence,
        change.role_arn.as_deref(),
    )?;
    let mut group = require_group(db, pool, name)?;
    if let Some(d) = change.description {
        group.description = d;
    }
    if change.precedence.is_some() {
        group.precedence = change.precedence;
    }
    if change.role_arn.is_some() {
        group.role_arn = change.role_arn;
    }
    group.updated_at = now;
    store::groups::update(db, &group)?;
    Ok(group)
}

/// Deletes a group of the pool and its memberships.
pub fn delete_group(db: &Db, pool: &Pool, name: &str) -> Result<()> {
    if !store::groups::delete(db, &pool.id, name)? {
        return Err(Error::not_found(format!("group {name:?}")));
    }
    Ok(())
}

/// `cognito:roles` and `cognito:preferred_role` of a user's groups (ordered as
/// `store::groups::groups_of_user` returns them: lowest precedence first, none last).
/// The preferred role is that of the best-placed groups with a role; when several groups share
/// that precedence with different roles there is none, as at Cognito.
pub fn group_roles(groups: &[store::groups::Group]) -> (Vec<String>, Option<String>) {
    let mut roles: Vec<String> = Vec::new();
    for r in groups.iter().filter_map(|g| g.role_arn.as_ref()) {
        if !roles.contains(r) {
            roles.push(r.clone());
        }
    }
    let with_role: Vec<_> = groups.iter().filter(|g| g.role_arn.is_some()).collect();
    let preferred = with_role.first().and_then(|best| {
        let tied = with_role.iter().filter(|g| g.precedence == best.precedence);
        let mut tied_roles = tied.filter_map(|g| g.role_arn.as_ref());
        let first = tied_roles.next()?;
        tied_roles.all(|r| r == first).then(|| first.clone())
    });
    (roles, preferred)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, precedence: Option<i64>, role: Option<&str>) -> store::groups::Group {
        store::groups::Group {
            pool_id: "p".into(),
            name: name.into(),
            description: String::new(),
            precedence,
            role_arn: role.map(String::from),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn role_arns() {
        assert!(validate_role_arn("arn:aws:iam::123456789012:role/admins").is_ok());
        assert!(validate_role_arn("arn:aws:iam::123456789012:role/path/to/Role_1+=,.@-").is_ok());
        assert!(validate_role_arn("arn:aws-cn:iam::123456789012:role/x").is_ok());
        for bad in [
            "arn:aws:iam::12345678901:role/admins",
            "arn:aws:iam::123456789012:user/admins",
            "arn:aws:s3::123456789012:role/admins",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "role/admins",
        ] {
            assert!(validate_role_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preferred_role_follows_precedence_and_ties() {
        let a = "arn:aws:iam::123456789012:role/a";
        let b = "arn:aws:iam::123456789012:role/b";
        let (roles, preferred) = group_roles(&[
            group("x", Some(1), None),
            group("y", Some(2), Some(b)),
            group("z", None, Some(a)),
        ]);
        assert_eq!(roles, vec![b.to_string(), a.to_string()]);
        assert_eq!(preferred.as_deref(), Some(b));
        let (_, tie) = group_roles(&[group("x", Some(1), Some(a)), group("y", Some(1), Some(b))]);
        assert_eq!(tie, None);
        let (_, same) = group_roles(&[group("x", Some(1), Some(a)), group("y", Some(1), Some(a))]);
        assert_eq!(same.as_deref(), Some(a));
        let (_, none) = group_roles(&[group("x", None, Some(a)), group("y", None, Some(b))]);
        assert_eq!(none, None);
        assert_eq!(group_roles(&[]), (vec![], None));
    }
}
