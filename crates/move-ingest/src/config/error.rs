//! The error a user fixes in the config, the command line or the machine (exit 2).

/// A problem the user fixes in the config, the command line or the machine (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    /// Wraps a message as a usage error.
    pub fn new(msg: impl Into<String>) -> Self {
        UsageError(msg.into())
    }
}
