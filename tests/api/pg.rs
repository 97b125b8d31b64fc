//! A throwaway PostgreSQL for tests: one cluster per test binary, started on first use in a
//! temporary directory (Debian's `postgresql`; `./scripts/test.sh` installs it), listening on
//! a unix socket in that directory only, so that it never meets another cluster's port. Each
//! test gets a database of its own (`database()`), dropped with its handle.
//!
//! initdb refuses to run as root: as root, the cluster runs as the `postgres` user.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use crate::helpers::skip_or_fail;

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    /// How long initdb and the start took (reported by `cluster_starts_in_seconds`).
    pub started_in: std::time::Duration,
}

/// A database of its own for one test: `url` is a `postgres://` URL (the host is the socket
/// directory, percent-encoded). Dropped (with its connections) when the handle goes.
pub struct TestDatabase {
    pub url: String,
    name: String,
    cluster: &'static Cluster,
}

impl TestDatabase {
    /// Drops the database now, its connections with it (a database that went away). Blocking.
    pub fn drop_now(&self) {
        if let Ok(mut admin) = self.cluster.admin() {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (cluster, name) = (self.cluster, self.name.clone());
        // On a thread of its own: the blocking client starts a runtime, which it may not do on
        // an async test's thread, where a TestApp holding this handle is dropped.
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = cluster.admin() {
                // The name is ours (`t_<pid>_<n>`), never input: quoting it as an identifier is safe.
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// A fresh, empty database on the binary's cluster; `None` (after `skip_or_fail`) when
/// PostgreSQL is not installed.
pub fn database(test: &str) -> Option<TestDatabase> {
    let cluster = cluster(test)?;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = cluster.admin().expect("connect to the test cluster");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .expect("create a test database");
    Some(TestDatabase {
        url: cluster.url(&name),
        name,
        cluster,
    })
}

/// The binary's cluster, started on first use. A static is never dropped, so a watcher process
/// stops the cluster and removes its directory once this test binary has exited (however it
/// ended, SIGKILL included).
pub fn cluster(test: &str) -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(|| {
        let c = Cluster::start()?;
        c.watch(std::process::id());
        Ok(c)
    }) {
        Ok(c) => Some(c),
        Err(reason) => {
            skip_or_fail(test, reason);
            None
        }
    }
}

/// Where Debian keeps the server programs (`/usr/lib/postgresql/<major>/bin`, not on PATH);
/// elsewhere, PATH.
fn bin_dir() -> Option<PathBuf> {
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    /// initdb and pg_ctl start: about two seconds, most of it initdb.
    pub fn start() -> Result<Cluster, String> {
        let began = Instant::now();
        let bin = bin_dir().ok_or("PostgreSQL's initdb and pg_ctl are not installed")?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("incognito-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        if as_postgres {
            let chown = Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?;
            if !chown.success() {
                return Err("as root, the cluster needs the `postgres` user".into());
            }
        }
        let mut cluster = Cluster {
            dir,
            bin,
            as_postgres,
            started_in: Default::default(),
        };
        let data = cluster.data();
        // Trust on the socket only (no TCP listener): a test cluster in a private directory.
        // -N and fsync=off: nothing here must survive a crash, and fsync is most of the cost.
        cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "-N".as_ref(),
            ],
        )?;
        let options = format!(
            "-c listen_addresses='' -k {} -p 5432 -c fsync=off -c max_connections=400 -c synchronous_commit=off -c full_page_writes=off",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("server.log");
        cluster
            .run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-w".as_ref(),
                    "-s".as_ref(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "start".as_ref(),
                ],
            )
            .map_err(|e| {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                format!("{e}\n{log}")
            })?;
        cluster.started_in = began.elapsed();
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        // Nothing of the cluster may hold the test's output open (a pipe reader would wait).
        cmd.stdin(Stdio::null());
        cmd
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// A libpq URL for `database` over the cluster's socket.
    pub fn url(&self, database: &str) -> String {
        let socket_dir = self.dir.path().display().to_string();
        format!(
            "postgresql://postgres@{}:5432/{database}",
            url_encode_path(&socket_dir)
        )
    }

    /// A superuser connection to the `postgres` database.
    pub fn admin(&self) -> Result<postgres::Client, postgres::Error> {
        postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
    }

    fn watch(&self, pid: u32) {
        // Paths go in as the script's arguments, never into its text: no quoting to get wrong.
        let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
if [ "$4" = postgres ]; then runuser -u postgres -- "$2" -D "$3/data" -m immediate -s stop
else "$2" -D "$3/data" -m immediate -s stop; fi >/dev/null 2>&1
rm -rf "$3""#;
        let _ = Command::new("sh")
            .args(["-c", script, "pg-watcher"])
            .arg(pid.to_string())
            .arg(self.bin.join("pg_ctl"))
            .arg(self.dir.path())
            .arg(if self.as_postgres { "postgres" } else { "self" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-s".as_ref(),
                "stop".as_ref(),
            ],
        );
    }
}

/// libpq takes a socket directory as the URL's host when percent-encoded (`%2Ftmp%2F...`).
fn url_encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
