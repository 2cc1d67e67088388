//! How a recording's pass ends when it does not end in a take: failed (with its kind),
//! retrying later after a transient failure, held while its folder is missing, or gone.

use std::time::Duration;

use super::{Fatal, Ingest, Outcome, all_uploaded};
use crate::model::recording::{Event, FailureKind, Recording, Step};

impl Ingest {
    /// Records a failure and reports it.
    pub(super) async fn fail(
        &self,
        rec: &Recording,
        step: Step,
        kind: FailureKind,
        reason: String,
    ) -> Result<Outcome, Fatal> {
        tracing::error!(rec = %rec.id, device = %rec.device, stem = %rec.stem, %step, ?kind, "recording failed: {reason}");
        let ev = Event::Failed {
            step,
            reason: reason.clone(),
            kind,
        };
        self.monitor.failed(rec, step, kind, &reason);
        self.store.record(&rec.id, ev).await?;
        Ok(Outcome::Failed { reason })
    }

    /// Records that a transient failure outlasted the quick retries: the recording waits and
    /// is tried again after the round's backoff (`Policy::round_delay`), never failed for it.
    pub(super) async fn later(
        &self,
        rec: &Recording,
        step: Step,
        reason: String,
        api_down: bool,
        retry_after: Option<Duration>,
    ) -> Result<Outcome, Fatal> {
        let rounds = self
            .recording(&rec.id)?
            .and_then(|r| r.retrying)
            .map_or(0, |r| r.rounds);
        let wait = self.policy.round_delay(rounds + 1, retry_after);
        let next = std::time::SystemTime::now() + wait;
        let next_ms = next
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, %step, wait_ms = wait.as_millis() as u64, "recording retrying (a transient failure; it is tried again by itself): {reason}");
        let ev = Event::Retrying {
            step,
            reason: reason.clone(),
            next_ms,
        };
        self.store.record(&rec.id, ev).await?;
        Ok(Outcome::Retrying {
            reason,
            wait,
            api_down,
        })
    }

    /// Records that a recording waits for the API to answer before anything of it is tried
    /// (the service holds new work back while the API is down); returns how long, or `None`
    /// when it has nothing left to send to the API (it is queued as usual).
    pub async fn hold(&self, id: &str, reason: String) -> Result<Option<Duration>, Fatal> {
        let Some(rec) = self.recording(id)? else {
            return Ok(None);
        };
        if !rec.phase().is_in_flight() {
            return Ok(None);
        }
        let step = if rec.take_requested_ms.is_some() || all_uploaded(&rec) {
            Step::CreateTake
        } else {
            Step::CreateFile
        };
        match self.later(&rec, step, reason, true, None).await? {
            Outcome::Retrying { wait, .. } => Ok(Some(wait)),
            _ => Ok(None),
        }
    }

    /// When a file of `rec` vanished or cannot be read: whether its watch path or device
    /// folder went with it (a drive unmounted, a share gone, the folder deleted), and then why
    /// the recording waits instead of leaving the queue or failing.
    pub(super) fn place_lost(&self, rec: &Recording) -> Option<String> {
        let file_dev = [&rec.video, &rec.sidecar]
            .into_iter()
            .flatten()
            .map(|s| s.facts.dev)
            .next();
        let (path, why) = crate::detect::presence::lost_place(
            &rec.dir,
            file_dev,
            &self.cfg.watch,
            &self.monitor.missing_paths(),
            &self.monitor.mount_points(),
            crate::detect::presence::look,
            crate::detect::presence::is_empty,
        )?;
        Some(format!(
            "waiting for {} to come back: it {}; nothing is failed or marked gone, and the recording is sent once it is back",
            path.display(),
            why.words()
        ))
    }

    /// Records that a file of the recording vanished: it leaves the queue (not a failure).
    pub(super) async fn gone(&self, rec: &Recording, reason: String) -> Result<Outcome, Fatal> {
        tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, "{reason}; leaving the queue");
        let ev = Event::Vanished {
            reason: reason.clone(),
        };
        self.store.record(&rec.id, ev).await?;
        Ok(Outcome::Gone { reason })
    }
}
