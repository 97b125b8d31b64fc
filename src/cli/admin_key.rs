//! `incognito admin-key create | list | delete`: access keys for the SigV4-signed admin
//! actions of the Cognito API (boto3, the AWS CLI, the AWS SDKs with `--endpoint-url`). The
//! secret is printed once, at creation, and stored sealed with the master key.

use clap::Subcommand;
use serde_json::json;

use super::admin::Ctx;
use super::output::Output;
use crate::store;

#[derive(Subcommand, Debug)]
pub enum AdminKeyCmd {
    /// Create an access key; prints its id and secret (the secret only now).
    Create {
        /// What the key is for.
        #[arg(long, default_value = "")]
        description: String,
        /// Only this pool's actions (pool id or unique name); without it every pool.
        #[arg(long)]
        pool: Option<String>,
        /// Only read actions (Describe*, Get*, List*, AdminGetUser, AdminListGroupsForUser, ...).
        #[arg(long)]
        read_only: bool,
    },
    /// List the access keys (ids, descriptions and scopes; never secrets).
    List,
    /// Delete an access key.
    Delete {
        /// The access key id.
        #[arg(long)]
        id: String,
    },
}

pub(super) fn admin_key_cmd(ctx: &Ctx, cmd: AdminKeyCmd) -> Result<Output, String> {
    match cmd {
        AdminKeyCmd::Create {
            description,
            pool,
            read_only,
        } => {
            if description.len() > 256 || description.chars().any(char::is_control) {
                return Err("--description: at most 256 printable characters".into());
            }
            let (id, secret) = crate::cognito::sigv4::new_key();
            let mut row = store::cognito::AdminKey {
                access_key_id: id.clone(),
                secret: ctx.sealer.seal(&secret),
                description,
                created_at: ctx.now,
                last_used_at: None,
                pool_id: None,
                read_only,
            };
            let row = ctx.write(|db| {
                row.pool_id = match &pool {
                    Some(p) => Some(crate::pools::service::find_pool(db, p)?.id),
                    None => None,
                };
                store::cognito::insert_admin_key(db, &row)?;
                Ok(row)
            })?;
            let mut json = key_json(&row);
            json["secret_access_key"] = json!(secret);
            Ok(Output {
                json,
                text: format!(
                    "Created admin access key ({})\n  access key id:      {id}\n  secret access key:  {secret}\n  (The secret is shown only now; store it safely.)\n",
                    scope_text(&row)
                ),
            })
        }
        AdminKeyCmd::List => {
            let keys = ctx.read(|db| Ok(store::cognito::list_admin_keys(db)?))?;
            let json = keys.iter().map(key_json).collect::<Vec<_>>();
            let mut text = String::new();
            if keys.is_empty() {
                text.push_str("No admin access keys.\n");
            }
            for k in &keys {
                text.push_str(&format!(
                    "{}  {:<32}  {}\n",
                    k.access_key_id,
                    scope_text(k),
                    k.description
                ));
            }
            Ok(Output {
                json: json!(json),
                text,
            })
        }
        AdminKeyCmd::Delete { id } => {
            let deleted = ctx.write(|db| Ok(store::cognito::delete_admin_key(db, &id)?))?;
            if !deleted {
                return Err(format!("admin access key {id:?} not found"));
            }
            Ok(Output {
                json: json!({ "deleted": true, "access_key_id": id }),
                text: format!("Deleted admin access key {id}.\n"),
            })
        }
    }
}

/// A key without its secret: id, description, creation time and scope.
fn key_json(k: &store::cognito::AdminKey) -> serde_json::Value {
    json!({
        "access_key_id": k.access_key_id,
        "description": k.description,
        "created_at": k.created_at,
        "pool_id": k.pool_id,
        "read_only": k.read_only,
    })
}

/// `all pools`, `pool local_X`, `... read-only`.
fn scope_text(k: &store::cognito::AdminKey) -> String {
    let pools = match &k.pool_id {
        Some(p) => format!("pool {p}"),
        None => "all pools".to_string(),
    };
    if k.read_only {
        format!("{pools}, read-only")
    } else {
        pools
    }
}
