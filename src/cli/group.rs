//! `incognito group create | list | add-user`.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::Output;
use super::user::user_output;
use crate::accounts::service as accounts;
use crate::pools::Pool;
use crate::pools::service as pools;
use crate::store;
use crate::{Error, Result};

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

pub(super) fn group_cmd(ctx: &Ctx, cmd: GroupCmd) -> std::result::Result<Output, String> {
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
