//! What the pipeline asks of the state and tells it: a recording, the unfinished ones, the
//! pause of a full disk, "already done?", requeueing (`retry`), and the views' handles.

use std::path::Path;
use std::sync::Arc;

use super::{Fatal, Ingest};
use crate::api;
use crate::config::AfterTakeAction;
use crate::model::facts::Found;
use crate::model::id::RecordingId;
use crate::model::recording::{Event, Phase, Recording};
use crate::observe::monitor::Monitor;
use crate::store::DoneInFolder;

impl Ingest {
    /// A copy of one recording's state.
    pub fn recording(&self, id: &str) -> Result<Option<Recording>, Fatal> {
        Ok(self.store.recording(id)?)
    }

    /// The recordings an earlier run left mid-way (queued, uploading, take requested, a take
    /// whose `[after_take]` step has not ended, or a take whose job is still to be asked for),
    /// to resume. Each is an indexed query: with `keep`, only a plan recorded under another
    /// action and not finished is resumed; jobs already created are followed by `run`'s
    /// follower, not resumed here.
    pub fn unfinished(&self) -> Result<Vec<RecordingId>, Fatal> {
        let mut ids = self.store.unfinished()?;
        let every_take = self.cfg.after_take.action != AfterTakeAction::Keep;
        for id in self.store.after_take_due(every_take)? {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if self.any_jobs() {
            for (id, _) in self.store.jobs_active()? {
                if ids.contains(&id) {
                    continue;
                }
                let pending = self
                    .recording(&id)?
                    .and_then(|r| r.job)
                    .is_some_and(|j| j.id.is_none());
                if pending {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// A full or read-only state disk pauses ingestion until a write goes through again,
    /// instead of stopping it (`run`; `backfill` stops with exit 2).
    pub fn pause_when_state_full(&self) {
        self.store.pause_when_full();
    }

    /// Whether ingestion is paused on a full or read-only state disk, and since when.
    pub fn state_paused(&self) -> Option<crate::store::Paused> {
        self.store.pause().now()
    }

    /// The state writer's pause, to wait for it to begin or end (`Pause::changed`).
    pub fn state_pause(&self) -> Arc<crate::store::Pause> {
        self.store.pause().clone()
    }

    /// Resolves only if the start-up check of the state database fails (see `Store::check_failed`).
    pub async fn state_check_failed(&self) -> Fatal {
        Fatal::Store(self.store.check_failed().await)
    }

    /// Makes every step written so far durable: before a process reports what it did.
    pub async fn flush_state(&self) -> Result<(), Fatal> {
        Ok(self.store.flush().await?)
    }

    /// Waits for the start-up check of the state database and returns its verdict.
    pub fn state_checked(&self) -> Result<(), Fatal> {
        Ok(self.store.checked()?)
    }

    /// The recording for a folder and stem whose files are still to be uploaded, if any.
    pub fn uploading(&self, dir: &Path, stem: &str) -> Result<Option<RecordingId>, Fatal> {
        let Some(rec) = self.store.latest(dir, stem)? else {
            return Ok(None);
        };
        Ok((rec.phase().is_in_flight() && rec.take_requested_ms.is_none()).then_some(rec.id))
    }

    /// Whether `found` is exactly what its newest recording uploaded and took (nothing to do):
    /// the question asked of every file a scan finds, one index lookup without parsing state.
    pub fn done_unchanged(&self, found: &Found) -> Result<bool, Fatal> {
        Ok(self.store.done_unchanged(
            &found.dir,
            &found.stem,
            found.video.as_ref().map(|s| &s.facts),
            found.sidecar.as_ref().map(|s| &s.facts),
        )?)
    }

    /// The done recordings of the folder `dir`, to answer `done_unchanged` for many finds of
    /// it with one query.
    pub fn done_in_folder(&self, dir: &Path) -> Result<DoneInFolder, Fatal> {
        Ok(self.store.done_in_folder(dir)?)
    }

    /// The newest recording for the folder and stem of `found`.
    pub fn latest(&self, found: &Found) -> Result<Option<Recording>, Fatal> {
        Ok(self.store.latest(&found.dir, &found.stem)?)
    }

    /// Whether the state already paired this recording (`latest`, from `Ingest::latest`):
    /// in flight, or holding this very video.
    pub fn recorded(latest: Option<&Recording>, found: &Found) -> bool {
        let Some(rec) = latest else {
            return false;
        };
        let same_video = match (&rec.video, &found.video) {
            (Some(a), Some(b)) => a.facts.same_version(&b.facts),
            _ => false,
        };
        rec.phase().is_in_flight() || same_video
    }

    /// How many recordings this process adopted (their take was already on the API), and how
    /// many it could not check for one (left for a later pass).
    pub fn adoptions(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.adoptions.adopted.load(Relaxed),
            self.adoptions.unknown.load(Relaxed),
        )
    }

    /// What is in flight, the counters and the webhook.
    pub fn monitor(&self) -> &Arc<Monitor> {
        &self.monitor
    }

    /// The recordings as the operator's views read them.
    pub fn state_view(&self) -> Arc<dyn crate::report::snapshot::StateView> {
        self.store.clone()
    }

    /// The API client (the status page asks it for thumbnails).
    pub fn api(&self) -> &api::Client {
        &self.api
    }

    /// This machine's name, as takes and notifications carry it.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// How many recordings may be processed at once (`upload.concurrency`).
    pub fn concurrency(&self) -> usize {
        self.cfg.upload.concurrency.max(1)
    }

    /// Puts a failed or retrying recording back in the queue (`None`: every one), as `retry`
    /// asked while this process holds the state; returns the ones put back.
    pub async fn requeue(&self, recording: Option<&str>) -> Result<Vec<RecordingId>, Fatal> {
        let rigs = self.requeue_rigs(recording)?;
        if recording.is_some() && !rigs.is_empty() {
            tracing::info!(rig_recording = ?rigs, "retry: rig recording put back");
            return Ok(Vec::new());
        }
        let ids = match recording {
            Some(id) => match self.recording(id)? {
                Some(r) if r.phase().is_retriable() => vec![r.id],
                Some(r) => {
                    tracing::info!(rec = %id, "retry asked for a recording that is {}; nothing to do", r.phase().as_str());
                    Vec::new()
                }
                None => {
                    tracing::warn!(rec = %id, "retry asked for a recording the state does not know");
                    Vec::new()
                }
            },
            None => {
                let mut ids = self.store.failed()?;
                ids.extend(self.store.retrying()?);
                ids
            }
        };
        for id in &ids {
            self.store.record(id, Event::Requeued).await?;
        }
        Ok(ids)
    }

    /// How many recordings have failed (systemd's STATUS line).
    pub fn count_failed(&self) -> Result<u64, Fatal> {
        Ok(self.store.count(Phase::Failed)?)
    }

    /// The state database (requests from other processes are read from it).
    pub fn state_path(&self) -> &Path {
        self.store.path()
    }
}
