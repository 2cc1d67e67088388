//! The command line: clap definitions, one flat `match` to the subcommands, exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::error::Exit;

/// Watches capture folders and turns every complete recording into exactly one Move take.
///
/// A recording is `<watch path>/<device label>/<stem>.mp4` (or .mov, .avi) plus,
/// when present, `<stem>.move`. Each complete recording is uploaded once and gets
/// one single-camera take; every step is kept in a crash-safe journal in the
/// state directory, so nothing is lost and nothing happens twice.
///
/// Exit codes: 0 all well; 1 some recordings failed; 2 usage or config error;
/// 3 the API rejected the key.
#[derive(Debug, Parser)]
#[command(name = "move-ingest", version, propagate_version = true)]
pub struct Cli {
    /// The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml.
    #[arg(long, global = true, value_name = "PATH", env = "MOVE_INGEST_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan, then watch and ingest until SIGTERM/SIGINT (the systemd service).
    ///
    /// Replays the journal, resumes unfinished recordings, scans every watch path, then
    /// watches them with inotify; a periodic rescan (`watch.rescan_secs`) is the safety net.
    /// A file is complete once its size and mtime hold still for `pairing.settle_secs`; a
    /// complete video waits up to `pairing.move_wait_secs` for its `.move`. On SIGTERM it
    /// stops taking work, gives uploads `service.shutdown_grace_secs` to finish, and exits 0;
    /// what is unfinished resumes at the next start. Under systemd (Type=notify) it reports
    /// READY, STATUS and WATCHDOG.
    Run,
    /// Ingest every complete recording already on disk, wait for it, then exit.
    ///
    /// A file counts as complete when its mtime is older than `pairing.settle_secs`;
    /// newer files are left for the next run. Exits 1 if any recording failed
    /// (see `status`), 3 if the API rejected the key.
    Backfill(BackfillArgs),
    /// Show what the journal holds: waiting, uploading, done, failed.
    Status(StatusArgs),
    /// Validate the config, reach the API with the key, check the folders, then exit.
    Check,
    /// Put failed recordings back in the queue for the next `run` or `backfill`.
    Retry(RetryArgs),
    /// List, show or update takes on the API.
    #[command(subcommand)]
    Takes(TakesCommand),
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Do not show a progress bar even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// Only this recording id (as `status` shows it); all failed recordings if omitted.
    pub recording: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TakesCommand {
    /// List takes, newest first.
    List {
        /// How many takes to show.
        #[arg(long, default_value_t = 20)]
        first: u32,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one take with its sources.
    Show {
        /// The take id, e.g. take-2be2463e-ffa3-419b-beb4-ea0f99c79512.
        take_id: String,
    },
    /// Replace a take's name and/or metadata.
    Update {
        /// The take id.
        take_id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New metadata, a JSON object.
        #[arg(long)]
        metadata: Option<String>,
    },
}

/// Parses the command line, runs the command, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let exit = Exit::for_error(&err);
            eprintln!("move-ingest: error: {err:#}");
            exit.into()
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    let config = cli.config;
    runtime.block_on(async move {
        match cli.command {
            Command::Run => commands::run::run(config.as_deref()).await,
            Command::Backfill(args) => commands::backfill::run(config.as_deref(), args).await,
            Command::Status(args) => commands::status::run(config.as_deref(), args).await,
            Command::Check => commands::check::run(config.as_deref()).await,
            Command::Retry(args) => commands::retry::run(config.as_deref(), args).await,
            Command::Takes(cmd) => commands::takes::run(config.as_deref(), cmd).await,
        }
    })
}
