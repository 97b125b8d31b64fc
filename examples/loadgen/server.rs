//! The server under test as child processes (one, or several sharing a PostgreSQL database):
//! start, readiness, RSS and CPU from /proc, stop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    /// From `spawn` to the first `GET /readyz` answered 200.
    pub startup: Duration,
    pub log: PathBuf,
}

/// `target/release/incognito`, next to the directory of this example's executable.
pub fn default_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("incognito"))
        .expect("the example lives in target/<profile>/examples")
}

/// How every instance is started.
pub struct Launch {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub log_level: String,
    /// The same on every instance (the first one's address), so tokens' issuer is too.
    pub public_url: String,
    /// PostgreSQL, through INCOGNITO_DATABASE_URL and INCOGNITO_MASTER_KEY; `None`: SQLite in
    /// the data directory.
    pub database: Option<super::setup::Database>,
}

impl Server {
    /// Starts instance `index` (its log: `server.log`, then `server-2.log`, ...) on `addr`.
    pub async fn start(launch: &Launch, index: usize, addr: SocketAddr) -> Result<Server, String> {
        let binary = &launch.binary;
        if !binary.exists() {
            return Err(format!(
                "server binary {} not found: run `cargo build --release` first (or pass --server-bin)",
                binary.display()
            ));
        }
        let log = launch.data_dir.join(if index == 0 {
            "server.log".to_string()
        } else {
            format!("server-{}.log", index + 1)
        });
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(&launch.data_dir)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--public-url")
            .arg(&launch.public_url)
            .env("INCOGNITO_LOG_LEVEL", &launch.log_level)
            .env("INCOGNITO_WEBHOOK_SECRET", super::webhook::SECRET)
            .env_remove("RUST_LOG")
            .env_remove("INCOGNITO_CONFIG");
        match &launch.database {
            Some(db) => command
                .env("INCOGNITO_DATABASE_URL", &db.url)
                .env("INCOGNITO_MASTER_KEY", &db.master_key),
            // Not the caller's: SQLite in the data directory, sealed with its master.key.
            None => command
                .env_remove("INCOGNITO_DATABASE_URL")
                .env_remove("INCOGNITO_MASTER_KEY"),
        };
        let started = Instant::now();
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = Server {
            child,
            startup: Duration::ZERO,
            log,
        };
        let deadline = started + Duration::from_secs(30);
        let mut conn = super::http::Conn::new(addr);
        let request = super::http::get(&addr.to_string(), "/readyz", "");
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}) before it was ready; see {}",
                    server.log.display()
                ));
            }
            if let Ok(r) = conn.send(&request).await
                && r.status == 200
            {
                server.startup = started.elapsed();
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server was not ready within 30 s; see {}",
                    server.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size (VmRSS), bytes.
    pub fn rss(&self) -> u64 {
        status_kib(self.pid(), "VmRSS:") * 1024
    }

    /// Peak resident set size over the process's life (VmHWM), bytes.
    pub fn rss_peak(&self) -> u64 {
        status_kib(self.pid(), "VmHWM:") * 1024
    }

    /// User + system CPU time consumed so far.
    pub fn cpu(&self) -> Duration {
        cpu_time(&format!("/proc/{}/stat", self.pid()))
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// utime + stime of a /proc/<pid>/stat file.
pub fn cpu_time(stat_path: &str) -> Duration {
    let Ok(s) = std::fs::read_to_string(stat_path) else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // USER_HZ is 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}

/// `n` distinct free loopback ports (all bound at once, then released for the servers).
pub fn free_addrs(n: usize) -> Vec<SocketAddr> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address"))
        .collect()
}

/// The running instances; RSS and CPU are sums over them.
pub struct Servers(pub Vec<Server>);

impl Servers {
    /// Starts instances `from..` (one per address), one after the other.
    pub async fn start(
        launch: &Launch,
        addrs: &[SocketAddr],
        from: usize,
    ) -> Result<Servers, String> {
        let mut servers = Vec::with_capacity(addrs.len());
        for (i, addr) in addrs.iter().enumerate().skip(from) {
            servers.push(Server::start(launch, i, *addr).await?);
        }
        Ok(Servers(servers))
    }

    /// Adds an already started instance in front (the one whose start-up was timed).
    pub fn with_first(first: Server, rest: Servers) -> Servers {
        let mut all = vec![first];
        all.extend(rest.0);
        Servers(all)
    }

    pub fn pids(&self) -> Vec<u32> {
        self.0.iter().map(Server::pid).collect()
    }

    /// VmRSS summed over the instances, bytes.
    pub fn rss(&self) -> u64 {
        self.0.iter().map(Server::rss).sum()
    }

    /// The largest instance's VmRSS, bytes.
    pub fn rss_largest(&self) -> u64 {
        self.0.iter().map(Server::rss).max().unwrap_or(0)
    }

    /// Each instance's VmHWM, summed (at least the peak of the sum), bytes.
    pub fn rss_peak(&self) -> u64 {
        self.0.iter().map(Server::rss_peak).sum()
    }

    /// The largest instance's VmHWM, bytes.
    pub fn rss_peak_largest(&self) -> u64 {
        self.0.iter().map(Server::rss_peak).max().unwrap_or(0)
    }

    /// CPU time summed over the instances.
    pub fn cpu(&self) -> Duration {
        self.0.iter().map(Server::cpu).sum()
    }

    pub fn logs(&self) -> Vec<PathBuf> {
        self.0.iter().map(|s| s.log.clone()).collect()
    }

    pub fn stop(self) {
        for s in self.0 {
            s.stop();
        }
    }
}
