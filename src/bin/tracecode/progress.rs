//! Progress on stderr for the long commands (import, export, verify, demo, bench): a bar with rate and ETA when
//! the total is known, a counter or spinner otherwise. Quiet when stderr is not a terminal, so pipes, logs and
//! the tests see nothing of it.

use std::io::{self, IsTerminal, Read};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A progress display (hidden when stderr is not a terminal).
pub(crate) struct Progress(ProgressBar);

impl Progress {
    /// Counts items (events) toward `total` when it is known.
    pub(crate) fn new(label: &'static str, total: Option<u64>) -> Self {
        let template = if total.is_some() {
            "{prefix:>9} [{bar:25}] {percent:>3}% {human_pos}/{human_len} ({rate}/s, eta {eta})"
        } else {
            "{prefix:>9} {human_pos} ({rate}/s, {elapsed})"
        };
        Self::with(label, total, template)
    }

    /// Counts bytes toward `total` when it is known.
    pub(crate) fn bytes(label: &'static str, total: Option<u64>) -> Self {
        let template = if total.is_some() {
            "{prefix:>9} [{bar:25}] {percent:>3}% {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})"
        } else {
            "{prefix:>9} {bytes} ({bytes_per_sec}, {elapsed})"
        };
        Self::with(label, total, template)
    }

    /// A spinner with the elapsed time, for work that reports no progress of its own.
    pub(crate) fn spinner(label: &'static str) -> Self {
        let p = Self::with(label, None, "{prefix:>9} {spinner} {elapsed}");
        // The ticker is a thread: none when nothing is drawn (benchmarks measure with this running).
        if io::stderr().is_terminal() {
            p.0.enable_steady_tick(Duration::from_millis(200));
        }
        p
    }

    fn with(label: &'static str, total: Option<u64>, template: &str) -> Self {
        let target =
            if io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(total, target);
        let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        // indicatif's own per_sec prints unrounded floats; this is the scale the summaries use (`1.2 M/s`).
        let rate = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&per_second(s.pos(), s.elapsed().as_secs_f64()));
        };
        bar.set_style(style.with_key("rate", rate).progress_chars("#>."));
        bar.set_prefix(label);
        Self(bar)
    }

    /// Sets the count done so far.
    pub(crate) fn update(&self, done: u64) {
        self.0.set_position(done);
    }

    /// Adds `n` to the count.
    pub(crate) fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Removes the display.
    pub(crate) fn finish(&self) {
        self.0.finish_and_clear();
    }

    /// Wraps `r` so that every byte read advances this display.
    pub(crate) fn reader<R: Read>(&self, r: R) -> CountingReader<R> {
        CountingReader { inner: r, bar: self.0.clone() }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An early return (an error) must not leave a half-drawn bar behind the error message.
        self.0.finish_and_clear();
    }
}

/// A reader that advances a progress display by the bytes it reads.
pub(crate) struct CountingReader<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// `n` per second, human-scaled (`1.2 M`, `350 k`).
pub(crate) fn per_second(n: u64, secs: f64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let r = if secs > 0.0 { n as f64 / secs } else { 0.0 };
    if r >= 1e6 {
        format!("{:.2} M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k", r / 1e3)
    } else {
        format!("{r:.0}")
    }
}
