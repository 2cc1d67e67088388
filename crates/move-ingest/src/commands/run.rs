//! `move-ingest run`: the watching service, until SIGTERM or SIGINT.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use super::common;
use crate::error::Exit;

/// Runs the `run` command: exit 0 after a clean shutdown, even if some recordings failed
/// (they are in `status`; a service that exits non-zero would be restarted for nothing).
pub async fn run(config: Option<&Path>) -> anyhow::Result<Exit> {
    // Signals are caught before anything else, so an early SIGTERM is a clean stop too.
    let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
    let cfg = common::load_config(config)?;
    let started = crate::service::Started::begin(&cfg)?;
    // The service draws no bars; it logs an upload that takes long every 10 s.
    let tracker = crate::progress::Tracker::for_state_dir(
        false,
        Some(crate::progress::LOG_EVERY),
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
