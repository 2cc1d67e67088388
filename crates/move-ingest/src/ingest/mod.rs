//! The pipeline for one recording: decide what a scan's find means, then upload its files
//! and create its take, recording each step before the next outside action.

mod adopt;
mod after_take;
pub(crate) mod batch;
pub(crate) mod classify;
mod decide;
mod fatal;
mod files;
pub(crate) mod job;
mod rig;
mod take;
pub(crate) mod workers;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::api;
use crate::api::AuthError;
use crate::config::{AfterTakeAction, Config, ResolvedKey};
use crate::model::facts::Found;
use crate::model::id::RecordingId;
use crate::model::recording::FailureKind;
use crate::model::recording::{Event, Phase, Recording, Step};
use crate::observe::monitor::Monitor;
use crate::retry::Policy;
use crate::store::Store;
use crate::upload::Uploader;
pub use fatal::Fatal;

pub use adopt::Existing;
pub use rig::{CameraFile, Holder, RigMember};

/// What became of one recording in this pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The take exists (created now, adopted, or already recorded).
    Done { take_id: String },
    /// Stopped with a reason (recorded; `retry` puts it back).
    Failed { reason: String },
    /// Not ready: a file changed or is still being written; a later pass takes it up.
    Deferred { reason: String },
    /// A file vanished before its upload; the recording leaves the queue.
    Gone { reason: String },
    /// A transient failure outlasted the quick retries (recorded as `retrying`): try again
    /// after `wait`. `api_down` says the Move API itself did not answer (not only its storage),
    /// so the service probes it rather than retrying each recording.
    Retrying {
        reason: String,
        wait: Duration,
        api_down: bool,
    },
    /// A rig camera's video is uploaded and joined its rig recording (`RIG/GROUP`), which
    /// makes the multicam take (or the volume).
    Grouped { rig_recording: String },
}

/// Everything the pipeline needs, shared by every recording in flight.
pub struct Ingest {
    /// The state.
    store: Arc<Store>,
    api: api::Client,
    uploader: Uploader,
    cfg: Arc<Config>,
    policy: Policy,
    hostname: String,
    /// What is in flight, the counters, the webhook: what the operator's views read.
    monitor: Arc<Monitor>,
    /// Whether this process has paged the account's takes into the take index (adoption).
    take_index: tokio::sync::Mutex<adopt::IndexState>,
    /// move-ingest's records on the account's volumes and multicam takes, read once by this
    /// process when a rig camera's video is unknown to the state (adoption of its upload).
    rig_records: tokio::sync::Mutex<Option<Vec<rig::RigRecord>>>,
    /// What adoption did in this process.
    adoptions: adopt::Adoptions,
    /// The HTTP client (job outputs are downloaded with it).
    http: reqwest::Client,
    /// Wakes the job follower when a job is created.
    jobs_wake: tokio::sync::Notify,
    /// Held while a job is asked for, so that two never overlap.
    job_creation: tokio::sync::Mutex<()>,
    /// Wakes the rig follower when a camera joins a rig recording.
    rigs_wake: tokio::sync::Notify,
    /// Whether the `.move` beside a rig camera's video was logged as left out (once).
    sidecar_noted: std::sync::atomic::AtomicBool,
}

impl Ingest {
    /// Builds the pipeline from the config and the resolved key.
    pub fn new(cfg: Arc<Config>, key: ResolvedKey, store: Arc<Store>) -> anyhow::Result<Ingest> {
        let http = api::http_client(&cfg.api).context("cannot set up the HTTP client")?;
        let uploader = Uploader::scheduled(
            http.clone(),
            Duration::from_secs(cfg.api.stall_timeout_secs),
            cfg.upload.max_bytes_per_sec,
            cfg.upload.schedule.clone(),
        );
        let hostname = gethostname::gethostname().to_string_lossy().into_owned();
        let monitor =
            Arc::new(Monitor::new(&cfg, &hostname)?.with_state_pause(store.pause().clone()));
        Ok(Ingest {
            api: api::Client::new(http.clone(), &cfg.api, key).with_monitor(monitor.clone()),
            uploader,
            http,
            jobs_wake: tokio::sync::Notify::new(),
            job_creation: tokio::sync::Mutex::new(()),
            rigs_wake: tokio::sync::Notify::new(),
            sidecar_noted: Default::default(),
            policy: Policy::from_config(&cfg.retry),
            hostname,
            monitor,
            store,
            cfg,
            take_index: Default::default(),
            rig_records: Default::default(),
            adoptions: Default::default(),
        })
    }

    /// Reports every upload to `watch` (progress bars, progress lines, `status`).
    pub fn watch_uploads(&mut self, watch: Arc<dyn crate::upload::Report>) {
        self.uploader = self.uploader.clone().watched(watch);
    }

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

    /// Takes one recording as far as it goes: its files uploaded, then its take.
    pub async fn process(&self, id: &str) -> Result<Outcome, Fatal> {
        self.monitor
            .clone()
            .scope(id, self.process_tracked(id))
            .await
    }

    async fn process_tracked(&self, id: &str) -> Result<Outcome, Fatal> {
        let Some(rec) = self.recording(id)? else {
            return Ok(Outcome::Deferred {
                reason: format!("unknown recording {id}"),
            });
        };
        if let Some(take_id) = rec.take_id {
            self.after_take(id).await?;
            self.create_job(id).await?;
            return Ok(Outcome::Done { take_id });
        }
        if let Some(f) = &rec.failure {
            return Ok(Outcome::Failed {
                reason: f.reason.clone(),
            });
        }
        if let Some(member) = self.rig_member(&rec) {
            return self.process_camera(rec, member).await;
        }
        if let Some(outcome) = self.look_for_take(&rec).await? {
            return Ok(outcome);
        }
        let mut rec = rec;
        // A `.move` may join while the video uploads: upload until every file the recording
        // has is uploaded, then ask for the take (after which nothing joins).
        while rec.take_requested_ms.is_none() {
            if let Some(outcome) = self.upload_files(&rec).await? {
                return Ok(outcome);
            }
            match self.recording(id)? {
                Some(now) if all_uploaded(&now) => break,
                Some(now) => rec = now,
                None => break,
            }
        }
        let outcome = self.create_take(id).await?;
        if matches!(outcome, Outcome::Done { .. }) {
            self.after_take(id).await?;
            self.create_job(id).await?;
        }
        Ok(outcome)
    }

    /// Records a failure and reports it.
    async fn fail(
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
    async fn later(
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
    fn place_lost(&self, rec: &Recording) -> Option<String> {
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
    async fn gone(&self, rec: &Recording, reason: String) -> Result<Outcome, Fatal> {
        tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, "{reason}; leaving the queue");
        let ev = Event::Vanished {
            reason: reason.clone(),
        };
        self.store.record(&rec.id, ev).await?;
        Ok(Outcome::Gone { reason })
    }
}

/// Every file the recording has on disk has an accepted upload.
fn all_uploaded(rec: &Recording) -> bool {
    [
        crate::model::recording::Role::Video,
        crate::model::recording::Role::Sidecar,
    ]
    .into_iter()
    .all(|role| rec.seen(role).is_none() || rec.upload(role).is_some())
}

/// Turns an API auth error into the run-stopping error; anything else is returned as is.
fn auth(e: api::ApiError) -> Result<api::ApiError, Fatal> {
    match e {
        api::ApiError::Auth {
            status, key_source, ..
        } => Err(Fatal::Auth(AuthError {
            status,
            source_desc: key_source,
        })),
        other => Ok(other),
    }
}
