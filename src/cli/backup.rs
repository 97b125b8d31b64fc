//! `incognito backup --to FILE` (online, while servers run) and `incognito restore --from
//! FILE` (into a stopped data directory). The master key is never in a backup: both say where
//! it is, because a database without its key has unreadable signing keys and secrets.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::store::backup::{self, Summary};

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// A file written by `incognito backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// The master.key that belongs with the backup, copied into the data directory.
    #[arg(long)]
    pub master_key: Option<PathBuf>,
}

fn describe(s: &Summary) -> String {
    format!(
        "schema version {}, {} pool(s), {} user(s), {} bytes",
        s.schema_version, s.pools, s.users, s.bytes
    )
}

/// Where the key that unseals this data directory's secrets lives.
fn key_location(config: &Config) -> String {
    if config.master_key.is_some() {
        "the `master_key` setting (INCOGNITO_MASTER_KEY) of this configuration".into()
    } else {
        crate::startup::master_key_path(config)
            .display()
            .to_string()
    }
}

pub fn backup(config: &Config, args: BackupArgs) -> Result<(), String> {
    if args.to.exists() {
        return Err(format!(
            "{} already exists: choose a new file name",
            args.to.display()
        ));
    }
    let summary =
        backup::backup_to(&config.database_path(), &args.to).map_err(|e| e.to_string())?;
    println!(
        "Backed up {} to {} ({}).",
        config.database_path().display(),
        args.to.display(),
        describe(&summary)
    );
    println!(
        "The master key is NOT in the backup. Keep a copy of it apart from the backup: {}",
        key_location(config)
    );
    Ok(())
}

/// Exclusive hold on the data directory: refused while any server has it.
fn lock_exclusive(config: &Config) -> Result<std::fs::File, String> {
    let path = crate::lifecycle::lock_path(config);
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "a server is running on {}: stop it before restoring",
            config.data_dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("{}: {e}", path.display())),
    }
}

fn install_key(from: &Path, to: &Path) -> Result<(), String> {
    let key = std::fs::read_to_string(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(to)
        .and_then(|mut f| f.write_all(key.trim().as_bytes()))
        .map_err(|e| format!("{}: {e}", to.display()))
}

pub fn restore(config: &Config, args: RestoreArgs) -> Result<(), String> {
    // Check the file before touching the data directory.
    backup::check(&args.from).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    let _lock = lock_exclusive(config)?;
    let db = config.database_path();
    let aside = config.data_dir.join(format!(
        "incognito.sqlite3.before-restore-{}",
        crate::clock::Clock::System.now()
    ));
    let summary = backup::restore_from(&args.from, &db, &aside).map_err(|e| e.to_string())?;
    println!(
        "Restored {} into {} ({}).",
        args.from.display(),
        db.display(),
        describe(&summary)
    );
    if aside.exists() {
        println!(
            "The database that was there is kept as {}.",
            aside.display()
        );
    }
    let key_path = crate::startup::master_key_path(config);
    if let Some(key) = &args.master_key {
        install_key(key, &key_path)?;
        println!("Installed the master key as {}.", key_path.display());
    } else if config.master_key.is_none() && !key_path.exists() {
        println!(
            "WARNING: no master key here. Put the master.key that belongs with this backup at \
             {} (or set master_key) BEFORE starting the server: otherwise it makes a new key \
             and cannot open the restored signing keys and secrets.",
            key_path.display()
        );
    } else {
        println!(
            "The server will unseal secrets with {}: it must be the key of the backed-up server.",
            key_location(config)
        );
    }
    Ok(())
}
