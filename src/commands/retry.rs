//! `move-ingest retry`.

use std::path::Path;

use crate::error::Exit;

/// Runs the `retry` command.
pub async fn run(config: Option<&Path>, _args: crate::cli::RetryArgs) -> anyhow::Result<Exit> {
    let _ = config;
    anyhow::bail!("not built yet")
}
