//! `move-sandbox`: the local Move-compatible API, on 127.0.0.1 until SIGINT/SIGTERM.
//!
//! Exit codes: 0 stopped by a signal; 1 the server failed; 2 a usage error (bad flag,
//! the port is taken, the data dir is in use).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

use move_sandbox::{DataDirInUse, Faults, JobSettings, Options, VolumeSettings};

/// A local Move-compatible API on 127.0.0.1, to try and test move-ingest without an account.
///
/// Serves the GraphQL operations of the Move UGC API on /ugc/graphql (documents
/// validated against the API's schema) and an upload endpoint that behaves like
/// Move's storage: presigned URLs expire, Content-Type or Content-MD5 is refused,
/// chunked bodies are refused. Processing jobs (createSingleCamJob) stay NOT_STARTED
/// for --job-queue-ms, RUNNING for --job-run-ms, then FINISH with one output file
/// per requested OutputType, downloadable from its presigned URL; --job-fail makes
/// some FAIL (the reason is in the job's metadata as `failure_reason`). Multi-cam:
/// volumes (createVolumeWithHuman) stay NOT_STARTED for --volume-queue-ms, RUNNING
/// for --volume-run-ms, then FINISH (--volume-fail makes some FAIL); a multi-cam take
/// needs a FINISHED volume. Files, takes, volumes and jobs are kept under --data, so a
/// restart keeps them. The first line printed is `sandbox listening on URL`.
///
/// Exit codes: 0 stopped by SIGINT/SIGTERM; 1 the server failed; 2 usage error.
#[derive(Debug, Clone, Parser)]
#[command(name = "move-sandbox", version)]
struct SandboxArgs {
    /// Port on 127.0.0.1; 0 picks a free one (the address is printed on the first line).
    #[arg(long, default_value_t = 8477)]
    port: u16,
    /// Where files, uploads and takes are kept; one sandbox at a time (it is locked: a second
    /// one exits 2). Defaults to a `move-ingest-sandbox` folder in the system temp dir.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The API key the sandbox accepts in the Authorization header.
    #[arg(
        long,
        env = "MOVE_SANDBOX_KEY",
        default_value = "sandbox-key",
        hide_env_values = true
    )]
    api_key: String,
    /// How long a presigned upload URL stays valid, in seconds.
    #[arg(long, default_value_t = 3600)]
    url_ttl_secs: u64,
    /// Seed for the fault injection below, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Probability (0..1) that a request is answered with HTTP 500/503.
    #[arg(long, default_value_t = 0.0)]
    fault_5xx: f64,
    /// Only GraphQL requests that name this root field (e.g. listTakes, createMultiCamTake) get
    /// --fault-5xx, and no upload does. Defaults to every request.
    #[arg(long, value_name = "FIELD")]
    fault_5xx_only: Option<String>,
    /// Probability (0..1) that a GraphQL request is answered with 429 and Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_429: f64,
    /// The Retry-After, in seconds, sent with an injected 429.
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    fault_retry_after_secs: u64,
    /// Probability (0..1) that a mutation is performed and then the connection dropped without an answer.
    #[arg(long, default_value_t = 0.0)]
    fault_drop: f64,
    /// Only mutations with this root field (e.g. createSingleCamJob, createVolumeWithHuman) lose
    /// their answer to --fault-drop. Defaults to any mutation.
    #[arg(long, value_name = "FIELD")]
    fault_drop_only: Option<String>,
    /// Probability (0..1) that an upload is cut off halfway through its body (500, connection closed).
    #[arg(long, default_value_t = 0.0)]
    fault_cut: f64,
    /// Probability (0..1) that a GraphQL request is refused as invalid (BadRequestException; nothing performed).
    #[arg(long, default_value_t = 0.0)]
    fault_invalid: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Only GraphQL requests that name this root field (e.g. createMultiCamTake) get
    /// --latency-ms, and no upload does. Defaults to every request.
    #[arg(long, value_name = "FIELD")]
    latency_only: Option<String>,
    /// Throttle for each upload, in bytes per second (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    upload_bytes_per_sec: u64,
    /// How long a new job stays NOT_STARTED, in milliseconds.
    #[arg(long, default_value_t = JobSettings::default().queue_ms, value_name = "MS")]
    job_queue_ms: u64,
    /// How long a job then stays RUNNING before it is FINISHED, in milliseconds.
    #[arg(long, default_value_t = JobSettings::default().run_ms, value_name = "MS")]
    job_run_ms: u64,
    /// Probability (0..1) that a new job FAILS halfway through its run.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    job_fail: f64,
    /// Seed for which jobs --job-fail picks, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    job_seed: u64,
    /// The size of each job output file, in bytes (each output adds up to 1 KiB more).
    #[arg(long, default_value_t = JobSettings::default().output_bytes, value_name = "BYTES")]
    job_output_bytes: u64,
    /// How long a new volume (createVolumeWithHuman) stays NOT_STARTED, in milliseconds.
    #[arg(long, default_value_t = VolumeSettings::default().queue_ms, value_name = "MS")]
    volume_queue_ms: u64,
    /// How long a volume then stays RUNNING before it is FINISHED, in milliseconds.
    #[arg(long, default_value_t = VolumeSettings::default().run_ms, value_name = "MS")]
    volume_run_ms: u64,
    /// Probability (0..1) that a new volume FAILS halfway through its run.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    volume_fail: f64,
    /// Seed for which volumes --volume-fail picks, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    volume_seed: u64,
}

/// A problem with the flags or the machine: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    let args = SandboxArgs::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("move-sandbox: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("move-sandbox: error: {err:#}");
            let usage = |c: &(dyn std::error::Error + 'static)| {
                c.downcast_ref::<UsageError>().is_some()
                    || c.downcast_ref::<DataDirInUse>().is_some()
            };
            if err.chain().any(usage) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Binds the port, announces the address, and serves until a signal.
async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let opts = options(&args)?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        UsageError(format!(
            "cannot listen on {addr}: {e}; pass --port 0 to let the system pick a free port"
        ))
    })?;
    let port = listener
        .local_addr()
        .context("cannot read the sandbox's address")?
        .port();
    let shutdown = shutdown_signal()?;
    let shown = opts.clone();
    let ready = move || announce(port, &shown).context("cannot write to stdout");
    move_sandbox::serve_when_ready(listener, opts, shutdown, ready).await
}

/// Turns the flags into [`Options`], refusing impossible fault probabilities.
fn options(args: &SandboxArgs) -> anyhow::Result<Options> {
    let faults = Faults {
        seed: args.fault_seed,
        p_5xx: args.fault_5xx,
        unavailable_only: args.fault_5xx_only.clone(),
        p_429: args.fault_429,
        retry_after_secs: args.fault_retry_after_secs,
        p_drop: args.fault_drop,
        drop_only: args.fault_drop_only.clone(),
        p_cut: args.fault_cut,
        p_invalid: args.fault_invalid,
        latency_ms: args.latency_ms,
        latency_only: args.latency_only.clone(),
        upload_bytes_per_sec: args.upload_bytes_per_sec,
    };
    faults
        .validate()
        .map_err(|e| UsageError(format!("sandbox fault flags: {e}")))?;
    let jobs = JobSettings {
        queue_ms: args.job_queue_ms,
        run_ms: args.job_run_ms,
        p_fail: args.job_fail,
        seed: args.job_seed,
        output_bytes: args.job_output_bytes,
        ..JobSettings::default()
    };
    jobs.validate()
        .map_err(|e| UsageError(format!("sandbox job flags: {e}")))?;
    let volumes = VolumeSettings {
        queue_ms: args.volume_queue_ms,
        run_ms: args.volume_run_ms,
        p_fail: args.volume_fail,
        seed: args.volume_seed,
        ..VolumeSettings::default()
    };
    volumes
        .validate()
        .map_err(|e| UsageError(format!("sandbox volume flags: {e}")))?;
    let data_dir = args
        .data
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("move-ingest-sandbox"));
    Ok(Options {
        data_dir,
        api_key: args.api_key.clone(),
        url_ttl: Duration::from_secs(args.url_ttl_secs),
        faults,
        jobs,
        volumes,
    })
}

/// Prints the address first (tests read that line), then how to use the sandbox.
fn announce(port: u16, opts: &Options) -> std::io::Result<()> {
    let endpoint = format!("http://127.0.0.1:{port}/ugc/graphql");
    let mut out = std::io::stdout().lock();
    writeln!(out, "sandbox listening on {endpoint}")?;
    out.flush()?;
    writeln!(
        out,
        "data kept in {} (survives a restart)",
        opts.data_dir.display()
    )?;
    writeln!(out, "use the key: MOVE_API_KEY={}", opts.api_key)?;
    writeln!(out, "in the config:\n  [api]\n  endpoint = \"{endpoint}\"")?;
    if !opts.faults.is_quiet() {
        writeln!(out, "injecting faults: {:?}", opts.faults)?;
    }
    writeln!(
        out,
        "admin: GET/POST http://127.0.0.1:{port}/admin/faults, /admin/jobs and /admin/volumes, GET http://127.0.0.1:{port}/admin/stats, POST http://127.0.0.1:{port}/admin/key"
    )?;
    writeln!(out, "stop with Ctrl-C")?;
    out.flush()
}

/// Completes on the first SIGINT or SIGTERM.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}
