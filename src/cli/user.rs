//! `incognito user create | list | show | events | delete | set-password | mfa reset | export |
//! import | import-report`.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::admin::{Ctx, PoolRef};
use super::output::{Output, list_or_none};
use crate::Error;
use crate::accounts::service::{self as accounts, NewUser};
use crate::accounts::{User, history};
use crate::pools::UsernameAttribute;
use crate::pools::service as pools;
use crate::store;

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
    /// A user's recent sign-ins, newest first (from the audit log).
    Events(EventsArgs),
    /// Multi-factor authentication of a user.
    Mfa {
        #[command(subcommand)]
        cmd: UserMfaCmd,
    },
    /// Write every user of a pool as JSON lines (`--with-secrets`: with password hashes and TOTP secrets).
    Export(super::user_transfer::ExportArgs),
    /// Import users from JSON lines (as exported) or Cognito's CSV, with password hashes if given.
    Import(super::user_transfer::ImportArgs),
    /// The skipped and failed rows of an import job (CreateUserImportJob), as JSON lines.
    ImportReport(super::user_transfer::ImportReportArgs),
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
pub struct EventsArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The user's email, username or sub.
    #[arg(long)]
    pub user: String,
    /// How many events (at most 50).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub limit: u32,
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

pub(super) fn parse_key_value(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err("expected KEY=VALUE, e.g. name=Alice".into()),
    }
}

pub(super) fn user_cmd(ctx: &Ctx, cmd: UserCmd) -> std::result::Result<Output, String> {
    match cmd {
        UserCmd::Export(args) => super::user_transfer::export(ctx, args),
        UserCmd::Import(args) => super::user_transfer::import(ctx, args),
        UserCmd::ImportReport(args) => super::user_transfer::import_report(ctx, args),
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
        UserCmd::Events(args) => events(ctx, &args),
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

/// `user events`: each event with its feedback token (what a "this wasn't me" link carries).
fn events(ctx: &Ctx, args: &EventsArgs) -> std::result::Result<Output, String> {
    let (user, page, key) = ctx.write(|db| {
        let pool = pools::find_pool(db, &args.pool)?;
        let user = accounts::require(db, &pool, &args.user)?;
        let page = history::sign_ins(db, &pool.id, &user.id, args.limit, None)?;
        Ok((user, page, history::feedback_key(db, &ctx.sealer, ctx.now)?))
    })?;
    let json = Value::Array(
        page.events
            .iter()
            .map(|e| {
                json!({
                    "event_id": e.id,
                    "at": e.at,
                    "time": super::audit::rfc3339(e.at),
                    "door": e.door.as_str(),
                    "source": e.source,
                    "outcome": e.outcome,
                    "response": if e.success { "Pass" } else { "Fail" },
                    "risk": e.risk.as_ref().map(|r| json!({
                        "level": r.level,
                        "decision": r.decision,
                        "action": r.action,
                        "signals": r.signals,
                    })),
                    "feedback": e.feedback.map(|(f, _)| f.as_str()),
                    "feedback_token": history::feedback_token(&key, &user.pool_id, &user.id, &e.id),
                })
            })
            .collect(),
    );
    let mut text = format!("Sign-ins of {} ({}):\n", display_name(&user), user.id);
    if page.events.is_empty() {
        text.push_str("None recorded.\n");
    }
    for e in &page.events {
        text.push_str(&format!(
            "{:<8} {:<25} {:<7} {:<40} {:<5} {:<24} {}\n",
            e.id,
            super::audit::rfc3339(e.at),
            e.door.as_str(),
            e.source.as_deref().unwrap_or("-"),
            if e.success { "Pass" } else { "Fail" },
            e.risk.as_ref().map_or("-".to_string(), |r| format!(
                "{}/{}",
                r.level.as_deref().unwrap_or("None"),
                r.decision
            )),
            e.feedback.map_or("", |(f, _)| f.as_str()),
        ));
    }
    Ok(Output { json, text })
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

pub(super) fn user_output(u: &User, groups: Vec<String>, heading: &str) -> Output {
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
