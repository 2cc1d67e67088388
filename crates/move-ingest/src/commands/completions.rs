//! `move-ingest completions SHELL`: a shell completion script generated from the clap definitions.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs};
use crate::commands::exit::Exit;

/// Prints the completion script for `args.shell` to stdout.
pub fn run(args: CompletionsArgs) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(&script(args.shell))
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(Exit::Ok),
        // `move-ingest completions bash | head`: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Ok),
        Err(e) => Err(e).context(format!(
            "cannot write the {shell} completion script to stdout",
            shell = args.shell
        )),
    }
}

/// The completion script for `shell`, for the command line as this binary defines it
/// (the same bytes the package ships in `packaging/completions/`).
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "move-ingest", &mut buf);
    if shell == Shell::Bash {
        buf = fix_bash_hyphenated_bin_name(&buf);
    }
    buf
}

/// clap_complete's bash script (up to 4.6.12 at least, clap issue #6421) spells the state of a
/// hyphenated binary's subcommands two ways: the word loop sets `move__ingest__subcmd__status`,
/// the `case` arms wait for `move__subcmd__ingest__subcmd__status`, so nothing after a
/// subcommand completes. This spells the arms like the loop; once clap fixes it, it is a no-op.
fn fix_bash_hyphenated_bin_name(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("move__subcmd__ingest__", "move__ingest__")
        .into_bytes()
}
