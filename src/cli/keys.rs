//! `incognito keys list | rotate`: a pool's signing keys.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::Output;
use crate::keys::RETIRED_KEY_PUBLISHED_SECS;
use crate::pools::service as pools;
use crate::store;

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

pub(super) fn keys_cmd(ctx: &Ctx, cmd: KeysCmd) -> std::result::Result<Output, String> {
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
