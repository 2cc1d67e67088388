//! The errors that stop the whole run, not one recording: the key rejected, the state lost.

use crate::api::AuthError;
use crate::config::UsageError;
use crate::store::StoreError;

/// Errors that stop the whole run, not one recording.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Fatal {
    /// The error the command ends with, carrying what decides its exit code (3 for the key,
    /// 2 for the state).
    pub fn into_error(self) -> anyhow::Error {
        match self {
            Fatal::Auth(a) => anyhow::Error::new(a),
            Fatal::Store(
                s
                @ (StoreError::Io { .. } | StoreError::Sql { .. } | StoreError::Unwritable { .. }),
            ) => anyhow::Error::new(UsageError::new(format!(
                "ingestion stopped, the state cannot be written (nothing already committed is lost): {s}"
            ))),
            Fatal::Store(s) => anyhow::Error::new(UsageError::new(s.to_string())),
        }
    }
}
