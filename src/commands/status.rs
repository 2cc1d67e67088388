//! `move-ingest status`.

use std::path::Path;

use crate::error::Exit;

/// Runs the `status` command.
pub async fn run(config: Option<&Path>, _args: crate::cli::StatusArgs) -> anyhow::Result<Exit> {
    let _ = config;
    anyhow::bail!("not built yet")
}
