//! `incognito audit` (the audit log, newest first) and `incognito report mau` (monthly active
//! users), and the audit record every changing admin verb leaves.

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime, format_description::well_known::Rfc3339};

use super::admin::Ctx;
use super::output::Output;
use crate::audit::{self, Door, Event};
use crate::pools::service as pools;
use crate::store::audit::{AuditRow, Filter};

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Pool id (or a pool name that is unique); all pools when absent.
    #[arg(long)]
    pub pool: Option<String>,
    /// Only events at or after this time: RFC 3339 (`2026-11-01T00:00:00Z`), a date
    /// (`2026-11-01`), or an age (`90m`, `24h`, `7d`).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this action (e.g. `sign_in`, `lockout`, `AdminDeleteUser`).
    #[arg(long)]
    pub action: Option<String>,
    /// At most this many events.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Monthly active users: distinct users who signed in or refreshed tokens in the month.
    Mau(MauArgs),
}

#[derive(Args, Debug)]
pub struct MauArgs {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
    /// The month, `YYYY-MM` (UTC); the current month when absent.
    #[arg(long)]
    pub month: Option<String>,
}

pub(super) fn audit_cmd(ctx: &Ctx, args: AuditArgs) -> Result<Output, String> {
    let pool_id = match &args.pool {
        Some(p) => Some(ctx.read(|db| pools::find_pool(db, p))?.id),
        None => None,
    };
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, ctx.now))
        .transpose()?;
    let limit = args.limit.clamp(1, 100_000);
    let rows = ctx.read(|db| {
        Ok(crate::store::audit::list(
            db,
            &Filter {
                pool_id: pool_id.as_deref(),
                since,
                action: args.action.as_deref(),
                limit,
            },
        )?)
    })?;
    let json = Value::Array(rows.iter().map(row_json).collect());
    let mut text = String::new();
    for r in &rows {
        text.push_str(&format!(
            "{}  {:<9} {:<24} {:<28} {:<22} {:<16} {}\n",
            rfc3339(r.at),
            r.door,
            r.action,
            r.target.as_deref().unwrap_or("-"),
            r.actor,
            r.source.as_deref().unwrap_or("-"),
            r.outcome,
        ));
    }
    if rows.is_empty() {
        text.push_str("(no audit events)\n");
    }
    Ok(Output { json, text })
}

pub(super) fn report_cmd(ctx: &Ctx, cmd: ReportCmd) -> Result<Output, String> {
    let ReportCmd::Mau(args) = cmd;
    let pool = ctx.read(|db| pools::find_pool(db, &args.pool))?;
    let (from, to, label) = audit::month_bounds(args.month.as_deref(), ctx.now)?;
    let (local, federated) = ctx.read(|db| {
        Ok(crate::store::audit::active_users(
            db,
            &pool.id,
            audit::ACTIVE_USER_ACTIONS,
            from,
            to,
        )?)
    })?;
    let oldest_kept = ctx.now - ctx.config.audit_retention_days * 86_400;
    let complete = from >= oldest_kept;
    let json = json!({
        "pool_id": pool.id,
        "month": label,
        "monthly_active_users": local + federated,
        "local": local,
        "federated": federated,
        "complete": complete,
    });
    let mut text = format!(
        "{label}: {} monthly active users in pool {} ({local} local, {federated} federated)\n",
        local + federated,
        pool.id
    );
    if !complete {
        text.push_str(&format!(
            "note: audit rows older than {} days are purged (audit_retention_days), so this month may be incomplete\n",
            ctx.config.audit_retention_days
        ));
    }
    Ok(Output { json, text })
}

/// Leaves the audit record of a changing admin verb: `verb` is the command line's verb path
/// (`user create`), `pool` and `target` what it named (never a password or secret).
pub(super) fn record_verb(
    ctx: &Ctx,
    verb: &str,
    pool: Option<&str>,
    target: Option<&str>,
    outcome: &str,
) {
    let actor = match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(u) if !u.is_empty() && u.len() <= 64 => format!("cli:{u}"),
        _ => "cli".into(),
    };
    let mut event = Event::new(Door::Cli, verb, outcome).actor(actor);
    if let Some(p) = pool {
        // A pool given by name is recorded by id; a deleted pool keeps what was typed.
        let id = ctx
            .read(|db| pools::find_pool(db, p))
            .map_or_else(|_| p.to_string(), |pool| pool.id);
        event = event.pool(id);
    }
    if let Some(t) = target {
        event = event.target(t);
    }
    let stderr = ctx.config.audit_log == crate::config::AuditLog::Stderr;
    if let Err(e) = audit::record_now(&ctx.store, event, ctx.now, stderr) {
        eprintln!("warning: the audit record could not be written: {e}");
    }
}

fn row_json(r: &AuditRow) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    v["time"] = json!(rfc3339(r.at));
    v
}

pub(super) fn rfc3339(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| at.to_string())
}

/// `--since`: an RFC 3339 time, a date, or an age such as `7d`.
fn parse_since(s: &str, now: i64) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    if let Ok(d) = Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    let unit = match s.chars().last() {
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        _ => 0,
    };
    match s[..s.len().saturating_sub(1)].parse::<i64>() {
        Ok(n) if unit > 0 && (0..=100_000).contains(&n) => Ok(now - n * unit),
        _ => Err(format!(
            "--since {s:?}: an RFC 3339 time (2026-11-01T00:00:00Z), a date (2026-11-01) or an age (90m, 24h, 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_end_where_the_next_begins() {
        let (from, to, label) = audit::month_bounds(Some("2026-12"), 0).unwrap();
        assert_eq!(label, "2026-12");
        assert_eq!(from, 1_796_083_200); // 2026-12-01T00:00:00Z
        assert_eq!(to, 1_798_761_600); // 2027-01-01T00:00:00Z
        let (from, _, label) = audit::month_bounds(None, 1_796_083_200 + 86_400 * 3).unwrap();
        assert_eq!((from, label.as_str()), (1_796_083_200, "2026-12"));
        for bad in ["2026", "2026-13", "x-01", "2026-00"] {
            assert!(audit::month_bounds(Some(bad), 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_takes_times_dates_and_ages() {
        assert_eq!(parse_since("2026-12-01", 0).unwrap(), 1_796_083_200);
        assert_eq!(
            parse_since("2026-12-01T00:00:10Z", 0).unwrap(),
            1_796_083_210
        );
        assert_eq!(parse_since("2h", 10_000).unwrap(), 10_000 - 7200);
        for bad in ["", "d", "-1d", "3w", "yesterday"] {
            assert!(parse_since(bad, 0).is_err(), "{bad}");
        }
    }
}

/// What a command line names, for its audit record: the verb path (`user create`), the
/// `--pool`, and the thing acted on. Only these flags are read, so a `--password`, a secret or
/// an attribute value never reaches the log. None for verbs that change nothing.
pub(super) fn describe_command_line(
    args: &[String],
) -> Option<(String, Option<String>, Option<String>)> {
    const VERBS: &[&str] = &[
        "pool",
        "client",
        "user",
        "group",
        "resource-server",
        "idp",
        "keys",
        "admin-key",
    ];
    const READS: &[&str] = &["list", "show", "export", "events"];
    const TARGETS: &[&str] = &[
        "--user",
        "--username",
        "--email",
        "--client",
        "--id",
        "--name",
        "--identifier",
        "--group",
        "--access-key-id",
    ];
    let at = args.iter().position(|a| VERBS.contains(&a.as_str()))?;
    let sub = args.get(at + 1).filter(|s| !s.starts_with('-'))?;
    if READS.contains(&sub.as_str()) {
        return None;
    }
    let value_of = |flag: &str| -> Option<String> {
        let prefix = format!("{flag}=");
        args.iter().enumerate().skip(at + 2).find_map(|(i, a)| {
            if a == flag {
                args.get(i + 1).cloned()
            } else {
                a.strip_prefix(&prefix).map(String::from)
            }
        })
    };
    let target = TARGETS
        .iter()
        .find_map(|f| value_of(f))
        .filter(|t| t.len() <= 256);
    Some((format!("{} {sub}", args[at]), value_of("--pool"), target))
}

#[cfg(test)]
mod command_line_tests {
    use super::describe_command_line;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn names_the_verb_pool_and_target_but_never_a_secret() {
        let d = describe_command_line(&args(
            "incognito --json user create --pool main --username ann --password s3cret! --attr name=Ann",
        ))
        .unwrap();
        assert_eq!(d.0, "user create");
        assert_eq!(d.1.as_deref(), Some("main"));
        assert_eq!(d.2.as_deref(), Some("ann"));
        let d =
            describe_command_line(&args("incognito group delete --pool=p --name=admins")).unwrap();
        assert_eq!(
            (d.0.as_str(), d.2.as_deref()),
            ("group delete", Some("admins"))
        );
        let d = describe_command_line(&args(
            "incognito idp update --pool p --detail client_secret=s3cret --name Corp",
        ))
        .unwrap();
        assert_eq!((d.0.as_str(), d.2.as_deref()), ("idp update", Some("Corp")));
        assert!(
            describe_command_line(&args("incognito user events --pool p --user ann")).is_none(),
            "reading a user's sign-ins changes nothing"
        );
        assert!(describe_command_line(&args("incognito user list --pool main")).is_none());
        assert!(describe_command_line(&args("incognito serve")).is_none());
    }
}
