//! The command line: clap definitions, one flat `match` to the subcommands, exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::commands::exit::Exit;

/// Watches capture folders and turns every complete recording into exactly one Move take.
///
/// A recording is `<watch path>/<device label>/<stem>.mp4` (or .mov, .avi) plus,
/// when present, `<stem>.move`. Each complete recording is uploaded once and gets
/// one single-camera take; every step is kept in a crash-safe database
/// (state.db) in the state directory, so nothing is lost and nothing happens twice.
///
/// Exit codes: 0 all well; 1 some recordings failed; 2 usage or config error;
/// 3 the API rejected the key; 4 an API call failed that is not a recording's failure
/// (the API is down or refused, e.g. an unknown take id); 130/143 backfill stopped by
/// Ctrl-C/SIGTERM. Output cut short by its reader (`| head`) exits 0.
#[derive(Debug, Parser)]
#[command(name = "move-ingest", version, propagate_version = true)]
pub struct Cli {
    /// The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml.
    #[arg(long, global = true, value_name = "PATH", env = "MOVE_INGEST_CONFIG")]
    pub config: Option<PathBuf>,

    /// More log lines on stderr: each -v is one level above `log.level` (info, debug, trace),
    /// instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan, then watch and ingest until SIGTERM/SIGINT (the systemd service).
    ///
    /// Opens the state (state.db), resumes unfinished recordings, scans every watch path, then
    /// watches them with inotify; a periodic rescan (`watch.rescan_secs`) is the safety net.
    /// A file is complete once its size and mtime hold still for `pairing.settle_secs`; a
    /// complete video waits up to `pairing.move_wait_secs` for its `.move`. On SIGTERM it
    /// stops taking work, gives uploads `service.shutdown_grace_secs` to finish, and exits 0;
    /// what is unfinished resumes at the next start. Under systemd (Type=notify) it reports
    /// READY, STATUS and WATCHDOG: READY is sent once the state is open and the unfinished
    /// recordings are queued again; the first scan is taken in after it. With `[metrics] listen` (default: off) it also serves
    /// /metrics, a status page at /, /api/status and /healthz; with `[notify] webhook`
    /// (default: off) it posts failures, pauses and a daily summary (docs/monitoring.md).
    /// A state disk that fills up or turns read-only while it runs pauses ingestion (nothing
    /// committed is lost; said in the log every minute, STATUS, `status` and /healthz), the
    /// write is tried again every 5 s, and ingestion resumes by itself: the process does not exit.
    /// A state disk already full or read-only at the start is waited for (log, STATUS).
    /// With `[job]` (default: off; Move bills every job) it creates one processing job per new
    /// take, follows every unfinished job with getJob (`job.poll_secs` growing to
    /// `job.poll_cap_secs`) and downloads finished outputs to `job.download_to`; a FAILED job is
    /// logged and never retried by itself (`move-ingest jobs retry TAKE_ID`).
    Run,
    /// Ingest every complete recording already on disk, wait for it, then exit.
    ///
    /// A file counts as complete when its mtime is older than `pairing.settle_secs`;
    /// newer files are left for the next run. Exits 1 if any recording failed or a folder
    /// could not be read (see `status`), 2 if a watch path does not exist, 3 if the API
    /// rejected the key. Ctrl-C (or SIGTERM) starts nothing new, gives running uploads
    /// `service.shutdown_grace_secs` to finish, prints the summary and exits 130 (143);
    /// a second Ctrl-C stops at once. With `[job]` it creates one processing job per new take
    /// (exactly once) but does not wait for the jobs: `run` follows them and downloads their
    /// outputs.
    Backfill(BackfillArgs),
    /// Show what the state holds: how many recordings are in each state, and which.
    ///
    /// The counts: waiting = a .move whose video has not appeared yet, or a video that the
    /// running service holds back until its .move comes (the row says until when); queued = complete,
    /// nothing sent yet; uploading = a file of it is being sent right now (the row shows how
    /// far); part sent = some of its files are uploaded, the rest are not (the
    /// next `run` or `backfill` sends them); creating take = the take was asked for and its
    /// answer is not recorded yet (the next run finds it or asks again, never twice); done =
    /// it has its take; failed = it stopped with a reason (`move-ingest retry` puts it back);
    /// gone = a file was deleted before its upload.
    ///
    /// Failed, uploading and unfinished (part sent, creating take) recordings are always listed, then
    /// the newest 20 of the rest; `--all` lists every one, `--failed` only the failed ones,
    /// `--since` only those changed within a time. It reads state.db read-only, so it works
    /// while `run` or `backfill` is running.
    Status(StatusArgs),
    /// Every step of one recording with its time, e.g. `move-ingest history cam-a/take01`.
    ///
    /// One line per step: its time (UTC), the step and what happened in words. Reads state.db
    /// read-only, so it works while `run` or `backfill` is running. A file whose bytes changed
    /// after its take is a new recording: each one is listed. `--json` prints the steps as
    /// stored.
    History(HistoryArgs),
    /// Look after the state database (state.db in `state.dir`).
    #[command(subcommand)]
    State(StateCommand),
    /// Validate the config, reach the API with the key, check the folders, then exit.
    Check,
    /// Put failed (or retrying) recordings back in the queue, also while the service runs.
    ///
    /// Without a service, the next `run` or `backfill` takes them up. While `run` holds the
    /// state dir, the request is recorded in the state and the service takes it up within
    /// seconds (`retry` waits up to 10 s to say so). A retrying recording is tried again by
    /// itself anyway; `retry` sends it now.
    Retry(RetryArgs),
    /// Adopt the takes already on the API for recordings the state does not know.
    ///
    /// Scans the watch paths as `backfill` does and, for each complete recording the state
    /// does not know (a lost, emptied or new state dir), looks for its take among the
    /// account's takes (`listTakes`, read once): one whose move-ingest record names the same
    /// device label, stem, file names and sizes, confirmed by the SHA-256 of the local files
    /// (read here, never uploaded). A take that names the same files but holds other bytes is
    /// never adopted. Prints for each recording whether it is adopted (with the take id), to
    /// upload (no take holds it), or left (already done, not complete, failed, in the queue),
    /// then a summary line.
    ///
    /// It records the adoptions in the state (the recording is done, with that take) but
    /// uploads nothing and creates no take: uploading is the job of `backfill` and `run`,
    /// which also adopt by themselves when they meet recordings the state does not know.
    /// It takes the state dir's lock, so stop the service first. Exits 0; 1 if a folder could
    /// not be read; 3 if the API rejected the key; 4 if the takes could not be read.
    Reconcile(ReconcileArgs),
    /// Upload a file by hand and print its file id (the guide's `files.create` + upload).
    #[command(subcommand)]
    Files(FilesCommand),
    /// List, show, create or update takes on the API: the takes guide, from a shell.
    #[command(subcommand)]
    Takes(TakesCommand),
    /// List, show or create processing jobs (a take turned into animation; billed by Move).
    #[command(subcommand)]
    Jobs(commands::jobs::JobsCommand),
    /// List, show or create calibrated volumes, which multicam takes are made on (Move's
    /// multicam quickstart).
    #[command(subcommand)]
    Volumes(commands::volumes::VolumesCommand),
    /// The lens names the API knows (`listCameraSettings`), one a line: the LENS of a multicam
    /// `--source LABEL:FILE_ID:FORMAT:LENS`.
    Lenses(commands::multicam::ListingArgs),
    /// The rigs a multicam job may use (`listRigs`), one a line: `jobs create TAKE_ID --rig NAME`.
    Rigs(commands::multicam::ListingArgs),
    /// Print a shell completion script to stdout.
    ///
    /// Generated from these very definitions. The Debian package installs the bash, zsh and
    /// fish scripts already; from source, e.g.
    /// `move-ingest completions bash > /etc/bash_completion.d/move-ingest`.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Do not show progress bars even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// List what would be uploaded and which takes would be created; send nothing, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Default, Args)]
pub struct StatusArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// List every recording, not only failed, unfinished and the newest 20 of the rest.
    #[arg(long, conflicts_with_all = ["failed", "since"])]
    pub all: bool,
    /// List only the failed recordings, every one, with why (the counts stay whole).
    #[arg(long, conflicts_with = "since")]
    pub failed: bool,
    /// Count and list only the recordings changed within this long, e.g. 1h, 2days, 30m.
    /// Default: all of them are counted.
    #[arg(long, value_name = "DURATION")]
    pub since: Option<humantime::Duration>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// DEVICE/STEM: the device label and the file name without its extension, as `status` shows them.
    pub recording: String,
    /// Print the recording(s) and their steps, as stored, as JSON instead of words.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Copy state.db to PATH, consistently, even while `run` or `backfill` is writing it
    /// (SQLite's online backup API). PATH must not exist. To restore: stop the service,
    /// copy the backup over state.db (removing state.db-wal and state.db-shm), start it.
    Backup {
        /// Where the copy goes (a new file).
        path: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// Only this recording id (as `status` shows it): a failed or retrying one.
    #[arg(conflicts_with = "all_failed")]
    pub recording: Option<String>,
    /// Every failed and every retrying recording (the default when no RECORDING is given).
    #[arg(long)]
    pub all_failed: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Say what would be adopted, uploaded or left; record nothing (the takes are still read).
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object (each recording with its action, take id and reason, and the
    /// counts) instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Upload one file: `createFile` with the type from its extension (mp4, mov, avi, move),
    /// then the daemon's own streaming PUT (retries with backoff, a fresh URL when one
    /// expires, at most 5 GiB). Prints the file id, for `takes create --source`.
    Upload(FilesUploadArgs),
}

#[derive(Debug, Args)]
pub struct FilesUploadArgs {
    /// The file to upload; its extension gives the type (mp4, mov, avi or move).
    pub path: PathBuf,
    /// The file's name on the API. Defaults to the file name of PATH.
    #[arg(long)]
    pub name: Option<String>,
    /// Print `{"id", "type", "name", "size", "sha256"}` instead of the bare id.
    #[arg(long)]
    pub json: bool,
    /// Do not show a progress bar even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// What `--expand` may ask for, as in the guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExpandArg {
    /// The take's sources: device label, file id, format.
    Sources,
    /// The client (account) the take belongs to.
    Client,
}

/// `--sort`: by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SortArg {
    /// Oldest first.
    Asc,
    /// Newest first.
    #[default]
    Desc,
}

const TAKES_CREATE_EXAMPLES: &str = "\
Examples:
  # single camera: a video and its .move
  move-ingest takes create --source cam-a:FILE_ID:mp4 --source cam-a:FILE_ID:move \\
      --name 'take 1' --metadata '{\"foo\":\"bar\"}'
  # multicam, on a FINISHED volume (move-ingest volumes show VOLUME_ID)
  move-ingest takes create --volume VOLUME_ID \\
      --source cam-1:FILE_ID_1:mp4:goprohero10-fhd \\
      --source cam-2:FILE_ID_2:mp4:goprohero10-fhd --sync clap:2.5-4
  # then process it: move-ingest jobs create TAKE_ID --actors 1 --rig move_mo";

#[derive(Debug, Subcommand)]
pub enum TakesCommand {
    /// List takes, newest first, a page at a time (the guide's `takes.list`).
    ///
    /// The table ends, when there is a next page, with its token and the command that shows it.
    List(TakesListArgs),
    /// Show one take (the guide's `takes.retrieve`).
    Show(TakesShowArgs),
    /// Create a take from uploaded files: single-camera (the guide's `takes.create_singlecam`),
    /// or with --volume a multicam take (`createMultiCamTake`, the multicam quickstart's step 4).
    ///
    /// Upload the files first with `move-ingest files upload PATH`, which prints their ids.
    /// Example: `takes create --source cam-a:FILE_ID:mp4 --source cam-a:FILE_ID:move
    /// --metadata '{"foo":"bar"}'`. A multicam take needs a FINISHED volume, a video of each
    /// of its cameras with the same labels and lenses, and --sync. Every argument is checked
    /// before the first request. Prints the take id.
    #[command(after_help = TAKES_CREATE_EXAMPLES)]
    Create(TakesCreateArgs),
    /// Change a take's name and/or metadata (the guide's `takes.update`).
    ///
    /// `--metadata` replaces the metadata, but keeps the `move_ingest` record that move-ingest
    /// wrote on the take (exactly-once and adoption rely on it) unless `--drop-ingest-record`;
    /// `--set KEY=VALUE` changes single keys and keeps the rest.
    Update(TakesUpdateArgs),
}

#[derive(Debug, Args)]
pub struct TakesListArgs {
    /// How many takes per page (1 to 100).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,
    /// Start at this page: the token the previous page printed (its `next_token`). Defaults to the first page.
    #[arg(long, value_name = "TOKEN")]
    pub next_token: Option<String>,
    /// Order by creation time.
    #[arg(long, value_enum, default_value_t = SortArg::Desc)]
    pub sort: SortArg,
    /// Also read the takes' sources and/or client, comma-separated. Defaults to neither.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "sources,client")]
    pub expand: Vec<ExpandArg>,
    /// Page through every take, printing each page as it arrives.
    #[arg(long)]
    pub all: bool,
    /// Print `{"takes": [TAKE, ...], "next_token": "..." | null}` instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TakesShowArgs {
    /// The take id, e.g. take-2be2463e-ffa3-419b-beb4-ea0f99c79512.
    pub take_id: String,
    /// Also read the take's sources and/or client, comma-separated. Defaults to neither.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "sources,client")]
    pub expand: Vec<ExpandArg>,
    /// Print the take as JSON (`id`, `name`, `created`, `metadata`, and `sources`/`client` when expanded).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TakesCreateArgs {
    /// A source as LABEL:FILE_ID:FORMAT, FORMAT one of mp4, mov, avi, move (any case).
    /// Repeat it: exactly one video (mp4, mov or avi), and optionally one move.
    /// With --volume: LABEL:FILE_ID:FORMAT:LENS, one video of each camera of the volume, with
    /// the lens the volume was made with.
    #[arg(
        long = "source",
        value_name = "LABEL:FILE_ID:FORMAT[:LENS]",
        required = true
    )]
    pub sources: Vec<String>,
    /// Make a multicam take on this volume (`createMultiCamTake`): it must be FINISHED
    /// (`move-ingest volumes show VOLUME_ID`). Defaults to a single-camera take.
    #[arg(long, value_name = "VOLUME_ID", requires = "sync")]
    pub volume: Option<String>,
    /// With --volume: how the cameras' videos are synced: timecode, clap:START-END (a clap
    /// between these seconds, e.g. clap:2.5-4) or none (already synced).
    #[arg(long, value_name = "timecode|clap:START-END|none", requires = "volume")]
    pub sync: Option<String>,
    /// The take's name. Defaults to none.
    #[arg(long)]
    pub name: Option<String>,
    /// Custom metadata, a JSON object, e.g. '{"foo":"bar"}'. Defaults to {}.
    #[arg(long, value_name = "JSON")]
    pub metadata: Option<String>,
    /// Print the take as JSON instead of its id.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TakesUpdateArgs {
    /// The take id.
    pub take_id: String,
    /// New metadata, a JSON object; replaces the current one (keeping `move_ingest`, see above).
    /// Defaults to the current metadata.
    #[arg(long, value_name = "JSON")]
    pub metadata: Option<String>,
    /// Set one metadata key, keeping the others; VALUE is parsed as JSON, else taken as a string. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// New name. Defaults to the current one.
    #[arg(long)]
    pub name: Option<String>,
    /// With --metadata: do not keep the `move_ingest` record (the take is then unknown to reconciliation).
    #[arg(long, requires = "metadata")]
    pub drop_ingest_record: bool,
    /// Print the updated take as JSON instead of `updated ID`.
    #[arg(long)]
    pub json: bool,
}

/// Parses the command line, runs the command, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(exit) => exit.into(),
        Err(err) if err.is::<crate::commands::output::StdoutClosed>() => Exit::Ok.into(),
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
    crate::observe::logging::set_verbosity(cli.verbose.min(4) as i8 - cli.quiet.min(4) as i8);
    let config = cli.config;
    runtime.block_on(async move {
        match cli.command {
            Command::Run => commands::run::run(config.as_deref()).await,
            Command::Backfill(args) => commands::backfill::run(config.as_deref(), args).await,
            Command::Status(args) => commands::status::run(config.as_deref(), args).await,
            Command::History(args) => commands::history::run(config.as_deref(), args).await,
            Command::State(cmd) => commands::state::run(config.as_deref(), cmd).await,
            Command::Check => commands::check::run(config.as_deref()).await,
            Command::Retry(args) => commands::retry::run(config.as_deref(), args).await,
            Command::Reconcile(args) => commands::reconcile::run(config.as_deref(), args).await,
            Command::Files(cmd) => commands::files::run(config.as_deref(), cmd).await,
            Command::Takes(cmd) => commands::takes::run(config.as_deref(), cmd).await,
            Command::Jobs(cmd) => commands::jobs::run(config.as_deref(), cmd).await,
            Command::Volumes(cmd) => commands::volumes::run(config.as_deref(), cmd).await,
            Command::Lenses(args) => commands::multicam::lenses(config.as_deref(), args).await,
            Command::Rigs(args) => commands::multicam::rigs(config.as_deref(), args).await,
            Command::Completions(args) => commands::completions::run(args),
        }
    })
}
