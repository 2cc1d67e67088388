//! What a node learns from the shared rows and what it records there (issue 26): the other
//! nodes' cameras (as `@NODE` cameras of its own rig recording), the formation, the volume and
//! its state, the take; and, the other way, its own cameras, requests and results.

use super::now_ms;
use super::shared::REMOTE;
use crate::coord::{CoordError, Coordinator, Outcomes, SharedCamera, SharedRecording};
use crate::ingest::{Fatal, Ingest};
use crate::model::interval::{Clock, Interval};
use crate::model::rig::{Camera, RigEvent, RigRecording};
use crate::model::volume::VolumeState;

impl Ingest {
    /// Learns from the shared rows what other nodes recorded: their cameras (while this node's
    /// recording is collecting), the formation, the volume and its state, the take.
    pub(super) async fn mirror(
        &self,
        rec: RigRecording,
        s: &SharedRecording,
    ) -> Result<RigRecording, Fatal> {
        let mut rec = rec;
        let claim = &s.claim;
        if rec.missing.is_none() {
            let left_out = |d: &str| {
                claim
                    .missing
                    .as_ref()
                    .is_some_and(|m| m.iter().any(|x| x == d))
            };
            let others: Vec<&SharedCamera> = s
                .cameras
                .iter()
                .filter(|c| !rec.cameras.contains_key(&c.device) && !left_out(&c.device))
                .collect();
            for cam in others {
                let ev = RigEvent::CameraJoined {
                    camera: remote_camera(cam),
                    at_ms: cam.joined_ms,
                };
                rec = self.rig_step(&rec, ev)?;
            }
            if let Some(missing) = &claim.missing {
                rec = self.rig_step(
                    &rec,
                    RigEvent::Formed {
                        missing: missing.clone(),
                    },
                )?;
            }
        }
        if let Some(id) = claim
            .volume_id
            .as_ref()
            .filter(|_| rec.calibration && rec.volume_id().is_none())
        {
            let ev = RigEvent::VolumeCreated {
                volume_id: id.clone(),
                adopted: true,
            };
            rec = self.rig_step(&rec, ev)?;
        }
        let state = claim.volume_state.as_deref().map(VolumeState::from);
        let known = rec.volume.as_ref().and_then(|v| v.state.clone());
        if let Some(state) = state.filter(|s| {
            rec.volume_id().is_some()
                && Some(s) != known.as_ref()
                && !known.as_ref().is_some_and(VolumeState::is_terminal)
        }) {
            let finished = state == VolumeState::Finished;
            let ev = RigEvent::VolumePolled {
                state,
                percent: None,
                at_ms: now_ms(),
            };
            rec = self.rig_step(&rec, ev)?;
            if finished {
                for camera in rec.cameras.values() {
                    self.after_take(&camera.recording_id).await?;
                }
            }
        }
        if let Some(take_id) = claim.take_id.as_ref().filter(|_| rec.take_id.is_none()) {
            tracing::info!(rig_recording = %rec.key, take = %take_id, "another node made this recording's multicam take; recorded here");
            self.take_learnt(&rec, take_id.clone()).await?;
            rec = self.store.rig_recording(&rec.key)?.unwrap_or(rec);
        }
        Ok(rec)
    }

    /// A take made elsewhere (another node, or an earlier request): recorded on this node's
    /// cameras, with the job wanted on the lead camera when this node holds it.
    pub(super) async fn take_learnt(
        &self,
        rec: &RigRecording,
        take_id: String,
    ) -> Result<(), Fatal> {
        if let Some(rig) = self.cfg.multicam.iter().find(|r| r.name == rec.rig) {
            self.want_rig_job(rig, rec).await?;
        }
        self.rig_take_made(rec, take_id, true).await
    }

    /// Records what this node knows of a rig recording in the shared rows: its cameras, and
    /// any formation, volume or take.
    pub(super) async fn push_shared(
        &self,
        c: &Coordinator,
        rec: &RigRecording,
    ) -> Result<(), CoordError> {
        let key = self.publish_shared(c, rec).await?;
        let volume = rec.volume.as_ref();
        let o = Outcomes {
            missing: rec.missing.clone(),
            volume_id: rec.volume_id().map(str::to_string),
            volume_state: volume
                .and_then(|v| v.state.as_ref())
                .map(|s| s.as_str().to_string()),
            take_id: rec.take_id.clone(),
            take_volume_id: rec.take_requested.as_ref().map(|t| t.1.clone()),
            volume_requested: volume.and_then(|v| Some((v.requested_ms?, v.last_requested_ms?))),
            take_requested: rec
                .take_requested
                .as_ref()
                .and_then(|t| Some((t.0, rec.take_last_ms?))),
        };
        c.record(&key, &o).await
    }
}

/// This node's cameras of a rig recording, as shared rows.
pub(super) fn local_cameras(c: &Coordinator, rec: &RigRecording) -> Vec<SharedCamera> {
    rec.cameras
        .values()
        .filter(|cam| !cam.recording_id.starts_with(REMOTE))
        .map(|cam| SharedCamera {
            device: cam.device.clone(),
            node: c.node().to_string(),
            file_id: cam.file_id.clone(),
            name: cam.name.clone(),
            size: cam.size,
            sha256: cam.sha256.clone(),
            format: cam.format.clone(),
            mtime_ms: cam.mtime_ms,
            joined_ms: rec.first_ms.unwrap_or_else(now_ms),
            start_ms: cam.interval.map(|i| i.start_ms),
            end_ms: cam.interval.map(|i| i.end_ms),
        })
        .collect()
}

/// Another node's camera in this node's state: no recording here (`@NODE`).
fn remote_camera(cam: &SharedCamera) -> Camera {
    Camera {
        device: cam.device.clone(),
        recording_id: format!("{REMOTE}{}", cam.node),
        file_id: cam.file_id.clone(),
        format: cam.format.clone(),
        name: cam.name.clone(),
        size: cam.size,
        sha256: cam.sha256.clone(),
        mtime_ms: cam.mtime_ms,
        interval: remote_interval(cam),
        unknown: false,
    }
}

/// A remote camera's recording interval (`group = "time"`), as the shared rows hold it.
fn remote_interval(cam: &SharedCamera) -> Option<Interval> {
    Some(Interval {
        start_ms: cam.start_ms?,
        end_ms: cam.end_ms?,
        clock: Clock::Mvhd,
    })
}
