//! The identity of one recording, as recorded and as put in its take's metadata.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A recording's id, `rec-<uuid>`: made once when the recording is discovered, never reused.
///
/// It reads as a `&str` (the state and the API carry it as text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordingId(String);

impl RecordingId {
    /// A new, unique id.
    pub fn new() -> RecordingId {
        RecordingId(format!("rec-{}", uuid::Uuid::new_v4()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RecordingId {
    fn default() -> Self {
        RecordingId::new()
    }
}

impl From<&str> for RecordingId {
    fn from(s: &str) -> RecordingId {
        RecordingId(s.to_string())
    }
}

impl From<String> for RecordingId {
    fn from(s: String) -> RecordingId {
        RecordingId(s)
    }
}

impl std::ops::Deref for RecordingId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for RecordingId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for RecordingId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RecordingId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}
