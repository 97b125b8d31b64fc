//! A minimal HTTP/1.1 keep-alive client over one TCP connection, in the spirit of wrk: the
//! generator shares the machine with the server, so every microsecond it spends is one the
//! server does not get. Requests are written as prepared bytes; responses are parsed with
//! `httparse` (Content-Length and chunked bodies).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    /// `name=value` of each Set-Cookie header (attributes dropped).
    pub set_cookies: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    filled: usize,
}

#[derive(Debug)]
pub struct HttpError(pub String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(s: impl Into<String>) -> HttpError {
    HttpError(s.into())
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            stream: None,
            buf: vec![0; 16 * 1024],
            filled: 0,
        }
    }

    async fn connect(&mut self) -> Result<(), HttpError> {
        let s = TcpStream::connect(self.addr)
            .await
            .map_err(|e| err(format!("connect: {e}")))?;
        s.set_nodelay(true).ok();
        self.stream = Some(s);
        self.filled = 0;
        Ok(())
    }

    /// Sends one complete request (request line, headers, blank line, body) and reads the
    /// response. A connection the server closed while idle is reopened once, before any byte
    /// of the response arrived (the request was then not processed).
    pub async fn send(&mut self, request: &[u8]) -> Result<Response, HttpError> {
        for attempt in 0..2 {
            if self.stream.is_none() {
                self.connect().await?;
            }
            match self.round_trip(request).await {
                Ok(r) => return Ok(r),
                Err((e, nothing_read)) => {
                    self.stream = None;
                    if !(nothing_read && attempt == 0) {
                        return Err(e);
                    }
                }
            }
        }
        Err(err("unreachable"))
    }

    async fn round_trip(&mut self, request: &[u8]) -> Result<Response, (HttpError, bool)> {
        let stream = self.stream.as_mut().expect("connected");
        stream
            .write_all(request)
            .await
            .map_err(|e| (err(format!("write: {e}")), true))?;
        // Read the head.
        let (status, head_len, content_length, chunked, close, location, set_cookies) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 48];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf[..self.filled]) {
                Ok(httparse::Status::Complete(n)) => {
                    let mut content_length = None;
                    let mut chunked = false;
                    let mut close = false;
                    let mut location = None;
                    let mut set_cookies = Vec::new();
                    for h in resp.headers.iter() {
                        let name = h.name;
                        if name.eq_ignore_ascii_case("content-length") {
                            content_length = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<usize>().ok());
                        } else if name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = h.value.eq_ignore_ascii_case(b"chunked");
                        } else if name.eq_ignore_ascii_case("connection") {
                            close = h.value.eq_ignore_ascii_case(b"close");
                        } else if name.eq_ignore_ascii_case("location") {
                            location = Some(String::from_utf8_lossy(h.value).into_owned());
                        } else if name.eq_ignore_ascii_case("set-cookie") {
                            let v = String::from_utf8_lossy(h.value);
                            let pair = v.split(';').next().unwrap_or("");
                            if let Some((k, v)) = pair.split_once('=') {
                                set_cookies.push((k.trim().to_string(), v.trim().to_string()));
                            }
                        }
                    }
                    break (
                        resp.code.unwrap_or(0),
                        n,
                        content_length,
                        chunked,
                        close,
                        location,
                        set_cookies,
                    );
                }
                Ok(httparse::Status::Partial) => {
                    let nothing = self.filled == 0;
                    self.fill(nothing).await?;
                }
                Err(e) => return Err((err(format!("bad response: {e}")), false)),
            }
        };
        let body = if chunked {
            self.read_chunked(head_len).await?
        } else {
            let len = content_length.unwrap_or(0);
            while self.filled < head_len + len {
                self.fill(false).await?;
            }
            let body = self.buf[head_len..head_len + len].to_vec();
            self.consume(head_len + len);
            body
        };
        if close {
            self.stream = None;
        }
        Ok(Response {
            status,
            location,
            set_cookies,
            body,
        })
    }

    async fn fill(&mut self, nothing_read: bool) -> Result<(), (HttpError, bool)> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let stream = self.stream.as_mut().expect("connected");
        match stream.read(&mut self.buf[self.filled..]).await {
            Ok(0) => Err((err("connection closed"), nothing_read)),
            Ok(n) => {
                self.filled += n;
                Ok(())
            }
            Err(e) => Err((err(format!("read: {e}")), nothing_read)),
        }
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    async fn read_chunked(&mut self, head_len: usize) -> Result<Vec<u8>, (HttpError, bool)> {
        self.consume(head_len);
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(p) = self.buf[..self.filled]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                {
                    break p;
                }
                self.fill(false).await?;
            };
            let size_text = std::str::from_utf8(&self.buf[..line_end]).unwrap_or("");
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| (err("bad chunk size"), false))?;
            self.consume(line_end + 2);
            while self.filled < size + 2 {
                self.fill(false).await?;
            }
            body.extend_from_slice(&self.buf[..size]);
            self.consume(size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

/// A GET request with optional extra header lines (each ending in CRLF).
pub fn get(host: &str, path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n").into_bytes()
}

/// A form POST with optional extra header lines (each ending in CRLF).
pub fn post_form(host: &str, path: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A browser's cookie jar for one host, reduced to what the hosted pages need.
#[derive(Default)]
pub struct Jar(Vec<(String, String)>);

impl Jar {
    pub fn store(&mut self, set: &[(String, String)]) {
        for (k, v) in set {
            self.0.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.0.push((k.clone(), v.clone()));
            }
        }
    }

    /// The `Cookie:` header line (with CRLF), or nothing.
    pub fn header(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("Cookie: {}\r\n", pairs.join("; "))
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}
