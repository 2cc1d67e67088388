//! `StoreError`, what every state failure is, and how a writer's failure reaches the caller.

use std::path::{Path, PathBuf};

use super::pause::Cause;
use super::schema::SCHEMA_VERSION;

/// A state failure: ingestion stops, nothing committed is lost.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot {op} {path}: {source}; check that the state dir exists, is writable and has free space"
    )]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot {op} {path}: {detail}; check that the state dir exists, is writable and has free space"
    )]
    Sql {
        op: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// As `Sql`, when SQLite said the disk is full or read-only.
    #[error(
        "cannot {op} {path}: {detail}; check that the state dir exists, is writable and has free space"
    )]
    Unwritable {
        op: &'static str,
        path: PathBuf,
        detail: String,
        cause: Cause,
    },
    #[error(
        "the state database {path} is damaged: {detail}. Move it aside (`mv {path} {path}.damaged`, with the service stopped) and start again: the next start rebuilds the state from the API; keep the damaged copy for a bug report"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the state database {path} has schema version {version}, newer than this move-ingest understands ({SCHEMA_VERSION}); run the newer release, or restore a backup made by this one"
    )]
    TooNew { path: PathBuf, version: u32 },
    #[error(
        "another move-ingest{pid} is using the state dir {dir}; stop it first (e.g. `systemctl stop move-ingest`), or give this one its own state.dir"
    )]
    Locked { dir: PathBuf, pid: String },
    #[error("the state writer has stopped")]
    Closed,
}

impl StoreError {
    pub(super) fn io<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
        move |source| StoreError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(super) fn sql<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
        move |e| {
            use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
            match e.sqlite_error_code() {
                // Damage found after the start-up check still names the file and the way out.
                Some(DatabaseCorrupt | NotADatabase) => StoreError::damaged(path, e),
                _ if let Some(cause) = Cause::of_sqlite(&e, 0) => StoreError::Unwritable {
                    op,
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                    cause,
                },
                _ => StoreError::Sql {
                    op,
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                },
            }
        }
    }

    /// Whether this failure is a full or read-only disk (which `run` waits out).
    pub fn disk_cause(&self) -> Option<Cause> {
        match self {
            StoreError::Io { source, .. } => Cause::of_errno(source.raw_os_error()?),
            StoreError::Unwritable { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    pub(super) fn damaged(path: &Path, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Damaged {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }
}

/// Why a commit failed: the message, and whether SQLite found the file damaged.
pub(super) type WriteError = (String, bool);

/// The writer's answer (`Err(_)`: it stopped before answering) as the caller's result.
pub(super) fn write_result<E>(
    answer: Result<Result<(), WriteError>, E>,
    path: &Path,
) -> Result<(), StoreError> {
    answer
        .map_err(|_| StoreError::Closed)?
        .map_err(|(detail, damaged)| {
            if damaged {
                StoreError::damaged(path, detail)
            } else {
                StoreError::Sql {
                    op: "write a step to",
                    path: path.to_path_buf(),
                    detail,
                }
            }
        })
}
