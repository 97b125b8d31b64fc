//! Log lines on stderr: text (colour only for a terminal) or one JSON object per line, and
//! the request span (`http::observe`) carried onto the threads that do a request's blocking
//! work, so that their lines carry the request id too.

use std::io::IsTerminal;

use crate::config::{Config, LogFormat};

/// Installs the process's subscriber (`incognito serve`).
pub fn init(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    // Colour codes only for a person at a terminal, never in a file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// `f`, to run on another thread inside the caller's current span (its request id).
pub fn traced<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let span = tracing::Span::current();
    move || span.in_scope(f)
}
