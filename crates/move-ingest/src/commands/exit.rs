//! How a command ends: the exit code for the error that stopped it.

use std::process::ExitCode;

use crate::api::AuthError;
use crate::config::UsageError;

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
                .downcast_ref::<crate::commands::output::StdoutClosed>()
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
