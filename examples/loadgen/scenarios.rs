//! The scenarios: N virtual users, each with its own keep-alive connection, in a closed loop
//! for a warm-up and then a measured window. With several server instances, virtual user `i`
//! talks to instance `i % instances`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};

use super::http::{self, Conn, Jar};
use super::server::{self, Servers};
use super::setup::{self, Setup};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Discovery,
    Jwks,
    ClientCredentials,
    Userinfo,
    Refresh,
    /// `refresh` against a pool whose PreTokenGeneration is a no-op webhook (`webhook.rs`).
    RefreshPreToken,
    Login,
    /// `login` on the pool with adaptive sign-in ENFORCED, every level NO_ACTION without a
    /// notification: each sign-in is scored and recorded, nothing blocks.
    LoginAdaptive,
    SrpLogin,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "discovery" => Kind::Discovery,
            "jwks" => Kind::Jwks,
            "client_credentials" => Kind::ClientCredentials,
            "userinfo" => Kind::Userinfo,
            "refresh" => Kind::Refresh,
            "refresh_pre_token" => Kind::RefreshPreToken,
            "login" => Kind::Login,
            "login_adaptive" => Kind::LoginAdaptive,
            "srp_login" => Kind::SrpLogin,
            _ => return None,
        })
    }

    pub fn is_refresh(self) -> bool {
        matches!(self, Kind::Refresh | Kind::RefreshPreToken)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Discovery => "discovery",
            Kind::Jwks => "jwks",
            Kind::ClientCredentials => "client_credentials",
            Kind::Userinfo => "userinfo",
            Kind::Refresh => "refresh",
            Kind::RefreshPreToken => "refresh_pre_token",
            Kind::Login => "login",
            Kind::LoginAdaptive => "login_adaptive",
            Kind::SrpLogin => "srp_login",
        }
    }
}

/// Everything a virtual user needs to talk to the servers.
pub struct Target {
    /// The instances' addresses; virtual user `i` connects to `addrs[i % len]`.
    pub addrs: Vec<SocketAddr>,
    /// The `Host` header of every request: the public URL's (the first instance's address),
    /// as a load balancer in front of the instances would pass it.
    pub host: String,
    pub setup: Setup,
    /// Prepared userinfo requests, one per minted access token.
    pub userinfo_requests: Vec<Vec<u8>>,
}

impl Target {
    pub fn new(addrs: Vec<SocketAddr>, setup: Setup, access_tokens: &[String]) -> Target {
        let host = addrs[0].to_string();
        let path = format!("/{}/oauth2/userInfo", setup.pool_id);
        let userinfo_requests = access_tokens
            .iter()
            .map(|t| http::get(&host, &path, &format!("Authorization: Bearer {t}\r\n")))
            .collect();
        Target {
            addrs,
            host,
            setup,
            userinfo_requests,
        }
    }

    /// The instance virtual user `vu` talks to.
    pub fn addr(&self, vu: usize) -> SocketAddr {
        self.addrs[vu % self.addrs.len()]
    }

    fn path(&self, rest: &str) -> String {
        format!("/{}{rest}", self.setup.pool_id)
    }
}

pub struct Outcome {
    pub kind: Kind,
    pub concurrency: usize,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub secs: f64,
    pub hist: Histogram<u64>,
    /// Server RSS at the end of the window and its maximum, summed over the instances.
    pub rss_end: u64,
    pub rss_max: u64,
    /// The largest single instance's RSS during the window.
    pub rss_max_instance: u64,
    /// Server CPU time (summed over the instances) over the window / window length (2.0 = two cores busy).
    pub server_cores: f64,
    /// The load generator's own CPU, same unit.
    pub loadgen_cores: f64,
    /// The crypto floor measured just before this scenario (operations/s) and its name.
    pub floor: Option<(f64, String)>,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.secs
    }
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }
    pub fn max_ms(&self) -> f64 {
        self.hist.max() as f64 / 1000.0
    }
}

struct Window {
    measure_from: Instant,
    end: Instant,
}

#[derive(Default)]
struct VuResult {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds")
}

/// Runs one scenario: `concurrency` virtual users for `warmup` + `duration` seconds, spread
/// round-robin over the instances.
pub async fn run(
    kind: Kind,
    target: Arc<Target>,
    srv: &Servers,
    concurrency: usize,
    warmup: f64,
    duration: f64,
) -> Outcome {
    // Per-user state prepared before the clock starts (refresh: a chain each, by signing in).
    let mut chains: Vec<Option<String>> = vec![None; concurrency];
    if kind.is_refresh() {
        let prepared = futures_join(
            (0..concurrency)
                .map(|vu| {
                    let target = target.clone();
                    async move {
                        let mut conn = Conn::new(target.addr(vu));
                        let mut jar = Jar::default();
                        let user = vu % target.setup.users;
                        login_flow(&target, &mut conn, &mut jar, user)
                            .await
                            .map(|t| t.refresh_token)
                    }
                })
                .collect(),
        )
        .await;
        for (vu, r) in prepared.into_iter().enumerate() {
            match r {
                Ok(Some(rt)) => chains[vu] = Some(rt),
                Ok(None) => panic!("refresh setup: no refresh token in the token response"),
                Err(e) => panic!("refresh setup: sign-in failed: {e}"),
            }
        }
    }

    let started = Instant::now();
    let window = Arc::new(Window {
        measure_from: started + Duration::from_secs_f64(warmup),
        end: started + Duration::from_secs_f64(warmup + duration),
    });
    let rss_max = Arc::new(AtomicU64::new(srv.rss()));
    let rss_max_instance = Arc::new(AtomicU64::new(srv.rss_largest()));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (rss_max, rss_max_instance, sampling) =
            (rss_max.clone(), rss_max_instance.clone(), sampling.clone());
        let pids = srv.pids();
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                let each: Vec<u64> = pids.iter().map(|&pid| rss_of(pid)).collect();
                rss_max.fetch_max(each.iter().sum(), Ordering::Relaxed);
                rss_max_instance.fetch_max(each.into_iter().max().unwrap_or(0), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let cpu_probe = {
        let measure_from = window.measure_from;
        let pids = srv.pids();
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            (
                Instant::now(),
                pids.iter()
                    .map(|pid| server::cpu_time(&format!("/proc/{pid}/stat")))
                    .sum::<Duration>(),
                server::cpu_time("/proc/self/stat"),
            )
        })
    };

    let handles: Vec<_> = (0..concurrency)
        .map(|vu| {
            let target = target.clone();
            let window = window.clone();
            let chain = chains[vu].take();
            tokio::spawn(async move {
                let mut hist = histogram();
                let res = vu_loop(kind, vu, concurrency, &target, &window, &mut hist, chain).await;
                (res, hist)
            })
        })
        .collect();
    let mut hist = histogram();
    let mut total = VuResult::default();
    for h in handles {
        let (r, h) = h.await.expect("virtual user task");
        hist.add(h).expect("histogram merge");
        total.ok += r.ok;
        total.errors += r.errors;
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
    }
    let (t0, server_cpu0, self_cpu0) = cpu_probe.await.expect("cpu probe");
    let elapsed = t0.elapsed().as_secs_f64();
    let server_cores = (srv.cpu().saturating_sub(server_cpu0)).as_secs_f64() / elapsed;
    let loadgen_cores =
        (server::cpu_time("/proc/self/stat").saturating_sub(self_cpu0)).as_secs_f64() / elapsed;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let rss_end = srv.rss();
    rss_max.fetch_max(rss_end, Ordering::Relaxed);
    rss_max_instance.fetch_max(srv.rss_largest(), Ordering::Relaxed);
    Outcome {
        kind,
        concurrency,
        ok: total.ok,
        errors: total.errors,
        first_error: total.first_error,
        secs: (window.end - window.measure_from).as_secs_f64(),
        hist,
        rss_end,
        rss_max: rss_max.load(Ordering::Relaxed),
        rss_max_instance: rss_max_instance.load(Ordering::Relaxed),
        server_cores,
        loadgen_cores,
        floor: None,
    }
}

fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

async fn futures_join<T: Send + 'static>(
    futs: Vec<impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

async fn vu_loop(
    kind: Kind,
    vu: usize,
    concurrency: usize,
    target: &Target,
    window: &Window,
    hist: &mut Histogram<u64>,
    mut chain: Option<String>,
) -> VuResult {
    let mut res = VuResult::default();
    let mut conn = Conn::new(target.addr(vu));
    let mut jar = Jar::default();
    let host = &target.host;
    let s = &target.setup;
    let fixed = match kind {
        Kind::Discovery => http::get(host, &target.path("/.well-known/openid-configuration"), ""),
        Kind::Jwks => http::get(host, &target.path("/.well-known/jwks.json"), ""),
        Kind::ClientCredentials => {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", s.cc_client_id, s.cc_secret));
            http::post_form(
                host,
                &target.path("/oauth2/token"),
                &format!("Authorization: Basic {basic}\r\n"),
                &http::form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", setup::RESOURCE_SCOPE),
                ]),
            )
        }
        _ => Vec::new(),
    };
    let token_path = target.path("/oauth2/token");
    let mut next_token = vu;
    let mut rng = rand::rngs::StdRng::from_entropy();
    loop {
        let t0 = Instant::now();
        if t0 >= window.end {
            break;
        }
        let outcome: Result<(), String> = match kind {
            Kind::Discovery | Kind::Jwks | Kind::ClientCredentials => {
                match conn.send(&fixed).await {
                    Ok(r) if r.status == 200 => Ok(()),
                    Ok(r) => Err(format!("status {}: {}", r.status, r.text())),
                    Err(e) => Err(e.to_string()),
                }
            }
            Kind::Userinfo => {
                let req = &target.userinfo_requests[next_token % target.userinfo_requests.len()];
                next_token += concurrency;
                match conn.send(req).await {
                    Ok(r) if r.status == 200 => Ok(()),
                    Ok(r) => Err(format!("status {}: {}", r.status, r.text())),
                    Err(e) => Err(e.to_string()),
                }
            }
            Kind::Refresh | Kind::RefreshPreToken => match chain.take() {
                None => {
                    // A broken chain starts again with a sign-in (counted as an error).
                    let user = vu % s.users;
                    jar.clear();
                    match login_flow(target, &mut conn, &mut jar, user).await {
                        Ok(t) => {
                            chain = t.refresh_token;
                            Err("refresh chain broken: signed in again".into())
                        }
                        Err(e) => Err(format!("refresh chain broken, sign-in failed: {e}")),
                    }
                }
                Some(rt) => {
                    let req = http::post_form(
                        host,
                        &token_path,
                        "",
                        &http::form(&[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", &rt),
                            ("client_id", &s.code_client_id),
                        ]),
                    );
                    match conn.send(&req).await {
                        Ok(r) if r.status == 200 => match parse_tokens(&r.body) {
                            Some(t) if t.refresh_token.is_some() => {
                                chain = t.refresh_token;
                                Ok(())
                            }
                            _ => Err("no rotated refresh token in the response".into()),
                        },
                        Ok(r) => Err(format!("status {}: {}", r.status, r.text())),
                        Err(e) => Err(e.to_string()),
                    }
                }
            },
            Kind::SrpLogin => {
                let user = rng.gen_range(0..s.users.min(setup::SRP_USERS));
                srp_flow(target, &mut conn, user).await
            }
            Kind::Login | Kind::LoginAdaptive => {
                jar.clear();
                let user = rng.gen_range(0..s.users);
                login_flow(target, &mut conn, &mut jar, user)
                    .await
                    .map(|_| ())
            }
        };
        let took = t0.elapsed();
        if t0 >= window.measure_from {
            match outcome {
                Ok(()) => {
                    res.ok += 1;
                    hist.saturating_record(took.as_micros().max(1) as u64);
                }
                Err(e) => {
                    res.errors += 1;
                    if res.first_error.is_none() {
                        res.first_error = Some(e);
                    }
                }
            }
        }
    }
    res
}

/// A Cognito API sign-in with SRP (USER_SRP_AUTH), as amazon-cognito-identity-js does it:
/// InitiateAuth with A, then RespondToAuthChallenge with the password claim signature.
/// The client's big-number work runs here too (it costs about as much as the server's).
async fn srp_flow(target: &Target, conn: &mut Conn, user: usize) -> Result<(), String> {
    use incognito::authn::srp;
    let s = &target.setup;
    let a = {
        let mut bytes = [0u8; 128];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        num_bigint::BigUint::from_bytes_be(&bytes)
    };
    let a_pub = srp::public_a(&a);
    let call = |action: &str, body: &serde_json::Value| {
        let body = body.to_string();
        format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: AWSCognitoIdentityProviderService.{action}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            target.host,
            body.len()
        )
        .into_bytes()
    };
    let init = call(
        "InitiateAuth",
        &serde_json::json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": s.code_client_id,
            "AuthParameters": {"USERNAME": setup::email(user), "SRP_A": srp::to_hex(&a_pub)}}),
    );
    let r = conn.send(&init).await.map_err(|e| e.to_string())?;
    if r.status != 200 {
        return Err(format!("InitiateAuth: status {}: {}", r.status, r.text()));
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body).map_err(|e| e.to_string())?;
    let p = &v["ChallengeParameters"];
    let field = |k: &str| {
        p[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no {k}"))
    };
    let (b_hex, salt_hex, user_id, block_b64) = (
        field("SRP_B")?,
        field("SALT")?,
        field("USER_ID_FOR_SRP")?,
        field("SECRET_BLOCK")?,
    );
    let b_pub = srp::from_hex(&b_hex).ok_or("bad SRP_B")?;
    let salt = srp::pad(&srp::from_hex(&salt_hex).ok_or("bad SALT")?);
    let pool_name = srp::pool_name(&s.pool_id);
    let x = srp::private_x(pool_name, &user_id, setup::PASSWORD, &salt);
    let key = srp::client_key(&a, &a_pub, &b_pub, &x).map_err(|e| format!("{e:?}"))?;
    let block = base64::engine::general_purpose::STANDARD
        .decode(&block_b64)
        .map_err(|e| e.to_string())?;
    let ts = srp::format_timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    );
    let sig = base64::engine::general_purpose::STANDARD
        .encode(srp::signature(&key, pool_name, &user_id, &block, &ts));
    let answer = call(
        "RespondToAuthChallenge",
        &serde_json::json!({"ChallengeName": "PASSWORD_VERIFIER", "ClientId": s.code_client_id, "Session": v["Session"],
            "ChallengeResponses": {"USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": block_b64,
                "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}}),
    );
    let r = conn.send(&answer).await.map_err(|e| e.to_string())?;
    let ok = r.status == 200 && r.text().contains("AccessToken");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "RespondToAuthChallenge: status {}: {}",
            r.status,
            r.text()
        ))
    }
}

pub struct Tokens {
    pub refresh_token: Option<String>,
}

fn parse_tokens(body: &[u8]) -> Option<Tokens> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("access_token")?.as_str()?;
    Some(Tokens {
        refresh_token: v
            .get("refresh_token")
            .and_then(|t| t.as_str())
            .map(String::from),
    })
}

fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// The browser round trip of one sign-in, over one keep-alive connection with a cookie jar:
/// authorize (PKCE S256) → login page (CSRF token) → POST credentials → redirect with the
/// code → token exchange.
pub async fn login_flow(
    target: &Target,
    conn: &mut Conn,
    jar: &mut Jar,
    user: usize,
) -> Result<Tokens, String> {
    let s = &target.setup;
    let host = &target.host;
    let verifier = incognito::random::token(32);
    let challenge = incognito::oidc::pkce::s256(&verifier);
    let state = incognito::random::token(12);
    let query = http::form(&[
        ("client_id", s.code_client_id.as_str()),
        ("redirect_uri", setup::REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "openid email profile offline_access"),
        ("state", &state),
        ("nonce", &state),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let send = |r: Result<http::Response, http::HttpError>, step: &str| {
        r.map_err(|e| format!("{step}: {e}"))
    };
    // 1. authorize → 302 to the login page
    let r = send(
        conn.send(&http::get(
            host,
            &format!("{}?{query}", target.path("/oauth2/authorize")),
            &jar.header(),
        ))
        .await,
        "authorize",
    )?;
    jar.store(&r.set_cookies);
    let login = match (r.status, r.location) {
        (302, Some(l)) => l,
        (st, _) => return Err(format!("authorize: status {st}")),
    };
    // 2. the login page and its CSRF token
    let r = send(
        conn.send(&http::get(host, &login, &jar.header())).await,
        "login page",
    )?;
    jar.store(&r.set_cookies);
    if r.status != 200 {
        return Err(format!("login page: status {}", r.status));
    }
    let csrf = hidden_field(r.text(), "csrf_token").ok_or("login page: no csrf_token")?;
    // 3. POST the credentials → 303 to the client with the code
    let email = setup::email(user);
    let body = http::form(&[
        ("csrf_token", csrf.as_str()),
        ("username", email.as_str()),
        ("password", setup::PASSWORD),
    ]);
    let r = send(
        conn.send(&http::post_form(host, &login, &jar.header(), &body))
            .await,
        "login POST",
    )?;
    jar.store(&r.set_cookies);
    let location = match (r.status, r.location) {
        (303, Some(l)) if l.starts_with(setup::REDIRECT_URI) => l,
        (st, l) => return Err(format!("login POST: status {st}, location {l:?}")),
    };
    let url = url::Url::parse(&location).map_err(|e| format!("redirect: {e}"))?;
    let mut code = None;
    let mut returned_state = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => returned_state = Some(v.into_owned()),
            _ => {}
        }
    }
    let code = code.ok_or("redirect without a code")?;
    if returned_state.as_deref() != Some(state.as_str()) {
        return Err("redirect: state mismatch".into());
    }
    // 4. token exchange (public client, PKCE verifier)
    let body = http::form(&[
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", setup::REDIRECT_URI),
        ("client_id", s.code_client_id.as_str()),
        ("code_verifier", verifier.as_str()),
    ]);
    let r = send(
        conn.send(&http::post_form(
            host,
            &target.path("/oauth2/token"),
            "",
            &body,
        ))
        .await,
        "token",
    )?;
    if r.status != 200 {
        return Err(format!("token: status {}: {}", r.status, r.text()));
    }
    parse_tokens(&r.body).ok_or_else(|| "token: no tokens in the response".into())
}
