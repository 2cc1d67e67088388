//! What can go wrong with one upload, in the terms the retry classifier decides on.

use std::path::PathBuf;
use std::time::Duration;

use crate::retry::{Cause, Failure};

/// A failed upload, classified for the retry policy.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The URL expired or was refused (403): get a new one with a new `createFile`.
    #[error("the storage refused the upload URL (HTTP {status}): {body}")]
    UrlRejected { status: u16, body: String },
    /// The URL's own expiry time has passed (before the upload, or when it failed).
    #[error("the upload URL has expired")]
    UrlExpired,
    /// A 4xx other than 403: this file cannot be uploaded as it is.
    #[error("the storage refused the file (HTTP {status}): {body}")]
    Refused { status: u16, body: String },
    /// 5xx, 429, connection trouble: try the same URL again.
    #[error("the upload did not complete: {detail}")]
    Transient {
        detail: String,
        retry_after: Option<Duration>,
    },
    /// No byte was taken by the connection for the stall timeout.
    #[error("the upload made no progress for {0:?}")]
    Stalled(Duration),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file changed while it was sent: what was sent must not be used.
    #[error(
        "{path} changed while it was uploaded ({detail}); it will be sent again once it holds still"
    )]
    Changed { path: PathBuf, detail: String },
}

impl UploadError {
    /// The file was not there to read (deleted before or during its upload).
    pub fn is_vanished(&self) -> bool {
        matches!(self, UploadError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// The storage's answer to a PUT that was not a success.
    pub(super) fn from_status(status: u16, body: String, retry_after: Option<Duration>) -> Self {
        match status {
            403 => UploadError::UrlRejected { status, body },
            408 | 429 | 500..=599 => UploadError::Transient {
                detail: format!("HTTP {status}: {body}"),
                retry_after,
            },
            _ => UploadError::Refused { status, body },
        }
    }
}

impl Failure for UploadError {
    fn cause(&self) -> Cause {
        match self {
            UploadError::UrlRejected { .. } | UploadError::UrlExpired => Cause::UrlSpent,
            UploadError::Changed { .. } => Cause::Changed,
            e if e.is_vanished() => Cause::Vanished,
            UploadError::Transient { retry_after, .. } => Cause::Transient {
                retry_after: *retry_after,
            },
            UploadError::Stalled(_) => Cause::Transient { retry_after: None },
            UploadError::Refused { .. } | UploadError::Read { .. } => Cause::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert!(matches!(
            UploadError::from_status(403, String::new(), None),
            UploadError::UrlRejected { .. }
        ));
        assert!(matches!(
            UploadError::from_status(503, String::new(), None).cause(),
            Cause::Transient { .. }
        ));
        assert!(matches!(
            UploadError::from_status(400, String::new(), None),
            UploadError::Refused { .. }
        ));
    }
}
