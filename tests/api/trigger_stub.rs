//! A stub trigger target for the trigger tests: a std `TcpListener` on loopback that records
//! every request and answers as each test says, and the helpers that point a pool at it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, spawn_app_with};

pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn event(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the event is JSON")
    }
}

/// What the stub answers: status, extra headers, body, and a delay before answering.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, &'static str)>,
    pub(crate) body: String,
    pub(crate) delay: Duration,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    /// The event sent back with `response` set.
    pub(crate) fn answer(request: &Recorded, response: Value) -> Reply {
        let mut event = request.event();
        event["response"] = response;
        Reply::json(200, event)
    }
}

pub(crate) type Handler = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

pub(crate) struct Stub {
    pub(crate) url: String,
    pub(crate) seen: Arc<Mutex<Vec<Recorded>>>,
}

impl Stub {
    /// Answers the n-th request (from 0) with `handler(n, request)`.
    pub(crate) fn start(
        handler: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let (seen, handler) = (seen2.clone(), handler.clone());
                std::thread::spawn(move || {
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(request.clone());
                        seen.len() - 1
                    };
                    let reply = handler(n, &request);
                    std::thread::sleep(reply.delay);
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(reply.body.as_bytes());
                });
            }
        });
        Stub { url, seen }
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

pub(crate) fn read_request(stream: &mut std::net::TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        path,
        headers,
        body,
    })
}

/// Posts `fields` to the hosted page `page` as a browser does, with the form's CSRF token.
pub(crate) async fn post_page(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let url = app.url(page);
    let (_, _, csrf) = crate::helpers::get_form(browser, &url).await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(&url).form(&form).send().await.unwrap()
}

pub(crate) async fn app_with_secret() -> TestApp {
    spawn_app_with(|c| {
        c.webhook_secret = Some(incognito::config::Secret(SECRET.into()));
    })
    .await
}

/// Points the default pool's trigger `name` at `target`.
pub(crate) fn set_trigger(app: &TestApp, name: &str, target: &str) {
    set_lambda_config(app, json!({ name: target }));
}

/// Sets the default pool's whole `LambdaConfig`.
pub(crate) fn set_lambda_config(app: &TestApp, config: Value) {
    let pool_id = app.pool_id.clone();
    app.state
        .store
        .write_sync(move |db| -> incognito::Result<()> {
            let mut pool = incognito::store::pools::get(db, &pool_id)?.unwrap();
            pool.settings.recorded.lambda_config = Some(config);
            incognito::pools::service::update_pool(db, &mut pool, 1)
        })
        .unwrap();
    app.state.directory.invalidate();
}

/// The envelope every event shares: `version` "1", the source, the pool and the client.
pub(crate) fn check_envelope(app: &TestApp, event: &Value, trigger_source: &str, client_id: &str) {
    assert_eq!(event["version"], "1");
    assert_eq!(event["triggerSource"], trigger_source);
    assert_eq!(event["userPoolId"], app.pool_id);
    assert_eq!(event["region"], app.pool_id.split('_').next().unwrap());
    assert_eq!(event["callerContext"]["clientId"], client_id, "{event}");
}

pub(crate) fn verify_signature(r: &Recorded) -> bool {
    verify_signature_with(r, SECRET)
}

/// Whether `r` carries a Standard Webhooks signature under `secret`.
pub(crate) fn verify_signature_with(r: &Recorded, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let (Some(id), Some(ts), Some(sig)) = (
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.header("webhook-signature"),
    ) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&r.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    sig.split(' ').any(|s| s == format!("v1,{expected}"))
}

/// The keys of an event, recursively (not inside the free-form maps), sorted: to compare an
/// event's shape with Cognito's published sample.
pub(crate) fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            let path = format!("{prefix}{k}");
            out.push(path.clone());
            if !matches!(
                k.as_str(),
                "userAttributes" | "validationData" | "clientMetadata"
            ) {
                keys(v, &format!("{path}."), out);
            }
        }
    }
    out.sort();
}

/// A server whose mail goes to an SMTP sink, with the webhook secret.
pub(crate) async fn app_with_smtp_and_secret() -> (TestApp, crate::smtp::Inbox) {
    let (port, inbox) = crate::smtp::start_smtp_sink().await;
    let app = spawn_app_with(|c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = Some(port);
        c.smtp_tls = incognito::config::SmtpTls::None;
        c.webhook_secret = Some(incognito::config::Secret(SECRET.into()));
    })
    .await;
    (app, inbox)
}

/// The code in the `n`th mail (1-based), waiting for it.
pub(crate) async fn mailed_code(inbox: &crate::smtp::Inbox, n: usize) -> String {
    let mails = crate::smtp::wait_for_mail(inbox, n).await;
    crate::smtp::find_code(&crate::smtp::parse(&mails[n - 1]).text).expect("a code")
}

/// The Node shim (examples/triggers/serve.mjs) serving an unchanged example handler of
/// examples/triggers on loopback, both paths, with the webhook secret; its log (one line a
/// request, never a body) goes to a file.
pub(crate) struct Shim {
    child: std::process::Child,
    pub(crate) url: String,
    log: tempfile::NamedTempFile,
}

impl Shim {
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_shim(handler: &str, env: &[(&str, &str)]) -> Shim {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/triggers");
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new("node")
        .arg(dir.join("serve.mjs"))
        .arg(dir.join(handler))
        .args(["--port", "0"])
        .env("WEBHOOK_SECRET", SECRET)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .expect("node runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("the shim's address: {line}"))
        .to_string();
    Shim { child, url, log }
}

/// The status of the user `login` signs in as, if there is one.
pub(crate) fn user_status(app: &TestApp, login: &str) -> Option<String> {
    let (pool_id, login) = (app.pool_id.clone(), login.to_string());
    app.state
        .store
        .read_sync(move |db| -> incognito::Result<Option<String>> {
            let pool = incognito::store::pools::get(db, &pool_id)?.unwrap();
            let user = incognito::accounts::service::find_by_login(db, &pool, &login)?;
            Ok(user.map(|u| u.status.as_str().to_string()))
        })
        .unwrap()
}
