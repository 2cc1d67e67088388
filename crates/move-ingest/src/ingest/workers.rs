//! The upload workers: a queue of recordings, at most `upload.concurrency` processed at once,
//! each recording by one worker at a time, drained within a grace period on shutdown.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{self, JoinSet};

use crate::ingest::{Fatal, Ingest, Outcome};
use crate::model::id::RecordingId;

/// What one finished worker reports.
pub type Finished = (RecordingId, Result<Outcome, Fatal>);

/// The queue and the workers in flight.
pub struct Workers {
    ingest: Arc<Ingest>,
    limit: usize,
    queue: VecDeque<RecordingId>,
    /// The ids in `queue`, to queue each once.
    queued: HashSet<RecordingId>,
    running: HashMap<task::Id, RecordingId>,
    /// Asked for again while running: queued once it finishes.
    again: HashSet<RecordingId>,
    tasks: JoinSet<Result<Outcome, Fatal>>,
}

impl Workers {
    /// Workers for `ingest`, as many at once as `upload.concurrency` says.
    pub fn new(ingest: Arc<Ingest>) -> Workers {
        Workers {
            limit: ingest.concurrency(),
            ingest,
            queue: VecDeque::new(),
            queued: HashSet::new(),
            running: HashMap::new(),
            again: HashSet::new(),
            tasks: JoinSet::new(),
        }
    }

    /// Queues a recording (once), and starts workers up to the limit.
    pub fn push(&mut self, id: RecordingId) {
        if self.running.values().any(|r| *r == id) {
            self.again.insert(id);
        } else if self.queued.insert(id.clone()) {
            self.queue.push_back(id);
        }
        self.fill();
    }

    fn fill(&mut self) {
        while self.running.len() < self.limit {
            let Some(id) = self.queue.pop_front() else {
                return;
            };
            self.queued.remove(&id);
            let ingest = self.ingest.clone();
            let rec = id.clone();
            let handle = self.tasks.spawn(async move { ingest.process(&rec).await });
            self.running.insert(handle.id(), id);
        }
    }

    /// The next worker to finish; pending forever while none runs (for `select!`). A worker
    /// that panicked reports its recording as deferred (it is taken up again later).
    pub async fn next(&mut self) -> Finished {
        let Some(joined) = self.tasks.join_next_with_id().await else {
            return std::future::pending().await;
        };
        let (task_id, result) = match joined {
            Ok((task_id, result)) => (task_id, result),
            Err(e) => {
                let reason = format!("its worker stopped unexpectedly: {e}");
                tracing::error!(rec = %self.running.get(&e.id()).map_or("?", |s| s.as_str()), "{reason}");
                (e.id(), Ok(Outcome::Deferred { reason }))
            }
        };
        let id = self.running.remove(&task_id).unwrap_or_default();
        if self.again.remove(&id) && self.queued.insert(id.clone()) {
            self.queue.push_back(id.clone());
        }
        self.fill();
        (id, result)
    }

    /// Drops what is queued and not started (on a stop); the running workers go on.
    /// Returns how many were dropped.
    pub fn clear_queue(&mut self) -> usize {
        let dropped = self.queue.len();
        self.queue.clear();
        self.queued.clear();
        self.again.clear();
        dropped
    }

    /// True when `id` is queued or running.
    pub fn has(&self, id: &RecordingId) -> bool {
        self.queued.contains(id) || self.running.values().any(|r| r == id)
    }

    /// True when nothing is queued or running.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.running.is_empty()
    }

    /// Recordings waiting for a worker.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Recordings being processed.
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Takes no new work and gives the running workers up to `grace` to finish; what is left is
    /// stopped (the state holds every step taken, so it resumes at the next start).
    pub async fn drain(&mut self, grace: Duration) -> Option<Fatal> {
        self.queue.clear();
        self.queued.clear();
        self.again.clear();
        let mut fatal = None;
        let wait_all = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Ok(Err(f)) = joined {
                    fatal.get_or_insert(f);
                }
            }
        };
        if tokio::time::timeout(grace, wait_all).await.is_err() {
            tracing::warn!(
                unfinished = self.tasks.len(),
                grace_secs = grace.as_secs(),
                "uploads still running after the grace period are stopped; they resume at the next start"
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        self.running.clear();
        fatal
    }

    /// Stops every worker at once (a fatal error).
    pub async fn abort(&mut self) {
        self.queue.clear();
        self.queued.clear();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        self.running.clear();
    }
}
