//! What can go wrong with one upload, in the terms the retry classifier decides on.

use std::path::PathBuf;
use std::time::Duration;

use crate::retry::Transient;

/// A failed upload, classified for the retry policy.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The URL expired or was refused (403): get a new one with a new `createFile`.
    #[error("the storage refused the upload URL (HTTP {status}): {body}")]
    UrlRejected { status: u16, body: String },
    /// The URL's own expiry time has passed; it was not tried.
    #[error("the upload URL expired before the upload started")]
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

impl Transient for UploadError {
    fn is_transient(&self) -> bool {
        matches!(
            self,
            UploadError::Transient { .. } | UploadError::Stalled(_)
        )
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            UploadError::Transient { retry_after, .. } => *retry_after,
            _ => None,
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
        assert!(UploadError::from_status(503, String::new(), None).is_transient());
        assert!(matches!(
            UploadError::from_status(400, String::new(), None),
            UploadError::Refused { .. }
        ));
    }
}
