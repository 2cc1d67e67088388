//! Where a calibrated volume stands (`VolumeState`): the `JobState` enum of the API's schema,
//! which a `HumanVolume`'s `state` and `progress.state` carry.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a volume stands, as `getVolume`/`listVolumes` answer: NOT_STARTED, RUNNING, then
/// FINISHED (a multicam take may use it) or FAILED.
///
/// Serialized as the API's strings; a state the API adds later is kept as it came (`Other`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum VolumeState {
    /// `NOT_STARTED`: queued at Move.
    NotStarted,
    /// `RUNNING`: being calibrated.
    Running,
    /// `FINISHED`: multicam takes can be made on it.
    Finished,
    /// `FAILED`: it cannot be used; make a new one from a new calibration recording.
    Failed,
    /// Any other state the API answers, as it came.
    Other(String),
}

impl VolumeState {
    /// The name the API uses.
    pub fn as_str(&self) -> &str {
        match self {
            VolumeState::NotStarted => "NOT_STARTED",
            VolumeState::Running => "RUNNING",
            VolumeState::Finished => "FINISHED",
            VolumeState::Failed => "FAILED",
            VolumeState::Other(s) => s,
        }
    }

    /// FINISHED or FAILED: it will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, VolumeState::Finished | VolumeState::Failed)
    }
}

impl From<&str> for VolumeState {
    fn from(s: &str) -> VolumeState {
        match s {
            "NOT_STARTED" => VolumeState::NotStarted,
            "RUNNING" => VolumeState::Running,
            "FINISHED" => VolumeState::Finished,
            "FAILED" => VolumeState::Failed,
            other => VolumeState::Other(other.to_string()),
        }
    }
}

impl From<String> for VolumeState {
    fn from(s: String) -> VolumeState {
        match VolumeState::from(s.as_str()) {
            VolumeState::Other(_) => VolumeState::Other(s),
            known => known,
        }
    }
}

impl From<VolumeState> for String {
    fn from(s: VolumeState) -> String {
        match s {
            VolumeState::Other(s) => s,
            known => known.as_str().to_string(),
        }
    }
}

impl fmt::Display for VolumeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<11}` lines up the `volumes list` columns.
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_volume_state_reads_and_writes_as_the_apis_string() {
        let states = [
            (VolumeState::NotStarted, "NOT_STARTED"),
            (VolumeState::Running, "RUNNING"),
            (VolumeState::Finished, "FINISHED"),
            (VolumeState::Failed, "FAILED"),
            (VolumeState::Other("PAUSED".into()), "PAUSED"),
            (VolumeState::Other(String::new()), ""),
        ];
        for (state, text) in states {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<VolumeState>(&json).unwrap(), state);
            assert_eq!(
                (state.as_str(), state.to_string()),
                (text, text.to_string())
            );
            assert_eq!(VolumeState::from(text), state);
        }
        assert!(VolumeState::Finished.is_terminal() && VolumeState::Failed.is_terminal());
        assert!(!VolumeState::Running.is_terminal());
        assert_eq!(format!("[{:<8}]", VolumeState::Failed), "[FAILED  ]");
    }
}
