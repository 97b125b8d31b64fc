//! Progress of long CLI work (import, export) on stderr: a bar on a terminal (rows done, rate,
//! time left), plain lines every few seconds otherwise or with `--json`, so that logs of a
//! scripted run stay readable and stdout keeps only the result.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub(super) struct Progress {
    verb: String,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// `total` rows are expected (an estimate: the bar tolerates more or fewer).
    pub(super) fn new(verb: impl Into<String>, total: u64, json: bool) -> Progress {
        let verb = verb.into();
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, {eta} left",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(verb.clone());
            bar
        });
        Progress {
            verb,
            total,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now(),
            bar,
        }
    }

    pub(super) fn advance(&mut self, rows: u64) {
        self.done += rows;
        match &self.bar {
            Some(bar) => bar.set_position(self.done),
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                eprintln!(
                    "{}: {}/{} rows, {:.0} rows/s",
                    self.verb,
                    self.done,
                    self.total,
                    self.rate()
                );
            }
            None => {}
        }
    }

    /// Rows per second so far.
    pub(super) fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    pub(super) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
