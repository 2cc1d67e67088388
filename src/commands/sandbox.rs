//! `move-ingest sandbox`: starts the local Move-compatible API until SIGINT/SIGTERM.

use crate::cli::SandboxArgs;
use crate::error::Exit;

/// Runs the `sandbox` command.
pub async fn run(args: SandboxArgs) -> anyhow::Result<Exit> {
    let _ = args;
    anyhow::bail!("not built yet")
}
