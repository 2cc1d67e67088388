//! A rig recording's multicam take, exactly once: on the newest FINISHED volume of its rig
//! whose calibration was recorded before it (or the pinned one); `TakeRequested` durable
//! before `createMultiCamTake` is sent; an unanswered request settled with `listTakes` by
//! move-ingest's record before anything is sent again. Once made, each camera's recording
//! records the take (and `[after_take]` may act on its files).

use serde_json::Value;

use super::volume::{SETTLE_AFTER_MS, camera_sources, names_this};
use super::{Next, RETRY_WAIT_MS, now_ms};
use crate::api::ApiError;
use crate::api::multicam::MultiCamTakeRequest;
use crate::config::template::{Vars, render_json};
use crate::config::{MulticamConfig, VolumeSource};
use crate::coord::Intent;
use crate::ingest::classify::retry;
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::recording::Event;
use crate::model::rig::{RigEvent, RigRecording, RigState};

/// How far before the first request a lookup reaches (clock skew between us and the API).
const LOOK_MARGIN_MS: i64 = 600_000;
const LOOK_PAGE: u32 = 50;
const LOOK_MAX_PAGES: u32 = 200;

impl Ingest {
    /// Settles an unanswered take request, or asks for the take once a volume is there.
    pub(super) async fn advance_take(
        &self,
        rig: &MulticamConfig,
        rec: RigRecording,
    ) -> Result<Next, Fatal> {
        let since = rec.take_requested.as_ref().map(|t| t.0);
        let look = since.is_some()
            || (self.volume_for(rig, &rec)?.is_some()
                && (rec.look_first || self.api_may_hold(&rec.key).await?));
        if look {
            let last = rec.take_last_ms.unwrap_or(0);
            if now_ms() < last + SETTLE_AFTER_MS {
                return Ok(Some(last + SETTLE_AFTER_MS));
            }
            match self.find_rig_take(&rec, since).await? {
                Ok(Some(take_id)) => {
                    tracing::info!(rig_recording = %rec.key, take = %take_id, "found this recording's multicam take on the API (an unanswered request, or a lost state dir); adopting it, nothing sent");
                    self.rig_take_made(&rec, take_id, true).await?;
                    return Ok(None);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(rig_recording = %rec.key, "cannot look for the take an earlier request may have made ({e}); it is not asked for again until it can");
                    return Ok(Some(now_ms() + RETRY_WAIT_MS));
                }
            }
        }
        let Some(volume_id) = self.volume_for(rig, &rec)? else {
            if rec.state() == RigState::WaitingForVolume && rec.take_requested.is_none() {
                tracing::debug!(rig_recording = %rec.key, "waiting for a FINISHED volume of its rig");
            }
            return Ok(None);
        };
        let request = self.rig_take_request(rig, &rec, &volume_id);
        // One time for the shared rows and the state: the next request checks they agree.
        let at_ms = now_ms();
        let intent = Intent::Take {
            at_ms,
            volume_id: volume_id.clone(),
        };
        if !self.may_send(&rec, intent).await? {
            return Ok(Some(now_ms() + RETRY_WAIT_MS));
        }
        self.want_rig_job(rig, &rec).await?;
        let ev = RigEvent::TakeRequested {
            at_ms,
            volume_id: volume_id.clone(),
        };
        let rec = self.rig_step(&rec, ev)?;
        match self.api.create_multi_cam_take(&request).await {
            Ok(take) => {
                tracing::info!(rig_recording = %rec.key, take = %take.id, volume = %volume_id, cameras = rec.cameras.len(), "multicam take created");
                self.rig_take_made(&rec, take.id, false).await?;
                Ok(None)
            }
            Err(e) => self.rig_refused(&rec, "create take", auth(e)?),
        }
    }

    /// The volume this recording's take is made on: the pinned one, or the newest FINISHED
    /// volume of the rig whose calibration was recorded before it; `None`: it waits.
    fn volume_for(
        &self,
        rig: &MulticamConfig,
        rec: &RigRecording,
    ) -> Result<Option<String>, Fatal> {
        if let Some((_, id)) = &rec.take_requested {
            return Ok(Some(id.clone()));
        }
        if let VolumeSource::Pinned(id) = &rig.volume {
            return Ok(Some(id.clone()));
        }
        let recorded = rec.recorded_ms();
        let best = self
            .store
            .rig_calibrated(&rig.name)?
            .into_iter()
            .filter(|c| c.recorded_ms() <= recorded)
            .max_by_key(RigRecording::recorded_ms);
        Ok(best.and_then(|c| c.volume_id().map(str::to_string)))
    }

    /// The sources, volume, sync, name and metadata of the take.
    fn rig_take_request(
        &self,
        rig: &MulticamConfig,
        rec: &RigRecording,
        volume: &str,
    ) -> MultiCamTakeRequest {
        let subdir = rec.group.rsplit_once('/').map_or("", |(dir, _)| dir);
        let file_name = rec.cameras.values().next().map_or("", |c| c.name.as_str());
        let vars = Vars {
            device_label: &rig.name,
            stem: &rec.stem,
            hostname: &self.hostname,
            file_name,
            subdir,
            rig: &rig.name,
        };
        let mut meta = match render_json(&Value::Object(self.cfg.take.metadata.clone()), &vars) {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let mut record = self.rig_record_json(rec);
        record["volume_id"] = Value::String(volume.to_string());
        meta.insert("move_ingest".into(), record);
        MultiCamTakeRequest {
            volume_id: volume.to_string(),
            sources: camera_sources(rig, rec),
            sync: rig.sync,
            name: Some(self.cfg.take.name.render(&vars)),
            metadata: Some(Value::Object(meta)),
        }
    }

    /// With `[multicam.job]`: the job is wanted, on the first camera's recording (the job's
    /// lead, which `ingest/job` follows and downloads like any job); recorded before the take
    /// request, so a crash between the take and the job still leaves the job to ask for.
    pub(super) async fn want_rig_job(
        &self,
        rig: &MulticamConfig,
        rec: &RigRecording,
    ) -> Result<(), Fatal> {
        let Some(lead) = rec.cameras.values().next() else {
            return Ok(());
        };
        let lead = self.recording(&lead.recording_id)?;
        if let Some(lead) = lead.filter(|l| rig.job.is_some() && l.job.is_none()) {
            self.store.record(&lead.id, Event::JobWanted).await?;
        }
        Ok(())
    }

    /// Records the take on each camera's recording, then on the rig recording (so that a
    /// crash between them is settled by the next turn's lookup); then `[after_take]` acts on
    /// the cameras' files and the job (if wanted) is asked for.
    pub(super) async fn rig_take_made(
        &self,
        rec: &RigRecording,
        take_id: String,
        adopted: bool,
    ) -> Result<(), Fatal> {
        for camera in rec.cameras.values() {
            let id = camera.recording_id.as_str();
            let known = self.recording(id)?;
            if known.is_some_and(|r| r.take_id.is_none()) {
                let ev = Event::TakeCreated {
                    take_id: take_id.clone(),
                    adopted,
                };
                self.store.record(id, ev).await?;
            }
        }
        let ev = RigEvent::TakeCreated {
            take_id: take_id.clone(),
            adopted,
        };
        let rec = self.rig_step(rec, ev)?;
        self.monitor.take_created();
        for camera in rec.cameras.values() {
            self.after_take(&camera.recording_id).await?;
        }
        if let Some(lead) = rec.cameras.values().next() {
            self.create_job(&lead.recording_id).await?;
        }
        Ok(())
    }

    /// The multicam take whose record names this rig recording, newest first, back to
    /// `since_ms` (`None`: every take); `Err` when `listTakes` keeps failing.
    pub(super) async fn find_rig_take(
        &self,
        rec: &RigRecording,
        since_ms: Option<i64>,
    ) -> Result<Result<Option<String>, ApiError>, Fatal> {
        let horizon = since_ms.map_or(i64::MIN, |s| s - LOOK_MARGIN_MS);
        let mut after: Option<String> = None;
        for _ in 0..LOOK_MAX_PAGES {
            let cursor = after.clone();
            let page = retry(&self.policy, "listTakes", || {
                self.api.list_takes(LOOK_PAGE, cursor.as_deref(), true)
            })
            .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => return Ok(Err(auth(e)?)),
            };
            let mut older = false;
            for take in page.items.into_iter().flatten() {
                if names_this(&take.metadata_value(), rec) {
                    return Ok(Ok(Some(take.id)));
                }
                older |= crate::ingest::take::created_ms(&take).is_some_and(|t| t < horizon);
            }
            match page.after {
                Some(next) if !older => after = Some(next),
                _ => return Ok(Ok(None)),
            }
        }
        Ok(Ok(None))
    }
}
