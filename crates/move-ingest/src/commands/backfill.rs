//! `move-ingest backfill`: ingest every complete recording already on disk, then exit.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::common;
use crate::cli::BackfillArgs;
use crate::commands::exit::Exit;
use crate::config::Config;
use crate::detect::notices::Notices;
use crate::detect::scan::{self, Found};
use crate::ingest::Fatal;
use crate::ingest::workers::Workers;
use crate::ingest::{Completeness, Ingest, Outcome};
use crate::model::id::RecordingId;
use crate::observe::progress::Tracker;

/// Runs the `backfill` command.
pub async fn run(config: Option<&Path>, args: BackfillArgs) -> anyhow::Result<Exit> {
    // Caught first, so that Ctrl-C at any point gets the orderly stop below.
    let mut signals = Signals {
        int: signal(SignalKind::interrupt()).context("cannot catch SIGINT")?,
        term: signal(SignalKind::terminate()).context("cannot catch SIGTERM")?,
    };
    let cfg = common::load_config(config)?;
    common::require_watch_paths(&cfg)?;
    if args.dry_run {
        return super::backfill_dry::run(&cfg).await;
    }
    // The folder walk (system calls) runs beside the journal replay (parsing): one core each.
    let watches = cfg.watch.clone();
    let scanning = tokio::task::spawn_blocking(move || scan::scan(&watches));
    let bars = crate::observe::progress::bars_wanted(args.no_progress);
    let tracker = Tracker::for_state_dir(
        bars,
        (!bars).then_some(crate::observe::progress::LOG_EVERY),
        &cfg.state.dir,
    );
    let ingest = common::pipeline(cfg.clone(), Arc::new(tracker.clone()))?;
    let settle = Duration::from_secs(cfg.pairing.settle_secs);
    let scanned = scanning.await?;
    for e in &scanned.errors {
        tracing::error!("{e}");
    }
    report_notices(&cfg, &scanned)?;
    let (queue, too_new) = build_queue(&ingest, &scanned.found, settle).await?;
    tracing::info!(
        recordings = queue.len(),
        still_being_written = too_new,
        "backfill starting"
    );
    tracker.expect(queue.len() as u64, queued_bytes(&ingest, &queue));
    let grace = Duration::from_secs(cfg.service.shutdown_grace_secs);
    let tally = process_all(&ingest, queue, &tracker, &mut signals, grace).await?;
    // A big state is checked beside the work; a damaged one fails the backfill even if it wrote nothing.
    ingest.state_checked().map_err(Fatal::into_error)?;
    // The takes made last may still wait in an open group: on disk before they are reported.
    ingest.flush_state().await.map_err(Fatal::into_error)?;
    tracker.finish();
    if let Some(n) = ingest.monitor().notifier() {
        // The webhook hears of this run's failures before the process exits.
        n.flush(Duration::from_secs(10)).await;
    }
    print_summary(&tally, too_new, settle, &tracker, &scanned.errors)?;
    print_adoptions(&ingest)?;
    if let Some(stop) = tally.stopped {
        return Ok(stop.exit);
    }
    // A recording left because the account's takes could not be read did not finish either.
    let unchecked = ingest.adoptions().1 > 0;
    Ok(
        if tally.failed + tally.retrying > 0 || !scanned.errors.is_empty() || unchecked {
            Exit::SomeFailed
        } else {
            Exit::Ok
        },
    )
}

/// Records the scan's notices (skipped symlinks, low free space) for `status`, and names each
/// skipped symlink in the output.
fn report_notices(cfg: &Config, scanned: &scan::Scan) -> anyhow::Result<()> {
    let mut notices = Notices::default();
    notices.skipped(&scanned.symlinks);
    notices.check_space(&cfg.watch);
    notices.save(&cfg.state.dir);
    for link in &scanned.symlinks {
        crate::outln!(
            "skipped symlink: {} is a symbolic link and is not uploaded (watch.follow_symlinks = false)",
            link.display()
        )?;
    }
    Ok(())
}

/// What this backfill works on: every complete find the state does not have done, then the
/// unfinished recordings of earlier runs (even those the scan did not bring up). Also returns
/// how many videos are still being written.
async fn build_queue(
    ingest: &Ingest,
    found: &[Found],
    settle: Duration,
) -> anyhow::Result<(Vec<RecordingId>, usize)> {
    let now = SystemTime::now();
    let held = held_still(found, now, settle).await;
    let mut queue = Vec::new();
    let mut too_new = 0;
    // Finds are considered CONSIDER_AT_ONCE at a time, so that their first steps share a
    // commit; two finds of one folder and stem (overlapping watches) are never in one chunk,
    // so the second sees what the first recorded. The queue keeps the scan's order.
    let mut chunk: Vec<(&Found, Completeness)> = Vec::with_capacity(CONSIDER_AT_ONCE);
    let mut keys: HashSet<(&Path, &str)> = HashSet::new();
    for found in found {
        let done = completeness(found, now, settle, &held);
        if found.video.is_some() && !done.ready(found) {
            too_new += 1;
        }
        let key = (found.dir.as_path(), found.stem.as_str());
        if chunk.len() == CONSIDER_AT_ONCE || keys.contains(&key) {
            consider_chunk(ingest, &mut chunk, &mut queue).await?;
            keys.clear();
        }
        keys.insert(key);
        chunk.push((found, done));
    }
    consider_chunk(ingest, &mut chunk, &mut queue).await?;
    let resumable = ingest.unfinished().map_err(Fatal::into_error)?;
    let mut queued: HashSet<RecordingId> = queue.iter().cloned().collect();
    for id in resumable {
        if queued.insert(id.clone()) {
            queue.push(id);
        }
    }
    Ok((queue, too_new))
}

/// How many finds `build_queue` considers at once.
const CONSIDER_AT_ONCE: usize = 64;

/// Considers a chunk of finds together (see `build_queue`), empties it, and appends the
/// recordings to process to `queue`, in the chunk's order.
async fn consider_chunk(
    ingest: &Ingest,
    chunk: &mut Vec<(&Found, Completeness)>,
    queue: &mut Vec<RecordingId>,
) -> anyhow::Result<()> {
    let considered = chunk
        .drain(..)
        .map(|(found, done)| ingest.consider(found, done));
    let ids = futures_util::future::try_join_all(considered)
        .await
        .map_err(Fatal::into_error)?;
    queue.extend(ids.into_iter().flatten());
    Ok(())
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

/// The closing lines: the counts, bytes and rate, what was not read, and what to do next.
fn print_summary(
    tally: &Tally,
    too_new: usize,
    settle: Duration,
    tracker: &Tracker,
    errors: &[String],
) -> anyhow::Result<()> {
    crate::outln!(
        "backfill: {} done, {} failed, {} retrying (transient failures), {} not ready (changed or still being written; the next run takes them), {} gone (deleted before their upload), {} not yet complete (modified within the last {}s)",
        tally.done,
        tally.failed,
        tally.retrying,
        tally.deferred,
        tally.gone,
        too_new,
        settle.as_secs()
    )?;
    crate::outln!("backfill: {}", tracker.summary())?;
    for e in errors {
        crate::outln!("not read: {e}")?;
    }
    if tally.failed > 0 {
        crate::outln!(
            "{} recording(s) failed: `move-ingest status` says why; `move-ingest retry` puts them back for the next run",
            tally.failed
        )?;
    }
    if tally.retrying > 0 {
        crate::outln!(
            "{} recording(s) did not finish because of transient failures (the API or its storage did not answer in time, e.g. {}): nothing to fix in them; the service (`move-ingest run`) or the next backfill tries them again by itself",
            tally.retrying,
            tally.transient_example.as_deref().unwrap_or("no answer")
        )?;
    }
    if !errors.is_empty() {
        crate::outln!(
            "{} folder(s) could not be read: fix their permissions and run backfill again",
            errors.len()
        )?;
    }
    if let Some(stop) = &tally.stopped {
        crate::outln!(
            "stopped by {}: {} recording(s) not started, {} stopped mid-way; the next run takes them up",
            stop.name,
            tally.not_started,
            tally.cut_off
        )?;
    }
    Ok(())
}

/// What adoption did: recordings the state did not know whose take was already on the API.
fn print_adoptions(ingest: &Ingest) -> anyhow::Result<()> {
    let (adopted, unknown) = ingest.adoptions();
    if adopted > 0 {
        crate::outln!(
            "backfill: {adopted} recording(s) the state did not know already had their take on the API (same files, same SHA-256): adopted, nothing sent"
        )?;
    }
    if unknown > 0 {
        crate::outln!(
            "backfill: {unknown} recording(s) the state did not know were left: the account's takes could not be read to look for theirs (see the log); the next run takes them up"
        )?;
    }
    Ok(())
}

/// Whether each file of a find is complete: older than the settle time, or dated in the
/// future (a camera clock ahead) and held still while `held_still` watched it.
pub fn completeness(
    found: &Found,
    now: SystemTime,
    settle: Duration,
    held: &HashSet<PathBuf>,
) -> Completeness {
    let old = |s: &Option<scan::Seen>| {
        s.as_ref().is_some_and(|s| {
            s.facts.age(now) >= settle || held.contains(&found.path(&s.facts.name))
        })
    };
    Completeness {
        video: old(&found.video),
        sidecar: old(&found.sidecar),
    }
}

/// Files dated in the future can never grow older than the settle time: they are watched
/// for `settle` instead, and those whose size and mtime held still are returned.
async fn held_still(found: &[Found], now: SystemTime, settle: Duration) -> HashSet<PathBuf> {
    let future: Vec<(PathBuf, scan::Facts)> = found
        .iter()
        .flat_map(|f| {
            [&f.video, &f.sidecar]
                .into_iter()
                .flatten()
                .filter(|s| s.facts.is_future(now))
                .map(|s| (f.path(&s.facts.name), s.facts.clone()))
        })
        .collect();
    if future.is_empty() {
        return HashSet::new();
    }
    tracing::info!(
        files = future.len(),
        settle_secs = settle.as_secs(),
        "files dated in the future (a clock that is ahead?): they count as complete if their size and mtime hold still for the settle time"
    );
    tokio::time::sleep(settle).await;
    future
        .into_iter()
        .filter(|(path, facts)| scan::Facts::stat(path).is_ok_and(|now| now.same_version(facts)))
        .map(|(path, _)| path)
        .collect()
}

#[derive(Debug, Default)]
struct Tally {
    done: usize,
    failed: usize,
    /// Stopped by a transient failure that outlasted the quick retries (`retrying` in the state).
    retrying: usize,
    /// The reason of one of them, for the summary.
    transient_example: Option<String>,
    deferred: usize,
    gone: usize,
    /// Set when a signal stopped the backfill.
    stopped: Option<Stop>,
    not_started: usize,
    cut_off: usize,
}

/// The signals that stop a backfill.
struct Signals {
    int: Signal,
    term: Signal,
}

/// Which signal stopped the backfill, and the exit code it means.
#[derive(Debug, Clone, Copy)]
struct Stop {
    name: &'static str,
    exit: Exit,
}

impl Signals {
    async fn next(&mut self) -> Stop {
        tokio::select! {
            _ = self.int.recv() => Stop { name: "SIGINT", exit: Exit::Interrupted },
            _ = self.term.recv() => Stop { name: "SIGTERM", exit: Exit::Terminated },
        }
    }
}

/// Processes the queue with the service's workers: at most `upload.concurrency` in flight.
/// A first signal stops starting work and gives the running uploads `grace` to finish; a
/// second one (or the end of the grace) stops them at once.
async fn process_all(
    ingest: &Arc<Ingest>,
    queue: Vec<RecordingId>,
    tracker: &Tracker,
    signals: &mut Signals,
    grace: Duration,
) -> anyhow::Result<Tally> {
    let mut workers = Workers::new(ingest.clone());
    for id in queue {
        workers.push(id);
    }
    let mut tally = Tally::default();
    let deadline = tokio::time::sleep(Duration::MAX / 4);
    tokio::pin!(deadline);
    while !workers.is_idle() {
        let result = tokio::select! {
            (_, result) = workers.next() => result,
            stop = signals.next() => {
                if tally.stopped.is_some() {
                    tracing::warn!("{}: stopping the running uploads now", stop.name);
                    break;
                }
                tally.not_started = workers.clear_queue();
                tracing::warn!(
                    running = workers.running(),
                    grace_secs = grace.as_secs(),
                    "{} received: starting nothing new; running uploads get the grace period to finish (again to stop them now)",
                    stop.name
                );
                tally.stopped = Some(stop);
                deadline.as_mut().reset(tokio::time::Instant::now() + grace);
                continue;
            }
            () = &mut deadline => {
                tracing::warn!(grace_secs = grace.as_secs(), "uploads still running after the grace period are stopped");
                break;
            }
        };
        tracker.recording_finished();
        match result {
            Ok(Outcome::Done { .. }) => tally.done += 1,
            Ok(Outcome::Failed { .. }) => tally.failed += 1,
            Ok(Outcome::Deferred { reason }) => {
                tracing::info!("not ready, left for the next run: {reason}");
                tally.deferred += 1;
            }
            Ok(Outcome::Gone { .. }) => tally.gone += 1,
            Ok(Outcome::Retrying { reason, .. }) => {
                tally.retrying += 1;
                tally.transient_example.get_or_insert(reason);
            }
            Err(fatal) => {
                workers.abort().await;
                return Err(fatal.into_error());
            }
        }
    }
    tally.cut_off = workers.running();
    workers.abort().await;
    Ok(tally)
}
