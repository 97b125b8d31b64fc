//! The server under test as a child process: start, readiness, RSS and CPU from /proc, stop.

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

impl Server {
    pub async fn start(
        binary: &Path,
        data_dir: &Path,
        addr: SocketAddr,
        log_level: &str,
    ) -> Result<Server, String> {
        if !binary.exists() {
            return Err(format!(
                "server binary {} not found: run `cargo build --release` first (or pass --server-bin)",
                binary.display()
            ));
        }
        let log = data_dir.join("server.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = Command::new(binary)
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--public-url")
            .arg(format!("http://{addr}"))
            .env("INCOGNITO_LOG_LEVEL", log_level)
            .env("INCOGNITO_WEBHOOK_SECRET", super::webhook::SECRET)
            .env_remove("RUST_LOG")
            .env_remove("INCOGNITO_CONFIG")
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

/// A free loopback port (bound, then released for the server).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local address")
}
