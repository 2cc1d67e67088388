//! `move-ingest run`.

use std::path::Path;

use crate::error::Exit;

/// Runs the `run` command.
pub async fn run(config: Option<&Path>) -> anyhow::Result<Exit> {
    let _ = config;
    anyhow::bail!("not built yet")
}
