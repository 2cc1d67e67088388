//! Why a recording stopped or waits: the step it was at, the kind of failure (what a person
//! does about it follows from the kind), and the wait after a transient one.

use serde::{Deserialize, Serialize};

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
    /// Reading when a time-grouped rig video was recorded (`moov/mvhd`).
    #[serde(rename = "read recording time")]
    RecordingTime,
}

impl Step {
    /// The name `status` shows and the state holds.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Upload => "upload",
            Step::CreateFile => "create file",
            Step::CreateTake => "create take",
            Step::LookForTake => "look for take",
            Step::RecordingTime => "read recording time",
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
