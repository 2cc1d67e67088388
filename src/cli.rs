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
    /// Run a local Move-compatible API on 127.0.0.1, to try everything without an account.
    ///
    /// Serves the GraphQL operations move-ingest uses on /ugc/graphql (documents
    /// validated against the API's schema) and an upload endpoint that behaves like
    /// Move's storage: presigned URLs expire, Content-Type or Content-MD5 is refused,
    /// chunked bodies are refused. Files and takes are kept under --data.
    Sandbox(SandboxArgs),
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

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1; 0 picks a free one (the address is printed on the first line).
    #[arg(long, default_value_t = 8477)]
    pub port: u16,
    /// Where files, uploads and takes are kept. Defaults to a `move-ingest-sandbox` folder in the system temp dir.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The API key the sandbox accepts in the Authorization header.
    #[arg(
        long,
        env = "MOVE_SANDBOX_KEY",
        default_value = "sandbox-key",
        hide_env_values = true
    )]
    pub api_key: String,
    /// How long a presigned upload URL stays valid, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub url_ttl_secs: u64,
    /// Seed for the fault injection below, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Probability (0..1) that a request is answered with HTTP 500/503.
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx: f64,
    /// Probability (0..1) that a GraphQL request is answered with 429 and Retry-After.
    #[arg(long, default_value_t = 0.0)]
    pub fault_429: f64,
    /// The Retry-After, in seconds, sent with an injected 429.
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    pub fault_retry_after_secs: u64,
    /// Probability (0..1) that a mutation is performed and then the connection dropped without an answer.
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop: f64,
    /// Probability (0..1) that an upload is cut off halfway through its body (500, connection closed).
    #[arg(long, default_value_t = 0.0)]
    pub fault_cut: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Throttle for each upload, in bytes per second (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    pub upload_bytes_per_sec: u64,
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
            Command::Sandbox(args) => commands::sandbox::run(args).await,
        }
    })
}
