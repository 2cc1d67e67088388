//! Log lines on stderr with tracing: level from `RUST_LOG` or `log.level`, text or JSON.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// `-v` (+1 each) and `-q` (-1 each) from the command line, applied to `log.level`.
static VERBOSITY: std::sync::atomic::AtomicI8 = std::sync::atomic::AtomicI8::new(0);

/// Sets how many levels `-v`/`-q` move the log level (called once, before any command).
pub fn set_verbosity(delta: i8) {
    VERBOSITY.store(delta, std::sync::atomic::Ordering::Relaxed);
}

/// `level` moved `delta` steps along error < warn < info < debug < trace (a filter starts at info).
fn shifted(level: &str, delta: i8) -> String {
    const ORDER: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
    if delta == 0 {
        return level.to_string();
    }
    let at = ORDER
        .iter()
        .position(|l| l.eq_ignore_ascii_case(level))
        .unwrap_or(2) as i8;
    ORDER[(at + delta).clamp(0, 4) as usize].to_string()
}

/// Installs the global subscriber once; later calls do nothing.
pub fn init(log: &LogConfig) {
    let level = shifted(
        &log.level,
        VERBOSITY.load(std::sync::atomic::Ordering::Relaxed),
    );
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(own_level(&level)))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::progress::LogWriter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A bare level (`debug`) applies to move-ingest only; the libraries below it stay at `warn`.
/// A full filter (`info,hyper=debug`) is taken as written.
fn own_level(level: &str) -> String {
    if level.contains(['=', ',']) {
        level.to_string()
    } else {
        format!("warn,move_ingest={level}")
    }
}
