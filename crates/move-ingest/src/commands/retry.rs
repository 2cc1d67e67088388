//! `move-ingest retry`: put failed recordings back in the queue.

use std::path::Path;

use super::common;
use crate::cli::RetryArgs;
use crate::error::{Exit, UsageError};
use crate::id::RecordingId;
use crate::state::{Event, Phase};
use crate::store::StoreError;

/// Runs the `retry` command. The next `run` or `backfill` takes the recordings up again.
pub async fn run(config: Option<&Path>, args: RetryArgs) -> anyhow::Result<Exit> {
    let cfg = common::load_config(config)?;
    let (ledger, _) = common::open_store(&cfg)?;
    let usage = |e: StoreError| UsageError::new(e.to_string());
    let ids: Vec<RecordingId> = {
        match &args.recording {
            Some(id) => match ledger.recording(id).map_err(usage)? {
                Some(r) if r.phase() == Phase::Failed => vec![r.id.clone()],
                Some(r) => {
                    return Err(UsageError::new(format!(
                        "recording {id} is {}, not failed",
                        r.phase().as_str()
                    ))
                    .into());
                }
                None => {
                    return Err(UsageError::new(format!(
                        "no recording {id} in the state (see `move-ingest status --failed`)"
                    ))
                    .into());
                }
            },
            None => ledger.failed().map_err(usage)?,
        }
    };
    for id in &ids {
        ledger.record(id, Event::Requeued).await.map_err(usage)?;
    }
    crate::outln!(
        "{} recording(s) put back in the queue; the next `run` or `backfill` takes them up",
        ids.len()
    )?;
    Ok(Exit::Ok)
}
