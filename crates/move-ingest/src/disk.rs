//! The filesystems under the watch paths: how much room is left, and the warning when it is
//! less than `watch.min_free_percent`.

use std::path::Path;

/// (available to us, total) bytes of the file system holding `path`.
// The statvfs fields are u64 here but narrower on other targets.
#[allow(clippy::unnecessary_cast)]
pub fn fs_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path and `st` is a valid, writable statvfs.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    let frsize = st.f_frsize as u64;
    Some((st.f_bavail as u64 * frsize, st.f_blocks as u64 * frsize))
}

/// The warning for a watch path whose filesystem has less than `min_percent` free, or `None`
/// (enough room, the check is off, or the filesystem cannot be read).
pub fn low_space(path: &Path, min_percent: u8) -> Option<String> {
    let (free, total) = fs_space(path)?;
    low_space_message(path, free, total, min_percent)
}

fn low_space_message(path: &Path, free: u64, total: u64, min_percent: u8) -> Option<String> {
    if min_percent == 0 || total == 0 || free.saturating_mul(100) >= total * u64::from(min_percent)
    {
        return None;
    }
    Some(format!(
        "the filesystem of watch path {} has {:.1}% free ({} MiB of {} MiB), less than watch.min_free_percent = {min_percent}: recordings may fail to write; free space (after_take = \"move\" or \"delete\" removes recordings whose take exists)",
        path.display(),
        free as f64 * 100.0 / total as f64,
        free >> 20,
        total >> 20
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn warns_below_the_threshold_only() {
        let p = Path::new("/srv/captures");
        let msg = low_space_message(p, 5 << 20, 100 << 20, 10).unwrap();
        assert!(
            msg.contains("/srv/captures") && msg.contains("5.0% free"),
            "{msg}"
        );
        assert_eq!(low_space_message(p, 10 << 20, 100 << 20, 10), None);
        assert_eq!(
            low_space_message(p, 0, 100 << 20, 0),
            None,
            "0 turns it off"
        );
        assert!(fs_space(Path::new("/")).is_some_and(|(_, total)| total > 0));
    }
}
