//! A tiny SMTP sink for tests: it accepts every message and keeps its raw DATA, so a test can
//! read a code out of an email that went through real SMTP.
//!
//! ```ignore
//! let (port, inbox) = smtp::start_smtp_sink().await;
//! let app = spawn_app_with(|c| {
//!     c.smtp_host = Some("127.0.0.1".into());
//!     c.smtp_port = Some(port);
//!     c.smtp_tls = incognito::config::SmtpTls::None;
//! })
//! .await;
//! // ... sign up ...
//! let raw = smtp::wait_for_mail(&inbox, 1).await.remove(0);
//! let mail = smtp::parse(&raw);
//! let code = smtp::find_code(&mail.text).expect("a 6-digit code");
//! ```
//!
//! It speaks just enough SMTP for lettre: a 220 greeting, EHLO/HELO (advertising AUTH PLAIN
//! LOGIN, accepting any credentials), MAIL FROM, RCPT TO, DATA up to the lone "." (with
//! dot-unstuffing), RSET, NOOP and QUIT. No TLS: configure `smtp_tls = none`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Raw DATA of every message received, in order (CRLF line ends, as sent).
pub type Inbox = Arc<Mutex<Vec<String>>>;

/// Starts the sink on an ephemeral loopback port; it runs until the test's runtime ends.
pub async fn start_smtp_sink() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind SMTP sink");
    let port = listener.local_addr().expect("sink address").port();
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, kept.clone()));
        }
    });
    (port, inbox)
}

async fn session(stream: tokio::net::TcpStream, inbox: Inbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP ready\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n"
        } else if command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command.starts_with("AUTH LOGIN") {
            // Two challenges (user name, password); any answer is accepted.
            for prompt in [&b"334 VXNlcm5hbWU6\r\n"[..], b"334 UGFzc3dvcmQ6\r\n"] {
                if command.split_whitespace().count() > 2 && prompt.starts_with(b"334 VXN") {
                    continue; // the user name came with the command
                }
                write.write_all(prompt).await?;
                line.clear();
                lines.read_line(&mut line).await?;
            }
            b"235 2.7.0 accepted\r\n"
        } else if command.starts_with("AUTH PLAIN") {
            if command.split_whitespace().count() == 2 {
                write.write_all(b"334 \r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
            }
            b"235 2.7.0 accepted\r\n"
        } else if command.starts_with("MAIL FROM") || command.starts_with("RCPT TO") {
            b"250 2.1.0 ok\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            inbox.lock().unwrap().push(data);
            b"250 2.0.0 queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else if command == "RSET" || command == "NOOP" {
            b"250 2.0.0 ok\r\n"
        } else {
            b"502 5.5.2 command not recognised\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// Waits (up to 15 s) until the inbox holds at least `n` messages and returns them all.
pub async fn wait_for_mail(inbox: &Inbox, n: usize) -> Vec<String> {
    for _ in 0..300 {
        {
            let got = inbox.lock().unwrap();
            if got.len() >= n {
                return got.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "expected {n} message(s) in the SMTP sink, got {}",
        inbox.lock().unwrap().len()
    );
}

/// A received message, decoded: headers unfolded, RFC 2047 words decoded, the text and HTML
/// parts of a `multipart/alternative` body (or a single-part body) with their transfer
/// encoding (7bit, 8bit, quoted-printable, base64) undone.
#[derive(Debug, Clone, Default)]
pub struct ParsedMail {
    /// (name, decoded value) in order; names as written.
    pub headers: Vec<(String, String)>,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub text: String,
    pub html: String,
}

impl ParsedMail {
    /// The first header called `name` (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a raw RFC 5322 message (as the sink or an `.eml` file holds it).
pub fn parse(raw: &str) -> ParsedMail {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = split_entity(&raw);
    let mut mail = ParsedMail {
        subject: find(&headers, "subject").unwrap_or_default(),
        from: find(&headers, "from").unwrap_or_default(),
        to: find(&headers, "to").unwrap_or_default(),
        headers,
        ..ParsedMail::default()
    };
    collect_parts(&mail.headers.clone(), body, &mut mail);
    mail
}

/// The first run of exactly six digits in `text` (a confirmation or reset code).
pub fn find_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(text[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    None
}

fn find(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// Headers (unfolded, decoded) and the body of one MIME entity (LF line ends).
fn split_entity(entity: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match entity.find("\n\n") {
        Some(i) => (&entity[..i], &entity[i + 2..]),
        None => (entity, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_string(), v.to_string()));
        }
    }
    for (_, v) in &mut headers {
        *v = decode_words(v.trim());
    }
    (headers, body)
}

fn collect_parts(headers: &[(String, String)], body: &str, mail: &mut ParsedMail) {
    let content_type = find(headers, "content-type").unwrap_or_else(|| "text/plain".into());
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("multipart/") {
        let Some(boundary) = param(&content_type, "boundary") else {
            return;
        };
        let delimiter = format!("--{boundary}");
        for chunk in body.split(&delimiter).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
            let (h, b) = split_entity(chunk);
            let b = b.strip_suffix('\n').unwrap_or(b);
            collect_parts(&h, b, mail);
        }
        return;
    }
    let encoding = find(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let decoded = match encoding.trim() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_string(),
    };
    if lower.starts_with("text/html") {
        mail.html = decoded;
    } else if lower.starts_with("text/plain") {
        mail.text = decoded;
    }
}

/// A `name=value` or `name="value"` parameter of a header value.
fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.trim().split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn quoted_printable(body: &str) -> String {
    let mut bytes = Vec::with_capacity(body.len());
    let mut lines = body.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches([' ', '\t', '\r']);
        let (line, soft) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'='
                && let Some(byte) = line
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                bytes.push(byte);
                i += 3;
                continue;
            }
            bytes.push(b[i]);
            i += 1;
        }
        if !soft && lines.peek().is_some() {
            bytes.push(b'\n');
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let gap = &rest[..start];
        let Some(word) = encoded_word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            after_word = false;
            continue;
        };
        if !(after_word && gap.trim().is_empty()) {
            out.push_str(gap);
        }
        out.push_str(&word.0);
        rest = &rest[start + word.1..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = &s[2..];
    let (_charset, rest) = inner.split_once('?')?;
    let (kind, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    let bytes = match kind.to_ascii_lowercase().as_str() {
        "b" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
        "q" => {
            let mut out = Vec::new();
            let b = text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'_' => out.push(b' '),
                    b'=' => {
                        out.push(u8::from_str_radix(text.get(i + 1..i + 3)?, 16).ok()?);
                        i += 2;
                    }
                    c => out.push(c),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    let consumed = 2 + (inner.len() - rest.len()) + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), consumed))
}
