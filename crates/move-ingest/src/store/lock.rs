//! The state dir's exclusive lock, and `sync_dir`, the fsync of a directory.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use super::StoreError;

/// The state dir's lock file (it holds the pid of the process that has the lock).
pub(crate) const LOCK_FILE: &str = "lock";

/// Takes the state dir's exclusive lock and writes our pid into the lock file.
pub(super) fn lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(StoreError::io("open", &path))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() {
                String::new()
            } else {
                format!(" (pid {pid})")
            };
            return Err(StoreError::Locked {
                dir: dir.to_path_buf(),
                pid,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io("lock", &path)(e)),
    }
    f.set_len(0).map_err(StoreError::io("write", &path))?;
    writeln!(f, "{}", std::process::id()).map_err(StoreError::io("write", &path))?;
    Ok(f)
}

/// fsyncs a directory, so that a file created or renamed in it survives power loss.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync the directory", dir))
}
