//! The steps the store records for a recording: every change to a recording is an `Event`,
//! and `Recording::apply` (in `recording.rs`) is the only place that interprets them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::facts::{Facts, Found, Seen};
use crate::model::failure::{FailureKind, Step};
use crate::model::job::{JobEnd, JobState};
use crate::model::recording::{Planned, Recording, Role};

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
    pub(super) fn ends_a_wait(&self) -> bool {
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
