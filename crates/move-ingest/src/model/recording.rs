//! The recording state machine: the steps the store records and what each one means.
//!
//! Every change to a recording is an `Event`; `Recording::apply` is the only place that
//! interprets them, both when the store writes a step and when an old journal is imported.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::model::facts::Seen;
use crate::model::facts::{Facts, Found};
use crate::model::id::RecordingId;
use crate::model::job::{Downloaded, JobEnd, JobState, JobTrack};

/// Which file of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Video,
    Sidecar,
}

/// One step of one recording, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Seen complete on disk (again, with new facts, while nothing is uploaded yet).
    Discovered {
        dir: PathBuf,
        device: String,
        stem: String,
        video: Option<Seen>,
        sidecar: Option<Seen>,
        /// The state knew nothing of this folder and stem: before anything is uploaded, the
        /// take may already be on the API (a lost state dir) and is looked for (adoption).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        look_for_take: bool,
    },
    /// `createFile` answered with this id.
    FileCreated { role: Role, file_id: String },
    /// The storage accepted the whole file, and the file held still while it was sent.
    Uploaded {
        role: Role,
        file_id: String,
        facts: Facts,
        sha256: String,
    },
    /// An upload may not be used (the file changed since); it is sent again.
    UploadDiscarded { role: Role, reason: String },
    /// `createSingleCamTake` is about to be sent (or re-sent); time in ms since the epoch.
    TakeRequested { at_ms: i64 },
    /// The API answered with the take (or reconciliation found it).
    TakeCreated { take_id: String, adopted: bool },
    /// A file's size or mtime changed but its bytes did not (e.g. `touch`).
    Touched { role: Role, facts: Facts },
    /// A `.move` arrived after the take was created; it never makes a second take.
    LateSidecar { facts: Facts },
    /// This recording stopped at `step`; `retry` puts it back. `kind` says what a person can
    /// do about it (records written before it existed read as [`FailureKind::Other`]).
    Failed {
        step: Step,
        reason: String,
        #[serde(default)]
        kind: FailureKind,
    },
    /// A transient failure at `step` outlasted the quick retries (`retry.max_attempts`): the
    /// recording waits and is tried again at `next_ms` (ms since the epoch), for as long as it takes.
    Retrying {
        step: Step,
        reason: String,
        next_ms: i64,
    },
    /// A file vanished before its upload: the recording leaves the queue (not a failure).
    Vanished { reason: String },
    /// Put back in the queue by `retry`.
    Requeued,
    /// `[after_take]` is about to act on the files of a recording whose take exists: what
    /// becomes of each. Durable before any file is touched, so that a restart finishes the
    /// same plan (the same destinations) and never plans again.
    AfterTakePlanned { files: Vec<Planned> },
    /// The after-take step ended; `note` says what was done, or why the files were kept.
    AfterTakeDone { note: String },
    /// `[job]` is set: once its take exists this recording gets one processing job. Recorded
    /// just before `TakeRequested` (whose full commit makes it durable), so a crash between
    /// the take and the job still leaves the job to be asked for.
    JobWanted,
    /// `createSingleCamJob` is about to be sent (or re-sent); time in ms since the epoch.
    JobRequested { at_ms: i64 },
    /// The API answered with the job (or `listJobs(takeId)` found the one an unanswered
    /// request made).
    JobCreated { job_id: String, adopted: bool },
    /// `getJob` answered (or asking for the job gave up, `state` then `NOT_CREATED`): where the
    /// job stands, and when it is asked again (`next_poll_ms`; `None` once it ended). `outputs`
    /// are the keys of the output files still to download (a FINISHED job with `download_to`).
    JobPolled {
        state: JobState,
        percent: Option<i64>,
        at_ms: i64,
        next_poll_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        outputs: Vec<String>,
    },
    /// One output file of the job is downloaded, renamed into place and fsynced.
    JobOutputDownloaded {
        key: String,
        path: PathBuf,
        size: u64,
    },
    /// Nothing more to do for this job: finished (and downloaded), or failed. `note` says which.
    JobDone { note: JobEnd },
    /// `jobs retry`: the ended job is kept as history and a new one is wanted.
    JobRetried,
    /// A rig camera's video is uploaded and belongs to this rig recording (`RIG/GROUP`): it
    /// makes no take of its own; the rig recording makes one multicam take (or a volume).
    Grouped { rig_recording: String },
    /// The whole recording, as the compaction of earlier releases wrote it (read by the import).
    Snapshot { recording: Box<Recording> },
}

impl Event {
    /// The `Discovered` step: `files` are now the recording's files.
    pub fn discovered(files: &Found) -> Event {
        Event::Discovered {
            dir: files.dir.clone(),
            device: files.device.clone(),
            stem: files.stem.clone(),
            video: files.video.clone(),
            sidecar: files.sidecar.clone(),
            look_for_take: false,
        }
    }

    /// The first `Discovered` step of a recording the state knew nothing of: its take is
    /// looked for on the API before anything of it is uploaded.
    pub fn discovered_unknown(files: &Found) -> Event {
        let mut ev = Event::discovered(files);
        if let Event::Discovered { look_for_take, .. } = &mut ev {
            *look_for_take = true;
        }
        ev
    }

    /// Whether an outside action waits on this step being on disk. `TakeRequested` must be
    /// durable before the take is asked for (it is what makes an unanswered request findable),
    /// and the outcomes (`TakeCreated`, `Failed`, `Requeued`) are what a restart must not redo
    /// (`TakeCreated` is also grouped: see `grouped`).
    /// The other steps are written at once, in order, and fsynced with the next durable one (or
    /// within a second): losing them in a crash costs at most a repeated upload, never a take.
    pub fn needs_fsync(&self) -> bool {
        matches!(
            self,
            Event::TakeRequested { .. }
                | Event::TakeCreated { .. }
                | Event::Failed { .. }
                | Event::Retrying { .. }
                | Event::Requeued
                | Event::AfterTakePlanned { .. }
                | Event::AfterTakeDone { .. }
                | Event::JobRequested { .. }
                | Event::JobCreated { .. }
                | Event::JobOutputDownloaded { .. }
                | Event::JobDone { .. }
                | Event::JobRetried
                | Event::Grouped { .. }
                | Event::Snapshot { .. }
        ) || matches!(
            self,
            Event::JobPolled {
                next_poll_ms: None,
                ..
            }
        )
    }
}

impl Event {
    /// Whether this step may be answered before it is committed, to be committed with the
    /// steps that follow it (group commit), which nothing outside waits on and no lookup but
    /// the recording's own worker needs:
    /// - progress within an upload: the take request that follows the uploads is committed
    ///   durably and takes them to disk with it; a crash before that costs at most a repeated
    ///   upload;
    /// - the take made (`TakeCreated`): most often the next recording's take request commits
    ///   it, so that a recording costs one fsync'd commit, not two. A crash before that leaves
    ///   its durable `TakeRequested`, and the next start finds the take by its recording id
    ///   before anything is sent again (and waits, retrying, while it cannot look): it costs a
    ///   lookup, never a take. It is reported only once committed: the takes-created counter
    ///   counts it then (`Store::record_grouped`), `[after_take]` and the job begin with a
    ///   durable step of their own, and `backfill` flushes the state before its summary.
    pub fn grouped(&self) -> bool {
        matches!(
            self,
            Event::FileCreated { .. } | Event::Uploaded { .. } | Event::TakeCreated { .. }
        )
    }

    /// Whether this step ends a wait after a transient failure: progress (a file accepted,
    /// the take made) or an end (failed, gone, put back by `retry`). A fresh upload URL or a
    /// take asked for again is not progress: the rounds, and so the backoff, keep counting.
    fn ends_a_wait(&self) -> bool {
        matches!(
            self,
            Event::Uploaded { .. }
                | Event::TakeCreated { .. }
                | Event::Failed { .. }
                | Event::Vanished { .. }
                | Event::Requeued
        )
    }
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

/// The step a recording failed at, recorded by these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Sending a file's bytes (or finding it cannot be sent).
    #[serde(rename = "upload")]
    Upload,
    /// `createFile`.
    #[serde(rename = "create file")]
    CreateFile,
    /// `createSingleCamTake`.
    #[serde(rename = "create take")]
    CreateTake,
    /// `listTakes`, looking for the take of a recording the state did not know.
    #[serde(rename = "look for take")]
    LookForTake,
}

impl Step {
    /// The name `status` shows and the state holds.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Upload => "upload",
            Step::CreateFile => "create file",
            Step::CreateTake => "create take",
            Step::LookForTake => "look for take",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a recording stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub step: Step,
    pub reason: String,
    #[serde(default)]
    pub kind: FailureKind,
}

/// What kind of failure stopped a recording: what a person does about it follows from this
/// (`report::hint`), never from the reason's wording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The file has no bytes.
    Empty,
    /// The file is over the 5 GiB one upload can carry.
    TooBig,
    /// The file cannot be read (permissions, I/O error).
    Unreadable,
    /// The account's takes could not be listed to look for the recording's take.
    TakesUnlisted,
    /// The API or the storage refused the request for good (validation, 4xx).
    Refused,
    /// The request kept failing in a way no retry helps (e.g. every new upload URL expired at once).
    GaveUp,
    /// Anything else, and failures recorded before kinds existed.
    #[default]
    Other,
}

/// A recording waiting after a transient failure: why, and when it is tried next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retrying {
    pub step: Step,
    pub reason: String,
    /// The next attempt, in ms since the epoch.
    pub next_ms: i64,
    /// How many times in a row the quick retries ran out (the backoff between rounds grows with it).
    pub rounds: u32,
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
    /// Journal sequence number of the latest step, and its time.
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
