//! `incognito resource-server create | list | delete`: Cognito's resource servers (an
//! identifier and scopes granted to clients as `<identifier>/<scope>`), through the same core
//! functions as CreateResourceServer and friends.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::Output;
use crate::pools::resource_servers::{self as servers, ResourceServer, Scope};
use crate::pools::service as pools;

#[derive(Subcommand, Debug)]
pub enum ResourceServerCmd {
    /// Declare a resource server and its scopes.
    Create(CreateArgs),
    /// List a pool's resource servers with their scopes.
    List(PoolRef),
    /// Delete a resource server (its scopes leave the clients that had them).
    Delete(DeleteArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The identifier, e.g. `api` or `https://api.example.com`.
    #[arg(long)]
    pub identifier: String,
    /// A name for people.
    #[arg(long)]
    pub name: String,
    /// A scope with its description (repeat), e.g. `--scope 'read=Read the catalogue'`.
    #[arg(long = "scope", value_name = "NAME=DESCRIPTION")]
    pub scopes: Vec<String>,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    #[arg(long)]
    pub identifier: String,
}

fn server_json(s: &ResourceServer) -> Value {
    let scopes: Vec<Value> = s
        .scopes
        .iter()
        .map(|sc| json!({ "name": sc.name, "description": sc.description }))
        .collect();
    json!({ "identifier": s.identifier, "name": s.name, "scopes": scopes })
}

fn server_text(s: &ResourceServer) -> String {
    let scopes: Vec<String> = s
        .scopes
        .iter()
        .map(|sc| format!("{}/{}", s.identifier, sc.name))
        .collect();
    format!("{} ({}): {}\n", s.identifier, s.name, scopes.join(" "))
}

pub(super) fn resource_server_cmd(
    ctx: &Ctx,
    cmd: ResourceServerCmd,
) -> std::result::Result<Output, String> {
    match cmd {
        ResourceServerCmd::Create(args) => {
            let scopes = args
                .scopes
                .iter()
                .map(|s| {
                    s.split_once('=')
                        .map(|(name, description)| Scope {
                            name: name.trim().to_string(),
                            description: description.trim().to_string(),
                        })
                        .ok_or_else(|| format!("--scope {s:?}: NAME=DESCRIPTION"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let server = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                let new = ResourceServer {
                    pool_id: pool.id.clone(),
                    identifier: args.identifier.clone(),
                    name: args.name.clone(),
                    scopes,
                    created_at: ctx.now,
                    updated_at: ctx.now,
                };
                servers::create(db, &pool, new, ctx.now)
            })?;
            Ok(Output {
                json: server_json(&server),
                text: format!("Created resource server {}", server_text(&server)),
            })
        }
        ResourceServerCmd::List(args) => {
            let list = ctx.read(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                Ok(crate::store::resource_servers::list(db, &pool.id)?)
            })?;
            let text = if list.is_empty() {
                "No resource servers.\n".to_string()
            } else {
                list.iter().map(server_text).collect()
            };
            Ok(Output {
                json: Value::Array(list.iter().map(server_json).collect()),
                text,
            })
        }
        ResourceServerCmd::Delete(args) => {
            ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                servers::delete(db, &pool, &args.identifier)
            })?;
            Ok(Output {
                json: json!({ "deleted": true, "identifier": args.identifier }),
                text: format!("Deleted resource server {}\n", args.identifier),
            })
        }
    }
}
