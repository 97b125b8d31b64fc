//! `incognito db ...`: the database itself. `db migrate` applies the migrations this build has,
//! for deployments that do not let servers migrate on start (a release step, a job before a
//! rolling update), to SQLite in the data directory or to `database_url`.

use clap::Subcommand;
use serde_json::json;

use super::output::Output;
use crate::config::Config;
use crate::store::{self, Migrated, postgres::PgStore};

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Apply the migrations the database lacks (SQLite in the data directory, or database_url).
    /// Safe while servers run and when several instances migrate at once.
    Migrate,
}

pub fn execute(cmd: DbCommand, config: &Config, json: bool) -> Result<(), String> {
    match cmd {
        DbCommand::Migrate => migrate(config)?.print(json),
    }
}

fn migrate(config: &Config) -> Result<Output, String> {
    // The URL is never printed: it may carry a password.
    let (backend, place, done) = match config.postgres_url() {
        Some(url) => {
            let pg = PgStore::connect(url, 1).map_err(|e| e.to_string())?;
            let done = pg.migrate().map_err(|e| e.to_string())?;
            ("postgres", "the PostgreSQL database".to_string(), done)
        }
        None => {
            std::fs::create_dir_all(&config.data_dir)
                .map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
            let path = config.database_path();
            let done = store::migrate_sqlite(&path).map_err(|e| e.to_string())?;
            ("sqlite", path.display().to_string(), done)
        }
    };
    let Migrated { from, to } = done;
    let applied: Vec<&str> = store::migration_names()
        .skip(from as usize)
        .take((to - from) as usize)
        .collect();
    let text = if applied.is_empty() {
        format!("{place} is at schema version {to}, this build's newest: nothing to apply.")
    } else {
        format!(
            "Migrated {place} from schema version {from} to {to} ({}).",
            applied.join(", ")
        )
    };
    let mut value = json!({
        "backend": backend,
        "from_version": from,
        "to_version": to,
        "applied": applied,
    });
    if backend == "sqlite" {
        value["path"] = json!(place);
    }
    Ok(Output { json: value, text })
}
