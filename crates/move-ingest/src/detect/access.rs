//! What the user `check` runs as may do in the capture folders: read every folder and
//! recording file down to `max_depth`, and, when `after_take` moves or deletes files, write
//! the folders that hold them (removing or renaming a file needs write access to its folder).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config::WatchConfig;
use crate::model::facts::classify;

/// One folder or file the user cannot use as it must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub path: PathBuf,
    /// "folder" or "file".
    pub what: &'static str,
    /// "read" or "write".
    pub need: &'static str,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot {} {} {}",
            self.need,
            self.what,
            self.path.display()
        )
    }
}

/// Every folder and recording file below `w.path` (down to `max_depth`) that the effective
/// user cannot read, or (with `write`) whose folder it cannot write.
pub fn audit(w: &WatchConfig, write: bool) -> Vec<Denied> {
    let mut out = Vec::new();
    // The watch path is the device folder with a fixed label; one level above it otherwise.
    let depth = w.max_depth + usize::from(w.fixed_label().is_none());
    folder(
        &w.path,
        depth,
        w,
        write && w.fixed_label().is_some(),
        write,
        &mut out,
    );
    out
}

/// Checks `dir` (read, and write when `write_here`), then its entries, `depth` levels down.
fn folder(
    dir: &Path,
    depth: usize,
    w: &WatchConfig,
    write_here: bool,
    write: bool,
    out: &mut Vec<Denied>,
) {
    let deny = |need| Denied {
        path: dir.to_path_buf(),
        what: "folder",
        need,
    };
    if !allowed(dir, libc::R_OK | libc::X_OK) {
        out.push(deny("read"));
        return;
    }
    if write_here && !allowed(dir, libc::W_OK | libc::X_OK) {
        out.push(deny("write"));
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push(deny("read"));
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(ft) = e.file_type() else { continue };
        if name.starts_with('.') || (ft.is_symlink() && !w.follow_symlinks) {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            if depth > 0 {
                folder(&path, depth - 1, w, write, write, out);
            }
        } else if classify(name).is_some() && path.is_file() && !allowed(&path, libc::R_OK) {
            out.push(Denied {
                path,
                what: "file",
                need: "read",
            });
        }
    }
}

/// Whether the effective user has `mode` access to `path` (permission bits and ACLs).
fn allowed(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated path; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), mode, libc::AT_EACCESS) == 0 }
}
