//! `move-ingest check`.

use std::path::Path;

use crate::error::Exit;

/// Runs the `check` command.
pub async fn run(config: Option<&Path>) -> anyhow::Result<Exit> {
    let _ = config;
    anyhow::bail!("not built yet")
}
