//! `move-ingest backfill`: ingest every complete recording already on disk, then exit.

use std::path::Path;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use super::common;
use crate::cli::BackfillArgs;
use crate::commands::exit::Exit;
use crate::detect::scan;
use crate::ingest::Fatal;
use crate::ingest::Ingest;
use crate::ingest::batch::{self, Stop, Summary};
use crate::observe::progress::Tracker;

/// Runs the `backfill` command.
pub async fn run(config: Option<&Path>, args: BackfillArgs) -> anyhow::Result<Exit> {
    // Caught first, so that Ctrl-C at any point gets the orderly stop of the batch.
    let mut int = signal(SignalKind::interrupt()).context("cannot catch SIGINT")?;
    let mut term = signal(SignalKind::terminate()).context("cannot catch SIGTERM")?;
    let mut stops = futures_util::stream::poll_fn(move |cx| {
        if int.poll_recv(cx).is_ready() {
            Poll::Ready(Some(Stop::Interrupt))
        } else if term.poll_recv(cx).is_ready() {
            Poll::Ready(Some(Stop::Terminate))
        } else {
            Poll::Pending
        }
    });
    let cfg = common::load_config(config)?;
    common::require_watch_paths(&cfg)?;
    if args.dry_run {
        return super::backfill_dry::run(&cfg).await;
    }
    // The folder walk (system calls) runs beside the state's start-up (parsing): one core each.
    let watches = cfg.watch.clone();
    let scanning = tokio::task::spawn_blocking(move || scan::scan(&watches));
    let bars = crate::observe::progress::bars_wanted(args.no_progress);
    let tracker = Tracker::for_state_dir(
        bars,
        (!bars).then_some(crate::observe::progress::LOG_EVERY),
        &cfg.state.dir,
    );
    let ingest = common::pipeline(cfg.clone(), Arc::new(tracker.clone()))?;
    common::check_key(&ingest).await?;
    // A rig the API refuses stops the backfill here, before anything is uploaded.
    super::rig_check::before_backfill(ingest.api(), &cfg).await?;
    let scanned = scanning.await?;
    batch::note_scan(&cfg, &scanned);
    for link in &scanned.symlinks {
        crate::outln!(
            "skipped symlink: {} is a symbolic link and is not uploaded (watch.follow_symlinks = false)",
            link.display()
        )?;
    }
    let summary = batch::backfill(&cfg, &ingest, &scanned, &tracker, &mut stops)
        .await
        .map_err(Fatal::into_error)?;
    let settle = Duration::from_secs(cfg.pairing.settle_secs);
    print_summary(&summary, settle, &tracker, &scanned.errors)?;
    print_adoptions(&ingest)?;
    let tally = &summary.tally;
    if let Some(stop) = tally.stopped {
        return Ok(match stop {
            Stop::Interrupt => Exit::Interrupted,
            Stop::Terminate => Exit::Terminated,
        });
    }
    // A recording left because the account's takes could not be read did not finish either.
    let unchecked = ingest.adoptions().1 > 0;
    Ok(
        if tally.failed + tally.retrying + summary.rigs_failed.len() > 0
            || !scanned.errors.is_empty()
            || unchecked
        {
            Exit::SomeFailed
        } else {
            Exit::Ok
        },
    )
}

/// The closing lines: the counts, bytes and rate, what was not read, and what to do next.
fn print_summary(
    summary: &Summary,
    settle: Duration,
    tracker: &Tracker,
    errors: &[String],
) -> anyhow::Result<()> {
    let tally = &summary.tally;
    let nothing_new = tally.done + tally.failed + tally.retrying + tally.deferred + tally.gone == 0
        && summary.not_complete == 0
        && tally.stopped.is_none();
    if nothing_new && summary.already_done > 0 {
        crate::outln!(
            "backfill: {} already done, nothing new",
            summary.already_done
        )?;
    } else {
        crate::outln!(
            "backfill: {} done, {} failed, {} retrying (transient failures), {} not ready (changed or still being written; the next run takes them), {} gone (deleted before their upload), {} not yet complete (modified within the last {}s)",
            tally.done,
            tally.failed,
            tally.retrying,
            tally.deferred,
            tally.gone,
            summary.not_complete,
            settle.as_secs()
        )?;
    }
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
    for (key, why) in &summary.rigs_failed {
        crate::outln!("rig recording {key} failed: {why}")?;
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
            stop.name(),
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
