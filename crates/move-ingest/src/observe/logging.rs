//! Log lines on stderr with tracing: level from `RUST_LOG` or `log.level`, text or JSON; under
//! systemd (stderr is the state stream named by `$JOURNAL_STREAM`) text lines carry the
//! sd-daemon `<N>` priority prefix and no timestamp of our own, so `journalctl -p warning` works.

use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

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
        .with_writer(|| crate::observe::progress::LogWriter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text if stderr_is_journal() => {
            builder.with_ansi(false).event_format(Journal).try_init()
        }
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

/// True when `$JOURNAL_STREAM` (`DEV:INODE`, set by systemd) names our stderr.
fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    stream.to_string_lossy() == format!("{}:{}", meta.dev(), meta.ino())
}

/// The syslog priority journald reads from a `<N>` prefix.
pub fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One line per event: `<N>message key=value ...`; journald adds the time, unit and host.
struct Journal;

impl<S, N> FormatEvent<S, N> for Journal
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut fields = String::new();
        ctx.format_fields(Writer::new(&mut fields), event)?;
        // A newline would start a journal entry without the priority: keep one entry per event.
        let fields = fields.replace('\n', " ");
        writeln!(writer, "<{}>{fields}", priority(event.metadata().level()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(priority(&Level::ERROR), 3);
        assert_eq!(priority(&Level::WARN), 4);
        assert_eq!(priority(&Level::INFO), 6);
        assert_eq!(priority(&Level::DEBUG), 7);
    }
}
