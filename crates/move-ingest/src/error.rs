//! Error kinds that decide the exit code, kept apart from the per-recording errors.

use std::process::ExitCode;

use crate::store::StoreError;

/// How the process ends: the exit codes documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: all well.
    Ok = 0,
    /// 1: some recordings failed (see `status`).
    SomeFailed = 1,
    /// 2: usage, config or environment error (bad config, locked or unwritable state dir).
    Usage = 2,
    /// 3: the API rejected the key.
    Auth = 3,
    /// 4: an API call failed that is not a recording's failure: the API is down or answers
    /// errors, or refused what was asked (e.g. an unknown take id).
    Api = 4,
    /// 130: stopped by SIGINT (Ctrl-C), after its summary.
    Interrupted = 130,
    /// 143: stopped by SIGTERM, after its summary.
    Terminated = 143,
}

impl Exit {
    /// The exit code for an error that stopped the whole command.
    pub fn for_error(err: &anyhow::Error) -> Exit {
        for cause in err.chain() {
            if cause
                .downcast_ref::<crate::output::StdoutClosed>()
                .is_some()
            {
                return Exit::Ok;
            }
            if cause.downcast_ref::<AuthError>().is_some() {
                return Exit::Auth;
            }
            if cause.downcast_ref::<UsageError>().is_some() {
                return Exit::Usage;
            }
            if let Some(api) = cause.downcast_ref::<crate::api::ApiError>() {
                return match api {
                    crate::api::ApiError::Auth { .. } => Exit::Auth,
                    _ => Exit::Api,
                };
            }
            if cause.downcast_ref::<crate::upload::UploadError>().is_some() {
                return Exit::Api;
            }
        }
        Exit::SomeFailed
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// The API answered that the key is not valid (HTTP 401/403 on the GraphQL endpoint).
///
/// Carries where the key was read from, never the key.
#[derive(Debug, thiserror::Error)]
#[error(
    "the Move API rejected the API key (HTTP {status}) read from {source_desc}; check the key, or where it is read from: $MOVE_API_KEY, api.key_file, $CREDENTIALS_DIRECTORY/move-api-key"
)]
pub struct AuthError {
    /// The HTTP status the API answered.
    pub status: u16,
    /// Where the key came from, e.g. "$MOVE_API_KEY" or "key file /etc/move-ingest/api-key".
    pub source_desc: String,
}

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
