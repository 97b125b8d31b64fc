//! `incognito bootstrap apply`: a declarative bootstrap file, applied in one transaction.

use std::path::PathBuf;

use clap::Subcommand;

use super::admin::Ctx;
use super::output::Output;

#[derive(Subcommand, Debug)]
pub enum BootstrapCmd {
    /// Create or update what the file declares, in one transaction, and print a report.
    Apply {
        /// The bootstrap TOML file (default: the config's `bootstrap`).
        file: Option<PathBuf>,
    },
}

pub(super) fn bootstrap_cmd(ctx: &Ctx, cmd: BootstrapCmd) -> std::result::Result<Output, String> {
    match cmd {
        BootstrapCmd::Apply { file } => {
            let path = file.or_else(|| ctx.config.bootstrap.clone()).ok_or(
                "no bootstrap file: give one (`incognito bootstrap apply FILE.toml`) or set `bootstrap` in the config",
            )?;
            let report =
                crate::bootstrap::apply_file(&ctx.store, ctx.config, &ctx.sealer, &path, ctx.now)
                    .map_err(|e| e.to_string())?;
            let json = serde_json::to_value(&report)
                .map_err(|e| format!("cannot encode the report: {e}"))?;
            let text = format!(
                "Applied {}: {} pools, {} identity providers, {} clients, {} groups, {} users ({} created, {} updated, {} unchanged).\n{}",
                path.display(),
                report.pools,
                report.identity_providers,
                report.clients,
                report.groups,
                report.users,
                report.created,
                report.updated,
                report.unchanged,
                report
                    .pool_ids
                    .iter()
                    .map(|id| format!("  issuer: {}/{id}\n", ctx.public_url))
                    .collect::<String>()
            );
            Ok(Output { json, text })
        }
    }
}
