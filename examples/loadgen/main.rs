//! Load generator: measures the crypto floor of this machine, starts the release server on a
//! fresh data directory, drives it over loopback with N concurrent keep-alive clients for a
//! fixed time per scenario, and prints requests/s, latency percentiles, errors, the ratio to
//! the floor, server CPU and RSS, and the start-up time.
//!
//! ```sh
//! cargo build --release && cargo run --release --example loadgen
//! cargo run --release --example loadgen -- --scenarios login,userinfo --scale-to 1000000
//! cargo run --release --example loadgen -- --database-url postgresql://... --instances 2
//! cargo run --release --example loadgen -- --help
//! ```
//!
//! See docs/performance.md for the method and the latest figures.

mod floor;
mod http;
mod scenarios;
mod server;
mod setup;
mod webhook;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use incognito::keys::Alg;
use scenarios::{Kind, Outcome, Target};
use server::{Launch, Server, Servers};

#[derive(Parser, Debug)]
#[command(
    name = "loadgen",
    about = "Load generator for the incognito server (see docs/performance.md)"
)]
struct Args {
    /// Comma-separated scenarios: discovery, jwks, client_credentials, userinfo, refresh,
    /// login, srp_login (the Cognito API's USER_SRP_AUTH; not in the default set: the
    /// generator's own SRP maths costs as much CPU as the server's), refresh_pre_token
    /// (refresh with a no-op PreTokenGeneration webhook on loopback; not in the default set),
    /// login_adaptive (login with adaptive sign-in ENFORCED, every level NO_ACTION without a
    /// notification, so each sign-in is scored and recorded; not in the default set).
    #[arg(
        long,
        default_value = "discovery,jwks,client_credentials,userinfo,refresh,login"
    )]
    scenarios: String,
    /// Concurrent virtual users (one keep-alive connection each).
    #[arg(long, short = 'c', default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds per scenario.
    #[arg(long, short = 'd', default_value_t = 5.0)]
    duration: f64,
    /// Warm-up seconds per scenario (load, not measured).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Users in the pool.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// After the scenarios, fill the pool to this many users (bulk insert, one precomputed
    /// hash), restart the server and run login and userinfo again, against the first figures.
    #[arg(long)]
    scale_to: Option<usize>,
    /// Signing algorithm of the pool's key: RS256, ES256 or EdDSA.
    #[arg(long, default_value = "RS256")]
    alg: String,
    /// Seconds for each crypto floor measurement.
    #[arg(long, default_value_t = 3.0)]
    floor_secs: f64,
    /// Data directory to use and keep (reused on the next run when it holds a loadgen setup
    /// with the same algorithm); default: a temporary directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Serve from this PostgreSQL database instead of SQLite in the data directory: the setup
    /// is written there (the schema migrated if needed) and every instance gets it as
    /// INCOGNITO_DATABASE_URL. Never printed.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// With --database-url: the master_key of every instance (INCOGNITO_MASTER_KEY); default:
    /// the one kept in the data directory's saved setup, else 32 random characters (kept
    /// there for the next run).
    #[arg(long, requires = "database_url")]
    master_key: Option<String>,
    /// Server processes, each on its own loopback port and all with the first one's public
    /// URL; virtual user i talks to instance i % N. Above 1 needs --database-url.
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// The server binary (default: target/release/incognito next to this example).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Server starts to time (the median is reported).
    #[arg(long, default_value_t = 3)]
    starts: usize,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The server's log level during the run.
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Print the tables as Markdown.
    #[arg(long)]
    markdown: bool,
}

fn main() {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    }
    .expect("runtime");
    if let Err(e) = runtime.block_on(run(args)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

struct Floor {
    /// RS256 signatures/s (the reference, whatever the pool's algorithm).
    #[allow(dead_code)]
    rs256: f64,
    /// The pool algorithm's rate (same as rs256 for RS256 pools).
    pool_alg: f64,
    argon2: f64,
}

async fn run(args: Args) -> Result<(), String> {
    let kinds: Vec<Kind> = args
        .scenarios
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Kind::parse(s).ok_or_else(|| format!("unknown scenario {s:?}")))
        .collect::<Result<_, _>>()?;
    let alg = Alg::parse(&args.alg).ok_or("--alg: RS256, ES256 or EdDSA")?;
    if args.users == 0 || args.concurrency == 0 || args.instances == 0 {
        return Err("--users, --concurrency and --instances must be at least 1".into());
    }
    if args.instances > 1 && args.database_url.is_none() {
        return Err(
            "--instances above 1 needs --database-url (SQLite serves one instance only)".into(),
        );
    }
    if args.master_key.as_ref().is_some_and(|k| k.len() < 16) {
        return Err("--master-key: at least 16 characters".into());
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let binary = args
        .server_bin
        .clone()
        .unwrap_or_else(server::default_binary);

    println!("{}", machine(cores));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load1: f64 = load
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    if load1 > 0.5 {
        println!(
            "warning: load average {load1:.2} before the run; other work on this machine skews the figures"
        );
    }

    // Data directory and setup, through the library, before the server runs.
    let temp;
    let data_dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir().map_err(|e| e.to_string())?;
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
    let saved = setup::load(&data_dir);
    let database = args.database_url.clone().map(|url| setup::Database {
        url,
        master_key: args
            .master_key
            .clone()
            .or_else(|| saved.as_ref().and_then(|s| s.master_key.clone()))
            .unwrap_or_else(setup::new_master_key),
    });
    let backend = setup::backend_name(database.as_ref());
    let config = setup::config(&data_dir, alg.name(), database.as_ref());
    let store = setup::open(&config)?;
    if database.is_some() && !setup::master_key_opens(&store, &config).map_err(|e| e.to_string())? {
        return Err(
            "the database's secrets are sealed with another master key (an earlier run's): \
            pass that run's --data-dir (its loadgen-setup.json keeps the key) or --master-key, \
            or use an empty database"
                .into(),
        );
    }
    // A saved setup is reused when it is for this algorithm, backend and master key, and its
    // pool is in this database.
    let reusable = match saved {
        Some(s)
            if s.alg == alg.name()
                && s.backend == backend
                && s.master_key == database.as_ref().map(|d| d.master_key.clone()) =>
        {
            setup::pool_exists(&store, &s)
                .map_err(|e| e.to_string())?
                .then_some(s)
        }
        _ => None,
    };
    let mut s = match reusable {
        Some(s) => s,
        None => setup::create(&store, &config, alg.name(), database.as_ref())
            .map_err(|e| e.to_string())?,
    };
    let secs = setup::fill_users(&store, &mut s, args.users).map_err(|e| e.to_string())?;
    if kinds.contains(&Kind::SrpLogin) {
        setup::add_srp_verifiers(&store, &config, &s).map_err(|e| e.to_string())?;
    }
    setup::save(&data_dir, &s);
    println!(
        "pool {} ({}), {} users{}; data dir {}",
        s.pool_id,
        s.alg,
        s.users,
        if secs > 0.0 {
            format!(" (inserted in {secs:.1} s)")
        } else {
            String::new()
        },
        data_dir.display()
    );
    println!(
        "backend: {backend}, {} instance{}",
        args.instances,
        if args.instances == 1 { "" } else { "s" }
    );
    if database.is_some() && args.data_dir.is_none() && args.master_key.is_none() {
        println!(
            "note: this database's master key is kept only in the temporary data directory: \
             pass --data-dir to run on this database again"
        );
    }

    // The crypto floor, on all cores, just before the load.
    println!(
        "measuring the crypto floor on {cores} cores ({} s each)...",
        args.floor_secs
    );
    let rs256 = floor::signing_rate(Alg::RS256, cores, args.floor_secs);
    let pool_alg = if alg == Alg::RS256 {
        rs256
    } else {
        floor::signing_rate(alg, cores, args.floor_secs)
    };
    let hash = incognito::authn::password::hash(setup::PASSWORD);
    let argon2 = floor::hashing_rate(&hash, cores, args.floor_secs);
    let fl = Floor {
        rs256,
        pool_alg,
        argon2,
    };
    println!("  RS256 signatures/s: {rs256:.0}");
    if alg != Alg::RS256 {
        println!("  {} signatures/s: {pool_alg:.0}", alg.name());
    }
    println!("  Argon2id (m=19 MiB, t=2, p=1) hashes/s: {argon2:.1}");

    // Every instance has the first one's public URL, so the issuer is the same everywhere.
    let addrs = server::free_addrs(args.instances);
    let addr = addrs[0];
    let launch = Launch {
        binary,
        data_dir: data_dir.clone(),
        log_level: args.log_level.clone(),
        public_url: format!("http://{addr}"),
        database: database.clone(),
    };
    let issuer = format!("{}/{}", launch.public_url, s.pool_id);
    let tokens = setup::mint_access_tokens(&store, &config, &s, &issuer, s.users.min(2048))
        .map_err(|e| e.to_string())?;
    drop(store);

    // Start-up time of the first instance (median of several starts), then the others, and
    // idle RSS.
    let mut startups = Vec::new();
    let mut first = None;
    for i in 0..args.starts.max(1) {
        if let Some(old) = first.take() {
            Server::stop(old);
        }
        let started = Server::start(&launch, 0, addr).await?;
        startups.push(started.startup);
        if i + 1 == args.starts.max(1) {
            first = Some(started);
        } else {
            Server::stop(started);
        }
    }
    let first = first.expect("a running server");
    let first_pid = first.pid();
    let srv = Servers::with_first(first, Servers::start(&launch, &addrs, 1).await?);
    startups.sort();
    let startup = startups[startups.len() / 2];
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = srv.rss();
    let rss_idle_instance = srv.rss_largest();
    println!(
        "server pid {first_pid} on {addr}: ready in {:.1} ms (median of {}: {}), idle RSS {:.1} MB",
        ms(startup),
        startups.len(),
        startups
            .iter()
            .map(|d| format!("{:.1}", ms(*d)))
            .collect::<Vec<_>>()
            .join(", "),
        mb(srv.0[0].rss())
    );
    for (i, other) in srv.0.iter().enumerate().skip(1) {
        println!(
            "server {} pid {} on {}: ready in {:.1} ms, idle RSS {:.1} MB",
            i + 1,
            other.pid(),
            addrs[i],
            ms(other.startup),
            mb(other.rss())
        );
    }

    let target = Arc::new(Target::new(addrs.clone(), s.clone(), &tokens));
    let floors = Floors {
        alg,
        hash: &hash,
        cores,
    };
    let outcomes = run_scenarios(&config, &kinds, &target, &srv, &args, &floors).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = srv.rss();
    let rss_peak = srv.rss_peak();
    let rss_peak_instance = srv.rss_peak_largest();
    let logs = srv.logs();
    srv.stop();

    println!();
    println!("{}", table_title(backend, args.instances));
    print_table(&outcomes, args.markdown);
    println!();
    println!(
        "start-up to ready: {:.1} ms; RSS idle {:.1} MB, after the run {:.1} MB, peak (VmHWM) {:.1} MB{}",
        ms(startup),
        mb(rss_idle),
        mb(rss_after),
        mb(rss_peak),
        if args.instances > 1 {
            format!(
                " (sums over {} instances; the largest instance: idle {:.1} MB, peak {:.1} MB)",
                args.instances,
                mb(rss_idle_instance),
                mb(rss_peak_instance)
            )
        } else {
            String::new()
        }
    );

    // Scale with data: the same pool grown to N users, login and userinfo again.
    let mut scale = None;
    if let Some(n) = args.scale_to {
        let store = setup::open(&config)?;
        println!();
        println!("filling the pool to {n} users...");
        let secs = setup::fill_users(&store, &mut s, n).map_err(|e| e.to_string())?;
        setup::save(&data_dir, &s);
        let db_size = if database.is_some() {
            setup::postgres_size(&store).map_err(|e| e.to_string())?
        } else {
            std::fs::metadata(config.database_path())
                .map(|m| m.len())
                .unwrap_or(0)
        };
        println!(
            "  {} users (inserted in {secs:.1} s); database {:.0} MB",
            s.users,
            mb(db_size)
        );
        let tokens = setup::mint_access_tokens(&store, &config, &s, &issuer, 2048)
            .map_err(|e| e.to_string())?;
        drop(store);
        let srv = Servers::start(&launch, &addrs, 0).await?;
        let target = Arc::new(Target::new(addrs.clone(), s.clone(), &tokens));
        let big = run_scenarios(
            &config,
            &[Kind::Login, Kind::Userinfo],
            &target,
            &srv,
            &args,
            &floors,
        )
        .await;
        srv.stop();
        scale = Some((n, big));
    }
    if let Some((n, big)) = &scale {
        println!();
        println!("{}", table_title(backend, args.instances));
        print_scale(args.users, *n, &outcomes, big, args.markdown);
    }

    println!();
    print_targets(
        &outcomes,
        &fl,
        alg,
        args.concurrency,
        &Idle {
            startup,
            rss_largest: rss_idle_instance,
            instances: args.instances,
        },
        scale.as_ref().map(|(_, b)| b.as_slice()),
    );
    for log in logs {
        println!("server log: {}", log.display());
    }
    Ok(())
}

/// The line above a table: the backend and the number of instances (and what RSS and CPU
/// then are).
fn table_title(backend: &str, instances: usize) -> String {
    if instances == 1 {
        format!("{backend}, 1 instance:")
    } else {
        format!("{backend}, {instances} instances (server CPU and RSS: sums over the instances):")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn machine(cores: usize) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    format!(
        "machine: {model}, {cores} cores, {:.0} GiB RAM, Linux {}; commit {commit}",
        mem as f64 / (1024.0 * 1024.0),
        kernel.trim()
    )
}

/// What the crypto floor is measured with.
struct Floors<'a> {
    alg: Alg,
    hash: &'a str,
    cores: usize,
}

/// Runs `kinds` one after the other and prints each result. Before each, the floor it is
/// compared with is measured again (the server idle), so that a change in the machine's other
/// load between the two does not skew the ratio.
async fn run_scenarios(
    config: &incognito::config::Config,
    kinds: &[Kind],
    target: &Arc<Target>,
    srv: &Servers,
    args: &Args,
    floors: &Floors<'_>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut webhook = None;
    for &kind in kinds {
        if kind == Kind::RefreshPreToken {
            let url = webhook.get_or_insert_with(webhook::start);
            pre_token_webhook(config, &target.setup.pool_id, Some(url)).await;
        }
        if kind == Kind::LoginAdaptive {
            adaptive_sign_in(config, &target.setup.pool_id, true).await;
        }
        let floor = adjacent_floor(kind, floors.alg, floors.hash, floors.cores, args.floor_secs);
        let mut o = scenarios::run(
            kind,
            target.clone(),
            srv,
            args.concurrency,
            args.warmup,
            args.duration,
        )
        .await;
        o.floor = floor;
        println!("  {}", progress(&o));
        outcomes.push(o);
        if kind == Kind::RefreshPreToken {
            pre_token_webhook(config, &target.setup.pool_id, None).await;
        }
        if kind == Kind::LoginAdaptive {
            adaptive_sign_in(config, &target.setup.pool_id, false).await;
        }
    }
    outcomes
}

/// Points the pool's PreTokenGeneration at `url` (or removes it) through the library, then
/// waits for the running server's pool cache to notice (it checks every second).
async fn pre_token_webhook(config: &incognito::config::Config, pool_id: &str, url: Option<&str>) {
    let store = setup::open(config).expect("open the store");
    setup::set_pre_token_generation(&store, pool_id, url).expect("set PreTokenGeneration");
    drop(store);
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

/// Turns the pool's adaptive sign-in on (ENFORCED, NO_ACTION, no mail) or off, then waits
/// for the running server's pool cache to notice.
async fn adaptive_sign_in(config: &incognito::config::Config, pool_id: &str, on: bool) {
    let store = setup::open(config).expect("open the store");
    setup::set_adaptive_sign_in(&store, pool_id, on).expect("set AdvancedSecurityMode");
    drop(store);
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

/// The floor a scenario is compared with, measured just before it, and its name.
fn adjacent_floor(
    kind: Kind,
    alg: Alg,
    hash: &str,
    cores: usize,
    secs: f64,
) -> Option<(f64, String)> {
    match kind {
        Kind::ClientCredentials | Kind::Refresh | Kind::RefreshPreToken => Some((
            floor::signing_rate(alg, cores, secs),
            format!("{} sign", alg.name()),
        )),
        Kind::Login | Kind::LoginAdaptive => {
            Some((floor::hashing_rate(hash, cores, secs), "Argon2id".into()))
        }
        _ => None,
    }
}

fn progress(o: &Outcome) -> String {
    let mut line = format!(
        "{:<18} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  errors {}  server CPU {:.0}%  loadgen CPU {:.0}%  RSS {:.1} MB (max {:.1})",
        o.kind.name(),
        o.rps(),
        o.ms(0.5),
        o.ms(0.99),
        o.max_ms(),
        o.errors,
        o.server_cores * 100.0,
        o.loadgen_cores * 100.0,
        mb(o.rss_end),
        mb(o.rss_max)
    );
    if let Some(e) = &o.first_error {
        line.push_str(&format!("\n    first error: {e}"));
    }
    line
}

fn print_rows(header: &[&str], rows: &[Vec<String>], markdown: bool) {
    if markdown {
        println!("| {} |", header.join(" | "));
        println!(
            "|{}|",
            header
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---" } else { "---:" })
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in rows {
            println!("| {} |", r.join(" | "));
        }
        return;
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(header.to_vec()));
    for r in rows {
        println!("{}", line(r.iter().map(String::as_str).collect()));
    }
}

fn print_table(outcomes: &[Outcome], markdown: bool) {
    let header = [
        "scenario",
        "clients",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "floor",
        "ratio",
        "server CPU",
        "RSS end MB",
        "RSS max MB",
    ];
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            let (floor, ratio) = match &o.floor {
                Some((rate, name)) => (
                    format!("{name} {rate:.0}/s"),
                    format!("{:.0}%", 100.0 * o.rps() / rate),
                ),
                None => ("-".into(), "-".into()),
            };
            vec![
                o.kind.name().to_string(),
                o.concurrency.to_string(),
                format!("{:.0}", o.rps()),
                format!("{:.2}", o.ms(0.5)),
                format!("{:.2}", o.ms(0.99)),
                format!("{:.2}", o.max_ms()),
                o.errors.to_string(),
                floor,
                ratio,
                format!("{:.0}%", o.server_cores * 100.0),
                format!("{:.1}", mb(o.rss_end)),
                format!("{:.1}", mb(o.rss_max)),
            ]
        })
        .collect();
    print_rows(&header, &rows, markdown);
}

fn print_scale(small: usize, big_n: usize, base: &[Outcome], big: &[Outcome], markdown: bool) {
    let header = [
        "scenario",
        &format!("{small} users req/s"),
        &format!("{big_n} users req/s"),
        "change",
        &format!("p99 ms ({small})"),
        &format!("p99 ms ({big_n})"),
        "errors",
        &format!("RSS max MB ({big_n})"),
    ];
    let header: Vec<&str> = header.iter().map(|s| s.as_ref()).collect();
    let rows: Vec<Vec<String>> = big
        .iter()
        .map(|b| {
            let a = base.iter().find(|o| o.kind == b.kind);
            vec![
                b.kind.name().to_string(),
                a.map(|a| format!("{:.0}", a.rps()))
                    .unwrap_or_else(|| "-".into()),
                format!("{:.0}", b.rps()),
                a.map(|a| format!("{:+.1}%", 100.0 * (b.rps() / a.rps() - 1.0)))
                    .unwrap_or_else(|| "-".into()),
                a.map(|a| format!("{:.2}", a.ms(0.99)))
                    .unwrap_or_else(|| "-".into()),
                format!("{:.2}", b.ms(0.99)),
                b.errors.to_string(),
                format!("{:.1}", mb(b.rss_max)),
            ]
        })
        .collect();
    print_rows(&header, &rows, markdown);
}

/// What the per-instance targets are checked on.
struct Idle {
    /// The first instance's start-up to ready (median).
    startup: Duration,
    /// The largest instance's RSS, idle.
    rss_largest: u64,
    instances: usize,
}

fn print_targets(
    outcomes: &[Outcome],
    fl: &Floor,
    alg: Alg,
    concurrency: usize,
    idle: &Idle,
    big: Option<&[Outcome]>,
) {
    let Idle {
        startup,
        rss_largest: rss_idle_instance,
        instances,
    } = *idle;
    println!("targets (issue #7):");
    let mark = |ok: bool| if ok { "met   " } else { "MISSED" };
    let get = |k: Kind| outcomes.iter().find(|o| o.kind == k);
    if let Some(o) = get(Kind::ClientCredentials) {
        let ratio = o.rps() / o.floor.as_ref().map_or(fl.pool_alg, |f| f.0);
        if alg == Alg::RS256 {
            println!(
                "  {} client_credentials >= 60% of RS256 signing: {:.0}%",
                mark(ratio >= 0.6),
                ratio * 100.0
            );
        } else {
            println!(
                "  {} client_credentials >= 20,000 req/s with {}: {:.0} ({:.0}% of signing)",
                mark(o.rps() >= 20_000.0),
                alg.name(),
                o.rps(),
                ratio * 100.0
            );
        }
    }
    if let Some(o) = get(Kind::Refresh) {
        let ratio = o.rps() / o.floor.as_ref().map_or(fl.pool_alg, |f| f.0);
        println!(
            "  {} refresh >= 40% of {} signing: {:.0}%",
            mark(ratio >= 0.4),
            alg.name(),
            ratio * 100.0
        );
    }
    // A scenario against its plain twin (the same work plus one feature).
    let versus = |plain: Kind, with: Kind, at_least: f64| {
        if let (Some(p), Some(o)) = (get(plain), get(with)) {
            let ratio = o.rps() / p.rps();
            println!(
                "  {} {} >= {:.0}% of {}: {:.0}%",
                mark(ratio >= at_least),
                with.name(),
                at_least * 100.0,
                plain.name(),
                ratio * 100.0
            );
        }
    };
    versus(Kind::Refresh, Kind::RefreshPreToken, 0.7);
    if let Some(o) = get(Kind::Login) {
        let ratio = o.rps() / o.floor.as_ref().map_or(fl.argon2, |f| f.0);
        println!(
            "  {} login >= 80% of Argon2id hashing: {:.0}%",
            mark(ratio >= 0.8),
            ratio * 100.0
        );
    }
    versus(Kind::Login, Kind::LoginAdaptive, 0.95);
    for k in [Kind::Discovery, Kind::Jwks] {
        if let Some(o) = get(k) {
            println!(
                "  {} {} >= 50,000 req/s: {:.0}",
                mark(o.rps() >= 50_000.0),
                k.name(),
                o.rps()
            );
        }
    }
    if let Some(o) = get(Kind::Userinfo) {
        println!(
            "  {} userinfo >= 20,000 req/s: {:.0}",
            mark(o.rps() >= 20_000.0),
            o.rps()
        );
    }
    // Sign-ins are bounded by their password work (Argon2, or SRP's 3072-bit exponentiations).
    for o in outcomes
        .iter()
        .filter(|o| !matches!(o.kind, Kind::Login | Kind::LoginAdaptive | Kind::SrpLogin))
    {
        println!(
            "  {} {} p99 <= 10 ms at {concurrency} clients: {:.2} ms",
            mark(o.ms(0.99) <= 10.0),
            o.kind.name(),
            o.ms(0.99)
        );
    }
    for o in outcomes {
        if o.errors > 0 {
            println!("  MISSED {} without errors: {}", o.kind.name(), o.errors);
        }
    }
    // RSS and start-up are per instance: the largest one, the first one's start-up.
    let largest = if instances > 1 {
        " (largest instance)"
    } else {
        ""
    };
    println!(
        "  {} RSS idle <= 30 MB{largest}: {:.1} MB",
        mark(mb(rss_idle_instance) <= 30.0),
        mb(rss_idle_instance)
    );
    let max = outcomes
        .iter()
        .chain(big.unwrap_or_default())
        .map(|o| o.rss_max_instance)
        .max()
        .unwrap_or(0);
    println!(
        "  {} RSS <= 100 MB under every scenario{largest}: {:.1} MB",
        mark(mb(max) <= 100.0),
        mb(max)
    );
    println!(
        "  {} start-up to ready <= 200 ms: {:.1} ms",
        mark(ms(startup) <= 200.0),
        ms(startup)
    );
    if let Some(big) = big {
        for b in big {
            if let Some(a) = get(b.kind) {
                let change = b.rps() / a.rps() - 1.0;
                println!(
                    "  {} {} with many users within 15% of the small pool: {:+.1}%",
                    mark(change >= -0.15),
                    b.kind.name(),
                    change * 100.0
                );
            }
        }
    }
}
