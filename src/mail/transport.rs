//! Where mail goes: an SMTP server, a directory of `.eml` files, or memory (tests).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Notify;

use super::{MailError, Message};
use crate::config::{Config, SmtpTls};

/// How to reach an SMTP server.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    /// Default: 25 for `none`, 587 for `starttls`, 465 for `tls`.
    pub port: Option<u16>,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A message as the memory transport keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        description: String,
    },
    OutboxDir(PathBuf),
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

/// Sends one message at a time through its transport; the delivery task drives it.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    wake: Notify,
}

const DEFAULT_FROM: &str = "Incognito <no-reply@localhost>";

impl Mailer {
    /// SMTP when `smtp_host` is set, else `.eml` files in `{data_dir}/outbox/` (and a log line
    /// saying so).
    pub fn from_config(config: &Config) -> Result<Mailer, MailError> {
        match config.smtp_host.as_deref().map(str::trim) {
            Some(host) if !host.is_empty() => {
                let mailer = Mailer::smtp(
                    &SmtpSettings {
                        host: host.to_string(),
                        port: config.smtp_port,
                        tls: config.smtp_tls,
                        username: config.smtp_username.clone(),
                        password: config.smtp_password.as_ref().map(|s| s.0.clone()),
                    },
                    &config.smtp_from,
                )?;
                tracing::info!("mail is sent through {}", mailer.describe());
                Ok(mailer)
            }
            _ => {
                let dir = config.data_dir.join("outbox");
                let mailer = Mailer::outbox_dir(&dir, &config.smtp_from)?;
                tracing::info!(
                    "no SMTP configured; mail is written to {} (set smtp_host or INCOGNITO_SMTP_HOST to send it)",
                    dir.display()
                );
                Ok(mailer)
            }
        }
    }

    pub fn smtp(settings: &SmtpSettings, from: &str) -> Result<Mailer, MailError> {
        let host = settings.host.trim();
        let builder = match settings.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| MailError::Settings(e.to_string()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| MailError::Settings(e.to_string()))?,
        };
        let port = settings.port.unwrap_or(match settings.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        });
        let mut builder = builder.port(port).timeout(Some(Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let tls = match settings.tls {
            SmtpTls::None => "no TLS",
            SmtpTls::Starttls => "STARTTLS",
            SmtpTls::Tls => "TLS",
        };
        Ok(Mailer {
            transport: Transport::Smtp {
                transport: builder.build(),
                description: format!("SMTP {host}:{port} ({tls})"),
            },
            from: mailbox(from)?,
            wake: Notify::new(),
        })
    }

    /// Writes each message as an RFC 5322 `.eml` file into `dir` (created when missing).
    pub fn outbox_dir(dir: impl Into<PathBuf>, from: &str) -> Result<Mailer, MailError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| MailError::Io(format!("{}: {e}", dir.display())))?;
        Ok(Mailer {
            transport: Transport::OutboxDir(dir),
            from: mailbox(from)?,
            wake: Notify::new(),
        })
    }

    /// Keeps every message in memory; read them with [`Mailer::sent`].
    pub fn memory() -> Mailer {
        Mailer {
            transport: Transport::Memory(Arc::default()),
            from: mailbox(DEFAULT_FROM).expect("valid default sender"),
            wake: Notify::new(),
        }
    }

    /// What the memory transport has sent so far (empty for the others).
    pub fn sent(&self) -> Vec<SentMail> {
        match &self.transport {
            Transport::Memory(m) => m.lock().map(|v| v.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The directory `.eml` files go to, in outbox mode.
    pub fn outbox_path(&self) -> Option<&Path> {
        match &self.transport {
            Transport::OutboxDir(d) => Some(d),
            _ => None,
        }
    }

    /// For logs: "SMTP host:port (STARTTLS)", "outbox directory …" or "memory".
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp { description, .. } => description.clone(),
            Transport::OutboxDir(d) => format!("outbox directory {}", d.display()),
            Transport::Memory(_) => "memory".into(),
        }
    }

    /// Tells the delivery task that new mail is queued (call after the transaction commits).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(super) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// One delivery attempt. Errors name the cause, never the message body.
    pub async fn send(&self, msg: &Message) -> Result<(), MailError> {
        let email = self.build(msg)?;
        match &self.transport {
            Transport::Smtp { transport, .. } => transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Smtp(e.to_string())),
            Transport::OutboxDir(dir) => {
                let dir = dir.clone();
                let bytes = email.formatted();
                let path = tokio::task::spawn_blocking(move || write_eml(&dir, &bytes))
                    .await
                    .map_err(|_| MailError::Io("writer task failed".into()))??;
                tracing::info!(file = %path.display(), "mail written to the outbox directory");
                Ok(())
            }
            Transport::Memory(sent) => {
                sent.lock()
                    .map_err(|_| MailError::Io("memory outbox poisoned".into()))?
                    .push(SentMail {
                        to: msg.to.clone(),
                        subject: msg.subject.clone(),
                        text: msg.text.clone(),
                        html: msg.html.clone(),
                    });
                Ok(())
            }
        }
    }

    fn build(&self, msg: &Message) -> Result<lettre::Message, MailError> {
        lettre::Message::builder()
            .from(self.from.clone())
            .to(mailbox(&msg.to)?)
            .subject(msg.subject.clone())
            .message_id(None)
            .date_now()
            .multipart(MultiPart::alternative_plain_html(
                msg.text.clone(),
                msg.html.clone(),
            ))
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

fn mailbox(s: &str) -> Result<Mailbox, MailError> {
    s.trim()
        .parse::<Mailbox>()
        .map_err(|_| MailError::Address(s.to_string()))
}

/// Writes `bytes` to `{dir}/{unix seconds}-{pid}-{n}.eml` through a temporary name, so a
/// reader never sees half a message; names sort by time.
fn write_eml(dir: &Path, bytes: &[u8]) -> Result<PathBuf, MailError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let secs = crate::clock::Clock::System.now();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("{secs}-{}-{n:06}", std::process::id());
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(format!("{name}.eml"));
    let io = |e: std::io::Error| MailError::Io(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(path)
}
