//! `incognito group create | update | delete | list | add-user`.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::Output;
use super::user::user_output;
use crate::accounts::service as accounts;
use crate::pools::service as pools;
use crate::store;

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Create a group.
    Create(GroupCreateArgs),
    /// Change a group's description, precedence or role (only the flags given).
    Update(GroupUpdateArgs),
    /// Delete a group (its memberships go with it).
    Delete(GroupDeleteArgs),
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
    /// IAM role of the group (`arn:aws:iam::123456789012:role/name`), for `cognito:roles`.
    #[arg(long)]
    pub role_arn: Option<String>,
}

#[derive(Args, Debug)]
pub struct GroupUpdateArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Group name.
    #[arg(long)]
    pub name: String,
    /// Free text.
    #[arg(long)]
    pub description: Option<String>,
    /// Lower numbers win when a user is in several groups (0 or more).
    #[arg(long)]
    pub precedence: Option<i64>,
    /// IAM role of the group (`arn:aws:iam::123456789012:role/name`).
    #[arg(long)]
    pub role_arn: Option<String>,
}

#[derive(Args, Debug)]
pub struct GroupDeleteArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Group name.
    #[arg(long)]
    pub name: String,
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
                let new = accounts::NewGroup {
                    name: args.name.clone(),
                    description: args.description.clone(),
                    precedence: args.precedence,
                    role_arn: args.role_arn.clone(),
                };
                accounts::create_group(db, &pool, new, ctx.now)
            })?;
            Ok(group_output(&group, 0, "Created"))
        }
        GroupCmd::Update(args) => {
            let group = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                let change = accounts::GroupChange {
                    description: args.description.clone(),
                    precedence: args.precedence,
                    role_arn: args.role_arn.clone(),
                };
                let group = accounts::update_group(db, &pool, &args.name, change, ctx.now)?;
                let members = store::groups::member_count(db, &pool.id, &group.name)?;
                Ok((group, members))
            })?;
            Ok(group_output(&group.0, group.1, "Updated"))
        }
        GroupCmd::Delete(args) => {
            let pool_id = ctx.write(|db| {
                let pool = pools::find_pool(db, &args.pool)?;
                accounts::delete_group(db, &pool, &args.name)?;
                Ok(pool.id)
            })?;
            Ok(Output {
                json: json!({ "deleted": true, "pool_id": pool_id, "name": args.name }),
                text: format!("Deleted group {:?} from pool {pool_id}.\n", args.name),
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

fn group_output(group: &store::groups::Group, members: i64, verb: &str) -> Output {
    let mut details = Vec::new();
    if let Some(p) = group.precedence {
        details.push(format!("precedence {p}"));
    }
    if let Some(r) = &group.role_arn {
        details.push(format!("role {r}"));
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    Output {
        json: group_json(group, members),
        text: format!(
            "{verb} group {:?} in pool {}{details}.\n",
            group.name, group.pool_id
        ),
    }
}

fn group_json(g: &store::groups::Group, members: i64) -> Value {
    json!({
        "pool_id": g.pool_id,
        "name": g.name,
        "description": g.description,
        "precedence": g.precedence,
        "role_arn": g.role_arn,
        "members": members,
        "created_at": g.created_at,
    })
}
