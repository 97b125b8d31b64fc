//! `incognito migrate cognito --pool POOL`: copies every user of the pool's `migrate_from`
//! upstream here (ListGroups, ListUsersInGroup, ListUsers; attributes, `sub`, groups, enabled;
//! no passwords, which Cognito never gives out), so that lists and admin actions agree with
//! the upstream before everyone has signed in. Copied users are RESET_REQUIRED without a
//! password; their first sign-in asks the upstream for the password (`migration::complete`).
//! Users already here are skipped, so the copy can run again.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::admin::Ctx;
use super::output::Output;
use crate::accounts::export::Record;
use crate::accounts::import::{Options, Row};
use crate::accounts::service::{self, GroupChange, NewGroup};
use crate::accounts::upstream::{Upstream, UpstreamError, UpstreamUser};
use crate::pools::service as pools;
use crate::store;
use crate::triggers::target::Caller;

#[derive(Subcommand, Debug)]
pub enum MigrateCmd {
    /// Copy every user and group of the pool's `migrate_from` upstream (needs its admin
    /// credentials); passwords follow at each user's first sign-in.
    Cognito(CognitoArgs),
}

#[derive(Args, Debug)]
pub struct CognitoArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// Where to write the per-row report of skipped and failed users
    /// (default: migrate-POOL.report.jsonl).
    #[arg(long)]
    pub report: Option<PathBuf>,
}

pub(super) fn migrate_cmd(ctx: &Ctx, cmd: MigrateCmd) -> Result<Output, String> {
    let MigrateCmd::Cognito(args) = cmd;
    let pool = ctx.read(|db| pools::find_pool(db, &args.pool))?;
    let config = pool.settings.migrate_from.clone().ok_or_else(|| {
        format!(
            "pool {} has no migrate_from: set it with `incognito pool update --migrate-from ...`",
            pool.id
        )
    })?;
    let caller = Caller::new(ctx.config.trigger_deny_private);
    let upstream = Upstream::open(&config, &caller, &ctx.sealer).map_err(|e| e.to_string())?;
    if !upstream.has_admin() {
        return Err("migrate_from needs admin_key_id and admin_secret to list users".into());
    }
    let failed = |e: UpstreamError| format!("upstream {}: {e}", config.user_pool_id);

    // Groups first (with their description, precedence and role), then who is in them.
    let mut membership: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for g in upstream.groups().map_err(failed)? {
        let Some(name) = g["GroupName"].as_str() else {
            continue;
        };
        let group = NewGroup {
            name: name.to_string(),
            description: g["Description"].as_str().unwrap_or_default().to_string(),
            precedence: g["Precedence"].as_i64(),
            role_arn: g["RoleArn"].as_str().map(str::to_string),
        };
        // A group a first sign-in created (by name only) takes the upstream's details.
        ctx.write(|db| {
            if store::groups::exists(db, &pool.id, &group.name)? {
                let change = GroupChange {
                    description: Some(group.description),
                    precedence: group.precedence,
                    role_arn: group.role_arn,
                };
                service::update_group(db, &pool, &group.name, change, ctx.now)?;
            } else {
                service::create_group(db, &pool, group, ctx.now)?;
            }
            Ok(())
        })?;
        for member in upstream.members(name).map_err(failed)? {
            membership.entry(member).or_default().push(name.to_string());
        }
    }

    let total = upstream.estimated_users().map_err(failed)?;
    let stopped: RefCell<Option<String>> = RefCell::new(None);
    let mut page: Vec<UpstreamUser> = Vec::new();
    let mut next: Option<String> = None;
    let mut first = true;
    let mut number = 0u64;
    let mut rows = std::iter::from_fn(|| {
        while page.is_empty() {
            if !first && next.is_none() {
                return None;
            }
            first = false;
            match upstream.list_users(next.as_deref()) {
                Ok((users, token)) => {
                    page = users;
                    page.reverse();
                    next = token;
                    if page.is_empty() && next.is_none() {
                        return None;
                    }
                }
                Err(e) => {
                    *stopped.borrow_mut() = Some(failed(e));
                    return None;
                }
            }
        }
        let user = page.pop()?;
        number += 1;
        let groups = membership.remove(&user.username).unwrap_or_default();
        Some(Row {
            number,
            record: Ok(record(user, groups)),
        })
    });
    let report = args
        .report
        .unwrap_or_else(|| PathBuf::from(format!("migrate-{}.report.jsonl", pool.id)));
    let out = super::user_transfer::import_rows(
        ctx,
        &pool,
        &mut rows,
        total,
        &Options::default(),
        &report,
        "copy",
    )?;
    if let Some(why) = stopped.into_inner() {
        return Err(format!(
            "{why}; the users copied so far stay (run again to go on: copied users are skipped)"
        ));
    }
    Ok(out)
}

/// An upstream user as the import reads it: no password, so RESET_REQUIRED here until the
/// first sign-in brings it.
fn record(user: UpstreamUser, groups: Vec<String>) -> Record {
    let mut attributes = user.attributes;
    let sub = attributes.remove("sub");
    attributes.remove("identities");
    Record {
        username: user.username,
        sub,
        enabled: user.enabled,
        attributes,
        groups,
        created_at: user.created_at,
        updated_at: user.updated_at,
        ..Record::default()
    }
}
