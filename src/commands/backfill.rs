//! `move-ingest backfill`.

use std::path::Path;

use crate::error::Exit;

/// Runs the `backfill` command.
pub async fn run(config: Option<&Path>, _args: crate::cli::BackfillArgs) -> anyhow::Result<Exit> {
    let _ = config;
    anyhow::bail!("not built yet")
}
