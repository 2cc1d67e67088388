//! A calibration's volume, exactly once: `VolumeRequested` is durable before
//! `createVolumeWithHuman` is sent; an unanswered request is settled with `listVolumes` by
//! move-ingest's record before anything is sent again; then `getVolume` until FINISHED (its
//! recordings' takes may use it) or FAILED (a person records a new calibration).

use serde_json::{Value, json};

use super::{Next, RETRY_WAIT_MS, now_ms};
use crate::api::ApiError;
use crate::api::multicam::{CameraSettings, CameraSource, Volume, VolumeRequest};
use crate::config::{MulticamConfig, VolumeSource};
use crate::coord::Intent;
use crate::ingest::classify::retry;
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::rig::{RigEvent, RigFailure, RigRecording};
use crate::model::volume::VolumeState;
use crate::retry::{Cause, Failure};

/// How long after a request a lookup waits for it to land (a request sent just before a
/// crash may reach the API after the next start's first question).
pub(super) const SETTLE_AFTER_MS: i64 = 5_000;
/// The first and the longest wait between two `getVolume`s.
const POLL_MIN_MS: i64 = 200;
const POLL_MAX_MS: i64 = 30_000;

impl Ingest {
    /// Asks for the calibration's volume (or settles an unanswered request), then follows it.
    pub(super) async fn advance_volume(
        &self,
        rig: &MulticamConfig,
        rec: RigRecording,
    ) -> Result<Next, Fatal> {
        let track = rec.volume.clone().unwrap_or_default();
        if let Some(id) = &track.id {
            return self.poll_volume(&rec, id).await;
        }
        let look = track.last_requested_ms.is_some()
            || rec.look_first
            || self.api_may_hold(&rec.key).await?;
        if look {
            let last = track.last_requested_ms.unwrap_or(0);
            if now_ms() < last + SETTLE_AFTER_MS {
                return Ok(Some(last + SETTLE_AFTER_MS));
            }
            match self.find_volume(&rec).await? {
                Ok(Some(volume)) => {
                    tracing::info!(rig_recording = %rec.key, volume = %volume.id, "found this calibration's volume on the API (an unanswered request, or a lost state dir); adopting it, nothing sent");
                    let ev = RigEvent::VolumeCreated {
                        volume_id: volume.id,
                        adopted: true,
                    };
                    self.rig_step(&rec, ev)?;
                    return Ok(Some(now_ms()));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(rig_recording = %rec.key, "cannot look for the volume an earlier request may have made ({e}); it is not asked for again until it can");
                    return Ok(Some(now_ms() + RETRY_WAIT_MS));
                }
            }
        }
        let Some(request) = self.volume_request(rig, &rec) else {
            return Ok(None);
        };
        // One time for the shared rows and the state: the next request checks they agree.
        let at_ms = now_ms();
        if !self.may_send(&rec, Intent::Volume { at_ms }).await? {
            return Ok(Some(now_ms() + RETRY_WAIT_MS));
        }
        let rec = self.rig_step(&rec, RigEvent::VolumeRequested { at_ms })?;
        match self.api.create_volume_with_human(&request).await {
            Ok(volume) => {
                tracing::info!(rig_recording = %rec.key, volume = %volume.id, cameras = rec.cameras.len(), "volume created");
                let ev = RigEvent::VolumeCreated {
                    volume_id: volume.id,
                    adopted: false,
                };
                self.rig_step(&rec, ev)?;
                Ok(Some(now_ms() + POLL_MIN_MS))
            }
            Err(e) => self.rig_refused(&rec, "create volume", auth(e)?),
        }
    }

    /// What a failed request means: transient (or unanswered) → asked again after a lookup;
    /// refused → the rig recording fails with the API's reason.
    pub(super) fn rig_refused(
        &self,
        rec: &RigRecording,
        step: &str,
        e: ApiError,
    ) -> Result<Next, Fatal> {
        if e.cause() == Cause::Permanent {
            let reason = format!("the API refused it: {e}");
            self.rig_fail(rec, step, RigFailure::Refused, reason)?;
            return Ok(None);
        }
        tracing::warn!(rig_recording = %rec.key, step, "{e}; looked for and asked again shortly");
        Ok(Some(now_ms() + RETRY_WAIT_MS))
    }

    /// `getVolume` once, when due; records what it answered.
    async fn poll_volume(&self, rec: &RigRecording, id: &str) -> Result<Next, Fatal> {
        let track = rec.volume.clone().unwrap_or_default();
        let now = now_ms();
        let since = track.requested_ms.unwrap_or(now);
        let every = ((now - since) / 4).clamp(POLL_MIN_MS, POLL_MAX_MS);
        if let Some(polled) = track.polled_ms
            && now < polled + every
        {
            return Ok(Some(polled + every));
        }
        let volume = match self.api.get_volume(id).await {
            Ok(v) => v,
            Err(e) => {
                let e = auth(e)?;
                tracing::warn!(rig_recording = %rec.key, volume = %id, "cannot read the volume: {e}; asked again later");
                return Ok(Some(now + every.max(RETRY_WAIT_MS)));
            }
        };
        let state = volume.state().unwrap_or(VolumeState::NotStarted);
        let percent = volume.percent();
        let changed = track.state.as_ref() != Some(&state) || track.percent != percent;
        let ev = RigEvent::VolumePolled {
            state: state.clone(),
            percent,
            at_ms: now,
        };
        let rec = self.rig_step(rec, ev)?;
        if changed {
            tracing::info!(rig_recording = %rec.key, volume = %id, state = %state, percent = percent.unwrap_or(0), "volume");
        }
        match state {
            VolumeState::Finished => {
                tracing::info!(rig_recording = %rec.key, volume = %id, "volume FINISHED: the rig's recordings after this calibration get their multicam takes");
                // `[after_take]` acts on the calibration's videos once its volume is FINISHED.
                for camera in rec.cameras.values() {
                    self.after_take(&camera.recording_id).await?;
                }
                Ok(Some(now))
            }
            VolumeState::Failed => {
                let reason = format!(
                    "volume {id} FAILED at Move: record a new calibration (every camera sees the person, who claps and stands in a Y-pose); the rig's recordings wait for its volume"
                );
                self.rig_fail(&rec, "volume", RigFailure::VolumeFailed, reason)?;
                Ok(None)
            }
            _ => Ok(Some(now + every)),
        }
    }

    /// The `createVolumeWithHuman` of a calibration: every camera's video with its lens.
    fn volume_request(&self, rig: &MulticamConfig, rec: &RigRecording) -> Option<VolumeRequest> {
        let VolumeSource::Calibrate {
            human_height_m,
            area,
            ..
        } = &rig.volume
        else {
            return None;
        };
        Some(VolumeRequest {
            sources: camera_sources(rig, rec),
            human_height_m: *human_height_m,
            area: *area,
            sync: rig.sync,
            clip_window: None,
            name: Some(format!("{} {}", rig.name, rec.stem)),
            metadata: Some(json!({ "move_ingest": self.rig_record_json(rec) })),
        })
    }

    /// move-ingest's record on a volume or multicam take: the rig recording, every camera's
    /// file (name, size, SHA-256), the cameras that never came.
    pub(super) fn rig_record_json(&self, rec: &RigRecording) -> Value {
        let files: Vec<Value> = rec
            .cameras
            .values()
            .map(|c| {
                let mut f = json!({"device_label": c.device, "role": "video", "name": c.name,
                       "size": c.size, "sha256": c.sha256, "file_id": c.file_id});
                if let Some(i) = c.interval {
                    f["recorded"] = json!({"start_ms": i.start_ms, "end_ms": i.end_ms});
                }
                f
            })
            .collect();
        json!({
            "rig_recording": rec.key,
            "rig": rec.rig,
            "stem": rec.stem,
            "group": rec.group,
            "host": self.hostname,
            "files": files,
            "missing": rec.missing.clone().unwrap_or_default(),
            "version": env!("CARGO_PKG_VERSION"),
        })
    }

    /// The volume whose record names this rig recording and its files; `Err` when
    /// `listVolumes` keeps failing.
    pub(super) async fn find_volume(
        &self,
        rec: &RigRecording,
    ) -> Result<Result<Option<Volume>, ApiError>, Fatal> {
        let all = retry(&self.policy, "listVolumes", || self.api.all_volumes(100)).await;
        match all {
            Ok(volumes) => Ok(Ok(volumes
                .into_iter()
                .find(|v| names_this(&v.metadata_value(), rec)))),
            Err(e) => Ok(Err(auth(e)?)),
        }
    }
}

/// Whether move-ingest's record in `meta` names this rig recording (or, of its rig, holds
/// exactly its files) with the same files.
pub(super) fn names_this(meta: &Value, rec: &RigRecording) -> bool {
    let Some(record) = meta.get("move_ingest") else {
        return false;
    };
    // Its rig recording by name; or, of the same rig, by its files alone: with `group = "time"`
    // over several machines, each names a recording by its own cameras' start.
    let named = record.get("rig_recording").and_then(Value::as_str) == Some(rec.key.as_str());
    let same_rig = record.get("rig").and_then(Value::as_str) == Some(rec.rig.as_str());
    let by_files = same_rig && !rec.cameras.is_empty();
    if !(named || by_files) {
        return false;
    }
    let hashes: Vec<&str> = record
        .get("files")
        .and_then(Value::as_array)
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f.get("sha256")?.as_str())
                .collect()
        })
        .unwrap_or_default();
    rec.cameras
        .values()
        .all(|c| hashes.contains(&c.sha256.as_str()))
}

/// A source per camera, with its lens.
pub(super) fn camera_sources(rig: &MulticamConfig, rec: &RigRecording) -> Vec<CameraSource> {
    rec.cameras
        .values()
        .map(|c| CameraSource {
            device_label: c.device.clone(),
            file_id: c.file_id.clone(),
            format: match c.format.as_str() {
                "MOV" => "MOV",
                "AVI" => "AVI",
                _ => "MP4",
            },
            camera_settings: CameraSettings {
                lens: rig.lens_of(&c.device).unwrap_or_default().to_string(),
            },
        })
        .collect()
}
