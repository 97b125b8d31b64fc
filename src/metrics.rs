//! The Prometheus registry: every metric the server exposes at `/metrics`, and one named
//! function per event that the rest of the code calls with one line.
//!
//! Process-wide on purpose (an exception to "no globals"): a metric counts what this process
//! did, whichever `AppState` did it, and the core functions that count (a lock-out, a refresh
//! reuse, a database transaction) have no state to carry a registry in. Counting is a few
//! atomic operations; `metrics = false` turns even those off (`set_enabled`).
//! docs/operations.md lists every metric.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::authn::flow::LoginError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    /// The route template (`/{pool_id}/oauth2/token`), never the raw path.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    door: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TriggerLabels {
    trigger: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TriggerOutcomeLabels {
    trigger: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    provider_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamOutcomeLabels {
    provider_type: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MauLabels {
    /// One series per pool and kind: pools are few, unlike raw paths.
    pool_id: String,
    /// `local` or `federated` (Cognito prices the two differently).
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// 1 ms .. ~16 s: HTTP requests, trigger calls.
fn request_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

/// 50 µs .. ~1.6 s: database transactions and waits for the writer's turn.
fn db_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.000_05, 2.0, 16,
    ))
}

struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: HistogramFamily<RouteLabels>,
    sign_ins: Family<SignInLabels, Counter>,
    lockouts: Counter,
    tokens_issued: Family<GrantLabels, Counter>,
    refresh_reuse: Counter,
    trigger_calls: Family<TriggerOutcomeLabels, Counter>,
    trigger_duration: HistogramFamily<TriggerLabels>,
    upstream_calls: Family<UpstreamOutcomeLabels, Counter>,
    upstream_duration: HistogramFamily<UpstreamLabels>,
    mail_queue: Gauge,
    mail_sent: Counter,
    mail_failures: Counter,
    db_transactions: HistogramFamily<KindLabels>,
    db_writer_wait: Histogram,
    request_pool_queue: Gauge,
    argon2_queue: Gauge,
    resident_memory: Gauge,
    open_connections: Gauge<i64, AtomicI64>,
    monthly_active_users: Family<MauLabels, Gauge>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
static ENABLED: AtomicBool = AtomicBool::new(true);

impl Metrics {
    fn new() -> Metrics {
        let m = Metrics {
            registry: Registry::default(),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(request_buckets),
            sign_ins: Family::default(),
            lockouts: Counter::default(),
            tokens_issued: Family::default(),
            refresh_reuse: Counter::default(),
            trigger_calls: Family::default(),
            trigger_duration: Family::new_with_constructor(request_buckets),
            upstream_calls: Family::default(),
            upstream_duration: Family::new_with_constructor(request_buckets),
            mail_queue: Gauge::default(),
            mail_sent: Counter::default(),
            mail_failures: Counter::default(),
            db_transactions: Family::new_with_constructor(db_buckets),
            db_writer_wait: db_buckets(),
            request_pool_queue: Gauge::default(),
            argon2_queue: Gauge::default(),
            resident_memory: Gauge::default(),
            open_connections: Gauge::default(),
            monthly_active_users: Family::default(),
        };
        let mut registry = Registry::with_prefix("incognito");
        let r = &mut registry;
        r.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            m.http_requests.clone(),
        );
        r.register_with_unit(
            "http_request_duration",
            "HTTP request latency by method and route template",
            Unit::Seconds,
            m.http_duration.clone(),
        );
        r.register(
            "sign_ins",
            "Password sign-in attempts by door and outcome",
            m.sign_ins.clone(),
        );
        r.register(
            "lockouts",
            "Sign-in failures that locked a login name out",
            m.lockouts.clone(),
        );
        r.register(
            "tokens_issued",
            "Token responses by grant",
            m.tokens_issued.clone(),
        );
        r.register(
            "refresh_token_reuse",
            "Rotated-out refresh tokens presented again (family revoked)",
            m.refresh_reuse.clone(),
        );
        r.register(
            "trigger_calls",
            "Lambda trigger calls by trigger and outcome",
            m.trigger_calls.clone(),
        );
        r.register_with_unit(
            "trigger_call_duration",
            "Lambda trigger call latency, retries included",
            Unit::Seconds,
            m.trigger_duration.clone(),
        );
        r.register(
            "upstream_idp_calls",
            "Identity-provider exchanges (code, ID token, attributes) by provider type and outcome",
            m.upstream_calls.clone(),
        );
        r.register_with_unit(
            "upstream_idp_call_duration",
            "Identity-provider exchange latency",
            Unit::Seconds,
            m.upstream_duration.clone(),
        );
        r.register(
            "mail_queue_depth",
            "Messages waiting in the outbox",
            m.mail_queue.clone(),
        );
        r.register("mail_sent", "Messages delivered", m.mail_sent.clone());
        r.register(
            "monthly_active_users",
            "Distinct users who signed in or refreshed tokens this month (UTC), per pool; \
             refreshed by the housekeeping job every 10 minutes",
            m.monthly_active_users.clone(),
        );
        r.register(
            "mail_delivery_failures",
            "Failed delivery attempts (each is retried later)",
            m.mail_failures.clone(),
        );
        r.register_with_unit(
            "db_transaction_duration",
            "Database work by kind (read, write), waiting for the writer excluded",
            Unit::Seconds,
            m.db_transactions.clone(),
        );
        r.register_with_unit(
            "db_writer_wait",
            "Time a write waited for the writer's turn",
            Unit::Seconds,
            m.db_writer_wait.clone(),
        );
        r.register(
            "request_pool_queue_length",
            "Jobs waiting for a request-pool thread (token endpoints, Cognito store work)",
            m.request_pool_queue.clone(),
        );
        r.register(
            "argon2_queue_length",
            "Password hashes waiting for their turn at the Argon2 gate",
            m.argon2_queue.clone(),
        );
        r.register(
            "open_connections",
            "Client connections open now",
            m.open_connections.clone(),
        );
        let process = registry.sub_registry_with_prefix("process");
        process.register_with_unit(
            "resident_memory",
            "Resident set size of this process",
            Unit::Bytes,
            m.resident_memory.clone(),
        );
        Metrics { registry, ..m }
    }
}

/// Turns counting on or off for the whole process (`metrics = false`: the load generator's
/// baseline).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn metrics() -> Option<&'static Metrics> {
    enabled().then(|| &*METRICS)
}

/// Now, when counting is on: the start of something `*_since` will time.
pub fn start() -> Option<Instant> {
    enabled().then(Instant::now)
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// One answered HTTP request; `route` is the matched template or `"unmatched"`.
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let Some(m) = metrics() else { return };
    m.http_requests
        .get_or_create(&HttpLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        })
        .inc();
    m.http_duration
        .get_or_create(&RouteLabels {
            method: method.to_string(),
            route: route.to_string(),
        })
        .observe(seconds(elapsed));
}

/// A password sign-in attempt at `door` (`hosted_ui`, `cognito`, `cognito_srp`).
pub fn sign_in(door: &'static str, outcome: &'static str) {
    if let Some(m) = metrics() {
        m.sign_ins
            .get_or_create(&SignInLabels { door, outcome })
            .inc();
    }
}

/// `sign_in` with the outcome read from the core's answer.
pub fn sign_in_result<T, E: std::borrow::Borrow<LoginError>>(
    door: &'static str,
    result: &Result<T, E>,
) {
    let outcome = match result.as_ref().map_err(|e| e.borrow()) {
        Ok(_) => "success",
        Err(LoginError::InvalidCredentials | LoginError::UnknownUser) => "failure",
        Err(LoginError::Trigger(_)) => "trigger_refused",
        Err(LoginError::RiskBlocked) => "risk_blocked",
        Err(LoginError::Throttled(_)) => "locked_out",
        Err(LoginError::NotConfirmed) => "unconfirmed",
        Err(LoginError::NewPasswordRequired(_)) => "new_password_required",
        Err(LoginError::ResetRequired) => "reset_required",
        Err(LoginError::Internal(_)) => "error",
    };
    sign_in(door, outcome);
}

/// A failure that locked a login name out.
pub fn lockout() {
    if let Some(m) = metrics() {
        m.lockouts.inc();
    }
}

/// A token response for `grant` (`authorization_code`, `refresh_token`,
/// `client_credentials`, `cognito_password`, `cognito_srp`, `cognito_refresh`, ...).
pub fn token_issued(grant: &'static str) {
    if let Some(m) = metrics() {
        m.tokens_issued.get_or_create(&GrantLabels { grant }).inc();
    }
}

/// A rotated-out refresh token presented again.
pub fn refresh_reuse() {
    if let Some(m) = metrics() {
        m.refresh_reuse.inc();
    }
}

/// One trigger invocation (retries included) and how it ended.
pub fn trigger_call(trigger: &'static str, outcome: &'static str, elapsed: Duration) {
    let Some(m) = metrics() else { return };
    m.trigger_calls
        .get_or_create(&TriggerOutcomeLabels { trigger, outcome })
        .inc();
    m.trigger_duration
        .get_or_create(&TriggerLabels { trigger })
        .observe(seconds(elapsed));
}

/// One upstream identity-provider exchange (the callback's code → identity) and its outcome.
pub fn upstream_idp_call(provider_type: &'static str, outcome: &'static str, elapsed: Duration) {
    let Some(m) = metrics() else { return };
    m.upstream_calls
        .get_or_create(&UpstreamOutcomeLabels {
            provider_type,
            outcome,
        })
        .inc();
    m.upstream_duration
        .get_or_create(&UpstreamLabels { provider_type })
        .observe(seconds(elapsed));
}

pub fn mail_sent() {
    if let Some(m) = metrics() {
        m.mail_sent.inc();
    }
}

pub fn mail_delivery_failed() {
    if let Some(m) = metrics() {
        m.mail_failures.inc();
    }
}

/// A database read or write transaction that began at `began` (`start()`).
pub fn db_transaction(kind: &'static str, began: Option<Instant>) {
    if let (Some(m), Some(began)) = (metrics(), began) {
        m.db_transactions
            .get_or_create(&KindLabels { kind })
            .observe(seconds(began.elapsed()));
    }
}

/// A write that waited from `began` for the writer's turn.
pub fn db_writer_wait(began: Option<Instant>) {
    if let (Some(m), Some(began)) = (metrics(), began) {
        m.db_writer_wait.observe(seconds(began.elapsed()));
    }
}

/// A client connection opened; the connection closes when the returned guard drops.
pub fn connection_opened() -> ConnectionGuard {
    METRICS.open_connections.inc();
    ConnectionGuard
}

pub struct ConnectionGuard;

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        METRICS.open_connections.dec();
    }
}

/// The monthly-active-users gauges: (pool id, local, federated) per pool.
pub fn set_monthly_active_users(counts: &[(String, i64, i64)]) {
    // No clearing: a deleted pool's series stays until the restart (tests run several
    // servers in one process, each setting its own pools).
    let family = &METRICS.monthly_active_users;
    for (pool_id, local, federated) in counts {
        for (kind, n) in [("local", local), ("federated", federated)] {
            family
                .get_or_create(&MauLabels {
                    pool_id: pool_id.clone(),
                    kind,
                })
                .set(*n);
        }
    }
}

/// Gauges read when scraped (they cost nothing between scrapes).
pub struct Snapshot {
    pub mail_queue: i64,
    pub request_pool_queue: i64,
    pub argon2_queue: i64,
}

/// The exposition text (OpenMetrics) with the gauges of `snapshot` and the process's RSS.
pub fn render(snapshot: &Snapshot) -> String {
    let m = &*METRICS;
    m.mail_queue.set(snapshot.mail_queue);
    m.request_pool_queue.set(snapshot.request_pool_queue);
    m.argon2_queue.set(snapshot.argon2_queue);
    if let Some(rss) = resident_memory_bytes() {
        m.resident_memory.set(rss);
    }
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &m.registry)
        .expect("writing to a String cannot fail");
    out
}

/// The content type of `render`'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// VmRSS from /proc (Linux); None elsewhere.
fn resident_memory_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
