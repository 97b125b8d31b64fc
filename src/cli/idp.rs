//! `incognito idp create | list | show | update | delete`: a pool's identity providers
//! (Cognito's model: OIDC, Google, Facebook, LoginWithAmazon, SignInWithApple), through the
//! same core functions as CreateIdentityProvider and friends. Output is Cognito's
//! `IdentityProviderType`, which never holds a secret.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::{Output, list_or_none};
use super::user::parse_key_value;
use crate::federation::providers::{self, ProviderChange, ProviderInput};
use crate::pools::service as pools;
use crate::store::federation::IdentityProvider;

#[derive(Subcommand, Debug)]
pub enum IdpCmd {
    /// Add an identity provider to a pool.
    Create(CreateArgs),
    /// List a pool's identity providers.
    List(PoolRef),
    /// Show one provider (its details without secrets).
    Show(NameArgs),
    /// Change a provider: the details given replace the old ones (a secret left out is
    /// kept); mappings and identifiers given replace theirs.
    Update(UpdateArgs),
    /// Delete a provider (its links to users go, and clients stop offering it).
    Delete(NameArgs),
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Provider name.
    #[arg(long)]
    pub name: String,
}

/// What create and update both take.
#[derive(Args, Debug)]
pub struct Fields {
    /// A `ProviderDetails` key (repeat), e.g. `--detail client_id=abc`,
    /// `--detail oidc_issuer=https://id.example.com`, `--detail 'authorize_scopes=openid email'`.
    #[arg(long = "detail", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub details: Vec<(String, String)>,
    /// A pool attribute taken from an upstream claim (repeat), e.g. `--map email=email`.
    #[arg(long = "map", value_name = "LOCAL=UPSTREAM", value_parser = parse_key_value)]
    pub map: Vec<(String, String)>,
    /// An identifier that routes sign-ins to this provider (repeat), e.g. an e-mail domain.
    #[arg(long = "identifier", value_name = "ID")]
    pub identifiers: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub at: NameArgs,
    /// OIDC, SAML, Google, Facebook, LoginWithAmazon or SignInWithApple.
    #[arg(long = "type")]
    pub provider_type: String,
    #[command(flatten)]
    pub fields: Fields,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub at: NameArgs,
    #[command(flatten)]
    pub fields: Fields,
}

fn map_of(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

fn provider_text(p: &IdentityProvider, shown: &Value) -> String {
    let mut out = format!("{} ({})\n", p.name, p.provider_type);
    if let Some(details) = shown["ProviderDetails"].as_object() {
        for (k, v) in details {
            out.push_str(&format!("  {k} = {}\n", v.as_str().unwrap_or_default()));
        }
    }
    for (local, upstream) in &p.attribute_mapping {
        out.push_str(&format!("  map {local} <- {upstream}\n"));
    }
    out.push_str(&format!(
        "  identifiers: {}\n",
        list_or_none(&p.idp_identifiers)
    ));
    out
}

fn shown(ctx: &Ctx, verb: &str, p: &IdentityProvider) -> Output {
    let json = providers::describe(p, ctx.config);
    Output {
        text: format!("{verb}{}", provider_text(p, &json)),
        json,
    }
}

pub(super) fn idp_cmd(ctx: &Ctx, cmd: IdpCmd) -> std::result::Result<Output, String> {
    match cmd {
        IdpCmd::Create(args) => {
            let p = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.at.pool)?;
                let input = ProviderInput {
                    name: args.at.name.clone(),
                    provider_type: args.provider_type.clone(),
                    details: map_of(args.fields.details),
                    attribute_mapping: map_of(args.fields.map),
                    idp_identifiers: args.fields.identifiers,
                };
                providers::create(db, &ctx.sealer, &pool.id, input, ctx.now)
            })?;
            Ok(shown(ctx, "Created identity provider ", &p))
        }
        IdpCmd::Update(args) => {
            let f = args.fields;
            let change = ProviderChange {
                details: (!f.details.is_empty()).then(|| map_of(f.details)),
                attribute_mapping: (!f.map.is_empty()).then(|| map_of(f.map)),
                idp_identifiers: (!f.identifiers.is_empty()).then_some(f.identifiers),
            };
            let p = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.at.pool)?;
                providers::update(db, &ctx.sealer, &pool.id, &args.at.name, change, ctx.now)
            })?;
            Ok(shown(ctx, "Updated identity provider ", &p))
        }
        IdpCmd::Show(args) => {
            let p = ctx.read(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                providers::require(db, &pool.id, &args.name)
            })?;
            Ok(shown(ctx, "", &p))
        }
        IdpCmd::List(args) => {
            let list = ctx.read(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                Ok(crate::store::federation::list(db, &pool.id, i64::MAX, "")?)
            })?;
            let text = if list.is_empty() {
                "No identity providers.\n".to_string()
            } else {
                list.iter()
                    .map(|p| {
                        format!(
                            "{} ({}) identifiers: {}\n",
                            p.name,
                            p.provider_type,
                            list_or_none(&p.idp_identifiers)
                        )
                    })
                    .collect()
            };
            Ok(Output {
                json: list
                    .iter()
                    .map(|p| providers::describe(p, ctx.config))
                    .collect(),
                text,
            })
        }
        IdpCmd::Delete(args) => {
            ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                providers::delete(db, &pool.id, &args.name)
            })?;
            Ok(Output {
                json: json!({ "deleted": true, "name": args.name }),
                text: format!("Deleted identity provider {}\n", args.name),
            })
        }
    }
}
