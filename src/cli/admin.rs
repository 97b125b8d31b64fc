//! Admin verbs: pool, client, user, group, resource-server, idp, keys, bootstrap, admin-key, one
//! file each; this
//! file dispatches them. Each prints readable text, or exactly one JSON value (object or
//! array) on stdout with `--json`.
//!
//! Every verb opens the store in the configured data directory (the server may be running on
//! it at the same time) and does its work in one transaction, so a failure changes nothing.

use clap::{Args, Subcommand};

use super::admin_key::{self, AdminKeyCmd};
use super::audit::{self, AuditArgs, ReportCmd};
use super::bootstrap::{self, BootstrapCmd};
use super::client::{self, ClientCmd};
use super::group::{self, GroupCmd};
use super::idp::{self, IdpCmd};
use super::keys::{self, KeysCmd};
use super::migrate::{self, MigrateCmd};
use super::pool::{self, PoolCmd};
use super::resource_server::{self, ResourceServerCmd};
use super::user::{self, UserCmd};
use crate::Result;
use crate::clock::Clock;
use crate::config::Config;
use crate::keys::{Alg, seal::Sealer};
use crate::store::{Db, Store};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Manage user pools (each pool is one OpenID Connect issuer).
    Pool {
        #[command(subcommand)]
        cmd: PoolCmd,
    },
    /// Manage the app clients of a pool.
    Client {
        #[command(subcommand)]
        cmd: ClientCmd,
    },
    /// Manage the users of a pool.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage the groups of a pool.
    Group {
        #[command(subcommand)]
        cmd: GroupCmd,
    },
    /// Manage a pool's resource servers (custom scopes for clients).
    ResourceServer {
        #[command(subcommand)]
        cmd: ResourceServerCmd,
    },
    /// Manage a pool's identity providers (sign-in through OIDC, Google, Facebook, ...).
    Idp {
        #[command(subcommand)]
        cmd: IdpCmd,
    },
    /// List and rotate a pool's signing keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Apply a declarative bootstrap file (pools, clients, groups, users).
    Bootstrap {
        #[command(subcommand)]
        cmd: BootstrapCmd,
    },
    /// Access keys for the SigV4-signed admin actions of the Cognito API.
    AdminKey {
        #[command(subcommand)]
        cmd: AdminKeyCmd,
    },
    /// Show the audit log (administrative changes and security events), newest first.
    Audit(AuditArgs),
    /// Reports: `report mau` (monthly active users).
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
    /// Bring users over from elsewhere: `migrate cognito` copies a pool's `migrate_from` upstream.
    Migrate {
        #[command(subcommand)]
        cmd: MigrateCmd,
    },
}

#[derive(Args, Debug)]
pub struct PoolRef {
    /// Pool id (or a pool name that is unique).
    #[arg(long)]
    pub pool: String,
}

pub(super) struct Ctx<'a> {
    pub(super) store: Store,
    pub(super) sealer: Sealer,
    pub(super) config: &'a Config,
    pub(super) public_url: String,
    pub(super) now: i64,
    /// `--json`: long verbs report progress as plain lines.
    pub(super) json: bool,
}

impl Ctx<'_> {
    pub(super) fn write<T: Send>(
        &self,
        f: impl FnOnce(&Db) -> Result<T> + Send,
    ) -> std::result::Result<T, String> {
        self.store.write_sync(f).map_err(|e| e.to_string())
    }

    pub(super) fn read<T: Send>(
        &self,
        f: impl FnOnce(&Db) -> Result<T> + Send,
    ) -> std::result::Result<T, String> {
        self.store.read_sync(f).map_err(|e| e.to_string())
    }

    pub(super) fn default_alg(&self, requested: Option<&str>) -> std::result::Result<Alg, String> {
        let name = requested.unwrap_or(&self.config.key_algorithm);
        Alg::parse(name)
            .ok_or_else(|| format!("unknown key algorithm {name:?}: use RS256, ES256 or EdDSA"))
    }
}

pub fn execute(cmd: AdminCommand, config: &Config, json: bool) -> std::result::Result<(), String> {
    // Passwords set from the command line are checked against the same lists as the server's.
    if let Some(path) = &config.breached_passwords_file {
        crate::authn::breached::configure(path)
            .map_err(|e| format!("setting `breached_passwords_file`: {e}"))?;
    }
    let ctx = Ctx {
        store: crate::startup::open_store(config).map_err(|e| e.to_string())?,
        sealer: crate::startup::sealer(config),
        config,
        public_url: config.public_url(),
        now: Clock::System.now(),
        json,
    };
    // Bootstrap files leave their own record (in the transaction that applies them).
    let recorded = match cmd {
        AdminCommand::Bootstrap { .. } | AdminCommand::Audit(_) | AdminCommand::Report { .. } => {
            None
        }
        _ => audit::describe_command_line(&std::env::args().collect::<Vec<_>>()),
    };
    let out = match cmd {
        AdminCommand::Pool { cmd } => pool::pool_cmd(&ctx, cmd),
        AdminCommand::Client { cmd } => client::client_cmd(&ctx, cmd),
        AdminCommand::User { cmd } => user::user_cmd(&ctx, cmd),
        AdminCommand::Group { cmd } => group::group_cmd(&ctx, cmd),
        AdminCommand::ResourceServer { cmd } => resource_server::resource_server_cmd(&ctx, cmd),
        AdminCommand::Idp { cmd } => idp::idp_cmd(&ctx, cmd),
        AdminCommand::Keys { cmd } => keys::keys_cmd(&ctx, cmd),
        AdminCommand::Bootstrap { cmd } => bootstrap::bootstrap_cmd(&ctx, cmd),
        AdminCommand::AdminKey { cmd } => admin_key::admin_key_cmd(&ctx, cmd),
        AdminCommand::Audit(args) => audit::audit_cmd(&ctx, args),
        AdminCommand::Report { cmd } => audit::report_cmd(&ctx, cmd),
        AdminCommand::Migrate { cmd } => migrate::migrate_cmd(&ctx, cmd),
    };
    if let Some((verb, pool, target)) = recorded {
        let outcome = if out.is_ok() { "success" } else { "failed" };
        audit::record_verb(&ctx, &verb, pool.as_deref(), target.as_deref(), outcome);
    }
    out?.print(json)
}
