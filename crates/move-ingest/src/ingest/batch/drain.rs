//! A fixed queue processed by the workers until it is empty or a stop request ends it, with
//! the outcomes tallied.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use crate::ingest::workers::Workers;
use crate::ingest::{Fatal, Ingest, Outcome};
use crate::model::id::RecordingId;
use crate::observe::progress::Tracker;

/// A request to stop a batch: the signal that asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Stop {
    /// The signal's name, as the log and the summary say it.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }
}

/// What became of a batch's recordings.
#[derive(Debug, Default)]
pub struct Tally {
    pub done: usize,
    pub failed: usize,
    /// Stopped by a transient failure that outlasted the quick retries (`retrying` in the state).
    pub retrying: usize,
    /// The reason of one of them, for the summary.
    pub transient_example: Option<String>,
    pub deferred: usize,
    pub gone: usize,
    /// Set when a stop request ended the batch.
    pub stopped: Option<Stop>,
    /// Queued and not started when it stopped.
    pub not_started: usize,
    /// Still running when it stopped (cut off; they resume at the next run).
    pub cut_off: usize,
}

/// Processes the queue with the service's workers: at most `upload.concurrency` in flight.
/// A first stop request starts nothing new and gives the running uploads `grace` to finish;
/// a second one (or the end of the grace) stops them at once.
pub async fn process_all(
    ingest: &Arc<Ingest>,
    queue: Vec<RecordingId>,
    tracker: &Tracker,
    stops: &mut (impl Stream<Item = Stop> + Unpin),
    grace: Duration,
) -> Result<Tally, Fatal> {
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
            stop = next_stop(stops) => {
                if tally.stopped.is_some() {
                    tracing::warn!("{}: stopping the running uploads now", stop.name());
                    break;
                }
                tally.not_started = workers.clear_queue();
                tracing::warn!(
                    running = workers.running(),
                    grace_secs = grace.as_secs(),
                    "{} received: starting nothing new; running uploads get the grace period to finish (again to stop them now)",
                    stop.name()
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
            Ok(outcome) => tally.add(outcome),
            Err(fatal) => {
                workers.abort().await;
                return Err(fatal);
            }
        }
    }
    tally.cut_off = workers.running();
    workers.abort().await;
    Ok(tally)
}

/// The next stop request; pending forever once the requests end.
async fn next_stop(stops: &mut (impl Stream<Item = Stop> + Unpin)) -> Stop {
    match stops.next().await {
        Some(stop) => stop,
        None => std::future::pending().await,
    }
}

impl Tally {
    /// Counts one recording's outcome.
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Done { .. } => self.done += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Deferred { reason } => {
                tracing::info!("not ready, left for the next run: {reason}");
                self.deferred += 1;
            }
            Outcome::Gone { .. } => self.gone += 1,
            Outcome::Retrying { reason, .. } => {
                self.retrying += 1;
                self.transient_example.get_or_insert(reason);
            }
        }
    }
}
