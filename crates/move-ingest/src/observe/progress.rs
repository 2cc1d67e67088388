//! What a person watches while files are sent: on a terminal, one bar per file being sent
//! (name, bytes, rate, ETA) and for backfill an overall bar (recordings and bytes), with log
//! lines printed above the bars, never through them; for the service, a progress line every
//! 10 s for an upload that takes longer; and the totals for the final summary line.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::upload::{Report, Transfer};

/// How often the service logs an upload that is still going.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// The one set of bars of this process; log lines go above it.
pub fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
}

/// Bars are shown only on a terminal, and not with `--no-progress`.
pub fn bars_wanted(no_progress: bool) -> bool {
    !no_progress && std::io::stderr().is_terminal()
}

/// The log writer: stderr, with the bars cleared while a line is written and drawn again after.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        multi().suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Follows every upload of a command: bars, progress lines, and the bytes accepted.
pub struct Tracker {
    bars: bool,
    live: Option<crate::report::sending::Live>,
    log_every: Option<Duration>,
    overall: OnceLock<ProgressBar>,
    total_bytes: AtomicU64,
    accepted: AtomicU64,
    in_flight: AtomicU64,
    started: Instant,
}

impl Tracker {
    /// A tracker with bars (when `bars`) and a progress line every `log_every` for a long upload.
    pub fn new(bars: bool, log_every: Option<Duration>) -> Arc<Tracker> {
        Tracker::build(bars, log_every, None)
    }

    /// [`Tracker::new`], also keeping the files being sent in `state_dir` for `status`.
    pub fn for_state_dir(
        bars: bool,
        log_every: Option<Duration>,
        state_dir: &Path,
    ) -> Arc<Tracker> {
        Tracker::build(
            bars,
            log_every,
            Some(crate::report::sending::Live::new(state_dir)),
        )
    }

    fn build(
        bars: bool,
        log_every: Option<Duration>,
        live: Option<crate::report::sending::Live>,
    ) -> Arc<Tracker> {
        Arc::new(Tracker {
            bars,
            live,
            log_every,
            overall: OnceLock::new(),
            total_bytes: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// Shows the overall bar: `recordings` recordings of `bytes` bytes to go (once).
    pub fn expect(&self, recordings: u64, bytes: u64) {
        self.total_bytes.store(bytes, Ordering::Relaxed);
        if self.bars {
            let _ = self.overall.set({
                let bar = multi().insert(0, ProgressBar::new(recordings));
                bar.set_style(style(
                    "{prefix} [{bar:30}] {pos}/{len} recordings, {msg} ({elapsed})",
                ));
                bar.set_prefix("backfill");
                bar
            });
        }
        self.refresh();
    }

    /// One more recording is through (done, failed or left for later).
    pub fn recording_finished(&self) {
        if let Some(bar) = self.overall.get() {
            bar.inc(1);
        }
    }

    /// Bytes the storage accepted so far.
    pub fn accepted_bytes(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// `1.2 GiB sent in 3m 4s (6.5 MiB/s)` (`2.4s` under a minute), for the final summary line.
    pub fn summary(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let bytes = self.accepted_bytes();
        let rate = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
        let took = if secs < 60.0 {
            format!("{secs:.1}s")
        } else {
            humantime::format_duration(Duration::from_secs(secs.round() as u64)).to_string()
        };
        format!(
            "{} sent in {took} ({}/s)",
            HumanBytes(bytes),
            HumanBytes(rate as u64)
        )
    }

    /// Clears the bars (before the summary is printed).
    pub fn finish(&self) {
        if let Some(bar) = self.overall.get() {
            bar.finish_and_clear();
        }
    }

    fn refresh(&self) {
        if let Some(bar) = self.overall.get() {
            let sent = self.accepted_bytes() + self.in_flight.load(Ordering::Relaxed);
            bar.set_message(format!(
                "{} of {}",
                HumanBytes(sent),
                HumanBytes(self.total_bytes.load(Ordering::Relaxed))
            ));
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Report for Arc<Tracker> {
    fn start(&self, path: &Path, size: u64) -> Box<dyn Transfer> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let bar = self.bars.then(|| {
            let bar = multi().add(ProgressBar::new(size));
            bar.set_style(style(
                "  {msg:24!} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            ));
            bar.set_message(name.clone());
            bar
        });
        let now = Instant::now();
        let live_id = self.live.as_ref().map(|l| l.start(path, size));
        Box::new(FileSend {
            live_id,
            tracker: self.clone(),
            bar,
            name,
            size,
            started: now,
            last_log: Mutex::new(now),
            last: AtomicU64::new(0),
            accepted: AtomicBool::new(false),
        })
    }
}

/// One file being sent.
struct FileSend {
    live_id: Option<u64>,
    tracker: Arc<Tracker>,
    bar: Option<ProgressBar>,
    name: String,
    size: u64,
    started: Instant,
    last_log: Mutex<Instant>,
    last: AtomicU64,
    accepted: AtomicBool,
}

impl Transfer for FileSend {
    fn sent(&self, total: u64) {
        let before = self.last.swap(total, Ordering::Relaxed);
        let t = &self.tracker;
        t.in_flight
            .fetch_add(total.saturating_sub(before), Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(total);
        }
        if let (Some(live), Some(id)) = (&t.live, self.live_id) {
            live.sent(id, total);
        }
        t.refresh();
        if let Some(every) = t.log_every {
            self.maybe_log(total, every);
        }
    }

    fn accepted(&self) {
        self.accepted.store(true, Ordering::Relaxed);
    }
}

impl FileSend {
    fn maybe_log(&self, total: u64, every: Duration) {
        let Ok(mut last) = self.last_log.lock() else {
            return;
        };
        if last.elapsed() < every {
            return;
        }
        *last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        tracing::info!(
            file = %self.name,
            sent = total,
            size = self.size,
            percent = total * 100 / self.size.max(1),
            rate = %format!("{}/s", HumanBytes((total as f64 / secs) as u64)),
            "uploading"
        );
    }
}

impl Drop for FileSend {
    fn drop(&mut self) {
        let t = &self.tracker;
        t.in_flight
            .fetch_sub(self.last.load(Ordering::Relaxed), Ordering::Relaxed);
        if self.accepted.load(Ordering::Relaxed) {
            t.accepted.fetch_add(self.size, Ordering::Relaxed);
        }
        if let (Some(live), Some(id)) = (&t.live, self.live_id) {
            live.end(id);
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            multi().remove(bar);
        }
        t.refresh();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Log lines written to a shared buffer.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(every: Option<Duration>, steps: &[u64]) -> (String, Arc<Tracker>) {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let tracker = Tracker::new(false, every);
        tracing::subscriber::with_default(subscriber, || {
            let sending = tracker.start(Path::new("/x/clip.mp4"), 400);
            for s in steps {
                sending.sent(*s);
            }
            sending.accepted();
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        (text, tracker)
    }

    #[test]
    fn a_long_upload_logs_its_progress_and_a_short_one_does_not() {
        let (text, tracker) = logged(Some(Duration::ZERO), &[100, 200]);
        assert!(
            text.contains("uploading") && text.contains("file=clip.mp4"),
            "{text}"
        );
        assert!(
            text.contains("sent=200") && text.contains("percent=50"),
            "{text}"
        );
        assert_eq!(tracker.accepted_bytes(), 400);
        let (quiet, _) = logged(Some(LOG_EVERY), &[100, 200]);
        assert!(!quiet.contains("uploading"), "under 10 s, no line: {quiet}");
        let (none, _) = logged(None, &[100, 200]);
        assert!(none.is_empty(), "{none}");
    }
}
