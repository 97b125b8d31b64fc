//! `incognito client create | list | show | delete`: the app clients of a pool.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::{Output, json_word, list_or_none};
use crate::pools::clients::normalize_auth_flow;
use crate::pools::service::{self as pools, SecretChoice};
use crate::pools::{Client, ClientSettings, OAuthFlow, Pool};
use crate::store;

#[derive(Subcommand, Debug)]
pub enum ClientCmd {
    /// Create an app client (public with PKCE by default; `--secret` for a confidential one).
    Create(Box<ClientCreateArgs>),
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
    /// An attribute the client may read (repeat); none given: all. `sub` is always readable.
    #[arg(long = "read-attribute", value_name = "NAME")]
    pub read_attribute: Vec<String>,
    /// An attribute the client may change (repeat); none given: all.
    #[arg(long = "write-attribute", value_name = "NAME")]
    pub write_attribute: Vec<String>,
    /// A sign-in the client offers (repeat): COGNITO or an identity provider of the pool
    /// (`idp create`). None given: none recorded (Cognito's default).
    #[arg(long = "identity-provider", value_name = "NAME")]
    pub identity_provider: Vec<String>,
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

pub(super) fn client_cmd(ctx: &Ctx, cmd: ClientCmd) -> std::result::Result<Output, String> {
    match cmd {
        ClientCmd::Create(args) => {
            let args = *args;
            let mut settings = ClientSettings {
                redirect_uris: args.redirect_uri,
                logout_uris: args.logout_uri,
                always_issue_refresh_token: args.always_refresh,
                rotate_refresh_tokens: !args.no_rotate_refresh,
                first_party: args.first_party,
                prevent_user_existence_errors: !args.user_existence_errors,
                id_token_ttl_secs: args.id_token_ttl,
                access_token_ttl_secs: args.access_token_ttl,
                refresh_token_ttl_secs: args.refresh_token_ttl,
                read_attributes: dedup(args.read_attribute),
                write_attributes: dedup(args.write_attribute),
                supported_identity_providers: dedup(args.identity_provider),
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
            let secret = if args.secret {
                SecretChoice::Generate
            } else {
                SecretChoice::Public
            };
            let (pool, client, secret) = ctx
                .write(|db| {
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
                })
                .map_err(|e| {
                    if e.contains("client_credentials") {
                        format!("{e}: add --secret")
                    } else {
                        e
                    }
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
                let client = pools::delete_client(db, &pool, &r.client)?;
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
        "read_attributes": c.settings.read_attributes,
        "write_attributes": c.settings.write_attributes,
        "supported_identity_providers": c.settings.supported_identity_providers,
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
