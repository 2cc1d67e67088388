//! A rig recording (issue 22): the videos one rig's cameras made of one recording, and the
//! steps that make them exactly one volume (a calibration) or exactly one multicam take.
//!
//! Every change is a [`RigEvent`]; [`RigRecording::apply`] is the only place that reads them,
//! as `Recording::apply` is for a camera's own recording.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::interval::{Interval, recording_stem};
use crate::model::volume::VolumeState;

/// One camera's video in a rig recording: its own recording (uploaded once, as any video is)
/// and the file the API holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Camera {
    /// The camera's device label in the rig (`deviceLabel` of its source).
    pub device: String,
    /// The camera's own recording (its upload).
    pub recording_id: String,
    pub file_id: String,
    /// `SourceFormat`: MP4, MOV or AVI.
    pub format: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// The video's modification time, ms since the epoch (which calibration came before).
    pub mtime_ms: i64,
    /// When the file says it was recorded (`group = "time"`; `None` for the other groupings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
    /// The state knew nothing of this video when it was found (a lost or new state dir): the
    /// rig recording's volume or take may already be on the API, and is looked for first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
}

/// One step of one rig recording, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RigEvent {
    /// A camera's video is uploaded and joins the recording (`at_ms`: when; the first one
    /// starts the `wait_secs` clock).
    CameraJoined { camera: Camera, at_ms: i64 },
    /// The cameras are settled: every one came, or `wait_secs` passed with at least two;
    /// `missing` names the ones that never came.
    Formed { missing: Vec<String> },
    /// `createVolumeWithHuman` is about to be sent (or re-sent).
    VolumeRequested { at_ms: i64 },
    /// The API answered with the volume, or `listVolumes` found it by move-ingest's record.
    VolumeCreated { volume_id: String, adopted: bool },
    /// `getVolume` answered.
    VolumePolled {
        state: VolumeState,
        percent: Option<i64>,
        at_ms: i64,
    },
    /// `createMultiCamTake` on `volume_id` is about to be sent (or re-sent).
    TakeRequested { at_ms: i64, volume_id: String },
    /// The API answered with the take, or `listTakes` found it by move-ingest's record.
    TakeCreated { take_id: String, adopted: bool },
    /// This rig recording stopped; `retry` puts it back.
    Failed {
        step: String,
        reason: String,
        kind: RigFailure,
    },
    /// Put back by `retry` at `at_ms`: the failure is cleared; a recording with too few
    /// cameras waits `wait_secs` again from then for the others.
    Requeued {
        #[serde(default)]
        at_ms: i64,
    },
}

impl RigEvent {
    /// The step's name as `history` shows it.
    pub fn describe(&self) -> String {
        match self {
            RigEvent::CameraJoined { camera, .. } => {
                format!("camera {} joined ({})", camera.device, camera.name)
            }
            RigEvent::Formed { missing } if missing.is_empty() => "every camera came".into(),
            RigEvent::Formed { missing } => format!("formed without {}", missing.join(", ")),
            RigEvent::VolumeRequested { .. } => "volume requested".into(),
            RigEvent::VolumeCreated { volume_id, adopted } => {
                let how = if *adopted { "adopted" } else { "created" };
                format!("volume {how}: {volume_id}")
            }
            RigEvent::VolumePolled { state, percent, .. } => match percent {
                Some(p) => format!("volume {state} ({p}%)"),
                None => format!("volume {state}"),
            },
            RigEvent::TakeRequested { volume_id, .. } => {
                format!("multicam take requested on {volume_id}")
            }
            RigEvent::TakeCreated { take_id, adopted } => {
                let how = if *adopted { "adopted" } else { "created" };
                format!("multicam take {how}: {take_id}")
            }
            RigEvent::Failed { step, reason, .. } => format!("failed at {step}: {reason}"),
            RigEvent::Requeued { .. } => "put back by retry".into(),
        }
    }
}

/// What kind of failure stopped a rig recording: what a person does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RigFailure {
    /// Fewer than two cameras' videos came within `wait_secs`.
    TooFewCameras,
    /// The calibration's volume FAILED at Move: record a new calibration.
    VolumeFailed,
    /// The API refused a request for good.
    Refused,
}

/// Where a rig recording's volume stands (calibration recordings only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeTrack {
    /// The first request (a lookup for it reaches back to here).
    pub requested_ms: Option<i64>,
    /// The latest request (a lookup waits a moment after it, for it to land).
    #[serde(default)]
    pub last_requested_ms: Option<i64>,
    pub id: Option<String>,
    pub state: Option<VolumeState>,
    pub percent: Option<i64>,
    pub polled_ms: Option<i64>,
}

/// Why a rig recording stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RigFailed {
    pub step: String,
    pub reason: String,
    pub kind: RigFailure,
}

/// Everything known about one rig recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RigRecording {
    /// `RIG/GROUP`: the rig's name, then the group key (sub folders and stem).
    pub key: String,
    pub rig: String,
    /// The sub folders and stem that the cameras' videos share (`group = "stem"`), or the
    /// folder holding them (`group = "folder"`).
    pub group: String,
    /// The recording's name (the videos' stem, or the folder's name).
    pub stem: String,
    pub calibration: bool,
    /// By device label.
    pub cameras: BTreeMap<String, Camera>,
    /// When the first camera joined (ms since the epoch).
    pub first_ms: Option<i64>,
    /// Some camera was unknown to the state when found: before its first request, the API is
    /// asked whether the volume or take already exists (adoption).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub look_first: bool,
    /// Once formed: the cameras that never came.
    pub missing: Option<Vec<String>>,
    #[serde(default)]
    pub volume: Option<VolumeTrack>,
    /// The take request: when first, and on which volume.
    #[serde(default)]
    pub take_requested: Option<(i64, String)>,
    /// The latest take request.
    #[serde(default)]
    pub take_last_ms: Option<i64>,
    #[serde(default)]
    pub take_id: Option<String>,
    #[serde(default)]
    pub failure: Option<RigFailed>,
}

/// Where a rig recording is, for the service, `status` and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RigState {
    /// Cameras are still coming in (`wait_secs`).
    Collecting,
    /// A calibration whose volume is asked for or being made at Move.
    Calibrating,
    /// A calibration whose volume is FINISHED.
    Calibrated,
    /// A recording waiting for a FINISHED volume of its rig.
    WaitingForVolume,
    /// The multicam take was asked for; its answer is not stored yet.
    TakeRequested,
    /// The multicam take exists.
    Done,
    Failed,
}

impl RigState {
    /// Every state, in the order `status` lists them.
    pub const ALL: [RigState; 7] = [
        RigState::Collecting,
        RigState::Calibrating,
        RigState::Calibrated,
        RigState::WaitingForVolume,
        RigState::TakeRequested,
        RigState::Done,
        RigState::Failed,
    ];

    /// Lower-case name, as `status` and the metrics label print it.
    pub fn as_str(self) -> &'static str {
        match self {
            RigState::Collecting => "collecting",
            RigState::Calibrating => "calibrating",
            RigState::Calibrated => "calibrated",
            RigState::WaitingForVolume => "waiting_for_volume",
            RigState::TakeRequested => "take_requested",
            RigState::Done => "done",
            RigState::Failed => "failed",
        }
    }

    /// Nothing more happens by itself.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RigState::Calibrated | RigState::Done | RigState::Failed
        )
    }
}

impl RigRecording {
    /// A rig recording with no camera yet.
    pub fn new(rig: &str, group: &str, stem: &str, calibration: bool) -> RigRecording {
        RigRecording {
            key: key(rig, group),
            rig: rig.into(),
            group: group.into(),
            stem: stem.into(),
            calibration,
            cameras: BTreeMap::new(),
            first_ms: None,
            look_first: false,
            missing: None,
            volume: None,
            take_requested: None,
            take_last_ms: None,
            take_id: None,
            failure: None,
        }
    }

    /// Where it is.
    pub fn state(&self) -> RigState {
        if self.take_id.is_some() {
            return RigState::Done;
        }
        if self.failure.is_some() {
            return RigState::Failed;
        }
        if self.missing.is_none() {
            return RigState::Collecting;
        }
        if self.calibration {
            let finished = self
                .volume
                .as_ref()
                .is_some_and(|v| v.state == Some(VolumeState::Finished));
            return if finished {
                RigState::Calibrated
            } else {
                RigState::Calibrating
            };
        }
        if self.take_requested.is_some() {
            RigState::TakeRequested
        } else {
            RigState::WaitingForVolume
        }
    }

    /// When the recording was made (ms): the latest start its files say (`group = "time"`),
    /// else the videos' newest modification time.
    pub fn recorded_ms(&self) -> i64 {
        let at = |c: &Camera| c.interval.map_or(c.mtime_ms, |i| i.start_ms);
        self.cameras.values().map(at).max().unwrap_or(0)
    }

    /// The volume id, once known.
    pub fn volume_id(&self) -> Option<&str> {
        self.volume.as_ref()?.id.as_deref()
    }

    /// Applies one step.
    pub fn apply(&mut self, ev: &RigEvent) {
        match ev {
            // Once formed, the cameras are fixed (the volume or take was asked for with
            // them, and is found again by them): a camera that comes later is not part of it.
            RigEvent::CameraJoined { .. } if self.missing.is_some() => {}
            RigEvent::CameraJoined { camera, at_ms } => {
                self.first_ms.get_or_insert(*at_ms);
                self.look_first |= camera.unknown;
                self.cameras.insert(camera.device.clone(), camera.clone());
                if camera.interval.is_some() {
                    let names = self.cameras.values().map(|c| c.name.as_str());
                    self.stem = recording_stem(names, &self.group);
                }
            }
            RigEvent::Formed { missing } => self.missing = Some(missing.clone()),
            RigEvent::VolumeRequested { at_ms } => {
                let v = self.volume.get_or_insert_with(VolumeTrack::default);
                v.requested_ms.get_or_insert(*at_ms);
                v.last_requested_ms = Some(*at_ms);
            }
            RigEvent::VolumeCreated { volume_id, .. } => {
                let v = self.volume.get_or_insert_with(VolumeTrack::default);
                v.id = Some(volume_id.clone());
            }
            RigEvent::VolumePolled {
                state,
                percent,
                at_ms,
            } => {
                let v = self.volume.get_or_insert_with(VolumeTrack::default);
                v.state = Some(state.clone());
                v.percent = *percent;
                v.polled_ms = Some(*at_ms);
            }
            RigEvent::TakeRequested { at_ms, volume_id } => {
                let since = self.take_requested.as_ref().map_or(*at_ms, |t| t.0);
                self.take_requested = Some((since.min(*at_ms), volume_id.clone()));
                self.take_last_ms = Some(*at_ms);
            }
            RigEvent::TakeCreated { take_id, .. } => self.take_id = Some(take_id.clone()),
            RigEvent::Failed { step, reason, kind } => {
                self.failure = Some(RigFailed {
                    step: step.clone(),
                    reason: reason.clone(),
                    kind: *kind,
                });
            }
            RigEvent::Requeued { at_ms } => {
                self.failure = None;
                if self.missing.is_none() {
                    self.first_ms = Some(*at_ms);
                }
                // A volume that FAILED is asked for again from the same calibration videos.
                if self
                    .volume
                    .as_ref()
                    .is_some_and(|v| v.state == Some(VolumeState::Failed))
                {
                    self.volume = None;
                }
            }
        }
    }
}

/// The key of a rig recording: `RIG/GROUP`.
pub fn key(rig: &str, group: &str) -> String {
    format!("{rig}/{group}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cam(device: &str, mtime_ms: i64) -> Camera {
        Camera {
            device: device.into(),
            recording_id: format!("rec-{device}"),
            file_id: format!("file-{device}"),
            format: "MP4".into(),
            name: "a.mp4".into(),
            size: 1,
            sha256: "ab".into(),
            mtime_ms,
            interval: None,
            unknown: false,
        }
    }

    #[test]
    fn a_calibration_goes_from_collecting_to_calibrated() {
        let mut r = RigRecording::new("stage-a", "calib", "calib", true);
        assert_eq!(r.state(), RigState::Collecting);
        r.apply(&RigEvent::CameraJoined {
            camera: cam("cam-1", 5),
            at_ms: 10,
        });
        r.apply(&RigEvent::CameraJoined {
            camera: cam("cam-2", 7),
            at_ms: 20,
        });
        assert_eq!((r.first_ms, r.recorded_ms()), (Some(10), 7));
        r.apply(&RigEvent::Formed { missing: vec![] });
        assert_eq!(r.state(), RigState::Calibrating);
        r.apply(&RigEvent::VolumeCreated {
            volume_id: "volume-1".into(),
            adopted: false,
        });
        r.apply(&RigEvent::VolumePolled {
            state: VolumeState::Finished,
            percent: Some(100),
            at_ms: 30,
        });
        assert_eq!(r.state(), RigState::Calibrated);
        assert_eq!(r.volume_id(), Some("volume-1"));
    }

    #[test]
    fn an_action_waits_for_a_volume_then_is_done() {
        let mut r = RigRecording::new("stage-a", "day1/act", "act", false);
        assert_eq!(r.key, "stage-a/day1/act");
        r.apply(&RigEvent::Formed {
            missing: vec!["cam-3".into()],
        });
        assert_eq!(r.state(), RigState::WaitingForVolume);
        r.apply(&RigEvent::CameraJoined {
            camera: cam("cam-3", 9),
            at_ms: 30,
        });
        assert!(
            r.cameras.is_empty(),
            "a camera after the formation is not part of it"
        );
        r.apply(&RigEvent::TakeRequested {
            at_ms: 5,
            volume_id: "v".into(),
        });
        assert_eq!(r.state(), RigState::TakeRequested);
        r.apply(&RigEvent::TakeCreated {
            take_id: "t".into(),
            adopted: false,
        });
        assert_eq!(r.state(), RigState::Done);
        let json = serde_json::to_string(&RigEvent::Formed { missing: vec![] }).unwrap();
        assert_eq!(json, r#"{"formed":{"missing":[]}}"#);
    }
}
