//! Admin verbs: pool, client, user, group, keys, bootstrap. Each prints readable text, or
//! exactly one JSON value (object or array) on stdout with `--json`.
//!
//! Every verb opens the store in the configured data directory (the server may be running on
//! it at the same time) and does its work in one transaction, so a failure changes nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};

#[path = "admin_keys.rs"]
mod admin_keys;
use serde_json::{Value, json};

use crate::accounts::User;
use crate::accounts::service::{self as accounts, NewUser};
use crate::clock::Clock;
use crate::config::Config;
use crate::keys::{Alg, RETIRED_KEY_PUBLISHED_SECS, seal::Sealer};
use crate::pools::clients::normalize_auth_flow;
use crate::pools::service::{self as pools, SecretChoice};
use crate::pools::{
    Client, ClientSettings, MfaMode, OAuthFlow, PasswordPolicy, Pool, PoolSettings,
    UsernameAttribute,
};
use crate::store::{self, Db, Store};
use crate::{Error, Result};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Manage user pools (each pool is one OpenID Connect issuer).
    Pool {
        #[command(subcommand)]
        cmd: PoolCmd,
    },
    /// Manage the app clients of a pool.
    Client {
        #[command(subcommand)]
        cmd: ClientCmd,
    },
    /// Manage the users of a pool.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage the groups of a pool.
    Group {
        #[command(subcommand)]
        cmd: GroupCmd,
    },
    /// List and rotate a pool's signing keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Apply a declarative bootstrap file (pools, clients, groups, users).
    Bootstrap {
        #[command(subcommand)]
        cmd: BootstrapCmd,
    },
    /// Access keys for the SigV4-signed admin actions of the Cognito API.
    AdminKey {
        #[command(subcommand)]
        cmd: admin_keys::AdminKeyCmd,
    },
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

#[derive(Subcommand, Debug)]
pub enum PoolCmd {
    /// Create a pool with its first signing key.
    Create(PoolCreateArgs),
    /// List all pools.
    List,
    /// Show one pool and its settings.
    Show(PoolRef),
    /// Change a pool's name or settings (including the required attributes).
    Update(PoolUpdateArgs),
    /// Delete a pool with all its clients, users, groups, keys and sessions.
    Delete(PoolRef),
}

#[derive(Args, Debug)]
pub struct PoolRef {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
}

#[derive(Args, Debug)]
pub struct PoolCreateArgs {
    /// Display name of the pool.
    #[arg(long)]
    pub name: String,
    /// Region prefix of the generated pool id (default: the config's `region`).
    #[arg(long)]
    pub region: Option<String>,
    /// A fixed pool id (`region_alphanumerics`) instead of a generated one.
    #[arg(long)]
    pub id: Option<String>,
    /// Signing algorithm of the pool's first key (default: the config's `key_algorithm`).
    #[arg(long, value_name = "RS256|ES256|EdDSA")]
    pub alg: Option<String>,
    #[command(flatten)]
    pub settings: PoolSettingsArgs,
}

#[derive(Args, Debug)]
pub struct PoolUpdateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// New display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Make the list of required attributes empty (username pools only).
    #[arg(long, conflicts_with = "required_attr")]
    pub no_required_attrs: bool,
    #[command(flatten)]
    pub settings: PoolSettingsArgs,
}

#[derive(Args, Debug)]
pub struct PoolSettingsArgs {
    /// What users sign in with.
    #[arg(long, value_name = "email|username")]
    pub username_attribute: Option<UsernameAttribute>,
    /// An attribute sign-up must provide (repeat; replaces the whole list), e.g. email, name, custom:team.
    #[arg(long = "required-attr", value_name = "ATTR")]
    pub required_attr: Vec<String>,
    /// Whether people may sign themselves up on the hosted pages.
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub self_signup: Option<bool>,
    /// `default` (8+ characters, common passwords refused) or `cognito-default`
    /// (8+ with upper, lower, digit and symbol).
    #[arg(long, value_name = "default|cognito-default")]
    pub password_policy: Option<PasswordPolicy>,
    /// Multi-factor authentication.
    #[arg(long, value_name = "off|optional|required")]
    pub mfa: Option<MfaMode>,
    /// Require PKCE from confidential clients too (public clients always need it).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub pkce_for_confidential: Option<bool>,
    /// Default ID token lifetime, seconds (300..=86400).
    #[arg(long, value_name = "SECONDS")]
    pub id_token_ttl: Option<i64>,
    /// Default access token lifetime, seconds (300..=86400).
    #[arg(long, value_name = "SECONDS")]
    pub access_token_ttl: Option<i64>,
    /// Default refresh token lifetime, seconds (3600..=315360000).
    #[arg(long, value_name = "SECONDS")]
    pub refresh_token_ttl: Option<i64>,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ClientCmd {
    /// Create an app client (public with PKCE by default; `--secret` for a confidential one).
    Create(ClientCreateArgs),
    /// List the clients of a pool.
    List(PoolRef),
    /// Show one client (never its secret).
    Show(ClientRef),
    /// Delete a client.
    Delete(ClientRef),
}

#[derive(Args, Debug)]
pub struct ClientRef {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Client id.
    #[arg(long, visible_alias = "id")]
    pub client: String,
}

#[derive(Args, Debug)]
pub struct ClientCreateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Display name of the client.
    #[arg(long)]
    pub name: String,
    /// A fixed client id instead of a generated one.
    #[arg(long)]
    pub id: Option<String>,
    /// A redirect URI the client may use (repeat for several).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uri: Vec<String>,
    /// A post-logout redirect URI (repeat for several).
    #[arg(long = "logout-uri", value_name = "URI")]
    pub logout_uri: Vec<String>,
    /// Generate a client secret (confidential client); it is printed once, now.
    #[arg(long, conflicts_with = "public")]
    pub secret: bool,
    /// A public client without a secret, using PKCE (the default).
    #[arg(long)]
    pub public: bool,
    /// An OAuth flow the client may use (repeat): code, client_credentials. Default: code.
    #[arg(long = "flow", value_name = "code|client_credentials")]
    pub flow: Vec<OAuthFlow>,
    /// A scope the client may request (repeat): openid, email, profile, phone, address,
    /// offline_access, or `resource-server/scope` (declared in the pool). Default: openid email profile.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// A Cognito API auth flow (repeat), e.g. USER_SRP_AUTH or ALLOW_USER_PASSWORD_AUTH.
    /// Default: USER_SRP_AUTH, REFRESH_TOKEN_AUTH.
    #[arg(long = "auth-flow", value_name = "FLOW")]
    pub auth_flow: Vec<String>,
    /// Issue a refresh token on every code exchange, even without offline_access (Cognito's way).
    #[arg(long)]
    pub always_refresh: bool,
    /// Do not rotate refresh tokens on use (Cognito's reusable refresh tokens).
    #[arg(long)]
    pub no_rotate_refresh: bool,
    /// A first-party client never shows the consent page.
    #[arg(long)]
    pub first_party: bool,
    /// Cognito API: answer UserNotFoundException for unknown users (Cognito's legacy mode)
    /// instead of looking like a wrong password.
    #[arg(long)]
    pub user_existence_errors: bool,
    /// Cognito API: another browser origin allowed by CORS (repeat), e.g. https://app.example.com.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origin: Vec<String>,
    /// ID token lifetime, seconds (default: the pool's).
    #[arg(long, value_name = "SECONDS")]
    pub id_token_ttl: Option<i64>,
    /// Access token lifetime, seconds (default: the pool's).
    #[arg(long, value_name = "SECONDS")]
    pub access_token_ttl: Option<i64>,
    /// Refresh token lifetime, seconds (default: the pool's).
    #[arg(long, value_name = "SECONDS")]
    pub refresh_token_ttl: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user.
    Create(UserCreateArgs),
    /// List the users of a pool.
    List(PoolRef),
    /// Show one user with attributes and groups.
    Show(UserRef),
    /// Delete a user.
    Delete(UserRef),
    /// Set a user's password (permanent, or `--temporary` to force a change at next sign-in).
    SetPassword(SetPasswordArgs),
    /// Multi-factor authentication of a user.
    Mfa {
        #[command(subcommand)]
        cmd: UserMfaCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserMfaCmd {
    /// Remove the user's authenticator, recovery codes and remembered devices (a lost phone).
    Reset(UserRef),
}

#[derive(Args, Debug)]
pub struct UserRef {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The user's email, username or sub.
    #[arg(long)]
    pub user: String,
}

#[derive(Args, Debug)]
pub struct UserCreateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Email address (the sign-in name in email pools).
    #[arg(long)]
    pub email: Option<String>,
    /// Username (username pools only).
    #[arg(long)]
    pub username: Option<String>,
    /// Initial password, checked against the pool's password policy.
    #[arg(long)]
    pub password: Option<String>,
    /// An attribute (repeat), e.g. `--attr name=Alice --attr custom:team=blue`.
    #[arg(long = "attr", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub attr: Vec<(String, String)>,
    /// A group to add the user to (repeat; the group must exist).
    #[arg(long = "group", value_name = "GROUP")]
    pub group: Vec<String>,
    /// Create the user confirmed (and their email verified).
    #[arg(long)]
    pub confirmed: bool,
}

#[derive(Args, Debug)]
pub struct SetPasswordArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The user's email, username or sub.
    #[arg(long)]
    pub user: String,
    /// The new password, checked against the pool's password policy.
    #[arg(long)]
    pub password: String,
    /// Make the user change it at next sign-in (status FORCE_CHANGE_PASSWORD).
    #[arg(long)]
    pub temporary: bool,
}

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Create a group.
    Create(GroupCreateArgs),
    /// List the groups of a pool with their member counts.
    List(PoolRef),
    /// Add a user to a group.
    AddUser(GroupAddUserArgs),
}

#[derive(Args, Debug)]
pub struct GroupCreateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Group name (no spaces).
    #[arg(long)]
    pub name: String,
    /// Free text.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Lower numbers win when a user is in several groups (0 or more).
    #[arg(long)]
    pub precedence: Option<i64>,
}

#[derive(Args, Debug)]
pub struct GroupAddUserArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Group name.
    #[arg(long)]
    pub group: String,
    /// The user's email, username or sub.
    #[arg(long)]
    pub user: String,
}

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// List a pool's signing keys (active, retired and still published, expired).
    List(PoolRef),
    /// Make a new key active; the old one stays in the JWKS until its tokens have expired.
    Rotate(KeysRotateArgs),
}

#[derive(Args, Debug)]
pub struct KeysRotateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    pub pool: Option<String>,
    /// Rotate the keys of every pool.
    #[arg(long)]
    pub all: bool,
    /// Algorithm of the new key (default: the config's `key_algorithm`).
    #[arg(long, value_name = "RS256|ES256|EdDSA")]
    pub alg: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum BootstrapCmd {
    /// Create or update what the file declares, in one transaction, and print a report.
    Apply {
        /// The bootstrap TOML file (default: the config's `bootstrap`).
        file: Option<PathBuf>,
    },
}

fn parse_on_off(s: &str) -> std::result::Result<bool, String> {
    match s {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

fn parse_key_value(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err("expected KEY=VALUE, e.g. name=Alice".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/// What a verb prints: one JSON value, or the same thing as text.
struct Output {
    json: Value,
    text: String,
}

struct Ctx<'a> {
    store: Store,
    sealer: Sealer,
    config: &'a Config,
    public_url: String,
    now: i64,
}

impl Ctx<'_> {
    fn write<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> std::result::Result<T, String> {
        self.store.write_sync(f).map_err(|e| e.to_string())
    }

    fn read<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> std::result::Result<T, String> {
        self.store.read_sync(f).map_err(|e| e.to_string())
    }

    fn default_alg(&self, requested: Option<&str>) -> std::result::Result<Alg, String> {
        let name = requested.unwrap_or(&self.config.key_algorithm);
        Alg::parse(name)
            .ok_or_else(|| format!("unknown key algorithm {name:?}: use RS256, ES256 or EdDSA"))
    }
}

pub fn execute(cmd: AdminCommand, config: &Config, json: bool) -> std::result::Result<(), String> {
    let ctx = Ctx {
        store: crate::startup::open_store(config).map_err(|e| e.to_string())?,
        sealer: crate::startup::sealer(config),
        config,
        public_url: config.public_url(),
        now: Clock::System.now(),
    };
    let out = match cmd {
        AdminCommand::Pool { cmd } => pool_cmd(&ctx, cmd)?,
        AdminCommand::Client { cmd } => client_cmd(&ctx, cmd)?,
        AdminCommand::User { cmd } => user_cmd(&ctx, cmd)?,
        AdminCommand::Group { cmd } => group_cmd(&ctx, cmd)?,
        AdminCommand::Keys { cmd } => keys_cmd(&ctx, cmd)?,
        AdminCommand::Bootstrap { cmd } => bootstrap_cmd(&ctx, cmd)?,
        AdminCommand::AdminKey { cmd } => admin_keys::admin_key_cmd(&ctx, cmd)?,
    };
    if json {
        let text = serde_json::to_string_pretty(&out.json)
            .map_err(|e| format!("cannot encode the output: {e}"))?;
        println!("{text}");
    } else {
        print!("{}", out.text);
        if !out.text.ends_with('\n') {
            println!();
        }
    }
    Ok(())
}

// ----- pools ---------------------------------------------------------------------------------

fn apply_settings(settings: &mut PoolSettings, args: PoolSettingsArgs) {
    if let Some(v) = args.username_attribute {
        settings.username_attribute = v;
    }
    if !args.required_attr.is_empty() {
        let mut list: Vec<String> = Vec::new();
        for a in args.required_attr {
            let a = a.trim().to_string();
            if !list.contains(&a) {
                list.push(a);
            }
        }
        settings.required_attributes = list;
    }
    if let Some(v) = args.self_signup {
        settings.self_signup = v;
    }
    if let Some(v) = args.password_policy {
        settings.password_policy = v;
    }
    if let Some(v) = args.mfa {
        settings.mfa = v;
    }
    if let Some(v) = args.pkce_for_confidential {
        settings.pkce_required_for_confidential = v;
    }
    if let Some(v) = args.id_token_ttl {
        settings.id_token_ttl_secs = v;
    }
    if let Some(v) = args.access_token_ttl {
        settings.access_token_ttl_secs = v;
    }
    if let Some(v) = args.refresh_token_ttl {
        settings.refresh_token_ttl_secs = v;
    }
}

fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 40
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn pool_cmd(ctx: &Ctx, cmd: PoolCmd) -> std::result::Result<Output, String> {
    match cmd {
        PoolCmd::Create(args) => {
            let region = args.region.unwrap_or_else(|| ctx.config.region.clone());
            if !valid_region(&region) {
                return Err(format!(
                    "invalid region {region:?}: letters, digits and '-' only"
                ));
            }
            let alg = ctx.default_alg(args.alg.as_deref())?;
            let mut settings = PoolSettings::default();
            apply_settings(&mut settings, args.settings);
            let (pool, scopes) = ctx.write(|db| {
                let pool = pools::create_pool(
                    db,
                    args.id.as_deref(),
                    &args.name,
                    &region,
                    settings,
                    alg,
                    &ctx.sealer,
                    ctx.now,
                )?;
                let scopes = store::pools::resource_scopes(db, &pool.id)?;
                Ok((pool, scopes))
            })?;
            Ok(pool_output(ctx, &pool, scopes, "Created pool"))
        }
        PoolCmd::List => {
            let pools = ctx.read(|db| Ok(store::pools::list(db)?))?;
            let json = Value::Array(
                pools
                    .iter()
                    .map(|p| pool_json(p, &ctx.public_url, None))
                    .collect(),
            );
            let mut text = String::new();
            if pools.is_empty() {
                text.push_str("No pools. Create one with `incognito pool create --name NAME`.\n");
            }
            for p in &pools {
                text.push_str(&format!(
                    "{:<24} {:<24} {}\n",
                    p.id,
                    p.name,
                    p.issuer(&ctx.public_url)
                ));
            }
            Ok(Output { json, text })
        }
        PoolCmd::Show(r) => {
            let (pool, scopes) = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let scopes = store::pools::resource_scopes(db, &pool.id)?;
                Ok((pool, scopes))
            })?;
            Ok(pool_output(ctx, &pool, scopes, "Pool"))
        }
        PoolCmd::Update(args) => {
            let (pool, scopes) = ctx.write(|db| {
                let mut pool = pools::find_pool(db, &args.pool)?;
                if let Some(name) = args.name {
                    pool.name = name;
                }
                if args.no_required_attrs {
                    pool.settings.required_attributes.clear();
                }
                apply_settings(&mut pool.settings, args.settings);
                pools::update_pool(db, &mut pool, ctx.now)?;
                let scopes = store::pools::resource_scopes(db, &pool.id)?;
                Ok((pool, scopes))
            })?;
            Ok(pool_output(ctx, &pool, scopes, "Updated pool"))
        }
        PoolCmd::Delete(r) => {
            let pool = ctx.write(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                store::pools::delete(db, &pool.id)?;
                Ok(pool)
            })?;
            Ok(Output {
                json: json!({ "deleted": true, "id": pool.id, "name": pool.name }),
                text: format!(
                    "Deleted pool {:?} ({}) and everything in it.\n",
                    pool.name, pool.id
                ),
            })
        }
    }
}

fn pool_json(pool: &Pool, public_url: &str, resource_scopes: Option<&[String]>) -> Value {
    let mut v = json!({
        "id": pool.id,
        "name": pool.name,
        "issuer": pool.issuer(public_url),
        "settings": pool.settings,
        "created_at": pool.created_at,
        "updated_at": pool.updated_at,
    });
    if let Some(scopes) = resource_scopes {
        v["resource_scopes"] = json!(scopes);
    }
    v
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn pool_output(ctx: &Ctx, pool: &Pool, scopes: Vec<String>, heading: &str) -> Output {
    let s = &pool.settings;
    let issuer = pool.issuer(&ctx.public_url);
    let text = format!(
        "{heading} {:?} ({})\n\
         \x20 issuer:               {issuer}\n\
         \x20 discovery:            {issuer}/.well-known/openid-configuration\n\
         \x20 username attribute:   {}\n\
         \x20 required attributes:  {}\n\
         \x20 self sign-up:         {}\n\
         \x20 password policy:      {}\n\
         \x20 MFA:                  {}\n\
         \x20 PKCE (confidential):  {}\n\
         \x20 token lifetimes:      id {}s, access {}s, refresh {}s\n\
         \x20 resource scopes:      {}\n",
        pool.name,
        pool.id,
        json_word(&s.username_attribute),
        list_or_none(&s.required_attributes),
        on_off(s.self_signup),
        json_word(&s.password_policy),
        json_word(&s.mfa),
        if s.pkce_required_for_confidential {
            "required"
        } else {
            "optional"
        },
        s.id_token_ttl_secs,
        s.access_token_ttl_secs,
        s.refresh_token_ttl_secs,
        list_or_none(&scopes),
    );
    Output {
        json: pool_json(pool, &ctx.public_url, Some(&scopes)),
        text,
    }
}

/// The serde spelling of a unit enum value (e.g. `cognito-default`).
fn json_word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

// ----- clients -------------------------------------------------------------------------------

fn client_cmd(ctx: &Ctx, cmd: ClientCmd) -> std::result::Result<Output, String> {
    match cmd {
        ClientCmd::Create(args) => {
            let mut settings = ClientSettings {
                redirect_uris: args.redirect_uri,
                logout_uris: args.logout_uri,
                always_issue_refresh_token: args.always_refresh,
                rotate_refresh_tokens: !args.no_rotate_refresh,
                first_party: args.first_party,
                prevent_user_existence_errors: !args.user_existence_errors,
                allowed_origins: args.allowed_origin,
                id_token_ttl_secs: args.id_token_ttl,
                access_token_ttl_secs: args.access_token_ttl,
                refresh_token_ttl_secs: args.refresh_token_ttl,
                ..ClientSettings::default()
            };
            if !args.flow.is_empty() {
                settings.flows = dedup(args.flow);
            }
            if !args.scope.is_empty() {
                settings.scopes = dedup(args.scope);
            }
            if !args.auth_flow.is_empty() {
                settings.auth_flows = dedup(
                    args.auth_flow
                        .iter()
                        .map(|f| normalize_auth_flow(f))
                        .collect(),
                );
            }
            if !args.secret && settings.flows.contains(&OAuthFlow::ClientCredentials) {
                return Err(
                    "the client_credentials flow needs a confidential client: add --secret".into(),
                );
            }
            let secret = if args.secret {
                SecretChoice::Generate
            } else {
                SecretChoice::Public
            };
            let (pool, client, secret) = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                let (client, secret) = pools::create_client(
                    db,
                    &pool,
                    args.id.as_deref(),
                    &args.name,
                    settings,
                    secret,
                    ctx.now,
                )?;
                if let Some(s) = &secret {
                    crate::pools::clients::remember_secret(db, &ctx.sealer, &client.id, s)?;
                }
                Ok((pool, client, secret))
            })?;
            let mut json = client_json(&pool, &client);
            let mut text = client_text(&pool, &client, "Created client");
            if let Some(secret) = secret {
                json["secret"] = json!(secret);
                text.push_str(&format!(
                    "  secret:         {secret}\n  (The secret is shown only now; store it safely.)\n"
                ));
            }
            Ok(Output { json, text })
        }
        ClientCmd::List(r) => {
            let (pool, clients) = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let clients = store::clients::list(db, &pool.id)?;
                Ok((pool, clients))
            })?;
            let json = Value::Array(clients.iter().map(|c| client_json(&pool, c)).collect());
            let mut text = String::new();
            if clients.is_empty() {
                text.push_str(&format!("Pool {} has no clients.\n", pool.id));
            }
            for c in &clients {
                text.push_str(&format!(
                    "{:<28} {:<12} {:<24} {}\n",
                    c.id,
                    if c.is_public() {
                        "public"
                    } else {
                        "confidential"
                    },
                    c.name,
                    c.settings.redirect_uris.join(" ")
                ));
            }
            Ok(Output { json, text })
        }
        ClientCmd::Show(r) => {
            let (pool, client) = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let client = pools::require_client(db, &pool, &r.client)?;
                Ok((pool, client))
            })?;
            Ok(Output {
                json: client_json(&pool, &client),
                text: client_text(&pool, &client, "Client"),
            })
        }
        ClientCmd::Delete(r) => {
            let (pool, client) = ctx.write(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let client = pools::require_client(db, &pool, &r.client)?;
                store::clients::delete(db, &pool.id, &client.id)?;
                Ok((pool, client))
            })?;
            Ok(Output {
                json: json!({ "deleted": true, "id": client.id, "pool_id": pool.id, "name": client.name }),
                text: format!(
                    "Deleted client {:?} ({}) of pool {}.\n",
                    client.name, client.id, pool.id
                ),
            })
        }
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn client_json(pool: &Pool, c: &Client) -> Value {
    json!({
        "id": c.id,
        "pool_id": c.pool_id,
        "name": c.name,
        "public": c.is_public(),
        "redirect_uris": c.settings.redirect_uris,
        "logout_uris": c.settings.logout_uris,
        "flows": c.settings.flows,
        "scopes": c.settings.scopes,
        "auth_flows": c.settings.auth_flows,
        "id_token_ttl_secs": c.id_token_ttl(pool),
        "access_token_ttl_secs": c.access_token_ttl(pool),
        "refresh_token_ttl_secs": c.refresh_token_ttl(pool),
        "always_issue_refresh_token": c.settings.always_issue_refresh_token,
        "rotate_refresh_tokens": c.settings.rotate_refresh_tokens,
        "first_party": c.settings.first_party,
        "created_at": c.created_at,
    })
}

fn client_text(pool: &Pool, c: &Client, heading: &str) -> String {
    let flows: Vec<String> = c.settings.flows.iter().map(json_word).collect();
    format!(
        "{heading} {:?}\n\
         \x20 client id:      {}\n\
         \x20 pool:           {}\n\
         \x20 type:           {}\n\
         \x20 redirect URIs:  {}\n\
         \x20 logout URIs:    {}\n\
         \x20 flows:          {}\n\
         \x20 scopes:         {}\n\
         \x20 auth flows:     {}\n\
         \x20 token lifetimes: id {}s, access {}s, refresh {}s\n\
         \x20 refresh tokens: {}{}\n\
         \x20 first party:    {}\n",
        c.name,
        c.id,
        pool.id,
        if c.is_public() {
            "public (PKCE)"
        } else {
            "confidential (client secret)"
        },
        list_or_none(&c.settings.redirect_uris),
        list_or_none(&c.settings.logout_uris),
        list_or_none(&flows),
        list_or_none(&c.settings.scopes),
        list_or_none(&c.settings.auth_flows),
        c.id_token_ttl(pool),
        c.access_token_ttl(pool),
        c.refresh_token_ttl(pool),
        if c.settings.rotate_refresh_tokens {
            "rotated on use"
        } else {
            "reusable"
        },
        if c.settings.always_issue_refresh_token {
            ", issued on every code exchange"
        } else {
            ", issued with offline_access"
        },
        if c.settings.first_party { "yes" } else { "no" },
    )
}

// ----- users ---------------------------------------------------------------------------------

fn user_cmd(ctx: &Ctx, cmd: UserCmd) -> std::result::Result<Output, String> {
    match cmd {
        UserCmd::Create(args) => {
            let mut attributes = BTreeMap::new();
            for (k, v) in args.attr {
                if k == "email" {
                    return Err("use --email for the email address, not --attr email=...".into());
                }
                if attributes.insert(k.clone(), v).is_some() {
                    return Err(format!("attribute {k:?} given twice"));
                }
            }
            let (user, groups) = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                if pool.settings.username_attribute == UsernameAttribute::Email
                    && args.username.is_some()
                {
                    return Err(Error::invalid(format!(
                        "--username: pool {} signs users in by email; its usernames are generated",
                        pool.id
                    )));
                }
                let email_verified = args.confirmed && args.email.is_some();
                let user = accounts::create_now(
                    db,
                    &pool,
                    &ctx.sealer,
                    NewUser {
                        username: args.username,
                        email: args.email,
                        password: args.password,
                        password_hash: None,
                        attributes,
                        confirmed: args.confirmed,
                        email_verified,
                    },
                    ctx.now,
                )?;
                for g in &args.group {
                    accounts::add_to_group(db, &pool, &user, g)?;
                }
                let groups = store::groups::of_user(db, &user.id)?;
                Ok((user, groups))
            })?;
            Ok(user_output(&user, groups, "Created user"))
        }
        UserCmd::List(r) => {
            let users = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let mut out = Vec::new();
                for u in store::users::list_all(db, &pool.id)? {
                    let groups = store::groups::of_user(db, &u.id)?;
                    out.push((u, groups));
                }
                Ok(out)
            })?;
            let json = Value::Array(users.iter().map(|(u, g)| user_json(u, g)).collect());
            let mut text = String::new();
            if users.is_empty() {
                text.push_str("No users.\n");
            }
            for (u, groups) in &users {
                text.push_str(&format!(
                    "{:<36}  {:<32} {:<22} {}\n",
                    u.id,
                    u.email.as_deref().unwrap_or(&u.username),
                    u.status.as_str(),
                    groups.join(",")
                ));
            }
            Ok(Output { json, text })
        }
        UserCmd::Show(r) => {
            let (user, groups) = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let user = accounts::require(db, &pool, &r.user)?;
                let groups = store::groups::of_user(db, &user.id)?;
                Ok((user, groups))
            })?;
            Ok(user_output(&user, groups, "User"))
        }
        UserCmd::Mfa {
            cmd: UserMfaCmd::Reset(r),
        } => {
            let (user, had) = ctx.write(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let user = accounts::require(db, &pool, &r.user)?;
                let had = crate::authn::mfa::reset(db, &user.id)?;
                Ok((user, had))
            })?;
            Ok(Output {
                json: json!({ "mfa_reset": true, "had_factor": had, "sub": user.id, "email": user.email }),
                text: if had {
                    format!(
                        "Removed the authenticator of user {} ({}).\n",
                        display_name(&user),
                        user.id
                    )
                } else {
                    format!(
                        "User {} ({}) had no authenticator; nothing to do.\n",
                        display_name(&user),
                        user.id
                    )
                },
            })
        }
        UserCmd::Delete(r) => {
            let user = ctx.write(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let user = accounts::require(db, &pool, &r.user)?;
                store::users::delete(db, &pool.id, &user.id)?;
                Ok(user)
            })?;
            Ok(Output {
                json: json!({
                    "deleted": true,
                    "sub": user.id,
                    "id": user.id,
                    "username": user.username,
                    "email": user.email,
                }),
                text: format!("Deleted user {} ({}).\n", display_name(&user), user.id),
            })
        }
        UserCmd::SetPassword(args) => {
            let (user, groups) = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                let mut user = accounts::require(db, &pool, &args.user)?;
                let new = accounts::NewPassword::prepare(&pool, &user.username, &args.password)?;
                accounts::set_password(db, &ctx.sealer, &mut user, &new, !args.temporary, ctx.now)?;
                let groups = store::groups::of_user(db, &user.id)?;
                Ok((user, groups))
            })?;
            let heading = if args.temporary {
                "Set a temporary password (to be changed at next sign-in) for user"
            } else {
                "Set the password of user"
            };
            Ok(user_output(&user, groups, heading))
        }
    }
}

fn display_name(u: &User) -> &str {
    u.email.as_deref().unwrap_or(&u.username)
}

fn user_json(u: &User, groups: &[String]) -> Value {
    json!({
        "sub": u.id,
        "id": u.id,
        "pool_id": u.pool_id,
        "username": u.username,
        "email": u.email,
        "email_verified": u.email_verified,
        "status": u.status.as_str(),
        "enabled": u.enabled,
        "attributes": u.attributes,
        "groups": groups,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    })
}

fn user_output(u: &User, groups: Vec<String>, heading: &str) -> Output {
    let attrs: Vec<String> = u
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let text = format!(
        "{heading} {}\n\
         \x20 sub:             {}\n\
         \x20 username:        {}\n\
         \x20 email:           {}{}\n\
         \x20 status:          {}{}\n\
         \x20 attributes:      {}\n\
         \x20 groups:          {}\n",
        display_name(u),
        u.id,
        u.username,
        u.email.as_deref().unwrap_or("(none)"),
        match (&u.email, u.email_verified) {
            (Some(_), true) => " (verified)",
            (Some(_), false) => " (not verified)",
            (None, _) => "",
        },
        u.status.as_str(),
        if u.enabled { "" } else { ", disabled" },
        list_or_none(&attrs),
        list_or_none(&groups),
    );
    Output {
        json: user_json(u, &groups),
        text,
    }
}

// ----- groups --------------------------------------------------------------------------------

fn group_cmd(ctx: &Ctx, cmd: GroupCmd) -> std::result::Result<Output, String> {
    match cmd {
        GroupCmd::Create(args) => {
            let group = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                let group = new_group(
                    &pool,
                    &args.name,
                    &args.description,
                    args.precedence,
                    ctx.now,
                )?;
                if store::groups::exists(db, &pool.id, &group.name)? {
                    return Err(Error::AlreadyExists(format!("group {:?}", group.name)));
                }
                store::groups::insert(db, &group)?;
                Ok(group)
            })?;
            Ok(Output {
                json: group_json(&group, 0),
                text: format!(
                    "Created group {:?} in pool {}{}.\n",
                    group.name,
                    group.pool_id,
                    group
                        .precedence
                        .map(|p| format!(" (precedence {p})"))
                        .unwrap_or_default()
                ),
            })
        }
        GroupCmd::List(r) => {
            let groups = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let mut out = Vec::new();
                for g in store::groups::list(db, &pool.id)? {
                    let n = store::groups::member_count(db, &pool.id, &g.name)?;
                    out.push((g, n));
                }
                Ok(out)
            })?;
            let json = Value::Array(groups.iter().map(|(g, n)| group_json(g, *n)).collect());
            let mut text = String::new();
            if groups.is_empty() {
                text.push_str("No groups.\n");
            }
            for (g, n) in &groups {
                text.push_str(&format!(
                    "{:<24} precedence {:<6} members {:<6} {}\n",
                    g.name,
                    g.precedence
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                    n,
                    g.description
                ));
            }
            Ok(Output { json, text })
        }
        GroupCmd::AddUser(args) => {
            let (user, groups) = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                let user = accounts::require(db, &pool, &args.user)?;
                accounts::add_to_group(db, &pool, &user, &args.group)?;
                let groups = store::groups::of_user(db, &user.id)?;
                Ok((user, groups))
            })?;
            Ok(user_output(
                &user,
                groups,
                &format!("Added to group {:?}: user", args.group),
            ))
        }
    }
}

fn new_group(
    pool: &Pool,
    name: &str,
    description: &str,
    precedence: Option<i64>,
    now: i64,
) -> Result<store::groups::Group> {
    accounts::check_group(name, description, precedence)?;
    Ok(store::groups::Group {
        pool_id: pool.id.clone(),
        name: name.to_string(),
        description: description.to_string(),
        precedence,
        created_at: now,
    })
}

fn group_json(g: &store::groups::Group, members: i64) -> Value {
    json!({
        "pool_id": g.pool_id,
        "name": g.name,
        "description": g.description,
        "precedence": g.precedence,
        "members": members,
        "created_at": g.created_at,
    })
}

// ----- keys ----------------------------------------------------------------------------------

fn keys_cmd(ctx: &Ctx, cmd: KeysCmd) -> std::result::Result<Output, String> {
    match cmd {
        KeysCmd::List(r) => {
            let (pool, keys) = ctx.read(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                let keys = store::keys::list_all(db, &pool.id)?;
                Ok((pool, keys))
            })?;
            let published_since = ctx.now - RETIRED_KEY_PUBLISHED_SECS;
            let rows: Vec<Value> = keys
                .iter()
                .map(|k| {
                    json!({
                        "kid": k.kid,
                        "alg": k.alg,
                        "active": k.active,
                        "published": k.active || k.retired_at.is_some_and(|t| t >= published_since),
                        "created_at": k.created_at,
                        "retired_at": k.retired_at,
                    })
                })
                .collect();
            let mut text = format!("Signing keys of pool {}:\n", pool.id);
            for (k, row) in keys.iter().zip(&rows) {
                let state = if k.active {
                    "active".to_string()
                } else if row["published"] == json!(true) {
                    "retired, still published".to_string()
                } else {
                    "expired".to_string()
                };
                text.push_str(&format!(
                    "  {:<24} {:<6} {:<26} created {}{}\n",
                    k.kid,
                    k.alg,
                    state,
                    k.created_at,
                    k.retired_at
                        .map(|t| format!(", retired {t}"))
                        .unwrap_or_default()
                ));
            }
            Ok(Output {
                json: Value::Array(rows),
                text,
            })
        }
        KeysCmd::Rotate(args) => {
            let alg = ctx.default_alg(args.alg.as_deref())?;
            let results = ctx.write(|db| {
                let targets = match &args.pool {
                    Some(p) => vec![pools::find_pool(db, p)?],
                    None => store::pools::list(db)?,
                };
                let mut out = Vec::new();
                for pool in targets {
                    let retired: Vec<String> = store::keys::list_all(db, &pool.id)?
                        .into_iter()
                        .filter(|k| k.active)
                        .map(|k| k.kid)
                        .collect();
                    let kid = pools::rotate_key(db, &pool.id, alg, &ctx.sealer, ctx.now)?;
                    out.push(json!({
                        "pool_id": pool.id,
                        "kid": kid,
                        "alg": alg.name(),
                        "retired": retired,
                    }));
                }
                Ok(out)
            })?;
            let mut text = String::new();
            if results.is_empty() {
                text.push_str("No pools, no keys rotated.\n");
            }
            for r in &results {
                text.push_str(&format!(
                    "Pool {}: new active key {} ({}); the previous key stays published until its tokens expire.\n",
                    r["pool_id"].as_str().unwrap_or_default(),
                    r["kid"].as_str().unwrap_or_default(),
                    alg.name()
                ));
            }
            let json = if args.all {
                Value::Array(results)
            } else {
                results.into_iter().next().unwrap_or(Value::Null)
            };
            Ok(Output { json, text })
        }
    }
}

// ----- bootstrap -----------------------------------------------------------------------------

fn bootstrap_cmd(ctx: &Ctx, cmd: BootstrapCmd) -> std::result::Result<Output, String> {
    match cmd {
        BootstrapCmd::Apply { file } => {
            let path = file.or_else(|| ctx.config.bootstrap.clone()).ok_or(
                "no bootstrap file: give one (`incognito bootstrap apply FILE.toml`) or set `bootstrap` in the config",
            )?;
            let report =
                crate::bootstrap::apply_file(&ctx.store, ctx.config, &ctx.sealer, &path, ctx.now)
                    .map_err(|e| e.to_string())?;
            let json = serde_json::to_value(&report)
                .map_err(|e| format!("cannot encode the report: {e}"))?;
            let text = format!(
                "Applied {}: {} pools, {} clients, {} groups, {} users ({} created, {} updated, {} unchanged).\n{}",
                path.display(),
                report.pools,
                report.clients,
                report.groups,
                report.users,
                report.created,
                report.updated,
                report.unchanged,
                report
                    .pool_ids
                    .iter()
                    .map(|id| format!("  issuer: {}/{id}\n", ctx.public_url))
                    .collect::<String>()
            );
            Ok(Output { json, text })
        }
    }
}
