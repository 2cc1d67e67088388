//! The folder is the truth: walks the watch paths and groups files into recordings by folder and stem.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::config::WatchConfig;

pub use crate::model::facts::{Facts, Found, Kind, Seen, classify};

/// Everything under the watch paths, grouped into recordings, sorted by folder and stem.
/// Folders that cannot be read are reported in `errors` and skipped; the rest goes on.
/// Symbolic links that were not followed are listed in `symlinks`.
#[derive(Debug, Default)]
pub struct Scan {
    pub found: Vec<Found>,
    pub errors: Vec<String>,
    pub symlinks: Vec<PathBuf>,
}

impl Scan {
    fn extend(&mut self, other: Scan) {
        self.found.extend(other.found);
        self.errors.extend(other.errors);
        self.symlinks.extend(other.symlinks);
    }
}

/// How the folders of one watch path are walked (`watch.max_depth`, `watch.follow_symlinks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// Folders below the device folder that are still read (0: only the device folder).
    pub max_depth: usize,
    pub follow_symlinks: bool,
}

impl Walk {
    /// The walk a watch path's config asks for.
    pub fn of(w: &WatchConfig) -> Walk {
        Walk {
            max_depth: w.max_depth,
            follow_symlinks: w.follow_symlinks,
        }
    }

    /// The walk of a folder one level deeper.
    fn deeper(self) -> Option<Walk> {
        Some(Walk {
            max_depth: self.max_depth.checked_sub(1)?,
            ..self
        })
    }
}

/// The folders between the device folder and a recording's folder `dir`, joined with '/'
/// (empty for a recording in the device folder itself): the `{subdir}` placeholder.
pub fn subdir(watches: &[WatchConfig], dir: &Path) -> String {
    let Some(w) = watches.iter().find(|w| dir.starts_with(&w.path)) else {
        return String::new();
    };
    let rel = dir.strip_prefix(&w.path).unwrap_or(dir);
    let skip = usize::from(w.fixed_label().is_none());
    let parts: Vec<String> = rel
        .iter()
        .skip(skip)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Walks every watch path: `<path>/<device>/<sub folders>/<file>` with
/// `device_label = "from-dir"`, `<path>/<sub folders>/<file>` with a fixed label, down to
/// `max_depth` sub folders. Device folders are read on up to [`SCAN_THREADS`] threads (a scan
/// is mostly `statx` calls, one per file); the result is the same as a walk of one folder
/// after the other, in the same order.
pub fn scan(watches: &[WatchConfig]) -> Scan {
    let mut out = Scan::default();
    let folders = device_folders(watches, &mut out);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, SCAN_THREADS)
        .min(folders.len());
    if threads <= 1 {
        for (dir, device, walk) in &folders {
            scan_tree(dir, device, *walk, &mut out);
        }
        return out;
    }
    for one in scan_on_threads(&folders, threads) {
        out.extend(one);
    }
    out
}

/// Walks every watch path as [`scan`] does (in the order of a walk of one folder after the
/// other), handing each folder's finds to `each` as soon as that folder is read: nothing of
/// the other folders is held meanwhile. Stops when `each` returns false.
pub fn scan_folders(watches: &[WatchConfig], each: &mut dyn FnMut(Scan) -> bool) {
    let mut roots = Scan::default();
    let folders = device_folders(watches, &mut roots);
    if !each(roots) {
        return;
    }
    for (dir, device, walk) in &folders {
        if !walk_folders(dir, device, *walk, each) {
            return;
        }
    }
}

/// `scan_tree`, one folder at a time to `each`; false when `each` asked to stop.
fn walk_folders(dir: &Path, device: &str, walk: Walk, each: &mut dyn FnMut(Scan) -> bool) -> bool {
    let mut one = Scan::default();
    let subfolders = read_folder(dir, device, walk.follow_symlinks, &mut one);
    if !each(one) {
        return false;
    }
    let Some(deeper) = walk.deeper() else {
        return true;
    };
    subfolders
        .iter()
        .all(|sub| walk_folders(sub, device, deeper, each))
}

/// A device folder to walk: its path, its device label and how.
type DeviceFolder = (PathBuf, String, Walk);

/// The folders to read with their device labels: a fixed label's watch path itself, or
/// every (not hidden) folder below a `from-dir` one.
fn device_folders(watches: &[WatchConfig], out: &mut Scan) -> Vec<DeviceFolder> {
    let mut folders = Vec::new();
    for w in watches {
        let walk = Walk::of(w);
        if let Some(label) = w.fixed_label() {
            folders.push((w.path.clone(), label.to_string(), walk));
            continue;
        }
        let entries = match std::fs::read_dir(&w.path) {
            Ok(entries) => entries,
            Err(e) => {
                out.errors
                    .push(format!("cannot read watch path {}: {e}", w.path.display()));
                continue;
            }
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(device) = name.to_str() else {
                continue;
            };
            if device.starts_with('.') {
                continue;
            }
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir()
                || (ft.is_symlink()
                    && matches!(entry_is(&e, walk.follow_symlinks, out), Some(Entry::Folder)))
            {
                folders.push((e.path(), device.to_string(), walk));
            }
        }
    }
    folders
}

/// What a folder entry is to the walk.
#[derive(Debug)]
enum Entry {
    File(Metadata),
    Folder,
}

/// Reads what `e` is; a symbolic link is followed only when `follow`, else it is listed in
/// `out.symlinks` (when it would have mattered: a folder, or a file name we take) and skipped.
fn entry_is(e: &std::fs::DirEntry, follow: bool, out: &mut Scan) -> Option<Entry> {
    let link = e.file_type().ok()?.is_symlink();
    let md = if link {
        let target = std::fs::metadata(e.path()).ok()?;
        if !follow {
            let named = e.file_name().to_str().and_then(classify).is_some();
            if target.is_dir() || (named && target.is_file()) {
                out.symlinks.push(e.path());
            }
            return None;
        }
        target
    } else {
        e.metadata().ok()?
    };
    if md.is_dir() {
        Some(Entry::Folder)
    } else if md.is_file() {
        Some(Entry::File(md))
    } else {
        None
    }
}

/// Reads `folders` on `threads` threads; each folder's result lands in its own slot, so the
/// order does not depend on the threads.
fn scan_on_threads(folders: &[DeviceFolder], threads: usize) -> Vec<Scan> {
    let slots: Vec<std::sync::Mutex<Scan>> = folders.iter().map(|_| Default::default()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((dir, device, walk)) = folders.get(i) else {
                        return;
                    };
                    let mut one = Scan::default();
                    scan_tree(dir, device, *walk, &mut one);
                    *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = one;
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

/// The most threads one scan uses.
pub const SCAN_THREADS: usize = 4;

/// Groups the files of `dir` and of its (not hidden) sub folders, down to `walk.max_depth`
/// levels, into recordings and appends them to `out`, folder by folder in name order.
pub fn scan_tree(dir: &Path, device: &str, walk: Walk, out: &mut Scan) {
    let subfolders = read_folder(dir, device, walk.follow_symlinks, out);
    let Some(deeper) = walk.deeper() else {
        return;
    };
    for sub in subfolders {
        scan_tree(&sub, device, deeper, out);
    }
}

/// Groups the files of one folder (not its sub folders) into recordings and appends them to `out`.
pub fn scan_dir(dir: &Path, device: &str, follow_symlinks: bool, out: &mut Scan) {
    read_folder(dir, device, follow_symlinks, out);
}

/// Groups the files of `dir` into recordings, appends them to `out`, and returns its (not
/// hidden) sub folders, sorted.
fn read_folder(dir: &Path, device: &str, follow: bool, out: &mut Scan) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.errors
                .push(format!("cannot read {}: {e}", dir.display()));
            return Vec::new();
        }
    };
    let mut by_stem: BTreeMap<String, Found> = BTreeMap::new();
    let mut subfolders = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let Some((stem, kind)) = classify(name) else {
            // Only folders matter here: the entry's type costs no system call, a stat only
            // a symbolic link (to see where it points).
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir()
                || (ft.is_symlink() && matches!(entry_is(&e, follow, out), Some(Entry::Folder)))
            {
                subfolders.push(e.path());
            }
            continue;
        };
        let md = match entry_is(&e, follow, out) {
            Some(Entry::File(md)) => md,
            Some(Entry::Folder) => {
                subfolders.push(e.path());
                continue;
            }
            None => continue,
        };
        let seen = Seen {
            kind,
            facts: Facts::from_metadata(name, &md),
        };
        let f = by_stem.entry(stem.to_string()).or_insert_with(|| Found {
            dir: dir.to_path_buf(),
            device: device.to_string(),
            stem: stem.to_string(),
            video: None,
            sidecar: None,
        });
        let slot = if kind.is_video() {
            &mut f.video
        } else {
            &mut f.sidecar
        };
        // Two videos with one stem (x.mp4 and x.mov): keep mp4, then mov, then avi.
        if slot
            .as_ref()
            .is_none_or(|old| kind_rank(kind) < kind_rank(old.kind))
        {
            *slot = Some(seen);
        }
    }
    out.found.extend(by_stem.into_values());
    subfolders.sort();
    subfolders
}

fn kind_rank(k: Kind) -> u8 {
    k as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parallel_scan_finds_what_a_folder_by_folder_walk_finds_in_the_same_order() {
        let root = tempfile::tempdir().expect("temp dir");
        for d in 0..7 {
            let dir = root.path().join(format!("cam-{d}"));
            std::fs::create_dir(&dir).expect("device folder");
            for i in 0..5 {
                std::fs::write(dir.join(format!("t{i}.mp4")), b"v").expect("video");
                std::fs::write(dir.join(format!("t{i}.move")), b"m").expect("sidecar");
            }
        }
        std::fs::write(root.path().join("stray.mp4"), b"x").expect("stray file");
        let watch = WatchConfig {
            path: root.path().to_path_buf(),
            device_label: crate::config::DeviceLabel::FromDir,
            rescan_secs: 300,
            max_depth: 0,
            follow_symlinks: false,
            min_free_percent: 0,
        };
        let scanned = scan(std::slice::from_ref(&watch));
        let mut one_by_one = Scan::default();
        for e in std::fs::read_dir(root.path()).expect("read root").flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                let device = e.file_name().to_string_lossy().into_owned();
                scan_dir(&e.path(), &device, false, &mut one_by_one);
            }
        }
        let names = |s: &Scan| -> Vec<(PathBuf, String, bool)> {
            s.found
                .iter()
                .map(|f| (f.dir.clone(), f.stem.clone(), f.sidecar.is_some()))
                .collect()
        };
        assert_eq!(scanned.found.len(), 35);
        assert_eq!(names(&scanned), names(&one_by_one));
        // Folder by folder to a callback: the same finds in the same order.
        let mut streamed = Scan::default();
        scan_folders(std::slice::from_ref(&watch), &mut |one| {
            streamed.extend(one);
            true
        });
        assert_eq!(names(&streamed), names(&scanned));
        assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    }

    #[test]
    fn classifies_by_extension_case_insensitively() {
        assert_eq!(classify("a.MP4"), Some(("a", Kind::Mp4)));
        assert_eq!(classify("take.01.move"), Some(("take.01", Kind::Move)));
        assert_eq!(classify("x.Mov"), Some(("x", Kind::Mov)));
        assert_eq!(classify("x.avi"), Some(("x", Kind::Avi)));
    }

    #[test]
    fn never_uploads_partial_hidden_or_other_files() {
        for name in [
            ".a.mp4",
            "a.mp4.part",
            "a.mp4.tmp",
            "a.mp4.crdownload",
            "a.mp4~",
            "a.txt",
            ".mp4",
            "mp4",
        ] {
            assert_eq!(classify(name), None, "{name}");
        }
    }
}
