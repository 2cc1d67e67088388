//! `move-ingest takes`.

use std::path::Path;

use crate::error::Exit;

/// Runs the `takes` command.
pub async fn run(config: Option<&Path>, _cmd: crate::cli::TakesCommand) -> anyhow::Result<Exit> {
    let _ = config;
    anyhow::bail!("not built yet")
}
