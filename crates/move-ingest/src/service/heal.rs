//! What heals by itself: recordings waiting after a transient failure are tried again when
//! due; while the Move API does not answer, one probe per interval asks whether it is back
//! (instead of every recording retrying), and its first answer sends them all again at once.
//! The same query checks the key at start: rejected stops the run (exit 3), no answer starts
//! the probing at once.
//! Requests other processes left in the state (`retry` while the service runs) are taken up
//! here too.

use std::collections::HashMap;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Service;
use crate::api::AuthError;
use crate::api::{self, ApiError};
use crate::ingest::Fatal;
use crate::model::id::RecordingId;
use crate::retry::Policy;
use crate::store::requests::Inbox;

/// How often the service looks for requests other processes left in the state: with the
/// watch paths' probe (`service/places.rs`), so that an idle service wakes once for both.
pub const REQUESTS_EVERY: Duration = crate::detect::presence::PROBE_EVERY;

/// The recordings waiting to be tried again, and the API probe.
pub struct Waiting {
    /// Each waiting recording and when it is due (while the API answers).
    due: HashMap<RecordingId, Instant>,
    /// Set while the API does not answer: the waiting recordings wait for the probe.
    down: Option<Down>,
    probe: Option<JoinHandle<Result<(), ApiError>>>,
    /// The probe running is the check of the key at start (see `check_key`).
    checking_key: bool,
    policy: Policy,
}

/// The API does not answer: when it is probed next, and how many probes it missed.
struct Down {
    next_probe: Instant,
    missed: u32,
}

impl Waiting {
    /// Nothing waiting; probes back off as rounds of `policy` do.
    pub fn new(policy: Policy) -> Waiting {
        Waiting {
            due: HashMap::new(),
            down: None,
            probe: None,
            checking_key: false,
            policy,
        }
    }

    /// Recording `id` waits `wait`; `api_down` says the API itself did not answer.
    /// Returns true when this starts a wait for the API (the first recording to find it down).
    pub fn wait(&mut self, id: RecordingId, wait: Duration, api_down: bool, now: Instant) -> bool {
        self.due.insert(id, now + wait);
        if !api_down || self.down.is_some() {
            return false;
        }
        self.down = Some(Down {
            next_probe: now + self.policy.round_delay(1, None),
            missed: 0,
        });
        true
    }

    /// Whether `id` is waiting (a scan that finds it again leaves it to wait).
    pub fn contains(&self, id: &RecordingId) -> bool {
        self.due.contains_key(id)
    }

    /// Stops waiting for `id` (it is tried now).
    pub fn remove(&mut self, id: &RecordingId) {
        self.due.remove(id);
    }

    /// How many recordings wait.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// True while the API does not answer.
    pub fn api_down(&self) -> bool {
        self.down.is_some()
    }

    /// The next moment something is due: a probe while the API is down, else a recording.
    pub fn next_due(&self) -> Option<Instant> {
        match &self.down {
            Some(_) if self.probe.is_some() => None,
            Some(d) => Some(d.next_probe),
            None => self.due.values().min().copied(),
        }
    }

    /// The recordings due by `now` (none while the API is down: the probe decides for them).
    pub fn take_due(&mut self, now: Instant) -> Vec<RecordingId> {
        if self.down.is_some() {
            return Vec::new();
        }
        let due: Vec<RecordingId> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            self.due.remove(id);
        }
        due
    }

    /// Starts the probe if it is due and none runs: one cheap authenticated query.
    pub fn probe_if_due(&mut self, api: &api::Client, now: Instant) {
        let due = self.down.as_ref().is_some_and(|d| d.next_probe <= now);
        if due && self.probe.is_none() {
            let api = api.clone();
            self.probe = Some(tokio::spawn(async move { api.account().await.map(|_| ()) }));
        }
    }

    /// Checks the key at start with the probe's query, beside the start-up: its answer comes
    /// through `probed` as a probe's does (see `on_probe`).
    pub fn check_key(&mut self, api: &api::Client) {
        if self.probe.is_none() {
            let api = api.clone();
            self.checking_key = true;
            self.probe = Some(tokio::spawn(async move { api.account().await.map(|_| ()) }));
        }
    }

    /// The probe's answer; pending while no probe runs (for `select!`).
    pub async fn probed(&mut self) -> Result<(), ApiError> {
        let Some(handle) = self.probe.as_mut() else {
            return std::future::pending().await;
        };
        let joined = handle.await;
        self.probe = None;
        joined.unwrap_or_else(|e| {
            Err(ApiError::Transport {
                op: "client",
                detail: format!("the probe stopped unexpectedly: {e}"),
                sent: false,
            })
        })
    }

    /// What the probe's answer means: the API is back (every waiting recording, to send now),
    /// still down (the next probe later), or the key is rejected (the run stops). The check
    /// at start that gets no answer starts the probing, as the first recording to find the
    /// API down would; one that gets an answer changes nothing.
    pub fn on_probe(
        &mut self,
        answer: Result<(), ApiError>,
        now: Instant,
    ) -> Result<Vec<RecordingId>, Fatal> {
        let at_start = std::mem::take(&mut self.checking_key);
        match answer {
            Err(ApiError::Auth {
                status, key_source, ..
            }) => Err(Fatal::Auth(AuthError {
                status,
                source_desc: key_source,
            })),
            Err(e) if e.is_transient() && at_start && self.down.is_none() => {
                let wait = self.policy.round_delay(1, e.retry_after());
                self.down = Some(Down {
                    next_probe: now + wait,
                    missed: 0,
                });
                tracing::warn!(
                    next_probe_ms = wait.as_millis() as u64,
                    "the Move API does not answer at start ({e}), so the key is not checked yet: recordings wait, and one probe per interval (up to retry.cap_secs = {}) asks whether it is back; they resume by themselves",
                    self.policy.cap.as_secs()
                );
                Ok(Vec::new())
            }
            Err(e) if e.is_transient() => {
                if let Some(d) = &mut self.down {
                    d.missed += 1;
                    let wait = self.policy.round_delay(d.missed + 1, e.retry_after());
                    d.next_probe = now + wait;
                    tracing::info!(
                        waiting = self.due.len(),
                        next_probe_ms = wait.as_millis() as u64,
                        "the Move API still does not answer: {e}"
                    );
                }
                Ok(Vec::new())
            }
            // The key checked at start, the API up: nothing waits for it.
            _ if self.down.is_none() => Ok(Vec::new()),
            // Any other answer is an answer: the API is reachable.
            _ => {
                self.down = None;
                Ok(self.due.drain().map(|(id, _)| id).collect())
            }
        }
    }
}

impl Service {
    /// A recording waits after a transient failure; the first to find the API down says so.
    pub(super) fn retrying(
        &mut self,
        id: &RecordingId,
        reason: &str,
        wait: Duration,
        api_down: bool,
    ) {
        tracing::info!(rec = %id, wait_ms = wait.as_millis() as u64, "retrying later: {reason}");
        if self
            .waiting
            .wait(id.clone(), wait, api_down, Instant::now())
        {
            tracing::warn!(
                "the Move API does not answer: recordings wait, and one probe per interval (up to retry.cap_secs = {}) asks whether it is back; they resume by themselves",
                self.cfg.retry.cap_secs
            );
        }
    }

    /// Due retries, the probe, and requests from other processes.
    pub(super) async fn heal(&mut self, now: Instant) -> Result<(), Fatal> {
        for id in self.waiting.take_due(now) {
            self.workers.push(id);
        }
        self.waiting.probe_if_due(self.ingest.api(), now);
        if self.requests_at <= now {
            self.requests_at = now + REQUESTS_EVERY;
            self.take_requests().await?;
        }
        Ok(())
    }

    /// The probe answered.
    pub(super) fn on_probe(&mut self, answer: Result<(), ApiError>) -> Result<(), Fatal> {
        let was_down = self.waiting.api_down();
        let back = self.waiting.on_probe(answer, Instant::now())?;
        if was_down && !self.waiting.api_down() {
            tracing::info!(
                resumed = back.len(),
                "the Move API answers again; every waiting recording is sent again now"
            );
        }
        for id in back {
            self.workers.push(id);
        }
        Ok(())
    }

    /// Takes up the requests `retry` recorded while this service held the state dir: the
    /// recordings are put back in the queue (a durable step), then the request is removed.
    async fn take_requests(&mut self) -> Result<(), Fatal> {
        let Some(inbox) = &self.inbox else {
            return Ok(());
        };
        let pending = match inbox.pending() {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("cannot read the requests in the state: {e}; trying again shortly");
                return Ok(());
            }
        };
        if pending.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::new();
        for request in &pending {
            let requeued = self.ingest.requeue(request.recording.as_deref()).await?;
            tracing::info!(
                recording = request
                    .recording
                    .as_deref()
                    .unwrap_or("every failed or retrying one"),
                requeued = requeued.len(),
                "retry asked for while running: put back in the queue"
            );
            ids.extend(requeued);
        }
        let done: Vec<i64> = pending.iter().map(|r| r.id).collect();
        if let Some(inbox) = &self.inbox
            && let Err(e) = inbox.done(&done)
        {
            tracing::warn!("cannot remove the requests taken up from the state: {e}");
        }
        for id in ids {
            self.waiting.remove(&id);
            self.workers.push(id);
        }
        self.count_failed();
        Ok(())
    }

    /// Counts the failed recordings again, for systemd's STATUS line.
    pub(super) fn count_failed(&mut self) {
        match self.ingest.count_failed() {
            Ok(n) => self.failed = n,
            Err(e) => tracing::warn!("cannot count the failed recordings: {e}"),
        }
    }

    /// Opens the table other processes leave requests in (none: requests wait for a restart).
    pub(super) fn open_inbox(&mut self) {
        match Inbox::open(self.ingest.state_path()) {
            Ok(inbox) => self.inbox = Some(inbox),
            Err(e) => tracing::warn!(
                "cannot open the state for requests from other processes: {e}; `retry` while running waits for a restart"
            ),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn waiting_checking_key() -> Waiting {
        let mut w = Waiting::new(Policy::from_config(&crate::config::RetryConfig::default()));
        w.checking_key = true;
        w
    }

    #[test]
    fn the_key_check_at_start_without_an_answer_starts_the_probing() {
        let mut w = waiting_checking_key();
        let now = Instant::now();
        let refused = ApiError::Transport {
            op: "client",
            detail: "connection refused".into(),
            sent: false,
        };
        assert!(w.on_probe(Err(refused), now).unwrap().is_empty());
        assert!(w.api_down(), "probing as in an outage");
        assert!(w.next_due().is_some_and(|at| at > now));
        // The next probe's answer ends it.
        assert!(w.on_probe(Ok(()), now).unwrap().is_empty());
        assert!(!w.api_down());
    }

    #[test]
    fn an_answered_key_check_changes_nothing_and_a_rejected_key_is_fatal() {
        let mut w = waiting_checking_key();
        let now = Instant::now();
        let id = RecordingId::from("rec-1");
        w.wait(id.clone(), Duration::from_secs(60), false, now);
        assert!(w.on_probe(Ok(()), now).unwrap().is_empty());
        assert!(!w.api_down());
        assert!(w.contains(&id), "a waiting recording keeps its own backoff");
        let mut w = waiting_checking_key();
        let rejected = ApiError::Auth {
            op: "client",
            status: 401,
            key_source: "$MOVE_API_KEY".into(),
        };
        assert!(matches!(
            w.on_probe(Err(rejected), now),
            Err(Fatal::Auth(AuthError { status: 401, .. }))
        ));
    }
}
