//! `move-ingest run`: the watching service, until SIGTERM or SIGINT.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use std::time::{Duration, Instant};

use tokio::signal::unix::{Signal, SignalKind, signal};

use super::common;
use crate::commands::exit::Exit;

/// Runs the `run` command: exit 0 after a clean shutdown, even if some recordings failed
/// (they are in `status`; a service that exits non-zero would be restarted for nothing);
/// exit 2 when the Move API says a `[[multicam]]` rig is wrong (at start, or once it answers).
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
    // The rigs' questions for the API: a wrong answer in the first seconds stops the start
    // (exit 2) before anything is uploaded; an API that does not answer is asked again beside
    // the service, whose run a later wrong answer stops.
    let mut rigs = None;
    if !cfg.multicam.is_empty() {
        let (mut task, missed) = super::rig_check::beside_run(ingest.api().clone(), cfg.clone());
        tokio::select! {
            done = &mut task => {
                if let Ok(Some(e)) = done {
                    return Err(e);
                }
            }
            // Logged by the checks: they wait for the API.
            Ok(()) = missed => rigs = Some(task),
            () = tokio::time::sleep(super::rig_check::FIRST_ANSWER) => {
                tracing::info!(
                    "no answer to the rig checks yet; starting, they are asked beside the service"
                );
                rigs = Some(task);
            }
        }
    }
    let stop_rigs = rigs.as_ref().map(tokio::task::JoinHandle::abort_handle);
    let (stopped_tx, mut stopped_rx) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        let rigs_failed = async {
            match rigs {
                Some(task) => task.await.ok().flatten(),
                None => None,
            }
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
            Some(e) = rigs_failed => {
                tracing::info!("the rig checks stop the run");
                let _ = stopped_tx.send(e);
            }
        }
    };
    let result = crate::service::run(cfg, ingest, started, shutdown).await;
    if let Some(task) = stop_rigs {
        task.abort();
    }
    result?;
    match stopped_rx.try_recv() {
        Ok(e) => Err(e),
        Err(_) => Ok(Exit::Ok),
    }
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
