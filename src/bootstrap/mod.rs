//! Declarative bootstrap: pools, identity providers, clients, groups and users from a TOML
//! file, applied idempotently.
//!
//! The whole file is applied in ONE write transaction: a bad file changes nothing. Pools,
//! clients and groups are configuration: what the file says (with defaults for what it omits)
//! is what they become. Users are data that people change themselves: the file creates them,
//! sets the attributes and groups it names, and confirms them, but sets a password only on
//! creation (unless `reset_password = true`). Nothing is ever deleted by a bootstrap file.
//! See docs/bootstrap.md for the format.

use std::collections::HashSet;
use std::path::Path;

use crate::accounts::service::{self as accounts, NewUser};
use crate::accounts::{User, UserStatus};
use crate::audit::{Door, Event};
use crate::authn::password;
use crate::config::Config;
use crate::federation::providers::{self, ProviderChange, ProviderInput};
use crate::keys::Alg;
use crate::keys::seal::Sealer;
use crate::pools::service::{self as pools, SecretChoice};
use crate::pools::{Client, Pool, UsernameAttribute};
use crate::store::{self, Db, Store, StoreError};
use crate::{Error, Result};

mod file;
mod settings;

use file::{BootstrapFile, ClientDecl, GroupDecl, PoolDecl, ProviderDecl, UserDecl};
use settings::{client_settings, pool_settings};

/// What an application of a file did. `pools`..`users` count the declarations; `created`,
/// `updated` and `unchanged` count the objects (a second application of the same file
/// reports nothing created or updated).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    pub pools: usize,
    pub clients: usize,
    pub groups: usize,
    pub users: usize,
    pub identity_providers: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The ids of the declared pools, in file order (generated ones included).
    pub pool_ids: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("{0}")]
    Apply(#[from] crate::Error),
    /// A declaration the core refused; `at` names it, e.g. `pool "Example", user "a@b.c"`.
    #[error("{path}: {at}: {source}")]
    Invalid {
        path: String,
        at: String,
        source: Box<crate::Error>,
    },
}

pub fn apply_file(
    store: &Store,
    config: &Config,
    sealer: &Sealer,
    path: &Path,
    now: i64,
) -> Result<Report, BootstrapError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BootstrapError::Read {
        path: shown.clone(),
        source,
    })?;
    let file = parse(&text).map_err(|message| BootstrapError::Parse {
        path: shown.clone(),
        message,
    })?;
    store
        .write_sync(|db| {
            let report = apply(db, &file, config, sealer, now)?;
            // In the same transaction: the record of a change commits with the change.
            if report.created + report.updated > 0 {
                for pool_id in &report.pool_ids {
                    let event = Event::new(Door::Bootstrap, "bootstrap_apply", "success")
                        .pool(pool_id.as_str())
                        .actor("bootstrap")
                        .target(shown.as_str());
                    crate::audit::record_in(db, event, now)?;
                }
            }
            Ok(report)
        })
        .map_err(|f: Failure| match f.at {
            None => BootstrapError::Apply(f.source),
            Some(at) => BootstrapError::Invalid {
                path: shown,
                at,
                source: Box::new(f.source),
            },
        })
}

fn parse(text: &str) -> std::result::Result<BootstrapFile, String> {
    toml::from_str::<BootstrapFile>(text).map_err(|e| {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                format!("line {line}, column {column}: {message}")
            }
            None => message,
        }
    })
}

/// An error with the declaration it came from.
struct Failure {
    at: Option<String>,
    source: Error,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure {
            at: None,
            source: e.into(),
        }
    }
}

trait At<T> {
    fn at(self, label: &str) -> std::result::Result<T, Failure>;
}

impl<T, E: Into<Error>> At<T> for std::result::Result<T, E> {
    fn at(self, label: &str) -> std::result::Result<T, Failure> {
        self.map_err(|e| Failure {
            at: Some(label.to_string()),
            source: e.into(),
        })
    }
}

#[derive(Clone, Copy)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Report {
    fn count(&mut self, o: Outcome) {
        match o {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

fn apply(
    db: &Db,
    file: &BootstrapFile,
    config: &Config,
    sealer: &Sealer,
    now: i64,
) -> std::result::Result<Report, Failure> {
    let mut report = Report::default();
    let mut seen_pools = HashSet::new();
    for decl in &file.pool {
        let label = format!("pool {:?}", decl.id.as_deref().unwrap_or(&decl.name));
        let (pool, outcome) = apply_pool(db, decl, config, sealer, now).at(&label)?;
        if !seen_pools.insert(pool.id.clone()) {
            return Err(Error::invalid(format!(
                "pool {} is declared twice in the file",
                pool.id
            )))
            .at(&label);
        }
        report.pools += 1;
        report.count(outcome);
        report.pool_ids.push(pool.id.clone());

        let mut seen = HashSet::new();
        for g in &decl.group {
            let at = format!("{label}, group {:?}", g.name);
            if !seen.insert(g.name.clone()) {
                return Err(Error::invalid("group declared twice in the pool")).at(&at);
            }
            report.groups += 1;
            report.count(apply_group(db, &pool, g, now).at(&at)?);
        }

        let mut seen = HashSet::new();
        for p in &decl.identity_provider {
            let at = format!("{label}, identity_provider {:?}", p.name);
            if !seen.insert(p.name.clone()) {
                return Err(Error::invalid(
                    "identity provider declared twice in the pool",
                ))
                .at(&at);
            }
            report.identity_providers += 1;
            report.count(apply_provider(db, &pool, sealer, p, now).at(&at)?);
        }

        let mut seen = HashSet::new();
        for c in &decl.client {
            let at = format!("{label}, client {:?}", c.id.as_deref().unwrap_or(&c.name));
            let (client_id, outcome) = apply_client(db, &pool, sealer, c, now).at(&at)?;
            if !seen.insert(client_id) {
                return Err(Error::invalid("client declared twice in the pool")).at(&at);
            }
            report.clients += 1;
            report.count(outcome);
        }

        let mut seen = HashSet::new();
        for u in &decl.user {
            let who = u.email.as_deref().or(u.username.as_deref()).unwrap_or("?");
            let at = format!("{label}, user {who:?}");
            let (user_id, outcome) = apply_user(db, &pool, sealer, u, now).at(&at)?;
            if !seen.insert(user_id) {
                return Err(Error::invalid("user declared twice in the pool")).at(&at);
            }
            report.users += 1;
            report.count(outcome);
        }
    }
    Ok(report)
}

/// The pool's `migrate_from`, sealed; an unchanged one keeps its sealed secrets so the pool
/// compares unchanged.
fn migrate_from(
    decl: &PoolDecl,
    sealer: &Sealer,
    old: Option<&crate::pools::migrate_from::MigrateFrom>,
) -> Result<Option<crate::pools::migrate_from::MigrateFrom>> {
    decl.migrate_from
        .as_deref()
        .map(|spec| {
            crate::pools::migrate_from::MigrateFrom::parse(spec, sealer, old)
                .map_err(|e| Error::invalid(format!("pool {:?} migrate_from: {e}", decl.name)))
        })
        .transpose()
}

fn same<T: serde::Serialize>(a: &T, b: &T) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn apply_pool(
    db: &Db,
    decl: &PoolDecl,
    config: &Config,
    sealer: &Sealer,
    now: i64,
) -> Result<(Pool, Outcome)> {
    let mut settings = pool_settings(decl)?;
    let existing = match &decl.id {
        Some(id) => store::pools::get(db, id)?,
        None => {
            let mut named: Vec<Pool> = store::pools::list(db)?
                .into_iter()
                .filter(|p| p.name == decl.name)
                .collect();
            if named.len() > 1 {
                return Err(Error::invalid(format!(
                    "pool name: {} pools are named {:?}; give this pool an `id`",
                    named.len(),
                    decl.name
                )));
            }
            named.pop()
        }
    };
    match existing {
        Some(mut pool) => {
            // Starting from the stored secret keeps an unchanged one's sealed form.
            settings.webhook_secret = pool.settings.webhook_secret.clone();
            crate::triggers::set_pool_webhook_secret(
                &mut settings,
                sealer,
                decl.webhook_secret.as_deref(),
            )
            .map_err(Error::Invalid)?;
            settings.migrate_from =
                migrate_from(decl, sealer, pool.settings.migrate_from.as_ref())?;
            if pool.name == decl.name && same(&pool.settings, &settings) {
                return Ok((pool, Outcome::Unchanged));
            }
            pool.name = decl.name.clone();
            pool.settings = settings;
            pools::update_pool(db, &mut pool, now)?;
            Ok((pool, Outcome::Updated))
        }
        None => {
            let region = decl.region.as_deref().unwrap_or(&config.region);
            if decl.id.is_none()
                && (region.is_empty()
                    || !region
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-'))
            {
                return Err(Error::invalid(format!(
                    "region {region:?}: letters, digits and '-' only"
                )));
            }
            crate::triggers::set_pool_webhook_secret(
                &mut settings,
                sealer,
                decl.webhook_secret.as_deref(),
            )
            .map_err(Error::Invalid)?;
            settings.migrate_from = migrate_from(decl, sealer, None)?;
            let alg = Alg::parse(&config.key_algorithm).unwrap_or(Alg::RS256);
            let pool = pools::create_pool(
                db,
                decl.id.as_deref(),
                &decl.name,
                region,
                settings,
                alg,
                sealer,
                now,
            )?;
            Ok((pool, Outcome::Created))
        }
    }
}

fn apply_group(db: &Db, pool: &Pool, decl: &GroupDecl, now: i64) -> Result<Outcome> {
    let description = decl.description.clone().unwrap_or_default();
    match store::groups::get(db, &pool.id, &decl.name)? {
        None => {
            let new = accounts::NewGroup {
                name: decl.name.clone(),
                description,
                precedence: decl.precedence,
                role_arn: decl.role_arn.clone(),
            };
            accounts::create_group(db, pool, new, now)?;
            Ok(Outcome::Created)
        }
        Some(g)
            if g.description == description
                && g.precedence == decl.precedence
                && g.role_arn == decl.role_arn =>
        {
            Ok(Outcome::Unchanged)
        }
        Some(mut group) => {
            // The file describes the whole group: absent members are cleared.
            accounts::check_group(
                &decl.name,
                &description,
                decl.precedence,
                decl.role_arn.as_deref(),
            )?;
            group.description = description;
            group.precedence = decl.precedence;
            group.role_arn = decl.role_arn.clone();
            group.updated_at = now;
            store::groups::update(db, &group)?;
            Ok(Outcome::Updated)
        }
    }
}

/// Creates or replaces a provider as declared (the whole of it: absent mappings and
/// identifiers are cleared; a secret stays sealed as it was when the file's is the same).
fn apply_provider(
    db: &Db,
    pool: &Pool,
    sealer: &Sealer,
    decl: &ProviderDecl,
    now: i64,
) -> Result<Outcome> {
    let input = ProviderInput {
        name: decl.name.clone(),
        provider_type: decl.provider_type.clone(),
        details: decl.details.clone(),
        attribute_mapping: decl.attribute_mapping.clone(),
        idp_identifiers: decl.idp_identifiers.clone(),
    };
    let Some(old) = store::federation::get(db, &pool.id, &decl.name)? else {
        providers::create(db, sealer, &pool.id, input, now)?;
        return Ok(Outcome::Created);
    };
    if old.provider_type != decl.provider_type {
        return Err(Error::invalid(format!(
            "type: the provider is {}; a provider's type cannot change",
            old.provider_type
        )));
    }
    let new = providers::prepare(&pool.id, input, sealer, Some(&old), now)?;
    if providers::same_config(&old, &new) {
        return Ok(Outcome::Unchanged);
    }
    let change = ProviderChange {
        details: Some(decl.details.clone()),
        attribute_mapping: Some(decl.attribute_mapping.clone()),
        idp_identifiers: Some(decl.idp_identifiers.clone()),
    };
    providers::update(db, sealer, &pool.id, &decl.name, change, now)?;
    Ok(Outcome::Updated)
}

fn apply_client(
    db: &Db,
    pool: &Pool,
    sealer: &Sealer,
    decl: &ClientDecl,
    now: i64,
) -> Result<(String, Outcome)> {
    let (id, outcome) = apply_client_row(db, pool, decl, now)?;
    // The Cognito API checks SECRET_HASH with the secret itself: keep a sealed copy.
    if let Some(secret) = &decl.secret {
        crate::pools::clients::remember_secret(db, sealer, &id, secret)?;
    }
    Ok((id, outcome))
}

fn apply_client_row(
    db: &Db,
    pool: &Pool,
    decl: &ClientDecl,
    now: i64,
) -> Result<(String, Outcome)> {
    let settings = client_settings(decl)?;
    let secret_hash = decl
        .secret
        .as_deref()
        .map(pools::hash_client_secret)
        .transpose()?;
    let existing = match &decl.id {
        Some(id) => store::clients::get(db, &pool.id, id)?,
        None => {
            let mut named: Vec<Client> = store::clients::list(db, &pool.id)?
                .into_iter()
                .filter(|c| c.name == decl.name)
                .collect();
            if named.len() > 1 {
                return Err(Error::invalid(format!(
                    "client name: {} clients of this pool are named {:?}; give this client an `id`",
                    named.len(),
                    decl.name
                )));
            }
            named.pop()
        }
    };
    match existing {
        Some(mut client) => {
            if client.name == decl.name
                && client.secret_hash == secret_hash
                && same(&client.settings, &settings)
            {
                return Ok((client.id, Outcome::Unchanged));
            }
            client.name = decl.name.clone();
            client.secret_hash = secret_hash;
            client.settings = settings;
            client.updated_at = now;
            pools::update_client(db, pool, &client)?;
            Ok((client.id, Outcome::Updated))
        }
        None => {
            let secret = match &decl.secret {
                Some(s) => SecretChoice::Fixed(s.clone()),
                None => SecretChoice::Public,
            };
            let (client, _) = pools::create_client(
                db,
                pool,
                decl.id.as_deref(),
                &decl.name,
                settings,
                secret,
                now,
            )
            .map_err(|e| match e {
                Error::AlreadyExists(what) => {
                    Error::AlreadyExists(format!("{what} (in another pool: client ids are global)"))
                }
                other => other,
            })?;
            Ok((client.id, Outcome::Created))
        }
    }
}

fn apply_user(
    db: &Db,
    pool: &Pool,
    sealer: &Sealer,
    decl: &UserDecl,
    now: i64,
) -> Result<(String, Outcome)> {
    if decl.password.is_some() && decl.password_hash.is_some() {
        return Err(Error::invalid(
            "password: give `password` or `password_hash`, not both",
        ));
    }
    if let Some(h) = &decl.password_hash {
        accounts::validate_password_hash(h)?;
    }
    if decl.attributes.contains_key("email") {
        return Err(Error::invalid(
            "attribute \"email\": put the address in `email`",
        ));
    }
    accounts::validate_attributes(pool, &decl.attributes, false)?;
    let email = decl
        .email
        .as_deref()
        .map(accounts::normalize_email)
        .transpose()?;
    let existing = match pool.settings.username_attribute {
        UsernameAttribute::Email => {
            if decl.username.is_some() {
                return Err(Error::invalid(
                    "username: this pool signs users in by email; its usernames are generated",
                ));
            }
            let e = email
                .as_deref()
                .ok_or_else(|| Error::invalid("email: required (this pool signs in by email)"))?;
            store::users::by_email(db, &pool.id, e)?
        }
        UsernameAttribute::Username => {
            let u = decl
                .username
                .as_deref()
                .ok_or_else(|| Error::invalid("username: required in a username pool"))?;
            store::users::by_username(db, &pool.id, u)?
        }
    };
    let Some(user) = existing else {
        let user = accounts::create_now(
            db,
            pool,
            sealer,
            NewUser {
                username: decl.username.clone(),
                email: email.clone(),
                password: decl.password.clone(),
                password_hash: decl.password_hash.clone(),
                attributes: decl.attributes.clone(),
                confirmed: decl.confirmed,
                email_verified: email.is_some() && decl.email_verified.unwrap_or(decl.confirmed),
            },
            now,
        )?;
        for g in &decl.groups {
            accounts::add_to_group(db, pool, &user, g)?;
        }
        return Ok((user.id, Outcome::Created));
    };
    let changed = update_user(db, pool, sealer, user.clone(), decl, email, now)?;
    let mut groups_changed = false;
    let current = store::groups::of_user(db, &user.id)?;
    for g in &decl.groups {
        if !current.contains(g) {
            accounts::add_to_group(db, pool, &user, g)?;
            groups_changed = true;
        }
    }
    let outcome = if changed || groups_changed {
        Outcome::Updated
    } else {
        Outcome::Unchanged
    };
    Ok((user.id, outcome))
}

/// Brings an existing user in line with the declaration; true if anything changed.
fn update_user(
    db: &Db,
    pool: &Pool,
    sealer: &Sealer,
    mut user: User,
    decl: &UserDecl,
    email: Option<String>,
    now: i64,
) -> Result<bool> {
    let before = user.clone();
    // In username pools the email is an ordinary, changeable attribute.
    if let Some(e) = email
        && user.email.as_deref() != Some(e.as_str())
    {
        if store::users::by_email(db, &pool.id, &e)?.is_some() {
            return Err(Error::AlreadyExists("a user with this email".into()));
        }
        user.email = Some(e);
        user.email_verified = decl.email_verified.unwrap_or(decl.confirmed);
    }
    for (k, v) in &decl.attributes {
        user.attributes.insert(k.clone(), v.clone());
    }
    if decl.confirmed && user.status == UserStatus::Unconfirmed {
        user.status = UserStatus::Confirmed;
        if user.email.is_some() && decl.email_verified.is_none() {
            user.email_verified = true;
        }
    }
    if let Some(v) = decl.email_verified
        && user.email.is_some()
    {
        user.email_verified = v;
    }
    let mut password_changed = false;
    if decl.reset_password {
        match (&decl.password, &decl.password_hash) {
            (Some(p), _) => {
                let current = user
                    .password_hash
                    .as_deref()
                    .is_some_and(|h| password::verify(p, h) != password::Verified::No);
                if !current {
                    password::check_policy(p, &pool.settings.password_policy)
                        .map_err(|e| Error::Invalid(e.to_string()))?;
                    user.password_hash = Some(password::hash(p));
                    password_changed = true;
                }
                // The SRP verifier follows every plaintext password (and is made if missing).
                if password_changed || store::cognito::get_verifier(db, &user.id)?.is_none() {
                    crate::authn::srp::store_verifier(db, &pool.id, sealer, &user, p, now)?;
                }
            }
            (None, Some(h)) => {
                if user.password_hash.as_deref() != Some(h.as_str()) {
                    user.password_hash = Some(h.clone());
                    password_changed = true;
                    crate::authn::srp::forget_verifier(db, &user.id)?;
                }
            }
            (None, None) => {
                return Err(Error::invalid(
                    "reset_password: needs `password` or `password_hash`",
                ));
            }
        }
        if password_changed && user.status == UserStatus::ForceChangePassword {
            user.status = UserStatus::Confirmed;
        }
    }
    if !password_changed && same(&before, &user) {
        return Ok(false);
    }
    user.updated_at = now;
    store::users::update(db, &user)?;
    Ok(true)
}
