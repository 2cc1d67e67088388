//! The recording state machine: the steps the store records and what each one means.
//!
//! Every change to a recording is an `Event`; `Recording::apply` is the only place that
//! interprets them, both when the store writes a step and when an old journal is imported.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::model::event::Event;
pub use crate::model::facts::Seen;
use crate::model::facts::{Facts, Found};
pub use crate::model::failure::{Failure, FailureKind, Retrying, Step};
use crate::model::id::RecordingId;
use crate::model::job::{Downloaded, JobTrack};

/// Which file of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Video,
    Sidecar,
}

/// What `[after_take]` does to one file: moved to `to`, or deleted (`to` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    pub name: String,
    #[serde(default)]
    pub to: Option<PathBuf>,
}

/// Where a recording's after-take step stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AfterTake {
    /// The plan, once recorded.
    #[serde(default)]
    pub planned: Vec<Planned>,
    /// What was done, once the step ended.
    #[serde(default)]
    pub done: Option<String>,
}

/// A file the storage accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub file_id: String,
    pub facts: Facts,
    pub sha256: String,
}

/// Everything known about one recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub id: RecordingId,
    pub dir: PathBuf,
    pub device: String,
    pub stem: String,
    pub video: Option<Seen>,
    pub sidecar: Option<Seen>,
    #[serde(default)]
    pub video_upload: Option<Upload>,
    #[serde(default)]
    pub sidecar_upload: Option<Upload>,
    #[serde(default)]
    pub take_requested_ms: Option<i64>,
    #[serde(default)]
    pub take_id: Option<String>,
    #[serde(default)]
    pub failure: Option<Failure>,
    #[serde(default)]
    pub late_sidecar: Option<Facts>,
    #[serde(default)]
    pub gone: Option<String>,
    /// Unknown to the state when found: its take is looked for on the API before its first
    /// upload (cleared once something of it is uploaded or its take is recorded).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub look_for_take: bool,
    /// Waiting after a transient failure (none while it is not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrying: Option<Retrying>,
    /// The `[after_take]` step (none while it has not begun).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_take: Option<AfterTake>,
    /// The processing job (`[job]`; none when no job is wanted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobTrack>,
    /// A rig camera's recording: the rig recording (`RIG/GROUP`) its video belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouped: Option<String>,
    /// The store's sequence number of the latest step, and its time.
    pub seq: u64,
    pub updated: String,
}

/// Where a recording is, for the queue and for `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// A `.move` whose video has not appeared.
    Waiting,
    /// Complete, nothing sent yet.
    Queued,
    /// Some of its files are uploaded.
    Uploading,
    /// The take was asked for; its answer is not recorded yet.
    TakeRequested,
    /// A transient failure outlasted the quick retries; it is tried again later, by itself.
    Retrying,
    Done,
    Failed,
    /// A file vanished before its upload.
    Gone,
    /// A rig camera's video, uploaded, waiting for its rig recording's multicam take.
    Grouped,
}

impl Phase {
    /// Every phase, in the order `status` lists them.
    pub const ALL: [Phase; 9] = [
        Phase::Waiting,
        Phase::Queued,
        Phase::Uploading,
        Phase::TakeRequested,
        Phase::Retrying,
        Phase::Grouped,
        Phase::Done,
        Phase::Failed,
        Phase::Gone,
    ];

    /// The phases in flight: queued, uploading, take requested or retrying, work that a
    /// worker carries on (and a restart resumes). The one list of them.
    pub const IN_FLIGHT: [Phase; 4] = [
        Phase::Queued,
        Phase::Uploading,
        Phase::TakeRequested,
        Phase::Retrying,
    ];

    /// Whether this phase is one of [`Phase::IN_FLIGHT`].
    pub fn is_in_flight(self) -> bool {
        Phase::IN_FLIGHT.contains(&self)
    }

    /// The phases `retry` puts back in the queue: failed, and retrying (sent now rather than
    /// at its next attempt).
    pub const RETRIABLE: [Phase; 2] = [Phase::Failed, Phase::Retrying];

    /// Whether this phase is one of [`Phase::RETRIABLE`].
    pub fn is_retriable(self) -> bool {
        Phase::RETRIABLE.contains(&self)
    }

    /// Lower-case name, as `status` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Queued => "queued",
            Phase::Uploading => "uploading",
            Phase::TakeRequested => "take_requested",
            Phase::Retrying => "retrying",
            Phase::Done => "done",
            Phase::Failed => "failed",
            Phase::Gone => "gone",
            Phase::Grouped => "grouped",
        }
    }
}

impl Recording {
    /// Where the recording is.
    pub fn phase(&self) -> Phase {
        if self.take_id.is_some() {
            Phase::Done
        } else if self.failure.is_some() {
            Phase::Failed
        } else if self.gone.is_some() {
            Phase::Gone
        } else if self.grouped.is_some() {
            Phase::Grouped
        } else if self.retrying.is_some() {
            Phase::Retrying
        } else if self.take_requested_ms.is_some() {
            Phase::TakeRequested
        } else if self.video.is_none() {
            Phase::Waiting
        } else if self.video_upload.is_some() || self.sidecar_upload.is_some() {
            Phase::Uploading
        } else {
            Phase::Queued
        }
    }

    /// The recording's files as recorded, in the shape a scan finds them.
    pub fn files(&self) -> Found {
        Found {
            dir: self.dir.clone(),
            device: self.device.clone(),
            stem: self.stem.clone(),
            video: self.video.clone(),
            sidecar: self.sidecar.clone(),
        }
    }

    /// The file on disk for a role.
    pub fn seen(&self, role: Role) -> Option<&Seen> {
        match role {
            Role::Video => self.video.as_ref(),
            Role::Sidecar => self.sidecar.as_ref(),
        }
    }

    /// The accepted upload for a role.
    pub fn upload(&self, role: Role) -> Option<&Upload> {
        match role {
            Role::Video => self.video_upload.as_ref(),
            Role::Sidecar => self.sidecar_upload.as_ref(),
        }
    }

    fn upload_mut(&mut self, role: Role) -> &mut Option<Upload> {
        match role {
            Role::Video => &mut self.video_upload,
            Role::Sidecar => &mut self.sidecar_upload,
        }
    }

    /// The file on disk for a role, to replace it.
    pub fn seen_mut(&mut self, role: Role) -> &mut Option<Seen> {
        match role {
            Role::Video => &mut self.video,
            Role::Sidecar => &mut self.sidecar,
        }
    }
}

impl Recording {
    /// A new recording from its first `Discovered` step; `None` for any other step.
    pub fn discovered(id: &str, seq: u64, time: &str, event: Event) -> Option<Recording> {
        let Event::Discovered {
            dir,
            device,
            stem,
            video,
            sidecar,
            look_for_take,
        } = event
        else {
            return None;
        };
        Some(Recording {
            id: RecordingId::from(id),
            dir,
            device,
            stem,
            video,
            sidecar,
            video_upload: None,
            sidecar_upload: None,
            take_requested_ms: None,
            take_id: None,
            failure: None,
            late_sidecar: None,
            gone: None,
            look_for_take,
            retrying: None,
            after_take: None,
            job: None,
            grouped: None,
            seq,
            updated: time.to_string(),
        })
    }

    /// Applies one step to this recording: the only place that interprets steps.
    pub fn apply(&mut self, seq: u64, time: &str, event: Event) {
        self.seq = seq;
        if self.updated != time {
            self.updated = time.to_string();
        }
        if event.ends_a_wait() {
            self.retrying = None;
        }
        match event {
            Event::Discovered { video, sidecar, .. } => {
                self.video = video;
                self.sidecar = sidecar;
            }
            Event::FileCreated { .. } => {}
            Event::Uploaded {
                role,
                file_id,
                facts,
                sha256,
            } => {
                *self.upload_mut(role) = Some(Upload {
                    file_id,
                    facts,
                    sha256,
                });
                self.look_for_take = false;
            }
            Event::UploadDiscarded { role, .. } => *self.upload_mut(role) = None,
            Event::TakeRequested { at_ms } => {
                self.take_requested_ms =
                    Some(self.take_requested_ms.map_or(at_ms, |t| t.min(at_ms)));
            }
            Event::TakeCreated { take_id, .. } => {
                self.take_id = Some(take_id);
                self.failure = None;
                self.look_for_take = false;
            }
            Event::Touched { role, facts } => {
                if let Some(seen) = self.seen_mut(role) {
                    seen.facts = facts.clone();
                }
                if let Some(up) = self.upload_mut(role) {
                    up.facts = facts;
                }
            }
            Event::LateSidecar { facts } => self.late_sidecar = Some(facts),
            Event::Failed { step, reason, kind } => {
                self.failure = Some(Failure { step, reason, kind });
            }
            Event::Retrying {
                step,
                reason,
                next_ms,
            } => {
                let rounds = self.retrying.as_ref().map_or(0, |r| r.rounds) + 1;
                self.retrying = Some(Retrying {
                    step,
                    reason,
                    next_ms,
                    rounds,
                });
            }
            Event::Vanished { reason } => self.gone = Some(reason),
            Event::Requeued => self.failure = None,
            Event::AfterTakePlanned { files } => {
                self.after_take.get_or_insert_default().planned = files;
            }
            Event::AfterTakeDone { note } => {
                self.after_take.get_or_insert_default().done = Some(note);
            }
            Event::Grouped { rig_recording } => self.grouped = Some(rig_recording),
            Event::JobWanted => {
                self.job.get_or_insert_default();
            }
            Event::JobRequested { at_ms } => {
                let job = self.job.get_or_insert_default();
                job.requested_ms = Some(job.requested_ms.map_or(at_ms, |t| t.min(at_ms)));
            }
            Event::JobCreated { job_id, adopted } => {
                let job = self.job.get_or_insert_default();
                job.id = Some(job_id);
                job.adopted = adopted;
            }
            Event::JobPolled {
                state,
                percent,
                at_ms,
                next_poll_ms,
                failure_reason,
                outputs,
            } => {
                let job = self.job.get_or_insert_default();
                job.state = Some(state);
                job.percent = percent.or(job.percent);
                job.polls += 1;
                job.polled_ms = Some(at_ms);
                job.next_poll_ms = next_poll_ms;
                if failure_reason.is_some() {
                    job.failure_reason = failure_reason;
                }
                if !outputs.is_empty() {
                    job.outputs = outputs;
                }
            }
            Event::JobOutputDownloaded { key, path, size } => {
                let job = self.job.get_or_insert_default();
                job.downloaded.retain(|d| d.key != key);
                job.downloaded.push(Downloaded { key, path, size });
            }
            Event::JobDone { note } => {
                let job = self.job.get_or_insert_default();
                job.done = Some(note);
                job.next_poll_ms = None;
            }
            Event::JobRetried => {
                let mut earlier = self.job.take().unwrap_or_default().earlier_with_this();
                earlier.dedup();
                self.job = Some(JobTrack {
                    earlier,
                    ..JobTrack::default()
                });
            }
            Event::Snapshot { recording } => {
                let (seq, updated) = (self.seq, self.updated.clone());
                *self = *recording;
                self.seq = seq;
                self.updated = updated;
            }
        }
    }

    /// True when this recording has its take and the files found now are the very versions it
    /// uploaded (the common case of a rescan: nothing to do).
    pub fn done_and_unchanged(&self, video: Option<&Facts>, sidecar: Option<&Facts>) -> bool {
        let same = |up: Option<&Upload>, now: Option<&Facts>| match (up, now) {
            (Some(up), Some(now)) => up.facts.same_version(now),
            (None, None) => true,
            _ => false,
        };
        self.take_id.is_some()
            && same(self.video_upload.as_ref(), video)
            && same(self.sidecar_upload.as_ref(), sidecar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording() -> Recording {
        let ev = Event::Discovered {
            dir: "/srv/captures/cam-a".into(),
            device: "cam-a".into(),
            stem: "take1".into(),
            video: None,
            sidecar: None,
            look_for_take: false,
        };
        Recording::discovered("rec-1", 1, "t", ev).unwrap()
    }

    fn retrying(next_ms: i64) -> Event {
        Event::Retrying {
            step: Step::CreateFile,
            reason: "no answer".into(),
            next_ms,
        }
    }

    #[test]
    fn rounds_of_retrying_count_up_until_progress_or_a_retry_ends_the_wait() {
        let mut rec = recording();
        rec.apply(2, "t", retrying(10));
        rec.apply(
            3,
            "t",
            Event::FileCreated {
                role: Role::Video,
                file_id: "f".into(),
            },
        );
        rec.apply(4, "t", retrying(20));
        assert_eq!(rec.phase(), Phase::Retrying);
        let w = rec.retrying.clone().unwrap();
        assert_eq!((w.rounds, w.next_ms), (2, 20), "a new URL is no progress");
        rec.apply(5, "t", Event::Requeued);
        assert_eq!(rec.retrying, None);
        rec.apply(6, "t", retrying(30));
        rec.apply(
            7,
            "t",
            Event::TakeCreated {
                take_id: "take".into(),
                adopted: false,
            },
        );
        assert_eq!((rec.phase(), rec.retrying.clone()), (Phase::Done, None));
    }

    #[test]
    fn a_recording_recorded_before_retrying_existed_reads_as_before() {
        let mut json = serde_json::to_value(recording()).unwrap();
        json.as_object_mut().unwrap().remove("retrying");
        let rec: Recording = serde_json::from_value(json).unwrap();
        assert_eq!(rec.retrying, None);
        assert!(!serde_json::to_string(&rec).unwrap().contains("retrying"));
    }
}
