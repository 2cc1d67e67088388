//! `move-ingest state backup PATH`: a consistent copy of the state database, safe while
//! `run` or `backfill` writes (SQLite's online backup API).

use std::path::Path;

use crate::cli::StateCommand;
use crate::commands::exit::Exit;
use crate::config::Config;
use crate::config::UsageError;
use crate::store::query::Reader;

/// Runs a `state` subcommand.
pub async fn run(config: Option<&Path>, cmd: StateCommand) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let usage = |e: crate::store::StoreError| UsageError::new(e.to_string());
    match cmd {
        StateCommand::Backup { path } => {
            if path.exists() {
                return Err(UsageError::new(format!(
                    "{} exists already; give a new file name (a backup never overwrites)",
                    path.display()
                ))
                .into());
            }
            let Some(reader) = Reader::open(&cfg.state.dir).map_err(usage)? else {
                return Err(UsageError::new(format!(
                    "no state database in {} yet: nothing to back up",
                    cfg.state.dir.display()
                ))
                .into());
            };
            reader.backup(&path).map_err(usage)?;
            crate::outln!(
                "backed up {} to {}; to restore: stop the service, copy it to {}, start it",
                reader.path().display(),
                path.display(),
                reader.path().display()
            )?;
            Ok(Exit::Ok)
        }
    }
}
