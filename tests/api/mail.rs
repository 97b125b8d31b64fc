//! Email delivery: real SMTP into the test sink, retries against a dead server, the outbox
//! directory, the memory transport, pool overrides and the SMTP settings.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use incognito::clock::Clock;
use incognito::config::{Config, SmtpTls};
use incognito::mail::{self, EmailOverride, Mailer, Message, SmtpSettings, messages};
use incognito::startup::Application;
use incognito::state::AppState;
use incognito::store::outbox::{self, OutboxRow};

use crate::helpers::{binary, spawn_app, spawn_app_with, test_config};
use crate::smtp;

fn enqueue(state: &AppState, msg: Message) -> i64 {
    let now = state.now();
    state
        .store
        .write_sync(move |db| mail::enqueue(db, None, &msg, now))
        .expect("queued")
}

fn row(state: &AppState, id: i64) -> OutboxRow {
    state
        .store
        .read_sync(|db| outbox::get(db, id))
        .expect("read")
        .expect("row exists")
}

/// Polls the outbox row until `done` holds (the delivery task runs in the background).
async fn wait_for_row(state: &AppState, id: i64, done: impl Fn(&OutboxRow) -> bool) -> OutboxRow {
    for _ in 0..300 {
        let r = row(state, id);
        if done(&r) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "outbox row {id} never reached the expected state: {:?}",
        row(state, id)
    );
}

/// A loopback port with nothing listening on it.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The server with a settable clock (so the delivery task's "now" only moves when told).
async fn spawn_with_fixed_clock(
    customise: impl FnOnce(&mut Config),
) -> (AppState, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = test_config(data_dir.path());
    customise(&mut config);
    let clock = Clock::Fixed(Arc::new(AtomicI64::new(1_700_000_000)));
    let app = Application::build_with_mailer(config, clock, None).expect("server builds");
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    (state, data_dir)
}

#[tokio::test]
async fn queued_mail_goes_out_through_smtp_in_english_and_german() {
    let (port, inbox) = smtp::start_smtp_sink().await;
    let app = spawn_app_with(|c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = Some(port);
        c.smtp_tls = SmtpTls::None;
        c.smtp_username = Some("relay-user".into());
        c.smtp_password = Some(incognito::config::Secret("relay-secret".into()));
        c.smtp_from = "Acme Login <login@acme.test>".into();
    })
    .await;
    assert!(app.state.mailer.describe().starts_with("SMTP 127.0.0.1:"));

    let en = messages::confirm_signup(
        "en-US",
        "Acme",
        "123456",
        "https://id.acme.test/p/confirm?code=123456&user=u1",
        None,
    )
    .addressed_to("alice@example.com");
    let de = messages::reset_password("de-DE", "Acme", "654321", 15, None)
        .addressed_to("Bernd Beispiel <bernd@example.com>");
    let id_en = enqueue(&app.state, en);
    let id_de = enqueue(&app.state, de);
    app.state.mailer.wake();

    let raw = smtp::wait_for_mail(&inbox, 2).await;
    let mails: Vec<_> = raw.iter().map(|r| smtp::parse(r)).collect();
    let en = mails
        .iter()
        .find(|m| m.to.contains("alice@"))
        .expect("English mail");
    let de = mails
        .iter()
        .find(|m| m.to.contains("bernd@"))
        .expect("German mail");

    assert_eq!(en.subject, "Your confirmation code for Acme");
    assert!(en.from.contains("login@acme.test"), "from: {}", en.from);
    assert!(
        en.header("content-type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    assert!(en.header("message-id").is_some() && en.header("date").is_some());
    assert_eq!(smtp::find_code(&en.text).as_deref(), Some("123456"));
    assert!(
        en.text
            .contains("https://id.acme.test/p/confirm?code=123456&user=u1")
    );
    assert!(en.html.contains("<html lang=\"en\">"));
    assert!(en.html.contains("123456"));
    assert!(
        en.html
            .contains("href=\"https://id.acme.test/p/confirm?code=123456&#38;user=u1\"")
    );

    assert_eq!(de.subject, "Passwort für Acme zurücksetzen");
    assert!(de.to.contains("Bernd Beispiel"), "to: {}", de.to);
    assert_eq!(smtp::find_code(&de.text).as_deref(), Some("654321"));
    assert!(
        de.text.contains("15 Minuten lang gültig"),
        "text: {}",
        de.text
    );
    assert!(de.html.contains("<html lang=\"de\">"));
    assert!(de.html.contains("Passwort zurücksetzen"));

    // Delivered rows keep no code.
    for id in [id_en, id_de] {
        let r = wait_for_row(&app.state, id, |r| r.sent_at.is_some()).await;
        assert!(r.subject.is_empty() && r.text_body.is_empty() && r.html_body.is_empty());
        assert_eq!(r.last_error, None);
    }
}

#[tokio::test]
async fn a_dead_smtp_server_gets_retries_with_backoff_and_the_mail_is_not_lost() {
    let (state, _dir) = spawn_with_fixed_clock(|c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = Some(dead_port());
        c.smtp_tls = SmtpTls::None;
    })
    .await;
    let t0 = state.now();
    let msg =
        messages::verify_email("en", "Acme", "246810", None).addressed_to("carol@example.com");
    let id = enqueue(&state, msg.clone());
    state.mailer.wake();

    let r = wait_for_row(&state, id, |r| r.attempts >= 1).await;
    assert_eq!(r.sent_at, None);
    assert_eq!(r.next_attempt_at, t0 + 5, "first retry after 5 s");
    let error = r.last_error.clone().expect("the error is recorded");
    assert!(error.starts_with("SMTP:"), "error: {error}");
    assert!(!error.contains("246810"), "no code in the error");
    assert_eq!(r.text_body, msg.text, "the code is kept for the retry");

    // Not due yet: a wake-up changes nothing.
    state.mailer.wake();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(row(&state, id).attempts, 1);

    // Five seconds later the task tries again and waits twice as long.
    state.clock.advance(5);
    state.mailer.wake();
    let r = wait_for_row(&state, id, |r| r.attempts >= 2).await;
    assert_eq!(r.next_attempt_at, t0 + 5 + 10, "second retry after 10 s");
    assert_eq!(r.sent_at, None);

    // Once a server answers, the same row goes out.
    let (port, inbox) = smtp::start_smtp_sink().await;
    let working = Mailer::smtp(
        &SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(port),
            tls: SmtpTls::None,
            username: None,
            password: None,
        },
        "Incognito <no-reply@localhost>",
    )
    .unwrap();
    let report = mail::deliver_due(&state.store, &working, t0 + 15)
        .await
        .unwrap();
    assert_eq!(report, mail::DeliveryReport { sent: 1, failed: 0 });
    let got = smtp::parse(&smtp::wait_for_mail(&inbox, 1).await[0]);
    assert_eq!(smtp::find_code(&got.text).as_deref(), Some("246810"));
    let r = row(&state, id);
    assert_eq!(r.sent_at, Some(t0 + 15));
    assert_eq!(r.attempts, 3);
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_the_outbox_directory() {
    let app = spawn_app().await;
    let dir = app.data_path().join("outbox");
    assert_eq!(app.state.mailer.outbox_path(), Some(dir.as_path()));

    let msg = messages::invitation("en", "Acme", "dave", "Temp-Pass-42!", None)
        .addressed_to("dave@example.com");
    let id = enqueue(&app.state, msg);
    app.state.mailer.wake();
    wait_for_row(&app.state, id, |r| r.sent_at.is_some()).await;

    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file: {files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("\r\n"), "RFC 5322 line ends");
    let eml = smtp::parse(&raw);
    assert_eq!(eml.subject, "Your new account at Acme");
    assert!(eml.to.contains("dave@example.com"));
    assert!(eml.from.contains("no-reply@localhost"));
    assert!(eml.text.contains("Username: dave"));
    assert!(eml.text.contains("Temporary password: Temp-Pass-42!"));
    assert!(eml.html.contains("Temp-Pass-42!"));
}

#[tokio::test]
async fn the_memory_transport_and_pool_overrides_escape_values_in_html() {
    let data_dir = tempfile::tempdir().unwrap();
    let app = Application::build_with_mailer(
        test_config(data_dir.path()),
        Clock::System,
        Some(Mailer::memory()),
    )
    .unwrap();
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());

    let o = EmailOverride {
        subject: Some("Welcome to {pool}, {username}".into()),
        text: Some("User {username}\nPassword {password}\n{unknown}".into()),
        html: Some("<p>User <b>{username}</b></p><p>Password <code>{password}</code></p>".into()),
    };
    assert!(o.validate("invitation").is_ok());
    let msg = messages::invitation("de", "A&B", "<script>x</script>", "p<w>&\"'", Some(&o))
        .addressed_to("eve@example.com");
    assert_eq!(msg.subject, "Welcome to A&B, <script>x</script>");
    assert_eq!(
        msg.text,
        "User <script>x</script>\nPassword p<w>&\"'\n{unknown}"
    );
    assert_eq!(
        msg.html,
        "<p>User <b>&lt;script&gt;x&lt;/script&gt;</b></p><p>Password <code>p&lt;w&gt;&amp;&quot;&#39;</code></p>"
    );

    enqueue(&state, msg.clone());
    state.mailer.wake();
    let mut sent = Vec::new();
    for _ in 0..200 {
        sent = state.mailer.sent();
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "eve@example.com");
    assert_eq!(sent[0].html, msg.html);
    assert_eq!(sent[0].text, msg.text);

    // An override that drops the value the message exists for is refused.
    let bad = EmailOverride {
        text: Some("Hello {username}".into()),
        ..EmailOverride::default()
    };
    assert!(
        bad.validate("invitation")
            .unwrap_err()
            .contains("{password}")
    );
}

/// `incognito pool list` with the given environment; returns (success, stderr).
fn cli_with_env(env: &[(&str, &str)]) -> (bool, String) {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(binary());
    cmd.arg("--data-dir")
        .arg(data.path())
        .args(["pool", "list"]);
    for (name, _) in std::env::vars() {
        if name.starts_with("INCOGNITO_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(crate::helpers::backend_env(data.path()));
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the incognito binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

#[test]
fn smtp_settings_from_the_environment_are_checked() {
    let (ok, err) = cli_with_env(&[("INCOGNITO_SMTP_PORT", "abc")]);
    assert!(!ok);
    assert_eq!(
        err,
        "error: environment variable INCOGNITO_SMTP_PORT: expected a port number (1-65535), got \"abc\""
    );
    let (ok, err) = cli_with_env(&[("INCOGNITO_SMTP_PORT", "70000")]);
    assert!(!ok && err.contains("INCOGNITO_SMTP_PORT"), "{err}");
    let (ok, err) = cli_with_env(&[("INCOGNITO_SMTP_TLS", "ssl")]);
    assert!(
        !ok && err.contains("ssl") && err.contains("starttls"),
        "{err}"
    );
    let (ok, err) = cli_with_env(&[("INCOGNITO_SMTP_FROM", "nobody")]);
    assert!(!ok && err.contains("smtp_from"), "{err}");
    let (ok, err) = cli_with_env(&[
        ("INCOGNITO_SMTP_HOST", "smtp.example.com"),
        ("INCOGNITO_SMTP_PORT", "2525"),
        ("INCOGNITO_SMTP_TLS", "STARTTLS"),
        ("INCOGNITO_SMTP_USERNAME", "mailer"),
        ("INCOGNITO_SMTP_PASSWORD", "s3cret"),
        ("INCOGNITO_SMTP_FROM", "Example <no-reply@example.com>"),
    ]);
    assert!(ok, "{err}");

    let config = Config {
        smtp_host: Some("smtp.example.com".into()),
        smtp_port: Some(465),
        smtp_tls: SmtpTls::Tls,
        smtp_username: Some("mailer".into()),
        smtp_password: Some(incognito::config::Secret("s3cret".into())),
        ..Config::default()
    };
    assert!(config.validate().is_ok());
    assert!(
        !format!("{config:?}").contains("s3cret"),
        "the password is redacted"
    );
    let no_password = Config {
        smtp_password: None,
        ..config.clone()
    };
    assert!(no_password.validate().is_err());
    let port_zero = Config {
        smtp_port: Some(0),
        ..config
    };
    assert!(port_zero.validate().is_err());
}
