//! The `incognito` command line: `serve` and the admin verbs. `main.rs` only calls `run`.

pub mod admin;
mod admin_key;
mod audit;
mod backup;
mod bootstrap;
mod client;
mod db;
mod group;
mod idp;
mod keys;
mod migrate;
mod output;
mod pool;
mod progress;
mod resource_server;
mod user;
mod user_transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::startup::Application;

#[derive(Parser, Debug)]
#[command(
    name = "incognito",
    version,
    about = "A self-hosted OpenID Connect server that Cognito clients can talk to"
)]
pub struct Cli {
    /// TOML configuration file (also INCOGNITO_CONFIG).
    #[arg(long, global = true, env = "INCOGNITO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory holding the SQLite database (overrides the config's data_dir).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON object or array instead of text (admin verbs).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Copy the database consistently while servers run (the master key is not included).
    Backup(backup::BackupArgs),
    /// Put a backup in place in a data directory whose servers are stopped.
    Restore(backup::RestoreArgs),
    /// The database itself: `db migrate`.
    Db {
        #[command(subcommand)]
        cmd: db::DbCommand,
    },
    #[command(flatten)]
    Admin(admin::AdminCommand),
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:9229.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Public base URL (when behind a proxy or on another host name).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Bootstrap file to apply at start-up.
    #[arg(long)]
    pub bootstrap: Option<PathBuf>,
}

/// Parses arguments, runs the command, and turns every failure into one line and exit code 1.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

pub fn load_config(cli: &Cli) -> Result<Config, String> {
    let mut config = Config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    if let Some(d) = &cli.data_dir {
        config.data_dir = d.clone();
    }
    Ok(config)
}

fn execute(cli: Cli) -> Result<(), String> {
    let mut config = load_config(&cli)?;
    // Backups are SQLite's file; PostgreSQL's are its own tools' (docs/scale-out.md).
    if config.postgres_url().is_some()
        && matches!(cli.command, Command::Backup(_) | Command::Restore(_))
    {
        return Err("backup and restore copy the SQLite file; with database_url, back up with PostgreSQL's tools (pg_dump, or your service's snapshots)".into());
    }
    match cli.command {
        Command::Serve(args) => {
            if let Some(l) = args.listen {
                config.listen = l;
            }
            if let Some(u) = args.public_url {
                config.public_url = Some(u);
            }
            if let Some(b) = args.bootstrap {
                config.bootstrap = Some(b);
            }
            config.validate().map_err(|e| e.to_string())?;
            crate::logging::init(&config);
            serve(config)
        }
        Command::Backup(args) => backup::backup(&config, args),
        Command::Restore(args) => backup::restore(&config, args),
        Command::Db { cmd } => db::execute(cmd, &config, cli.json),
        Command::Admin(cmd) => admin::execute(cmd, &config, cli.json),
    }
}

fn serve(config: Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let app = Application::build(config, Clock::System).map_err(|e| e.to_string())?;
        let state = app.state.clone();
        let public_url = state.public_url.clone();
        tracing::info!(listen = %state.config.listen, public_url = %public_url, data_dir = %state.config.data_dir.display(), "incognito is ready");
        print_welcome(&app);
        app.run_until_signalled().await.map_err(|e| e.to_string())
    })
}

fn print_welcome(app: &Application) {
    let url = &app.state.public_url;
    let pools = app
        .state
        .store
        .read_sync(|db| crate::store::pools::list(db))
        .unwrap_or_default();
    println!("Incognito is listening on {url}");
    if let Some(d) = &app.default_setup {
        println!("Created a default user pool and a public app client (PKCE):");
        println!("  issuer:        {url}/{}", d.pool_id);
        println!("  client id:     {}", d.client_id);
        println!("  redirect URI:  {}", d.redirect_uri);
    }
    for pool in pools {
        println!("Pool {:?}", pool.name);
        println!("  issuer:     {url}/{}", pool.id);
        println!(
            "  discovery:  {url}/{}/.well-known/openid-configuration",
            pool.id
        );
        println!("  login page: {url}/{}/login", pool.id);
    }
}
