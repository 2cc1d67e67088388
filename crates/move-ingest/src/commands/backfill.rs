//! `move-ingest backfill`: ingest every complete recording already on disk, then exit.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::common;
use crate::cli::BackfillArgs;
use crate::error::{Exit, Fatal};
use crate::id::RecordingId;
use crate::ingest::workers::Workers;
use crate::ingest::{Completeness, Ingest, Outcome};
use crate::scan::{self, Found};

/// Runs the `backfill` command.
pub async fn run(config: Option<&Path>, args: BackfillArgs) -> anyhow::Result<Exit> {
    let cfg = common::load_config(config)?;
    // The folder walk (system calls) runs beside the journal replay (parsing): one core each.
    let watches = cfg.watch.clone();
    let scanning = tokio::task::spawn_blocking(move || scan::scan(&watches));
    let ingest = common::pipeline(cfg.clone())?;
    let settle = Duration::from_secs(cfg.pairing.settle_secs);
    let scanned = scanning.await?;
    for e in &scanned.errors {
        tracing::warn!("{e}");
    }
    let now = SystemTime::now();
    let mut queue = Vec::new();
    let mut too_new = 0;
    for found in &scanned.found {
        let done = completeness(found, now, settle);
        if found.video.is_some() && !done.ready(found) {
            too_new += 1;
        }
        if let Some(id) = ingest
            .consider(found, done)
            .await
            .map_err(Fatal::into_error)?
        {
            queue.push(id);
        }
    }
    // Unfinished recordings from earlier runs resume even if the scan did not bring them up.
    let resumable = ingest.unfinished();
    let mut queued: std::collections::HashSet<RecordingId> = queue.iter().cloned().collect();
    for id in resumable {
        if queued.insert(id.clone()) {
            queue.push(id);
        }
    }
    tracing::info!(
        recordings = queue.len(),
        still_being_written = too_new,
        "backfill starting"
    );
    let tally = process_all(&ingest, queue, !args.no_progress).await?;
    println!(
        "backfill: {} done, {} failed, {} deferred, {} gone, {} not yet complete (newer than {}s)",
        tally.done,
        tally.failed,
        tally.deferred,
        tally.gone,
        too_new,
        settle.as_secs()
    );
    Ok(if tally.failed > 0 {
        Exit::SomeFailed
    } else {
        Exit::Ok
    })
}

/// Whether each file of a find is older than the settle time.
pub fn completeness(found: &Found, now: SystemTime, settle: Duration) -> Completeness {
    let old = |s: &Option<scan::Seen>| s.as_ref().is_some_and(|s| s.facts.age(now) >= settle);
    Completeness {
        video: old(&found.video),
        sidecar: old(&found.sidecar),
    }
}

#[derive(Debug, Default)]
struct Tally {
    done: usize,
    failed: usize,
    deferred: usize,
    gone: usize,
}

/// Processes the queue with the service's workers: at most `upload.concurrency` in flight.
async fn process_all(
    ingest: &Arc<Ingest>,
    queue: Vec<RecordingId>,
    progress: bool,
) -> anyhow::Result<Tally> {
    let bar = if progress {
        indicatif::ProgressBar::new(queue.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut workers = Workers::new(ingest.clone());
    for id in queue {
        workers.push(id);
    }
    let mut tally = Tally::default();
    while !workers.is_idle() {
        let (_, result) = workers.next().await;
        bar.inc(1);
        match result {
            Ok(Outcome::Done { .. }) => tally.done += 1,
            Ok(Outcome::Failed { .. }) => tally.failed += 1,
            Ok(Outcome::Deferred { reason }) => {
                tracing::info!("deferred: {reason}");
                tally.deferred += 1;
            }
            Ok(Outcome::Gone { .. }) => tally.gone += 1,
            Err(fatal) => {
                workers.abort().await;
                bar.finish_and_clear();
                return Err(fatal.into_error());
            }
        }
    }
    bar.finish_and_clear();
    Ok(tally)
}
