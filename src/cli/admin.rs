//! Admin verbs: pool, client, user, group, keys. Each prints text, or one JSON value with --json.

use crate::config::Config;

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {}

pub fn execute(cmd: AdminCommand, _config: &Config, _json: bool) -> Result<(), String> {
    match cmd {}
}
