//! A time-grouped rig camera's video (`group = "time"`, issue 25): before its upload, when it
//! was recorded is read from the file (`detect/mp4`; a file that does not say fails with the
//! reason, and nothing of its recording waits for it); once uploaded it joins the rig
//! recording it is of (`detect/rig_time`), one placement at a time, or starts one named by
//! its start. A video that takes another of the same camera's place puts that one elsewhere.

use crate::config::{Grouping, MulticamConfig, SyncMethod};
use crate::detect::rig_time::{Place, place};
use crate::ingest::{Fatal, Ingest, Outcome};
use crate::model::interval::Interval;
use crate::model::recording::{Event, FailureKind, Recording, Role, Step};
use crate::model::rig::{Camera, RigEvent, RigRecording, key};

use super::join::camera_of;
use super::{RigMember, now_ms};

impl Ingest {
    /// When the video of `rec` was recorded; `Err`: the outcome its pass ends with (failed
    /// with a reason that names the file and says what to do).
    pub(super) async fn read_interval(
        &self,
        rec: &Recording,
    ) -> Result<Interval, Result<Outcome, Fatal>> {
        let Some(video) = rec.seen(Role::Video) else {
            return Err(Ok(Outcome::Deferred {
                reason: "it has no video yet".into(),
            }));
        };
        let path = rec.dir.join(&video.facts.name);
        let timecode = self
            .cfg
            .rig_of(&rec.device)
            .is_some_and(|r| r.sync == SyncMethod::Timecode);
        let at = path.clone();
        let read = tokio::task::spawn_blocking(move || crate::detect::mp4::interval(&at, timecode));
        let why = match read.await {
            Ok(Ok(interval)) => return Ok(interval),
            Ok(Err(crate::detect::mp4::Mp4Error::Io(e))) => {
                return Err(Ok(Outcome::Deferred {
                    reason: format!("cannot read {}: {e}", path.display()),
                }));
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => format!("reading it stopped: {e}"),
        };
        let reason = format!(
            "{}: cannot tell when it was recorded, {why}; its rig groups videos by the recording time in the file (group = \"time\", moov/mvhd). Copy it again from the card (then `move-ingest retry`) or remove it: the other cameras' videos of its recording do not wait for it (after wait_secs they are taken without it)",
            path.display()
        );
        Err(self
            .fail(rec, Step::RecordingTime, FailureKind::Unreadable, reason)
            .await)
    }

    /// Joins the uploaded video to the rig recording it is of (once), then marks the camera
    /// recording `grouped` and wakes the rig follower.
    pub(super) async fn join_by_time(
        &self,
        rec: &Recording,
        m: &RigMember,
        unknown: bool,
        interval: Interval,
    ) -> Result<Outcome, Fatal> {
        let rig = self.cfg.multicam.iter().find(|r| r.name == m.rig);
        let (Some(rig), Some(camera)) = (rig, camera_of(rec, m, unknown, Some(interval))) else {
            return Ok(Outcome::Deferred {
                reason: "its video is not uploaded yet".into(),
            });
        };
        let _one_at_a_time = self.rig_placing.lock().await;
        let key = match self.joined(rec, &camera, m).await? {
            Some(key) => key,
            None => self.place_by_time(rig, m.calibration, camera).await?,
        };
        if rec.grouped.as_ref() != Some(&key) {
            let ev = Event::Grouped {
                rig_recording: key.clone(),
            };
            self.store.record(&rec.id, ev).await?;
            self.rigs_wake.notify_one();
        }
        Ok(Outcome::Grouped { rig_recording: key })
    }

    /// The rig recording that already holds this very video (an earlier pass), or that a
    /// volume or take on the API holds it in (a lost state dir: its upload was adopted); the
    /// latter is joined here.
    async fn joined(
        &self,
        rec: &Recording,
        camera: &Camera,
        m: &RigMember,
    ) -> Result<Option<String>, Fatal> {
        if let Some(key) = &rec.grouped
            && let Some(r) = self.store.rig_recording(key)?
            && r.cameras
                .get(&camera.device)
                .is_some_and(|c| c.file_id == camera.file_id)
        {
            return Ok(Some(key.clone()));
        }
        if !camera.unknown {
            return Ok(None);
        }
        let Some((_, group, stem)) = self.held_in(&m.rig, &camera.file_id).await? else {
            return Ok(None);
        };
        let new = RigRecording::new(&m.rig, &group, &stem, m.calibration);
        let ev = RigEvent::CameraJoined {
            camera: camera.clone(),
            at_ms: now_ms(),
        };
        let now = self.store.rig_record(&new, &ev)?;
        tracing::info!(rec = %rec.id, rig_recording = %now.key, "a volume or take on the API holds this video: it joins that recording");
        Ok(Some(now.key))
    }

    /// Places `camera` (and any video of the same camera it takes the place of); returns the
    /// key of the rig recording it joined.
    async fn place_by_time(
        &self,
        rig: &MulticamConfig,
        calibration: bool,
        camera: Camera,
    ) -> Result<String, Fatal> {
        let Grouping::Time { clock_tolerance_ms } = rig.group else {
            return Ok(String::new());
        };
        let first = camera.recording_id.clone();
        let mut placing = camera;
        let mut joined = None;
        while let Some(interval) = placing.interval {
            let open: Vec<RigRecording> = self
                .store
                .rig_recordings(true)?
                .into_iter()
                .filter(|r| r.rig == rig.name && r.calibration == calibration)
                .filter(|r| r.missing.is_none() && r.failure.is_none())
                .collect();
            let (target, displaced) =
                match place(&placing.device, &interval, &open, clock_tolerance_ms) {
                    Place::New => (self.new_by_time(&rig.name, calibration, &interval)?, None),
                    Place::Join { key, replaces } => {
                        let Some(target) = open.into_iter().find(|r| r.key == key) else {
                            continue;
                        };
                        let held = target.cameras.get(&placing.device).cloned();
                        (target, held.filter(|_| replaces))
                    }
                };
            let ev = RigEvent::CameraJoined {
                camera: placing.clone(),
                at_ms: now_ms(),
            };
            let now = self.store.rig_record(&target, &ev)?;
            let held = now.cameras.get(&placing.device);
            if held.is_none_or(|c| c.file_id != placing.file_id) {
                // Formed meanwhile without this camera: placed again among the others.
                continue;
            }
            tracing::info!(rec = %placing.recording_id, rig_recording = %now.key, camera = %placing.device, file = %placing.name, recorded = %interval.describe(), "joined the rig recording it was recorded with");
            if placing.recording_id == first {
                joined = Some(now.key.clone());
            } else {
                let ev = Event::Grouped {
                    rig_recording: now.key.clone(),
                };
                self.store.record(placing.recording_id.as_str(), ev).await?;
            }
            let Some(out) = displaced else {
                break;
            };
            tracing::warn!(rig_recording = %now.key, camera = %out.device, "{} overlaps this recording less than {}: it leaves it and is placed again", out.name, placing.name);
            placing = out;
        }
        Ok(joined.unwrap_or_default())
    }

    /// A new rig recording for a video that joins none, named by its start (`-2`, `-3`, ...
    /// when that name is taken).
    fn new_by_time(
        &self,
        rig: &str,
        calibration: bool,
        interval: &Interval,
    ) -> Result<RigRecording, Fatal> {
        let base = interval.stem();
        let mut group = base.clone();
        let mut n = 1;
        while self.store.rig_recording(&key(rig, &group))?.is_some() {
            n += 1;
            group = format!("{base}-{n}");
        }
        Ok(RigRecording::new(rig, &group, &group, calibration))
    }

    /// A time-grouped camera recording's member once it joined: the group and name of its rig
    /// recording (before, the video's own stem).
    pub(super) fn joined_by_time(&self, rec: &Recording, m: RigMember) -> RigMember {
        let Some(joined) = &rec.grouped else {
            return m;
        };
        let group = joined
            .strip_prefix(&format!("{}/", m.rig))
            .unwrap_or(joined)
            .to_string();
        let stem = match self.store.rig_recording(joined) {
            Ok(Some(r)) => r.stem,
            _ => group.clone(),
        };
        RigMember { group, stem, ..m }
    }
}
