//! `move-ingest run`: the watching service, until SIGTERM or SIGINT.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use std::time::{Duration, Instant};

use tokio::signal::unix::{Signal, SignalKind, signal};

use super::common;
use crate::commands::exit::Exit;

/// Runs the `run` command: exit 0 after a clean shutdown, even if some recordings failed
/// (they are in `status`; a service that exits non-zero would be restarted for nothing).
pub async fn run(config: Option<&Path>) -> anyhow::Result<Exit> {
    // Signals are caught before anything else, so an early SIGTERM is a clean stop too.
    let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
    let cfg = common::load_config(config)?;
    if !wait_for_state(&cfg.state.dir, &mut term, &mut int).await {
        return Ok(Exit::Ok);
    }
    let started = crate::service::Started::begin(&cfg)?;
    // The service draws no bars; it logs an upload that takes long every 10 s.
    let tracker = crate::observe::progress::Tracker::for_state_dir(
        false,
        Some(crate::observe::progress::LOG_EVERY),
        &cfg.state.dir,
    );
    let ingest = common::pipeline(cfg.clone(), Arc::new(tracker))?;
    // A full or read-only state disk pauses the service until a write goes through again.
    ingest.pause_when_state_full();
    let shutdown = async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!("{name} received");
    };
    crate::service::run(cfg, ingest, started, shutdown).await?;
    Ok(Exit::Ok)
}

/// A state dir that is full or read-only at the start (a machine rebooted with its state disk
/// in that state) is waited out rather than an exit 2 that systemd would not restart: said in
/// the log every minute and in STATUS=, looked at every 5 s. False if a signal came meanwhile.
async fn wait_for_state(dir: &Path, term: &mut Signal, int: &mut Signal) -> bool {
    let mut systemd = crate::service::systemd::Systemd::new();
    let mut logged: Option<Instant> = None;
    while let Some(cause) = crate::store::pause::unwritable(dir) {
        if logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
            tracing::warn!(
                state_dir = %dir.display(),
                "waiting for the state dir: {}; {}",
                cause.reason(),
                cause.hint()
            );
            logged = Some(Instant::now());
        }
        systemd.status(format!(
            "paused: {}: waiting for {} to take writes",
            cause.reason(),
            dir.display()
        ));
        systemd.ping(tokio::time::Instant::now());
        tokio::select! {
            _ = term.recv() => return false,
            _ = int.recv() => return false,
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
    if logged.is_some() {
        tracing::info!(state_dir = %dir.display(), "the state dir takes writes again; starting");
    }
    true
}
