//! A rig camera's recording: its video is uploaded as any video is (its `.move`, if any, is
//! not a source of a multicam take and is not sent), then it joins its rig recording and
//! stops (`grouped`) instead of asking for a take of its own.

use std::path::Path;
use std::sync::atomic::Ordering;

use super::now_ms;
use crate::detect::rig::member;
use crate::ingest::{Fatal, Ingest, Outcome};
use crate::model::facts::Found;
use crate::model::interval::Interval;
use crate::model::recording::{Event, Recording, Role};
use crate::model::rig::{Camera, RigEvent, RigRecording};

/// Where a rig camera's recording belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RigMember {
    pub rig: String,
    /// The camera's label in the rig.
    pub camera: String,
    /// Empty for a time-grouped video that has not joined yet (see `detect::rig::Member`).
    pub group: String,
    pub stem: String,
    pub calibration: bool,
    /// Its recording is found by time (`group = "time"`).
    pub by_time: bool,
}

impl Ingest {
    /// The rig recording this camera recording belongs to; `None` for a single camera. A
    /// time-grouped video that joined has the group and name of the recording it joined.
    pub fn rig_member(&self, rec: &Recording) -> Option<RigMember> {
        let m = self.rig_member_at(&rec.device, &rec.dir, &rec.stem)?;
        if !m.by_time {
            return Some(m);
        }
        Some(self.joined_by_time(rec, m))
    }

    /// The rig recording a scan's find belongs to; `None` for a single camera.
    pub fn rig_member_of(&self, found: &Found) -> Option<RigMember> {
        self.rig_member_at(&found.device, &found.dir, &found.stem)
    }

    fn rig_member_at(&self, device: &str, dir: &Path, stem: &str) -> Option<RigMember> {
        let m = member(&self.cfg.watch, &self.cfg.multicam, device, dir, stem)?;
        Some(RigMember {
            rig: m.rig.name.clone(),
            calibration: m.calibration(),
            by_time: m.by_time(),
            camera: m.camera,
            group: m.group,
            stem: m.stem,
        })
    }

    /// Whether the `.move` of this recording is left out (a rig camera's): logged once.
    pub(in crate::ingest) fn skips_sidecar(&self, rec: &Recording) -> bool {
        if rec.sidecar.is_none() || self.rig_member(rec).is_none() {
            return false;
        }
        if !self.sidecar_noted.swap(true, Ordering::Relaxed) {
            tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, "a .move beside a rig camera's video is not a source of a multicam take: it is not uploaded (logged once)");
        }
        true
    }

    /// Uploads a rig camera's video, then joins it to its rig recording.
    pub(in crate::ingest) async fn process_camera(
        &self,
        rec: Recording,
        member: RigMember,
    ) -> Result<Outcome, Fatal> {
        if let Some(f) = &rec.failure {
            return Ok(Outcome::Failed {
                reason: f.reason.clone(),
            });
        }
        let mut unknown = rec.look_for_take;
        let mut rec = rec;
        if unknown && rec.video_upload.is_none() {
            unknown = self.adopt_camera_file(&rec, &member).await?;
            rec = self.recording(&rec.id)?.unwrap_or(rec);
        }
        let interval = match member.by_time {
            true => match self.read_interval(&rec).await {
                Ok(interval) => Some(interval),
                Err(outcome) => return outcome,
            },
            false => None,
        };
        while rec.video_upload.is_none() {
            if let Some(outcome) = self.upload_files(&rec).await? {
                return Ok(outcome);
            }
            match self.recording(&rec.id)? {
                Some(now) if now.video_upload.is_some() || now.video.is_none() => {
                    rec = now;
                    break;
                }
                Some(now) => rec = now,
                None => break,
            }
        }
        match interval {
            Some(interval) => self.join_by_time(&rec, &member, unknown, interval).await,
            None => self.join_rig(&rec, &member, unknown).await,
        }
    }

    /// Adds the uploaded video to its rig recording (once), then marks the camera recording
    /// `grouped` and wakes the rig follower.
    async fn join_rig(
        &self,
        rec: &Recording,
        m: &RigMember,
        unknown: bool,
    ) -> Result<Outcome, Fatal> {
        let Some(camera) = camera_of(rec, m, unknown, None) else {
            return Ok(Outcome::Deferred {
                reason: "its video is not uploaded yet".into(),
            });
        };
        let new = RigRecording::new(&m.rig, &m.group, &m.stem, m.calibration);
        let known = self.store.rig_recording(&new.key)?;
        let joined = known
            .as_ref()
            .and_then(|r| r.cameras.get(&m.camera))
            .is_some_and(|c| c.file_id == camera.file_id);
        // Not formed yet (still collecting, or failed with too few cameras: `retry` looks again).
        let collecting = known.as_ref().is_none_or(|r| r.missing.is_none());
        let ev = Event::Grouped {
            rig_recording: new.key.clone(),
        };
        let joining = (!joined && collecting).then(|| RigEvent::CameraJoined {
            camera,
            at_ms: now_ms(),
        });
        // The join and the camera's `Grouped` are durable together, in one commit shared with
        // the other steps waiting (group commit): a crash keeps both or neither.
        let now = self
            .store
            .rig_join(joining.map(|j| (&new, j)), &rec.id, ev)
            .await?;
        match now {
            Some(now) if now.cameras.contains_key(&m.camera) => {
                tracing::info!(rec = %rec.id, rig_recording = %new.key, camera = %m.camera, "uploaded; joined its rig recording");
            }
            Some(_) => {
                tracing::warn!(rec = %rec.id, rig_recording = %new.key, camera = %m.camera, "this camera's video came just after its rig recording was made without it: it is uploaded, and not part of that take or volume");
            }
            None if !joined => {
                tracing::warn!(rec = %rec.id, rig_recording = %new.key, camera = %m.camera, "this camera's video came after its rig recording was made without it: it is uploaded, and not part of that take or volume");
            }
            None => {}
        }
        self.rigs_wake.notify_one();
        Ok(Outcome::Grouped {
            rig_recording: new.key,
        })
    }
}

/// The rig recording's view of a camera recording's uploaded video (`None` until uploaded).
pub(super) fn camera_of(
    rec: &Recording,
    m: &RigMember,
    unknown: bool,
    interval: Option<Interval>,
) -> Option<Camera> {
    let (video, up) = (rec.seen(Role::Video)?, rec.upload(Role::Video)?);
    Some(Camera {
        device: m.camera.clone(),
        recording_id: rec.id.to_string(),
        file_id: up.file_id.clone(),
        format: video.kind.source_format().to_string(),
        name: video.facts.name.clone(),
        size: up.facts.size,
        sha256: up.sha256.clone(),
        mtime_ms: up.facts.mtime_ns / 1_000_000,
        interval,
        unknown,
    })
}
