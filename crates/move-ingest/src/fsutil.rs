//! File-system helpers every layer shares: free space (`statvfs`), a file replaced atomically
//! (written beside it, fsynced, renamed, the folder fsynced), and whether a pid still runs;
//! and the freed heap given back to the system after a peak (`trim_heap`).

use std::io::Write;
use std::path::Path;

/// `statvfs(2)` of the file system holding `path`; `None` when it cannot be asked.
pub fn statvfs(path: &Path) -> Option<libc::statvfs> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path and `st` is a valid, writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    Some(unsafe { st.assume_init() })
}

/// Free space for an unprivileged user and total size of the file system holding `path`, in
/// bytes.
// The statvfs fields are u64 here but narrower on other targets.
#[allow(clippy::unnecessary_cast)]
pub fn space(path: &Path) -> Option<(u64, u64)> {
    let st = statvfs(path)?;
    let frsize = st.f_frsize as u64;
    Some((st.f_bavail as u64 * frsize, st.f_blocks as u64 * frsize))
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new one, never a
/// part: written to a temporary file in the same folder, fsynced, renamed over `path`, and the
/// folder fsynced so that the rename survives a power loss.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

/// Replaces `path` with `value` as JSON, atomically for readers but without fsync: for the
/// files a live process publishes for `status` (rewritten up to 4 times a second, worthless
/// after a crash).
pub fn publish_json(path: &Path, value: &impl serde::Serialize) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Whether a process with this pid runs on this machine (its `/proc` entry exists). Files a
/// live process publishes for others (`sending.json`, `waiting.json`, the pause) carry its
/// pid so that a reader can ignore what a dead one left.
pub fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Gives the heap's free memory back to the system (glibc keeps what a peak, such as the first
/// scan of a big folder, freed; `malloc_trim` returns it). Does nothing on other C libraries.
pub fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointer from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, br#"{"two":2}"#).expect("second write");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            r#"{"two":2}"#
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
        publish_json(&path, &serde_json::json!({"three": 3})).expect("publish");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            r#"{"three":3}"#
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("read_dir").count(), 1);
    }

    #[test]
    fn pid_alive_knows_this_process_and_not_an_unused_pid() {
        assert!(pid_alive(std::process::id()));
        // Above the kernel's pid_max ceiling (4,194,304): never a running process.
        assert!(!pid_alive(u32::MAX - 1));
    }

    #[test]
    fn space_answers_for_a_folder_and_not_for_a_missing_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (free, total) = space(dir.path()).expect("statvfs of a temp dir");
        assert!(total > 0 && free <= total);
        assert!(space(&dir.path().join("missing")).is_none());
    }
}
