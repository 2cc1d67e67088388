//! The one-shot pipeline `backfill` runs: a scan's finds settled and considered in chunks,
//! the queue processed by the workers, and a tally of the outcomes.

pub(crate) mod consider;
mod drain;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::Stream;

use crate::config::Config;
use crate::detect::notices::Notices;
use crate::detect::scan::Scan;
use crate::detect::settle::Walked;
use crate::ingest::{Fatal, Ingest};
use crate::model::id::RecordingId;
use crate::observe::progress::Tracker;

pub use drain::{Stop, Tally, process_all};

/// What a backfill did.
#[derive(Debug)]
pub struct Summary {
    /// What became of the recordings it processed.
    pub tally: Tally,
    /// Videos not yet complete (modified within the settle time): the next run takes them.
    pub not_complete: usize,
    /// With nothing to do: how many recordings found are done, unchanged since their take.
    pub already_done: usize,
    /// The rig recordings this backfill took up that failed (key, why): e.g. a stray clip
    /// that no other camera recorded with.
    pub rigs_failed: Vec<(String, String)>,
}

/// Logs a scan's errors and records its notices (skipped symlinks, low free space) for `status`.
pub fn note_scan(cfg: &Config, scanned: &Scan) {
    for e in &scanned.errors {
        tracing::error!("{e}");
    }
    let mut notices = Notices::default();
    notices.skipped(&scanned.symlinks);
    notices.check_space(&cfg.watch);
    notices.save(&cfg.state.dir);
}

/// Backfills what `scanned` found: settles it, queues every complete find the state does not
/// have done and every unfinished recording of earlier runs, and processes the queue with the
/// workers until it is empty or `stops` ends it (see `process_all`); what is done is durable
/// and the webhook has heard of it when this returns.
pub async fn backfill(
    cfg: &Config,
    ingest: &Arc<Ingest>,
    scanned: &Scan,
    tracker: &Tracker,
    stops: &mut (impl Stream<Item = Stop> + Unpin),
) -> Result<Summary, Fatal> {
    let settle = Duration::from_secs(cfg.pairing.settle_secs);
    let (queue, not_complete) = build_queue(ingest, scanned, settle).await?;
    let already_done = if queue.is_empty() {
        count_done(ingest, scanned)?
    } else {
        0
    };
    tracing::info!(
        recordings = queue.len(),
        still_being_written = not_complete,
        "backfill starting"
    );
    tracker.expect(queue.len() as u64, queued_bytes(ingest, &queue));
    let grace = Duration::from_secs(cfg.service.shutdown_grace_secs);
    // The rig recordings: formed, their volumes made and waited for, then their takes; one
    // whose cameras are all uploaded beside the uploads, the rest after them.
    let uploads = process_all(ingest, queue, tracker, stops, grace);
    let (tally, rigs_failed) = ingest.uploads_and_rigs(uploads).await?;
    // A big state is checked beside the work; a damaged one fails the backfill even if it wrote nothing.
    ingest.state_checked()?;
    // The takes made last may still wait in an open group: on disk before they are reported.
    ingest.flush_state().await?;
    tracker.finish();
    if let Some(n) = ingest.monitor().notifier() {
        // The webhook hears of this run's failures before the process exits.
        n.flush(Duration::from_secs(10)).await;
    }
    Ok(Summary {
        tally,
        not_complete,
        already_done,
        rigs_failed,
    })
}

/// How many of the recordings `scanned` found are done with these very files (counted only
/// when there is nothing to do, so that the summary can say so).
fn count_done(ingest: &Ingest, scanned: &Scan) -> Result<usize, Fatal> {
    let mut done = 0;
    for found in &scanned.found {
        let Some(rec) = ingest.store.latest(&found.dir, &found.stem)? else {
            continue;
        };
        let video = found.video.as_ref().map(|s| &s.facts);
        let sidecar = found.sidecar.as_ref().map(|s| &s.facts);
        if rec.done_and_unchanged(video, sidecar) {
            done += 1;
        }
    }
    Ok(done)
}

/// What a backfill works on: every complete find the state does not have done, in the scan's
/// order, then the unfinished recordings of earlier runs (even those the scan did not bring
/// up). Also returns how many videos are still being written.
async fn build_queue(
    ingest: &Ingest,
    scanned: &Scan,
    settle: Duration,
) -> Result<(Vec<RecordingId>, usize), Fatal> {
    let walked = Walked::watch(&scanned.found, SystemTime::now(), settle).await;
    let finds: Vec<_> = scanned
        .found
        .iter()
        .map(|found| (found, walked.completeness(found)))
        .collect();
    let not_complete = finds
        .iter()
        .filter(|(found, done)| found.video.is_some() && !done.ready(found))
        .count();
    let mut queue = consider::consider_all(ingest, finds).await?;
    let mut queued: HashSet<RecordingId> = queue.iter().cloned().collect();
    for id in ingest.unfinished()? {
        if queued.insert(id.clone()) {
            queue.push(id);
        }
    }
    Ok((queue, not_complete))
}

/// The bytes of every file in the queue, for the overall progress bar.
fn queued_bytes(ingest: &Ingest, queue: &[RecordingId]) -> u64 {
    queue
        .iter()
        .filter_map(|id| ingest.recording(id).ok().flatten())
        .map(|r| {
            let size =
                |s: &Option<crate::model::recording::Seen>| s.as_ref().map_or(0, |s| s.facts.size);
            size(&r.video) + size(&r.sidecar)
        })
        .sum()
}
