//! A no-op PreTokenGeneration webhook on loopback for the `refresh_pre_token` scenario: it
//! answers every request with the event it was sent (whose `response` is empty, so the
//! tokens are issued unchanged) and verifies nothing, so that the figure measures what the
//! server spends on calling a trigger, not what a handler does. HTTP/1.1 keep-alive, one
//! thread per connection (the server's trigger client keeps its connections).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// The secret the server signs webhook calls with (passed as `INCOGNITO_WEBHOOK_SECRET`).
pub const SECRET: &str = "whsec_bG9hZGdlbiB3ZWJob29rIHNlY3JldCBrZXk=";

/// Starts the webhook; returns its URL.
pub fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the webhook");
    let url = format!(
        "http://{}/pre-token-generation",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

fn serve(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
            return;
        }
    }
}
