//! Log lines on stderr with tracing: level from `RUST_LOG` or `log.level`, text or JSON.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber once; later calls do nothing.
pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(own_level(&log.level)))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
