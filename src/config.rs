//! Configuration: defaults, then an optional TOML file, then `INCOGNITO_*` environment
//! variables, then command-line flags. Validated once into a typed `Config`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("setting `{name}`: {message}")]
    Invalid { name: &'static str, message: String },
}

/// A secret string that never appears in Debug output or logs.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Where audit events go besides the database (which the `audit` and `report mau` verbs read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuditLog {
    /// Only the `audit_events` table.
    #[default]
    Database,
    /// The table, and one JSON line per event on stderr (for log shippers).
    Stderr,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay or a test sink only).
    None,
    /// Plain connection upgraded with STARTTLS (required); port 587 by default.
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS"); port 465 by default.
    Tls,
}

/// Every setting, as the file spells it. Environment variables use the upper-cased name with
/// an `INCOGNITO_` prefix (e.g. `INCOGNITO_PUBLIC_URL`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Base URL clients use to reach the server; issuers are `{public_url}/{pool_id}`.
    pub public_url: Option<String>,
    /// Directory holding the SQLite database (created when missing).
    pub data_dir: PathBuf,
    /// A `postgres://` URL: the database of the scale-out backend (issue #18). Absent: SQLite
    /// in `data_dir`. A secret, since the URL may carry a password. Only `incognito db migrate`
    /// uses it so far; the other verbs refuse it.
    pub database_url: Option<Secret>,
    /// Region prefix of generated pool ids (`{region}_{id}`).
    pub region: String,
    /// AWS account id (12 digits) in the ARNs the Cognito API returns
    /// (`arn:aws:cognito-idp:{region}:{account_id}:userpool/{id}`) and in its error messages.
    pub account_id: String,
    /// An admin access key made (or its secret replaced) at start-up, so that the control plane
    /// can configure a fresh server without the CLI (containers, CI): with
    /// `admin_secret_access_key`.
    pub admin_access_key_id: Option<String>,
    pub admin_secret_access_key: Option<Secret>,
    /// Signing algorithm of newly generated keys: RS256, ES256 or EdDSA.
    pub key_algorithm: String,
    /// Encrypts private signing keys at rest (any long random string).
    pub master_key: Option<Secret>,
    /// Declarative bootstrap file applied at start-up.
    pub bootstrap: Option<PathBuf>,
    /// `text` or `json` log lines (one JSON object per line, for shippers).
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `incognito=debug`.
    pub log_level: String,
    /// Lifetime of an authorization code, seconds (at most 600).
    pub code_ttl_secs: i64,
    /// Idle timeout of a browser session, seconds.
    pub session_idle_secs: i64,
    /// Absolute lifetime of a browser session, seconds.
    pub session_max_secs: i64,
    /// Grace period in which a just-rotated refresh token may be presented again, seconds.
    pub refresh_reuse_grace_secs: i64,
    /// Whether to create a default pool and client when the database has no pool.
    pub create_default_pool: bool,
    /// Worker threads for HTTP (0 = number of cores).
    pub workers: usize,
    /// Threads of the request pool (OIDC token endpoints, Cognito store work; 0 = cores).
    pub request_threads: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (their own addresses); the client
    /// address then is the last hop before them. Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Failed sign-ins (any user name) allowed from one client address per window before that
    /// address is answered 429 until the window ends (password spraying).
    pub address_failure_limit: u32,
    /// The window of `address_failure_limit`, seconds.
    pub address_failure_window_secs: i64,
    /// Origins (`https://app.example.com`) whose browsers may call the Cognito JSON API
    /// (`POST /`). Empty: any origin, as Cognito does (the calls carry no ambient credentials).
    pub cognito_api_allowed_origins: Vec<String>,
    /// A Pwned Passwords SHA-1 file (`HASH:COUNT` lines sorted by hash) to refuse new
    /// passwords from, besides the list shipped in the binary. Searched on disk, never loaded.
    pub breached_passwords_file: Option<PathBuf>,
    /// A MaxMind-format GeoIP database (GeoLite2/GeoIP2 City or Country) for adaptive
    /// sign-in's new-country and impossible-travel signals. Read at start-up.
    pub geoip_database: Option<PathBuf>,
    /// A file of CIDRs (one a line, `#` comments) whose sign-ins adaptive sign-in rates high
    /// risk. Read at start-up.
    pub risk_block_list: Option<PathBuf>,
    /// `database` (default) or `stderr`: audit events also as JSON lines on stderr.
    pub audit_log: AuditLog,
    /// Days audit rows are kept (the MAU report reads them: keep at least 31).
    pub audit_retention_days: i64,
    /// SMTP server host name; without it mail is written to `{data_dir}/outbox/` as `.eml` files.
    pub smtp_host: Option<String>,
    /// SMTP port (default 25, 587 or 465 by `smtp_tls`).
    pub smtp_port: Option<u16>,
    /// `none`, `starttls` or `tls`.
    pub smtp_tls: SmtpTls,
    /// SMTP user name (with `smtp_password`).
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// Sender of every message, e.g. `Example <no-reply@example.com>`.
    pub smtp_from: String,
    /// Where Lambda-function triggers are invoked (the Lambda Invoke API): LocalStack, SAM
    /// local, the Runtime Interface Emulator... Default: the ARN region's public endpoint.
    pub lambda_endpoint: Option<String>,
    /// Stand-ins for the social providers' fixed endpoints (tests, air-gapped mirrors): the
    /// scheme, host and port of every preset URL of that type are replaced by this base URL.
    pub google_endpoint: Option<String>,
    pub facebook_endpoint: Option<String>,
    pub amazon_endpoint: Option<String>,
    pub apple_endpoint: Option<String>,
    /// Signs webhook triggers (Standard Webhooks): `whsec_` + base64 of the key.
    pub webhook_secret: Option<Secret>,
    /// Refuses trigger targets on private and loopback addresses too (multi-tenant servers);
    /// link-local and cloud metadata addresses are always refused.
    pub trigger_deny_private: bool,
    /// Serve `GET /metrics` (Prometheus) and count; `false` turns counting off too.
    pub metrics_enabled: bool,
    /// A separate address for `/metrics` (e.g. `127.0.0.1:9230`); then the public listener
    /// does not serve it.
    pub metrics_listen: Option<SocketAddr>,
    /// PEM certificate chain: with `tls_key`, the server speaks HTTPS (HTTP/2 and HTTP/1.1)
    /// itself; both files are read again on SIGHUP.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// On SIGTERM/SIGINT, how long `/readyz` answers 503 before the listener closes, seconds
    /// (time for a load balancer to notice).
    pub shutdown_delay_secs: i64,
    /// Then at most this long for requests in flight to finish, seconds.
    pub shutdown_timeout_secs: i64,
    /// The AWS credentials that sign Lambda Invoke calls. Not a setting: taken from
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` at start-up when
    /// unset (tests set it).
    #[serde(skip)]
    pub aws_credentials: Option<crate::triggers::AwsCredentials>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:9229".parse().expect("valid default address"),
            public_url: None,
            data_dir: PathBuf::from("./incognito-data"),
            database_url: None,
            region: "local".into(),
            account_id: "000000000000".into(),
            admin_access_key_id: None,
            admin_secret_access_key: None,
            key_algorithm: "RS256".into(),
            master_key: None,
            bootstrap: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            code_ttl_secs: 300,
            session_idle_secs: 8 * 3600,
            session_max_secs: 7 * 24 * 3600,
            refresh_reuse_grace_secs: 0,
            create_default_pool: true,
            workers: 0,
            request_threads: 0,
            trusted_proxies: Vec::new(),
            address_failure_limit: 20,
            address_failure_window_secs: 300,
            cognito_api_allowed_origins: Vec::new(),
            breached_passwords_file: None,
            geoip_database: None,
            risk_block_list: None,
            audit_log: AuditLog::Database,
            audit_retention_days: 90,
            smtp_host: None,
            smtp_port: None,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            smtp_from: "Incognito <no-reply@localhost>".into(),
            lambda_endpoint: None,
            google_endpoint: None,
            facebook_endpoint: None,
            amazon_endpoint: None,
            apple_endpoint: None,
            webhook_secret: None,
            trigger_deny_private: false,
            metrics_enabled: true,
            metrics_listen: None,
            tls_cert: None,
            tls_key: None,
            shutdown_delay_secs: 1,
            shutdown_timeout_secs: 10,
            aws_credentials: None,
        }
    }
}

impl Config {
    /// Defaults, overlaid by the file (when given) and then by `INCOGNITO_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.into(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Parse {
                        path: path.into(),
                        message: e.message().to_string(),
                    })?
            }
            None => toml::Table::new(),
        };
        for (name, value) in std::env::vars() {
            let Some(key) = name.strip_prefix("INCOGNITO_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if key == "config" {
                continue;
            }
            if !Self::KEYS.contains(&key.as_str()) {
                continue;
            }
            table.insert(
                key.clone(),
                Self::env_value(&key, &value)
                    .map_err(|message| ConfigError::Env { name, message })?,
            );
        }
        let config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: file
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| "environment".into()),
                    message: e.message().to_string(),
                })?;
        config.validate()?;
        Ok(config)
    }

    const KEYS: &'static [&'static str] = &[
        "listen",
        "public_url",
        "data_dir",
        "database_url",
        "region",
        "account_id",
        "admin_access_key_id",
        "admin_secret_access_key",
        "key_algorithm",
        "master_key",
        "bootstrap",
        "log_format",
        "log_level",
        "code_ttl_secs",
        "session_idle_secs",
        "session_max_secs",
        "refresh_reuse_grace_secs",
        "create_default_pool",
        "workers",
        "request_threads",
        "trusted_proxies",
        "address_failure_limit",
        "address_failure_window_secs",
        "cognito_api_allowed_origins",
        "breached_passwords_file",
        "geoip_database",
        "risk_block_list",
        "audit_log",
        "audit_retention_days",
        "smtp_host",
        "smtp_port",
        "smtp_tls",
        "smtp_username",
        "smtp_password",
        "smtp_from",
        "lambda_endpoint",
        "google_endpoint",
        "facebook_endpoint",
        "amazon_endpoint",
        "apple_endpoint",
        "webhook_secret",
        "trigger_deny_private",
        "metrics_enabled",
        "metrics_listen",
        "tls_cert",
        "tls_key",
        "shutdown_delay_secs",
        "shutdown_timeout_secs",
    ];

    fn env_value(key: &str, raw: &str) -> Result<toml::Value, String> {
        if key == "trusted_proxies" || key == "cognito_api_allowed_origins" {
            // A comma-separated list.
            return Ok(toml::Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.into()))
                    .collect(),
            ));
        }
        let numeric = key.ends_with("_secs")
            || key.ends_with("_days")
            || matches!(key, "workers" | "request_threads" | "address_failure_limit");
        if numeric {
            return raw
                .trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| format!("expected a whole number, got {raw:?}"));
        }
        if key == "smtp_port" {
            return match raw.trim().parse::<u16>() {
                Ok(port) if port > 0 => Ok(toml::Value::Integer(i64::from(port))),
                _ => Err(format!("expected a port number (1-65535), got {raw:?}")),
            };
        }
        // Words from a fixed list: named here so that a bad value names its variable.
        let words: &[&str] = match key {
            "smtp_tls" => &["none", "starttls", "tls"],
            "audit_log" => &["database", "stderr"],
            "log_format" => &["text", "json"],
            _ => &[],
        };
        if !words.is_empty() {
            let word = raw.trim().to_ascii_lowercase();
            if !words.contains(&word.as_str()) {
                return Err(format!("expected one of {}, got {raw:?}", words.join(", ")));
            }
            return Ok(toml::Value::String(word));
        }
        if matches!(
            key,
            "create_default_pool" | "trigger_deny_private" | "metrics_enabled"
        ) {
            return match raw.trim() {
                "true" | "1" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
                "false" | "0" | "no" | "off" => Ok(toml::Value::Boolean(false)),
                _ => Err(format!("expected true or false, got {raw:?}")),
            };
        }
        Ok(toml::Value::String(raw.to_string()))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url
            && !crate::store::postgres::is_url(&url.0)
        {
            // Not echoed: the URL may hold a password.
            return Err(ConfigError::Invalid {
                name: "database_url",
                message: "must be a postgres:// or postgresql:// URL (leave it out for SQLite in data_dir)".into(),
            });
        }
        if let Some(url) = &self.public_url {
            let parsed = url::Url::parse(url).map_err(|e| ConfigError::Invalid {
                name: "public_url",
                message: e.to_string(),
            })?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.query().is_some()
                || parsed.fragment().is_some()
            {
                return Err(ConfigError::Invalid {
                    name: "public_url",
                    message: "must be an http(s) URL without query or fragment".into(),
                });
            }
        }
        if self.region.is_empty()
            || !self
                .region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConfigError::Invalid {
                name: "region",
                message: "letters, digits and '-' only".into(),
            });
        }
        match (&self.admin_access_key_id, &self.admin_secret_access_key) {
            (None, None) => {}
            (Some(id), Some(secret))
                if (16..=128).contains(&id.len())
                    && id.bytes().all(|b| b.is_ascii_alphanumeric())
                    && (16..=128).contains(&secret.0.len())
                    && !secret.0.chars().any(char::is_control) => {}
            _ => {
                return Err(ConfigError::Invalid {
                    name: "admin_access_key_id",
                    message: "set both admin_access_key_id (16 to 128 letters and digits) and \
                              admin_secret_access_key (16 to 128 characters), or neither"
                        .into(),
                });
            }
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid {
                name: "account_id",
                message: "12 digits".into(),
            });
        }
        if crate::keys::Alg::parse(&self.key_algorithm).is_none() {
            return Err(ConfigError::Invalid {
                name: "key_algorithm",
                message: "one of RS256, ES256, EdDSA".into(),
            });
        }
        if !(30..=600).contains(&self.code_ttl_secs) {
            return Err(ConfigError::Invalid {
                name: "code_ttl_secs",
                message: "between 30 and 600".into(),
            });
        }
        for (name, v) in [
            ("session_idle_secs", self.session_idle_secs),
            ("session_max_secs", self.session_max_secs),
            (
                "address_failure_window_secs",
                self.address_failure_window_secs,
            ),
            (
                "address_failure_limit",
                i64::from(self.address_failure_limit),
            ),
        ] {
            if v <= 0 {
                return Err(ConfigError::Invalid {
                    name,
                    message: "must be positive".into(),
                });
            }
        }
        if !(1..=36_500).contains(&self.audit_retention_days) {
            return Err(ConfigError::Invalid {
                name: "audit_retention_days",
                message: "between 1 and 36500".into(),
            });
        }
        if !(0..=300).contains(&self.refresh_reuse_grace_secs) {
            return Err(ConfigError::Invalid {
                name: "refresh_reuse_grace_secs",
                message: "between 0 and 300".into(),
            });
        }
        if self.smtp_port == Some(0) {
            return Err(ConfigError::Invalid {
                name: "smtp_port",
                message: "a port number between 1 and 65535".into(),
            });
        }
        if let Err(message) = crate::mail::parse_mailbox(&self.smtp_from) {
            return Err(ConfigError::Invalid {
                name: "smtp_from",
                message,
            });
        }
        if self.smtp_username.is_some() != self.smtp_password.is_some() {
            return Err(ConfigError::Invalid {
                name: "smtp_username",
                message: "set smtp_username and smtp_password together".into(),
            });
        }
        for origin in &self.cognito_api_allowed_origins {
            let serialized = url::Url::parse(origin)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| u.origin().ascii_serialization());
            if serialized.as_deref() != Some(origin.as_str()) {
                return Err(ConfigError::Invalid {
                    name: "cognito_api_allowed_origins",
                    message: format!(
                        "{origin:?} is not an origin (scheme://host[:port], lower case, no path)"
                    ),
                });
            }
        }
        if let Some(secret) = &self.webhook_secret
            && crate::triggers::webhook_key(&secret.0).is_none()
        {
            return Err(ConfigError::Invalid {
                name: "webhook_secret",
                message: "`whsec_` followed by the base64 of the key (at least 16 bytes)".into(),
            });
        }
        for (name, endpoint) in [
            ("lambda_endpoint", &self.lambda_endpoint),
            ("google_endpoint", &self.google_endpoint),
            ("facebook_endpoint", &self.facebook_endpoint),
            ("amazon_endpoint", &self.amazon_endpoint),
            ("apple_endpoint", &self.apple_endpoint),
        ] {
            if let Some(endpoint) = endpoint
                && !url::Url::parse(endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            {
                return Err(ConfigError::Invalid {
                    name,
                    message: "an http(s) URL, e.g. http://localhost:4566".into(),
                });
            }
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid {
                name: "tls_cert",
                message: "set tls_cert and tls_key together".into(),
            });
        }
        if !(0..=300).contains(&self.shutdown_delay_secs)
            || !(0..=3600).contains(&self.shutdown_timeout_secs)
        {
            return Err(ConfigError::Invalid {
                name: "shutdown_timeout_secs",
                message: "shutdown_delay_secs 0 to 300, shutdown_timeout_secs 0 to 3600".into(),
            });
        }
        if let Some(m) = &self.master_key
            && m.0.len() < 16
        {
            return Err(ConfigError::Invalid {
                name: "master_key",
                message: "use at least 16 characters of random".into(),
            });
        }
        Ok(())
    }

    /// The public base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("{}://{}", self.scheme(), self.listen),
        }
    }

    /// `https` when the server terminates TLS itself.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The PostgreSQL URL when `database_url` is set; `None` means SQLite at `database_path`.
    pub fn postgres_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|u| u.0.as_str())
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("incognito.sqlite3")
    }

    pub fn is_https(&self) -> bool {
        self.public_url().starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_is_twelve_digits() {
        let mut c = Config::default();
        assert_eq!(c.account_id, "000000000000");
        assert!(c.validate().is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            c.account_id = bad.into();
            assert!(
                matches!(
                    c.validate(),
                    Err(ConfigError::Invalid {
                        name: "account_id",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        // From the environment it stays a string (leading zeros kept).
        assert_eq!(
            Config::env_value("account_id", "012345678901"),
            Ok(toml::Value::String("012345678901".into()))
        );
    }

    #[test]
    fn trigger_settings_are_checked() {
        let mut c = Config {
            webhook_secret: Some(Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into())),
            lambda_endpoint: Some("http://localhost:4566".into()),
            ..Config::default()
        };
        assert!(c.validate().is_ok());
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64",
            "whsec_c2hvcnQ=",
        ] {
            c.webhook_secret = Some(Secret(bad.into()));
            assert!(
                matches!(
                    c.validate(),
                    Err(ConfigError::Invalid {
                        name: "webhook_secret",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        c.webhook_secret = None;
        c.lambda_endpoint = Some("localhost:4566".into());
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Invalid {
                name: "lambda_endpoint",
                ..
            })
        ));
        assert_eq!(
            Config::env_value("trigger_deny_private", "on"),
            Ok(toml::Value::Boolean(true))
        );
        // The secret never shows in debug output.
        c.webhook_secret = Some(Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()));
        assert!(!format!("{c:?}").contains("MfKQ9r8G"));
    }

    #[test]
    fn operations_settings_are_checked() {
        let mut c = Config {
            tls_cert: Some("cert.pem".into()),
            ..Config::default()
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Invalid {
                name: "tls_cert",
                ..
            })
        ));
        c.tls_key = Some("key.pem".into());
        assert!(c.validate().is_ok());
        assert_eq!(c.public_url(), "https://127.0.0.1:9229");
        c.shutdown_timeout_secs = -1;
        assert!(c.validate().is_err());
        c.shutdown_timeout_secs = 10;
        c.shutdown_delay_secs = 301;
        assert!(c.validate().is_err());
        assert_eq!(
            Config::env_value("metrics_enabled", "off"),
            Ok(toml::Value::Boolean(false))
        );
        assert_eq!(
            Config::env_value("shutdown_timeout_secs", "15"),
            Ok(toml::Value::Integer(15))
        );
    }

    #[test]
    fn database_url_is_postgres_or_absent_and_never_shown() {
        let mut c = Config::default();
        assert_eq!(c.postgres_url(), None);
        c.database_url = Some(Secret("postgres://incognito:hunter2@db/incognito".into()));
        assert!(c.validate().is_ok());
        assert_eq!(
            c.postgres_url(),
            Some("postgres://incognito:hunter2@db/incognito")
        );
        assert!(!format!("{c:?}").contains("hunter2"));
        c.database_url = Some(Secret(
            "postgresql:///incognito?host=/run/postgresql".into(),
        ));
        assert!(c.validate().is_ok());
        for bad in ["sqlite:incognito.sqlite3", "mysql://u:hunter2@db/x", ""] {
            c.database_url = Some(Secret(bad.into()));
            let err = c.validate().unwrap_err().to_string();
            assert!(
                err.contains("database_url") && !err.contains("hunter2"),
                "{err}"
            );
        }
    }
}
