//! What every ingesting command does first: config, logging, key, journal, pipeline.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::config::{Config, resolve_key};
use crate::error::UsageError;
use crate::ingest::Ingest;
use crate::journal::{Ledger, Replay};

/// Loads the config and starts logging as it says.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Arc<Config>> {
    let cfg = Config::load(path)?;
    crate::logging::init(&cfg.log);
    Ok(Arc::new(cfg))
}

/// Opens (and locks) the journal; a locked or unusable state dir is a usage error (exit 2).
pub fn open_ledger(cfg: &Config) -> anyhow::Result<(Arc<Ledger>, Replay)> {
    let (ledger, replay) =
        Ledger::open(&cfg.state.dir).map_err(|e| UsageError::new(e.to_string()))?;
    tracing::info!(
        state_dir = %cfg.state.dir.display(),
        entries = replay.entries,
        recordings = replay.recordings,
        torn_tail = replay.torn_tail,
        compaction_pending = replay.compact_pending,
        "journal replayed"
    );
    Ok((Arc::new(ledger), replay))
}

/// The whole pipeline, ready to ingest.
pub fn pipeline(cfg: Arc<Config>) -> anyhow::Result<Arc<Ingest>> {
    let key = resolve_key(&cfg.api)?;
    let (ledger, _) = open_ledger(&cfg)?;
    let ingest = Ingest::new(cfg, key, ledger).context("cannot set up the HTTP client")?;
    Ok(Arc::new(ingest))
}
