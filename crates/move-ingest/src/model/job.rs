//! The processing job of a recording: where it stands (`JobState`), how it ended (`JobEnd`),
//! and everything recorded about it (`JobTrack`).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a job stands: what `getJob` answered, or what move-ingest recorded instead.
///
/// Journaled and stored as the API's strings (`"NOT_STARTED"`, `"RUNNING"`, ...); a state
/// the API adds later is kept as it came (`Other`), so nothing read is ever lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum JobState {
    /// `NOT_STARTED`: queued at Move.
    NotStarted,
    /// `RUNNING`.
    Running,
    /// `FINISHED`: its outputs can be downloaded.
    Finished,
    /// `FAILED`: never retried by itself (each job is billed).
    Failed,
    /// `NOT_FOUND`: `getJob` says the job no longer exists.
    NotFound,
    /// `NOT_CREATED`: `createSingleCamJob` refused it.
    NotCreated,
    /// `REQUESTED`: asked for, no job known yet (settled and asked again later).
    Requested,
    /// `UNKNOWN`: the API gave no state, or could not be asked before any answer.
    Unknown,
    /// Any other state the API answers, as it came.
    Other(String),
}

impl JobState {
    /// The name the API uses and the state holds.
    pub fn as_str(&self) -> &str {
        match self {
            JobState::NotStarted => "NOT_STARTED",
            JobState::Running => "RUNNING",
            JobState::Finished => "FINISHED",
            JobState::Failed => "FAILED",
            JobState::NotFound => "NOT_FOUND",
            JobState::NotCreated => "NOT_CREATED",
            JobState::Requested => "REQUESTED",
            JobState::Unknown => "UNKNOWN",
            JobState::Other(s) => s,
        }
    }
}

impl From<&str> for JobState {
    fn from(s: &str) -> JobState {
        match s {
            "NOT_STARTED" => JobState::NotStarted,
            "RUNNING" => JobState::Running,
            "FINISHED" => JobState::Finished,
            "FAILED" => JobState::Failed,
            "NOT_FOUND" => JobState::NotFound,
            "NOT_CREATED" => JobState::NotCreated,
            "REQUESTED" => JobState::Requested,
            "UNKNOWN" => JobState::Unknown,
            other => JobState::Other(other.to_string()),
        }
    }
}

impl From<String> for JobState {
    fn from(s: String) -> JobState {
        match JobState::from(s.as_str()) {
            JobState::Other(_) => JobState::Other(s),
            known => known,
        }
    }
}

impl From<JobState> for String {
    fn from(s: JobState) -> String {
        match s {
            JobState::Other(s) => s,
            known => known.as_str().to_string(),
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<11}` lines up the `jobs list` columns.
        f.pad(self.as_str())
    }
}

/// How a job ended: nothing more is to be done for it.
///
/// Journaled and stored as the note `status` shows (`"finished"`, `"failed: REASON"`, ...);
/// a note of another shape is kept as it came (`Other`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum JobEnd {
    /// `finished`: FINISHED, nothing to download (no `download_to`).
    Finished,
    /// `finished; outputs downloaded below ROOT`.
    Downloaded { below: String },
    /// `failed: REASON`: FAILED, or the API no longer knows the job.
    Failed { reason: String },
    /// `not created: REASON`: `createSingleCamJob` refused it.
    NotCreated { reason: String },
    /// Any other note, as it came.
    Other(String),
}

const FINISHED: &str = "finished";
const DOWNLOADED: &str = "finished; outputs downloaded below ";
const FAILED: &str = "failed: ";
const NOT_CREATED: &str = "not created: ";

impl From<String> for JobEnd {
    fn from(s: String) -> JobEnd {
        let rest = |prefix: &str| s.strip_prefix(prefix).map(str::to_string);
        if s == FINISHED {
            JobEnd::Finished
        } else if let Some(below) = rest(DOWNLOADED) {
            JobEnd::Downloaded { below }
        } else if let Some(reason) = rest(FAILED) {
            JobEnd::Failed { reason }
        } else if let Some(reason) = rest(NOT_CREATED) {
            JobEnd::NotCreated { reason }
        } else {
            JobEnd::Other(s)
        }
    }
}

impl From<&str> for JobEnd {
    fn from(s: &str) -> JobEnd {
        JobEnd::from(s.to_string())
    }
}

impl From<JobEnd> for String {
    fn from(e: JobEnd) -> String {
        match e {
            JobEnd::Other(s) => s,
            e => e.to_string(),
        }
    }
}

impl fmt::Display for JobEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobEnd::Finished => f.write_str(FINISHED),
            JobEnd::Downloaded { below } => write!(f, "{DOWNLOADED}{below}"),
            JobEnd::Failed { reason } => write!(f, "{FAILED}{reason}"),
            JobEnd::NotCreated { reason } => write!(f, "{NOT_CREATED}{reason}"),
            JobEnd::Other(s) => f.write_str(s),
        }
    }
}

/// The processing job of a recording (`[job]`): asked for, followed, its outputs downloaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTrack {
    /// When `createSingleCamJob` was first sent, ms since the epoch.
    #[serde(default)]
    pub requested_ms: Option<i64>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub adopted: bool,
    /// NOT_STARTED, RUNNING, FINISHED, FAILED as `getJob` said (NOT_CREATED: never created).
    #[serde(default)]
    pub state: Option<JobState>,
    #[serde(default)]
    pub percent: Option<i64>,
    /// How many times `getJob` answered (the backoff grows with it).
    #[serde(default)]
    pub polls: u32,
    #[serde(default)]
    pub polled_ms: Option<i64>,
    #[serde(default)]
    pub next_poll_ms: Option<i64>,
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// The output keys to download (set when the job FINISHED with `download_to`).
    #[serde(default)]
    pub outputs: Vec<String>,
    #[serde(default)]
    pub downloaded: Vec<Downloaded>,
    /// Set when nothing more is to be done: what became of the job.
    #[serde(default)]
    pub done: Option<JobEnd>,
    /// Earlier jobs of this recording that `jobs retry` replaced.
    #[serde(default)]
    pub earlier: Vec<String>,
}

/// One downloaded output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downloaded {
    pub key: String,
    pub path: PathBuf,
    pub size: u64,
}

impl JobTrack {
    /// The earlier jobs, with this one's id added (what `jobs retry` keeps).
    pub(super) fn earlier_with_this(self) -> Vec<String> {
        let mut earlier = self.earlier;
        earlier.extend(self.id);
        earlier
    }

    /// Still to be asked for, followed or downloaded.
    pub fn is_active(&self) -> bool {
        self.done.is_none()
    }

    /// Whether output `key` is downloaded already.
    pub fn has_downloaded(&self, key: &str) -> bool {
        self.downloaded.iter().any(|d| d.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::recording::Event;

    #[test]
    fn every_job_state_is_stored_as_the_string_it_was_before() {
        let states = [
            (JobState::NotStarted, "NOT_STARTED"),
            (JobState::Running, "RUNNING"),
            (JobState::Finished, "FINISHED"),
            (JobState::Failed, "FAILED"),
            (JobState::NotFound, "NOT_FOUND"),
            (JobState::NotCreated, "NOT_CREATED"),
            (JobState::Requested, "REQUESTED"),
            (JobState::Unknown, "UNKNOWN"),
            (JobState::Other("PAUSED".into()), "PAUSED"),
            (JobState::Other("finished".into()), "finished"),
            (JobState::Other(String::new()), ""),
        ];
        for (state, text) in states {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<JobState>(&json).unwrap(), state);
            assert_eq!(
                (state.as_str(), state.to_string()),
                (text, text.to_string())
            );
            assert_eq!(JobState::from(text), state);
        }
        assert_eq!(format!("[{:<8}]", JobState::Failed), "[FAILED  ]");
    }

    #[test]
    fn every_job_end_is_stored_as_the_note_it_was_before() {
        let ends = [
            (JobEnd::Finished, "finished"),
            (
                JobEnd::Downloaded {
                    below: "/srv/out".into(),
                },
                "finished; outputs downloaded below /srv/out",
            ),
            (
                JobEnd::Failed {
                    reason: "no: 1".into(),
                },
                "failed: no: 1",
            ),
            (
                JobEnd::NotCreated {
                    reason: "refused".into(),
                },
                "not created: refused",
            ),
            (JobEnd::Other("cancelled".into()), "cancelled"),
            (JobEnd::Other("finished ".into()), "finished "),
        ];
        for (end, text) in ends {
            let json = serde_json::to_string(&end).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<JobEnd>(&json).unwrap(), end);
            assert_eq!(end.to_string(), text);
            assert_eq!(JobEnd::from(text), end);
        }
    }

    #[test]
    fn a_job_recorded_before_the_enums_reads_and_writes_as_before() {
        let old = r#"{"requested_ms":1,"id":"job-1","adopted":false,"state":"FAILED",
            "percent":40,"polls":3,"polled_ms":2,"next_poll_ms":null,
            "failure_reason":"bad video","outputs":[],"downloaded":[],
            "done":"failed: bad video","earlier":["job-0"]}"#;
        let job: JobTrack = serde_json::from_str(old).unwrap();
        assert_eq!(job.state, Some(JobState::Failed));
        assert_eq!(
            job.done,
            Some(JobEnd::Failed {
                reason: "bad video".into()
            })
        );
        let again: serde_json::Value = serde_json::to_value(&job).unwrap();
        let old: serde_json::Value = serde_json::from_str(old).unwrap();
        assert_eq!(again, old);

        let polled = r#"{"job_polled":{"state":"NOT_FOUND","percent":null,"at_ms":5,"next_poll_ms":null,"failure_reason":"gone"}}"#;
        let ev: Event = serde_json::from_str(polled).unwrap();
        assert!(matches!(
            &ev,
            Event::JobPolled {
                state: JobState::NotFound,
                ..
            }
        ));
        assert_eq!(serde_json::to_string(&ev).unwrap(), polled);
        let done = r#"{"job_done":{"note":"finished; outputs downloaded below /srv/out"}}"#;
        let ev: Event = serde_json::from_str(done).unwrap();
        assert_eq!(serde_json::to_string(&ev).unwrap(), done);
    }
}
