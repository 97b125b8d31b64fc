//! `incognito db ...`: the database itself. `db migrate` applies the migrations this build has,
//! for deployments that do not let servers migrate on start (a release step, a job before a
//! rolling update), to SQLite in the data directory or to `database_url`.

use clap::Subcommand;
use serde_json::json;

use super::output::Output;
use super::progress::Progress;
use crate::config::Config;
use crate::store::{self, Migrated, copy, postgres::PgStore};

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Apply the migrations the database lacks (SQLite in the data directory, or database_url).
    /// Safe while servers run and when several instances migrate at once.
    Migrate,
    /// Copy a single-node SQLite deployment into an empty PostgreSQL database (migrating it
    /// first), in one transaction: every table, its row count checked, identity sequences moved
    /// on. Stop the servers using the SQLite file first: writes after the copy began are not in it.
    Copy {
        /// The SQLite database: `sqlite:PATH` (e.g. sqlite:/var/lib/incognito/incognito.db).
        #[arg(long)]
        from: String,
        /// The PostgreSQL URL; defaults to database_url (INCOGNITO_DATABASE_URL).
        #[arg(long)]
        to: Option<String>,
    },
}

pub fn execute(cmd: DbCommand, config: &Config, json: bool) -> Result<(), String> {
    match cmd {
        DbCommand::Migrate => migrate(config)?.print(json),
        DbCommand::Copy { from, to } => copy(config, &from, to.as_deref(), json)?.print(json),
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

fn copy(config: &Config, from: &str, to: Option<&str>, json: bool) -> Result<Output, String> {
    let path = from
        .strip_prefix("sqlite:")
        .ok_or("--from must be sqlite:PATH (the SQLite database file)")?;
    let path = std::path::Path::new(path);
    if !path.is_file() {
        return Err(format!("{}: no such database file", path.display()));
    }
    let url = to
        .or(config.postgres_url())
        .ok_or("--to postgres://... is required (or set database_url)")?;
    if !store::postgres::is_url(url) {
        return Err("--to must be a postgres:// or postgresql:// URL".into());
    }
    let pg = PgStore::connect(url, 1).map_err(|e| e.to_string())?;
    let mut watch = Bars { json, bar: None };
    let copied = copy::sqlite_to_postgres(path, &pg, &mut watch).map_err(|e| e.to_string())?;
    let rows: i64 = copied.iter().map(|c| c.rows).sum();
    let mut text = format!(
        "Copied {rows} rows in {} tables from {} into the PostgreSQL database; every count matches.",
        copied.len(),
        path.display()
    );
    // Secrets are sealed with the master key: the instances must use the one that sealed them.
    let key_file = path.with_file_name("master.key");
    if config.master_key.is_none() && key_file.is_file() {
        text.push_str(&format!(
            "\nSecrets in it are sealed with {}: set master_key (INCOGNITO_MASTER_KEY) to its contents on every instance.",
            key_file.display()
        ));
    }
    let tables: Vec<_> = copied
        .iter()
        .map(|c| json!({ "table": c.table, "rows": c.rows }))
        .collect();
    Ok(Output {
        json: json!({ "from": path.display().to_string(), "rows": rows, "tables": tables }),
        text,
    })
}

/// One progress bar per table on a terminal; plain lines otherwise.
struct Bars {
    json: bool,
    bar: Option<Progress>,
}

impl copy::Watch for Bars {
    fn start(&mut self, table: &str, rows: u64) {
        self.bar = Some(Progress::new(table, rows, self.json));
    }

    fn rows(&mut self, n: u64) {
        if let Some(bar) = &mut self.bar {
            bar.advance(n);
        }
    }

    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}
