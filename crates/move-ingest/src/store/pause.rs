//! A state disk that is full or read-only: in `run` the writer holds the steps it could not
//! commit and tries them again every few seconds, and this says so (the reason, since when) to
//! the service, its views and `status` (through `pause.json`, rewritten in place so that even a
//! full disk takes it). `backfill` and the other commands fail instead (exit 2).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// The file in the state dir that tells `status` whether the running service is paused.
pub const FILE: &str = "pause.json";
/// Its fixed size: written once at the start, then only overwritten (no new blocks needed).
const SIZE: usize = 4096;

/// Why the state cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// No space left (SQLITE_FULL, ENOSPC, EDQUOT).
    Full,
    /// The file system is read-only (SQLITE_READONLY, EROFS).
    ReadOnly,
}

impl Cause {
    /// The reason as `/healthz` and the logs begin it.
    pub fn reason(self) -> &'static str {
        match self {
            Cause::Full => "state disk full",
            Cause::ReadOnly => "state disk read-only",
        }
    }

    /// What a person can do about it.
    pub fn hint(self) -> &'static str {
        match self {
            Cause::Full => {
                "free space on the state dir's file system; ingestion resumes by itself within seconds"
            }
            Cause::ReadOnly => {
                "make the state dir's file system writable again (check the kernel log and the disk, fsck, remount); ingestion resumes by itself within seconds"
            }
        }
    }

    /// The cause of a failed SQLite call, if it is one of these; `errno` is the OS error of
    /// the connection's last failed system call (SQLite reports EROFS on a write as an I/O error).
    pub fn of_sqlite(e: &rusqlite::Error, errno: i32) -> Option<Cause> {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code()? {
            ErrorCode::DiskFull => Some(Cause::Full),
            ErrorCode::ReadOnly => Some(Cause::ReadOnly),
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen => Cause::of_errno(errno),
            _ => None,
        }
    }

    /// The cause of an OS error, if it is one of these.
    pub fn of_errno(errno: i32) -> Option<Cause> {
        match errno {
            libc::ENOSPC | libc::EDQUOT => Some(Cause::Full),
            libc::EROFS => Some(Cause::ReadOnly),
            _ => None,
        }
    }
}

/// The state cannot be written: why, what failed, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paused {
    pub cause: Cause,
    /// The error of the latest attempt, naming the file.
    pub detail: String,
    #[serde(with = "humantime_serde_rfc3339")]
    pub since: SystemTime,
}

impl Paused {
    /// One line for people: `state disk full since ...: <detail>; <what to do>`.
    pub fn describe(&self) -> String {
        format!(
            "{} since {}: {}; {}",
            self.cause.reason(),
            humantime::format_rfc3339_seconds(self.since),
            self.detail,
            self.cause.hint()
        )
    }
}

/// `paused` in `status --json` and `/api/status`: null, or the reason, since when, what failed
/// and what to do.
pub fn to_json(paused: Option<&Paused>) -> serde_json::Value {
    match paused {
        None => serde_json::Value::Null,
        Some(p) => serde_json::json!({
            "reason": p.cause.reason(),
            "since": humantime::format_rfc3339_seconds(p.since).to_string(),
            "detail": p.detail,
            "what_to_do": p.cause.hint(),
        }),
    }
}

/// Whether the writer pauses on a full or read-only disk (else it fails), and whether it is paused now.
#[derive(Debug, Default)]
pub struct Pause {
    enabled: AtomicBool,
    now: Mutex<Option<Paused>>,
    /// `pause.json`, kept open for overwriting in place.
    file: Mutex<Option<(PathBuf, File)>>,
    /// Told when a pause begins or ends (`Pause::changed`).
    changed: tokio::sync::Notify,
}

impl Pause {
    /// From now on a full or read-only disk pauses the writer instead of failing the step; the
    /// pause is published in `state_dir/pause.json` for `status`.
    pub fn enable(&self, state_dir: &Path) {
        let path = state_dir.join(FILE);
        match File::create(&path) {
            Ok(f) => *self.file.lock().unwrap_or_else(|p| p.into_inner()) = Some((path, f)),
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot create the file `status` reads a pause from: {e}")
            }
        }
        self.publish(None);
        self.enabled.store(true, Ordering::SeqCst);
    }

    /// Whether a full or read-only disk pauses (true in `run`).
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }

    /// The pause now, if any.
    pub fn now(&self) -> Option<Paused> {
        self.lock().clone()
    }

    /// Resolves when a pause begins or ends after this is called and enabled (`enable()` on
    /// the pinned future, before `now` is read, so that no change is missed in between).
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// The writer could not commit for `cause`; returns true when this starts a pause.
    pub(super) fn set(&self, cause: Cause, detail: String) -> bool {
        let mut now = self.lock();
        let started = now.as_ref().is_none_or(|p| p.cause != cause);
        let since = match now.as_ref() {
            Some(p) if !started => p.since,
            _ => SystemTime::now(),
        };
        let paused = Paused {
            cause,
            detail,
            since,
        };
        *now = Some(paused.clone());
        drop(now);
        if started {
            self.publish(Some(&paused));
            self.changed.notify_waiters();
        }
        started
    }

    /// The writer committed again; returns the pause that ended, if there was one.
    pub(super) fn clear(&self) -> Option<Paused> {
        let ended = self.lock().take();
        if ended.is_some() {
            self.publish(None);
            self.changed.notify_waiters();
        }
        ended
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Paused>> {
        self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Overwrites `pause.json` in place (best effort: a read-only disk refuses even this).
    fn publish(&self, paused: Option<&Paused>) {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let Some((path, f)) = file.as_ref() else {
            return;
        };
        let bytes = encode(&Published {
            pid: std::process::id(),
            paused: paused.cloned(),
        });
        if let Err(e) = f.write_all_at(&bytes, 0) {
            tracing::debug!(path = %path.display(), "cannot write the pause for `status`: {e}");
        }
    }
}

/// What `pause.json` holds.
#[derive(Debug, Serialize, Deserialize)]
struct Published {
    pid: u32,
    paused: Option<Paused>,
}

/// The JSON padded with spaces to `SIZE` bytes (a long detail is shortened to fit).
fn encode(p: &Published) -> Vec<u8> {
    let mut p = Published {
        pid: p.pid,
        paused: p.paused.clone(),
    };
    loop {
        let mut bytes = serde_json::to_vec(&p).unwrap_or_default();
        if bytes.len() < SIZE {
            bytes.resize(SIZE - 1, b' ');
            bytes.push(b'\n');
            return bytes;
        }
        match p.paused.as_mut() {
            Some(q) if !q.detail.is_empty() => {
                let keep = q.detail.chars().count() / 2;
                q.detail = q.detail.chars().take(keep).collect();
            }
            _ => return Vec::new(),
        }
    }
}

/// The pause a live `run` on this state dir published, if it is paused. A read-only file system
/// refuses even the in-place write, so a live service on one counts as paused too.
pub fn read(state_dir: &Path) -> Option<Paused> {
    let bytes = std::fs::read(state_dir.join(FILE)).ok()?;
    let published: Published = serde_json::from_slice(&bytes).ok()?;
    if !crate::fsutil::pid_alive(published.pid) {
        return None;
    }
    if published.paused.is_some() {
        return published.paused;
    }
    read_only(state_dir).then(|| Paused {
        cause: Cause::ReadOnly,
        detail: format!(
            "the file system of {} is mounted read-only",
            state_dir.display()
        ),
        since: std::fs::metadata(state_dir.join(FILE))
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| SystemTime::now()),
    })
}

/// Whether the file system holding `path` is read-only: mounted so, or turned read-only by the
/// kernel after an error (ext4's `emergency_ro`, which statvfs does not report).
fn read_only(path: &Path) -> bool {
    crate::fsutil::statvfs(path).is_some_and(|st| st.f_flag & libc::ST_RDONLY != 0)
        || emergency_ro(path)
}

/// Why the state dir cannot take a write now, judged from its file system: read-only, or no
/// space left for this user. A missing dir is judged by the nearest folder above it.
pub fn unwritable(dir: &Path) -> Option<Cause> {
    let existing = dir.ancestors().find(|d| d.exists())?;
    let st = crate::fsutil::statvfs(existing)?;
    if st.f_flag & libc::ST_RDONLY != 0 || emergency_ro(existing) {
        Some(Cause::ReadOnly)
    } else if st.f_bavail == 0 {
        Some(Cause::Full)
    } else {
        None
    }
}

/// Whether the mount holding `path` (the longest mount point above it in `/proc/self/mountinfo`)
/// has the kernel's `emergency_ro` or `shutdown` flag.
fn emergency_ro(path: &Path) -> bool {
    let (Ok(path), Ok(info)) = (
        path.canonicalize(),
        std::fs::read_to_string("/proc/self/mountinfo"),
    ) else {
        return false;
    };
    // Fields: id parent major:minor root mount-point options ... - fstype source super-options.
    info.lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(' ').collect();
            let point = Path::new(*fields.get(4)?);
            path.starts_with(point)
                .then_some((point.as_os_str().len(), l))
        })
        .max_by_key(|(len, _)| *len)
        .is_some_and(|(_, l)| {
            l.split([' ', ','])
                .any(|o| o == "emergency_ro" || o == "shutdown")
        })
}

/// `SystemTime` as RFC 3339 in JSON.
mod humantime_serde_rfc3339 {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_rfc3339_seconds(*t).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_is_published_in_place_and_read_back_while_the_process_lives() {
        let dir = tempfile::tempdir().unwrap();
        let pause = Pause::default();
        pause.enable(dir.path());
        assert_eq!(read(dir.path()), None, "not paused");
        assert!(pause.set(Cause::Full, "x".repeat(10_000)));
        assert!(
            !pause.set(Cause::Full, "cannot write state.db".into()),
            "the same pause goes on"
        );
        let seen = read(dir.path()).unwrap();
        assert_eq!(seen.cause, Cause::Full);
        assert!(seen.detail.len() < SIZE, "shortened to fit");
        assert_eq!(
            std::fs::metadata(dir.path().join(FILE)).unwrap().len(),
            SIZE as u64
        );
        assert!(pause.clear().is_some());
        assert_eq!(read(dir.path()), None, "resumed");
    }

    #[test]
    fn sqlite_and_os_errors_map_to_full_or_read_only() {
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert_eq!(Cause::of_sqlite(&full, 0), Some(Cause::Full));
        let ioerr = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_WRITE),
            None,
        );
        assert_eq!(Cause::of_sqlite(&ioerr, libc::EROFS), Some(Cause::ReadOnly));
        assert_eq!(Cause::of_sqlite(&ioerr, libc::EIO), None);
        assert_eq!(Cause::of_errno(libc::ENOSPC), Some(Cause::Full));
    }
}
