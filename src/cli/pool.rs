//! `incognito pool create | list | show | update | delete`.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::{Output, json_word, list_or_none};
use crate::pools::migrate_from::MigrateFrom;
use crate::pools::risk::Mode;
use crate::pools::schema::{AttributeType, SchemaAttribute};
use crate::pools::service as pools;
use crate::pools::{MfaMode, PasswordPolicy, Pool, PoolSettings, UsernameAttribute};
use crate::store;
use crate::triggers;

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
    /// Point a Cognito trigger at a Lambda function ARN or a webhook URL (repeatable), e.g.
    /// `PreSignUp=https://hooks.example.com/pre-sign-up`.
    #[arg(long = "trigger", value_name = "NAME=ARN|URL")]
    pub trigger: Vec<String>,
    /// Remove a trigger (repeatable).
    #[arg(long = "no-trigger", value_name = "NAME")]
    pub no_trigger: Vec<String>,
    #[command(flatten)]
    pub sealed: Box<SealedSettingsArgs>,
    #[command(flatten)]
    pub settings: PoolSettingsArgs,
}

/// Settings that carry secrets, sealed at rest: the pool's own webhook secret and where users
/// migrate from (boxed: rarely given, and it keeps the command enum small).
#[derive(Args, Debug)]
pub struct SealedSettingsArgs {
    /// This pool's own secret for signing its webhook triggers (`whsec_` + base64), instead
    /// of the server's `webhook_secret`.
    #[arg(long, value_name = "WHSEC", conflicts_with = "no_webhook_secret")]
    pub webhook_secret: Option<String>,
    /// Go back to the server's `webhook_secret` for this pool's webhooks.
    #[arg(long)]
    pub no_webhook_secret: bool,
    /// Migrate users from a Cognito-compatible pool on their first sign-in:
    /// `endpoint=URL,user_pool_id=ID,client_id=ID[,client_secret=S][,admin_key_id=K,admin_secret=S]`.
    #[arg(long, value_name = "SPEC", conflicts_with = "no_migrate_from")]
    pub migrate_from: Option<String>,
    /// Stop migrating users from the upstream pool.
    #[arg(long)]
    pub no_migrate_from: bool,
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
    /// The flags below then change single rules of it.
    #[arg(long, value_name = "default|cognito-default")]
    pub password_policy: Option<PasswordPolicy>,
    /// Minimum password length (6..=99).
    #[arg(long, value_name = "N")]
    pub password_min_length: Option<u32>,
    /// A character class every password needs (repeat; replaces the set; `none` for no
    /// composition rules).
    #[arg(
        long = "password-require",
        value_name = "uppercase|lowercase|numbers|symbols|none"
    )]
    pub password_require: Vec<String>,
    /// Refuse passwords from the list of common passwords (Incognito's extension).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub refuse_common_passwords: Option<bool>,
    /// Days a temporary password stays usable (0..=365).
    #[arg(long, value_name = "DAYS")]
    pub temporary_password_days: Option<u32>,
    /// Adds a custom attribute (repeat): `NAME:TYPE[:MIN:MAX]` with TYPE String (MIN/MAX
    /// bound the length), Number (the value), DateTime or Boolean; add `:immutable` to forbid
    /// changes after creation. Like Cognito, attributes are never removed or retyped.
    #[arg(long = "custom-attr", value_name = "NAME:TYPE[:MIN:MAX][:immutable]")]
    pub custom_attr: Vec<String>,
    /// Multi-factor authentication.
    #[arg(long, value_name = "off|optional|required")]
    pub mfa: Option<MfaMode>,
    /// E-mail one-time codes as a second factor (Cognito's EMAIL_OTP), besides TOTP.
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub email_mfa: Option<bool>,
    /// Adaptive sign-in (Cognito's `UserPoolAddOns.AdvancedSecurityMode`): OFF (nothing is
    /// scored), AUDIT (scored and recorded only) or ENFORCED (the risk configuration's
    /// actions apply; see docs/security.md).
    #[arg(long, value_name = "OFF|AUDIT|ENFORCED", value_parser = parse_security_mode)]
    pub advanced_security: Option<Mode>,
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

fn parse_on_off(s: &str) -> std::result::Result<bool, String> {
    match s {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

fn parse_security_mode(s: &str) -> std::result::Result<Mode, String> {
    Mode::parse(&s.to_ascii_uppercase()).ok_or_else(|| "expected OFF, AUDIT or ENFORCED".into())
}

/// `NAME:TYPE[:MIN:MAX][:immutable]` → a custom attribute (checked by the core on save).
fn parse_custom_attr(spec: &str) -> Result<SchemaAttribute, String> {
    let mut parts: Vec<&str> = spec.split(':').collect();
    let immutable = parts.last() == Some(&"immutable");
    if immutable {
        parts.pop();
    }
    let bad = || format!("--custom-attr {spec:?}: NAME:TYPE[:MIN:MAX][:immutable]");
    let (name, ty, bounds) = match parts.as_slice() {
        [name, ty] => (*name, *ty, None),
        [name, ty, lo, hi] => (
            *name,
            *ty,
            Some((
                lo.parse::<i64>().map_err(|_| bad())?,
                hi.parse::<i64>().map_err(|_| bad())?,
            )),
        ),
        _ => return Err(bad()),
    };
    let data_type = AttributeType::parse(ty).ok_or_else(bad)?;
    let mut a = SchemaAttribute {
        name: format!("custom:{}", name.trim_start_matches("custom:")),
        data_type,
        mutable: !immutable,
        ..SchemaAttribute::default()
    };
    match (data_type, bounds) {
        (_, None) => {}
        (AttributeType::String, Some((lo, hi))) => {
            a.min_length = Some(u32::try_from(lo).map_err(|_| bad())?);
            a.max_length = Some(u32::try_from(hi).map_err(|_| bad())?);
        }
        (AttributeType::Number, Some((lo, hi))) => {
            a.min_value = Some(lo);
            a.max_value = Some(hi);
        }
        _ => {
            return Err(format!(
                "--custom-attr {spec:?}: only String and Number take bounds"
            ));
        }
    }
    Ok(a)
}

fn apply_settings(settings: &mut PoolSettings, args: PoolSettingsArgs) -> Result<(), String> {
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
    let policy = &mut settings.password_policy;
    if let Some(v) = args.password_min_length {
        policy.minimum_length = v;
    }
    if !args.password_require.is_empty() {
        let wants = |class: &str| args.password_require.iter().any(|r| r == class);
        if let Some(bad) = args.password_require.iter().find(|r| {
            !matches!(
                r.as_str(),
                "uppercase" | "lowercase" | "numbers" | "symbols" | "none"
            )
        }) {
            return Err(format!(
                "--password-require {bad:?}: uppercase, lowercase, numbers, symbols or none"
            ));
        }
        policy.require_uppercase = wants("uppercase");
        policy.require_lowercase = wants("lowercase");
        policy.require_numbers = wants("numbers");
        policy.require_symbols = wants("symbols");
    }
    if let Some(v) = args.refuse_common_passwords {
        policy.refuse_common_passwords = v;
    }
    if let Some(v) = args.temporary_password_days {
        policy.temporary_password_validity_days = v;
    }
    for spec in &args.custom_attr {
        let a = parse_custom_attr(spec)?;
        if settings.schema.iter().any(|x| x.name == a.name) {
            return Err(format!("attribute {} exists already", a.name));
        }
        settings.schema.push(a);
    }
    if let Some(v) = args.mfa {
        settings.mfa = v;
    }
    if let Some(v) = args.email_mfa {
        settings.email_mfa = v;
    }
    if let Some(mode) = args.advanced_security {
        // The rest of UserPoolAddOns (e.g. AdvancedSecurityAdditionalFlows) stays.
        let add_ons = settings
            .recorded
            .user_pool_add_ons
            .get_or_insert_with(|| json!({}));
        if !add_ons.is_object() {
            *add_ons = json!({});
        }
        add_ons["AdvancedSecurityMode"] = json!(mode.as_str());
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
    Ok(())
}

fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 40
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub(super) fn pool_cmd(ctx: &Ctx, cmd: PoolCmd) -> std::result::Result<Output, String> {
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
            apply_settings(&mut settings, args.settings)?;
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
                apply_settings(&mut pool.settings, args.settings).map_err(crate::Error::Invalid)?;
                let lambda_config = &mut pool.settings.recorded.lambda_config;
                for name in &args.no_trigger {
                    triggers::set_target(lambda_config, name, None)
                        .map_err(crate::Error::Invalid)?;
                }
                for t in &args.trigger {
                    let (name, target) = t.split_once('=').ok_or_else(|| {
                        crate::Error::Invalid(format!("--trigger {t:?}: expected NAME=ARN|URL"))
                    })?;
                    triggers::set_target(lambda_config, name, Some(target))
                        .map_err(crate::Error::Invalid)?;
                }
                let webhook = &args.sealed;
                if webhook.no_webhook_secret || webhook.webhook_secret.is_some() {
                    triggers::set_pool_webhook_secret(
                        &mut pool.settings,
                        &ctx.sealer,
                        webhook.webhook_secret.as_deref(),
                    )
                    .map_err(|e| crate::Error::Invalid(format!("--webhook-secret: {e}")))?;
                }
                let migrate = &args.sealed;
                if migrate.no_migrate_from {
                    pool.settings.migrate_from = None;
                }
                if let Some(spec) = &migrate.migrate_from {
                    let old = pool.settings.migrate_from.as_ref();
                    let parsed = MigrateFrom::parse(spec, &ctx.sealer, old)
                        .map_err(|e| crate::Error::Invalid(format!("--migrate-from: {e}")))?;
                    pool.settings.migrate_from = Some(parsed);
                }
                pools::update_pool(db, &mut pool, ctx.now)?;
                let scopes = store::pools::resource_scopes(db, &pool.id)?;
                Ok((pool, scopes))
            })?;
            Ok(pool_output(ctx, &pool, scopes, "Updated pool"))
        }
        PoolCmd::Delete(r) => {
            let pool = ctx.write(|db| {
                let pool = pools::find_pool(db, &r.pool)?;
                pools::delete_pool(db, &pool.id)?;
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
    // Whether the pool has its own webhook secret, never the secret (even sealed).
    v["settings"]["webhook_secret"] = json!(pool.settings.webhook_secret.is_some());
    v["settings"]["migrate_from"] = json!(pool.settings.migrate_from.as_ref().map(|m| m.shown()));
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
        s.password_policy.summary(),
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
