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
mod outcome;
mod rig;
mod state;
mod take;
pub(crate) mod workers;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::api;
use crate::api::AuthError;
use crate::config::{Config, ResolvedKey};
use crate::model::recording::Recording;
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
    rigs_wake: Arc<tokio::sync::Notify>,
    /// `backfill`'s uploads are running: the rig follower beside them forms no rig recording
    /// that still collects (`rig::beside`).
    rigs_beside_uploads: std::sync::atomic::AtomicBool,
    /// Held while a time-grouped rig video is placed in its rig recording (one at a time).
    rig_placing: tokio::sync::Mutex<()>,
    /// Whether the `.move` beside a rig camera's video was logged as left out (once).
    sidecar_noted: std::sync::atomic::AtomicBool,
    /// `[coordination]`: the shared database of a rig over several machines.
    coord: Option<Arc<crate::coord::Coordinator>>,
    /// What this process remembers of the shared rows.
    shared: rig::SharedMemo,
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
        let coord = coordinator(&cfg)?;
        Ok(Ingest {
            api: api::Client::new(http.clone(), &cfg.api, key).with_monitor(monitor.clone()),
            uploader,
            http,
            jobs_wake: tokio::sync::Notify::new(),
            job_creation: tokio::sync::Mutex::new(()),
            rigs_wake: Default::default(),
            rigs_beside_uploads: Default::default(),
            rig_placing: tokio::sync::Mutex::new(()),
            sidecar_noted: Default::default(),
            policy: Policy::from_config(&cfg.retry),
            hostname,
            monitor,
            store,
            cfg,
            take_index: Default::default(),
            rig_records: Default::default(),
            adoptions: Default::default(),
            coord,
            shared: Default::default(),
        })
    }

    /// Reports every upload to `watch` (progress bars, progress lines, `status`).
    pub fn watch_uploads(&mut self, watch: Arc<dyn crate::upload::Report>) {
        self.uploader = self.uploader.clone().watched(watch);
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
}

/// The coordinator of `[coordination]` (its password read now), if set.
fn coordinator(cfg: &Config) -> anyhow::Result<Option<Arc<crate::coord::Coordinator>>> {
    let Some(c) = &cfg.coordination else {
        return Ok(None);
    };
    let password = crate::config::resolve_pg_password(c, &cfg.path)?;
    let coord = crate::coord::Coordinator::new(c, password.as_ref()).map_err(anyhow::Error::msg)?;
    Ok(Some(Arc::new(coord)))
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
