//! What commands print on stdout. A reader that goes away (`status | head -1`) is not an
//! error: the write fails with EPIPE, the command stops there and exits 0 without a word.

use std::io::Write;

/// Stdout was closed by its reader: the command stops quietly (exit 0).
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed by its reader")]
pub struct StdoutClosed;

/// Writes one line to stdout. Use through [`outln!`](crate::outln).
pub fn line(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(write_error)
}

/// Writes text as it is (no newline added) and flushes, for output streamed piece by piece.
pub fn text(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_error)
}

fn write_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("cannot write to stdout")
    }
}

/// `println!` for commands: `outln!("{x}")?;` ends the command quietly when stdout is closed.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::commands::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::commands::output::line(format_args!($($arg)*))
    };
}
