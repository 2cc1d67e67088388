//! `move-ingest sandbox`: starts the local Move-compatible API until SIGINT/SIGTERM.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::SandboxArgs;
use crate::error::{Exit, UsageError};
use crate::sandbox::{self, Faults, Options};

/// Runs the `sandbox` command.
pub async fn run(args: SandboxArgs) -> anyhow::Result<Exit> {
    let opts = options(&args)?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| UsageError::new(format!("cannot listen on {addr}: {e}")))?;
    let port = listener
        .local_addr()
        .context("cannot read the sandbox's address")?
        .port();
    let shutdown = shutdown_signal()?;
    announce(port, &opts).context("cannot write to stdout")?;
    sandbox::serve(listener, opts, shutdown).await?;
    Ok(Exit::Ok)
}

/// Turns the flags into [`Options`], refusing impossible fault probabilities.
fn options(args: &SandboxArgs) -> anyhow::Result<Options> {
    let faults = Faults {
        seed: args.fault_seed,
        p_5xx: args.fault_5xx,
        p_429: args.fault_429,
        retry_after_secs: args.fault_retry_after_secs,
        p_drop: args.fault_drop,
        p_cut: args.fault_cut,
        latency_ms: args.latency_ms,
        upload_bytes_per_sec: args.upload_bytes_per_sec,
    };
    faults
        .validate()
        .map_err(|e| UsageError::new(format!("sandbox fault flags: {e}")))?;
    let data_dir = args
        .data
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("move-ingest-sandbox"));
    Ok(Options {
        data_dir,
        api_key: args.api_key.clone(),
        url_ttl: Duration::from_secs(args.url_ttl_secs),
        faults,
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
        "admin: GET/POST http://127.0.0.1:{port}/admin/faults, GET http://127.0.0.1:{port}/admin/stats"
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
