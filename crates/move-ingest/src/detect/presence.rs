//! Whether the watch paths and their device folders are there: a drive unmounted, a NAS share
//! gone, a folder deleted. inotify says little about it (a watch dies silently with its mount),
//! so every [`PROBE_EVERY`] one `stat` of each watch path and device folder (never of the
//! recordings) tells what is there, and the rules here decide what changed.
//!
//! A path is *missing* when it does not exist (or is no folder), or when it was a mount point
//! (on another device than its parent) and no longer is: an empty mount point is a drive that
//! is not mounted, never "everything was deleted". While a path is missing, the recordings
//! under it wait (neither failed nor gone); when it is back, its watch is armed again and it
//! is scanned. Everything here is pure but [`look`] and [`list`]: time is a parameter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::WatchConfig;

/// How often the watch paths and device folders are looked at (a missing one is noticed
/// within this, or at once when an event names it).
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// What one look at a path saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not there, not a folder, or not readable.
    Absent,
    /// A folder: its device and inode, and whether it is a mount point (its device differs
    /// from its parent's).
    Dir {
        dev: u64,
        ino: u64,
        mount_point: bool,
    },
}

/// Why a path is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// It does not exist (deleted, or the drive or share holding it is gone).
    Absent,
    /// It exists but is an empty mount point: what was mounted there is not.
    NotMounted,
}

impl Why {
    /// The words the log, `status` and `/healthz` use.
    pub fn words(self) -> &'static str {
        match self {
            Why::Absent => {
                "does not exist (deleted, or the drive or network share holding it is not mounted)"
            }
            Why::NotMounted => {
                "is an empty mount point: the drive or network share mounted there is gone"
            }
        }
    }
}

/// A path that is missing, since when and why (what `status` and the page show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingPath {
    pub path: PathBuf,
    /// Milliseconds since the Unix epoch.
    pub since_ms: i64,
    pub why: Why,
}

impl MissingPath {
    /// One line: the path, why, since when, and what to do. It does not change while the
    /// path stays missing (the webhook posts a pause once, not at every look).
    pub fn describe(&self) -> String {
        let since = SystemTime::UNIX_EPOCH + Duration::from_millis(self.since_ms.max(0) as u64);
        format!(
            "{} {} (missing since {}); mount the drive or share again, or re-create the folder: its recordings wait and are taken up by themselves once it is back",
            self.path.display(),
            self.why.words(),
            humantime::format_rfc3339_seconds(since),
        )
    }
}

/// What changed for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It went missing: warn, and leave its recordings waiting.
    Lost { path: PathBuf, why: Why },
    /// It is back after being missing: arm its watch again and scan it.
    Back { path: PathBuf },
    /// It is there but is another folder than before (re-created or mounted again between
    /// two looks): its old watch is dead, so arm it again and scan it.
    Replaced { path: PathBuf },
}

impl Change {
    /// The path it is about.
    pub fn path(&self) -> &Path {
        match self {
            Change::Lost { path, .. } | Change::Back { path } | Change::Replaced { path } => path,
        }
    }
}

#[derive(Debug, Clone)]
struct Place {
    /// A watch path (always tracked) rather than a device folder below one.
    root: bool,
    /// The folder last seen there.
    id: Option<(u64, u64)>,
    /// It was seen as a mount point: seen again without one, the drive is not mounted.
    mount: bool,
    missing: Option<(SystemTime, Why)>,
}

/// The watch paths and device folders, and which are missing.
#[derive(Debug, Default)]
pub struct Presence {
    places: BTreeMap<PathBuf, Place>,
}

impl Presence {
    /// Nothing tracked yet: the first round takes in every watch path.
    pub fn new() -> Presence {
        Presence::default()
    }

    /// Takes in one look at `path` (`root`: a watch path) and says what changed. The first
    /// look at a watch path that is not there is a loss (a drive not mounted at start); the
    /// first look at a device folder only starts tracking it.
    pub fn observe(
        &mut self,
        path: &Path,
        root: bool,
        seen: Seen,
        now: SystemTime,
    ) -> Option<Change> {
        let Some(place) = self.places.get_mut(path) else {
            let (id, mount, missing) = match seen {
                Seen::Dir {
                    dev,
                    ino,
                    mount_point,
                } => (Some((dev, ino)), mount_point, None),
                Seen::Absent if root => (None, false, Some((now, Why::Absent))),
                Seen::Absent => return None,
            };
            self.places.insert(
                path.to_path_buf(),
                Place {
                    root,
                    id,
                    mount,
                    missing,
                },
            );
            return missing.map(|(_, why)| Change::Lost {
                path: path.to_path_buf(),
                why,
            });
        };
        let why = match seen {
            Seen::Absent => Some(Why::Absent),
            Seen::Dir {
                mount_point: false, ..
            } if place.mount => Some(Why::NotMounted),
            Seen::Dir { .. } => None,
        };
        match (why, place.missing) {
            (Some(why), None) => {
                place.missing = Some((now, why));
                Some(Change::Lost {
                    path: path.to_path_buf(),
                    why,
                })
            }
            (Some(why), Some((since, _))) => {
                // Still missing (perhaps another way: re-created but still not mounted).
                place.missing = Some((since, why));
                None
            }
            (None, missing) => {
                let Seen::Dir {
                    dev,
                    ino,
                    mount_point,
                } = seen
                else {
                    return None;
                };
                let before = place.id.replace((dev, ino));
                place.mount |= mount_point;
                if missing.is_some() {
                    place.missing = None;
                    Some(Change::Back {
                        path: path.to_path_buf(),
                    })
                } else if before.is_some_and(|b| b != (dev, ino)) {
                    Some(Change::Replaced {
                        path: path.to_path_buf(),
                    })
                } else {
                    None
                }
            }
        }
    }

    /// Tracks `path` before it is seen: a device folder that recordings in the state are in.
    /// Not there at the first look, it is missing (the drive was not mounted at start), where
    /// a folder nothing expects is only tracked once it appears. `mounted_before`: it is an
    /// empty mount point now (see [`empty_mount_point`]), so it is missing until something is
    /// mounted there.
    pub fn expect(&mut self, path: &Path, mounted_before: bool) {
        self.places.entry(path.to_path_buf()).or_insert(Place {
            root: false,
            id: None,
            mount: mounted_before,
            missing: None,
        });
    }

    /// One round: every watch path, then (while it is there) the device folders of each
    /// `from-dir` one: those `list` finds now and those seen before. A device folder below a
    /// missing watch path is not looked at: the watch path says it all.
    pub fn round(
        &mut self,
        watches: &[WatchConfig],
        now: SystemTime,
        look: impl Fn(&Path) -> Seen,
        list: impl Fn(&Path) -> Vec<PathBuf>,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        for w in watches {
            changes.extend(self.observe(&w.path, true, look(&w.path), now));
            if self.is_missing(&w.path) || w.fixed_label().is_some() {
                continue;
            }
            let mut folders = list(&w.path);
            folders.extend(self.device_folders(&w.path));
            folders.sort();
            folders.dedup();
            for dir in folders {
                changes.extend(self.observe(&dir, false, look(&dir), now));
            }
        }
        changes
    }

    /// The device folders tracked below the watch path `root`.
    fn device_folders(&self, root: &Path) -> Vec<PathBuf> {
        self.places
            .iter()
            .filter(|(p, place)| !place.root && p.parent() == Some(root))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Whether `path` itself is missing.
    pub fn is_missing(&self, path: &Path) -> bool {
        self.places.get(path).is_some_and(|p| p.missing.is_some())
    }

    /// The missing paths, watch paths first; a device folder below a missing watch path is
    /// not listed (the watch path is).
    pub fn missing(&self) -> Vec<MissingPath> {
        let mut out: Vec<(bool, MissingPath)> = self
            .places
            .iter()
            .filter(|(p, _)| !self.below_missing(p))
            .filter_map(|(p, place)| {
                let (since, why) = place.missing?;
                let since_ms = since
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                Some((
                    !place.root,
                    MissingPath {
                        path: p.clone(),
                        since_ms,
                        why,
                    },
                ))
            })
            .collect();
        out.sort_by(|a, b| (a.0, &a.1.path).cmp(&(b.0, &b.1.path)));
        out.into_iter().map(|(_, m)| m).collect()
    }

    /// Whether a watch path above `path` is missing.
    fn below_missing(&self, path: &Path) -> bool {
        path.ancestors().skip(1).any(|a| {
            self.places
                .get(a)
                .is_some_and(|p| p.root && p.missing.is_some())
        })
    }

    /// Every tracked path and whether it is up (`move_ingest_watch_path_up`): a device folder
    /// below a missing watch path is down with it.
    pub fn up(&self) -> Vec<(PathBuf, bool)> {
        self.places
            .iter()
            .map(|(p, place)| (p.clone(), place.missing.is_none() && !self.below_missing(p)))
            .collect()
    }

    /// The paths seen as mount points (one seen again without its mount is missing).
    pub fn mount_points(&self) -> Vec<PathBuf> {
        self.places
            .iter()
            .filter(|(_, p)| p.mount)
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// Whether a folder that held a file on device `file_dev` is an empty mount point now: an
/// empty folder, no mount point, on another device than the file was (the drive that held
/// it is not mounted, even if it never was since `run` started).
pub fn empty_mount_point(seen: Seen, file_dev: u64, empty: bool) -> bool {
    matches!(seen, Seen::Dir { dev, mount_point: false, .. } if dev != file_dev && empty)
}

/// Where the files of a recording in `dir` went when they vanished, if their place went with
/// them: a missing watch path or device folder above it (`missing`, as the service saw them),
/// or one found missing now by `look` (absent, or a known mount point in `mounts` that is no
/// longer one), or the nearest folder above the file an empty mount point (`file_dev`: the
/// device the file was on; `empty`: whether a folder is empty). `None`: the place is there,
/// so the files were deleted.
pub fn lost_place(
    dir: &Path,
    file_dev: Option<u64>,
    watches: &[WatchConfig],
    missing: &[MissingPath],
    mounts: &[PathBuf],
    look: impl Fn(&Path) -> Seen,
    empty: impl Fn(&Path) -> bool,
) -> Option<(PathBuf, Why)> {
    if let Some(m) = missing.iter().find(|m| dir.starts_with(&m.path)) {
        return Some((m.path.clone(), m.why));
    }
    let w = watches.iter().find(|w| dir.starts_with(&w.path))?;
    let mut chain = vec![w.path.clone()];
    chain.extend(device_folder(dir, watches).filter(|d| *d != w.path));
    let lost = chain.into_iter().find_map(|p| match look(&p) {
        Seen::Absent => Some((p, Why::Absent)),
        Seen::Dir {
            mount_point: false, ..
        } if mounts.contains(&p) => Some((p, Why::NotMounted)),
        Seen::Dir { .. } => None,
    });
    if lost.is_some() {
        return lost;
    }
    let nearest = dir
        .ancestors()
        .take_while(|a| a.starts_with(&w.path))
        .find(|a| look(a) != Seen::Absent)?;
    empty_mount_point(look(nearest), file_dev?, empty(nearest))
        .then(|| (nearest.to_path_buf(), Why::NotMounted))
}

/// Whether the folder `dir` holds nothing (one directory read, of its first entry).
pub fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// The device folder (or, with a fixed label, the watch path) a recording in `dir` is in.
pub fn device_folder(dir: &Path, watches: &[WatchConfig]) -> Option<PathBuf> {
    let w = watches.iter().find(|w| dir.starts_with(&w.path))?;
    if w.fixed_label().is_some() {
        return Some(w.path.clone());
    }
    let device = dir.strip_prefix(&w.path).ok()?.iter().next()?;
    Some(w.path.join(device))
}

/// Looks at `path`: one `stat` of it and one of its parent (to tell a mount point).
pub fn look(path: &Path) -> Seen {
    use std::os::unix::fs::MetadataExt;
    let Ok(md) = std::fs::metadata(path) else {
        return Seen::Absent;
    };
    if !md.is_dir() {
        return Seen::Absent;
    }
    let parent_dev = path
        .parent()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.dev());
    Seen::Dir {
        dev: md.dev(),
        ino: md.ino(),
        mount_point: parent_dev.is_some_and(|d| d != md.dev()),
    }
}

/// The device folders in a `from-dir` watch path now: its folders that are not hidden (not
/// symbolic links: those are followed only when asked, and rescans cover them).
pub fn list(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::DeviceLabel;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn dir(dev: u64, ino: u64, mount_point: bool) -> Seen {
        Seen::Dir {
            dev,
            ino,
            mount_point,
        }
    }

    fn watch(path: &str, label: DeviceLabel) -> WatchConfig {
        WatchConfig {
            path: path.into(),
            device_label: label,
            rescan_secs: 300,
            max_depth: 2,
            follow_symlinks: false,
            min_free_percent: 0,
        }
    }

    fn lost(path: &str, why: Why) -> Option<Change> {
        Some(Change::Lost {
            path: path.into(),
            why,
        })
    }

    #[test]
    fn a_watch_path_missing_at_start_is_a_loss_not_an_error_and_its_return_is_back() {
        let mut p = Presence::new();
        let root = Path::new("/media/cap");
        assert_eq!(
            p.observe(root, true, Seen::Absent, t(0)),
            lost("/media/cap", Why::Absent)
        );
        assert_eq!(p.observe(root, true, Seen::Absent, t(2)), None, "said once");
        assert_eq!(p.missing()[0].since_ms, 1_800_000_000_000);
        assert_eq!(
            p.observe(root, true, dir(7, 2, true), t(4)),
            Some(Change::Back { path: root.into() })
        );
        assert!(p.missing().is_empty());
        assert_eq!(p.up(), vec![(root.to_path_buf(), true)]);
    }

    #[test]
    fn a_device_folder_seen_first_is_only_tracked_and_its_deletion_is_a_loss() {
        let mut p = Presence::new();
        let cam = Path::new("/srv/cap/cam");
        assert_eq!(p.observe(cam, false, Seen::Absent, t(0)), None);
        assert_eq!(p.observe(cam, false, dir(1, 10, false), t(0)), None);
        assert_eq!(
            p.observe(cam, false, Seen::Absent, t(2)),
            lost("/srv/cap/cam", Why::Absent)
        );
        assert_eq!(p.up(), vec![(cam.to_path_buf(), false)]);
        // Re-created: back (another inode), watched and scanned again.
        assert_eq!(
            p.observe(cam, false, dir(1, 11, false), t(4)),
            Some(Change::Back { path: cam.into() })
        );
    }

    #[test]
    fn an_empty_mount_point_is_missing_not_deleted_until_something_is_mounted_again() {
        let mut p = Presence::new();
        let cam = Path::new("/srv/cap/cam");
        assert_eq!(p.observe(cam, false, dir(40, 1, true), t(0)), None);
        // Unmounted: the folder is still there, on its parent's device.
        assert_eq!(
            p.observe(cam, false, dir(1, 99, false), t(2)),
            lost("/srv/cap/cam", Why::NotMounted)
        );
        assert_eq!(p.observe(cam, false, dir(1, 99, false), t(4)), None);
        let m = p.missing();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].why, Why::NotMounted);
        assert!(
            m[0].describe()
                .contains("missing since 2027-01-15T08:00:02Z"),
            "{m:?}"
        );
        // Mounted again (a new device number, as a new tmpfs or a USB disk gets).
        assert_eq!(
            p.observe(cam, false, dir(41, 1, true), t(6)),
            Some(Change::Back { path: cam.into() })
        );
        assert_eq!(p.mount_points(), vec![cam.to_path_buf()]);
    }

    #[test]
    fn a_device_folder_the_state_expects_is_missing_at_the_first_look_if_not_there() {
        let ws = [watch("/srv/a", DeviceLabel::FromDir)];
        let rec = Path::new("/srv/a/cam/2026-12-07");
        let cam = device_folder(rec, &ws).unwrap();
        assert_eq!(cam, PathBuf::from("/srv/a/cam"));
        let mut p = Presence::new();
        p.expect(&cam, false);
        let root_only = |path: &Path| match path == Path::new("/srv/a") {
            true => dir(1, 1, false),
            false => Seen::Absent,
        };
        assert_eq!(
            p.round(&ws, t(0), root_only, |_| Vec::new()),
            vec![Change::Lost {
                path: cam.clone(),
                why: Why::Absent
            }]
        );
        // Then it appears: back, watched and scanned.
        let all = |path: &Path| match path == Path::new("/srv/a") {
            true => dir(1, 1, false),
            false => dir(1, 2, false),
        };
        assert_eq!(
            p.round(&ws, t(2), all, |_| vec![cam.clone()]),
            vec![Change::Back { path: cam }]
        );
        let fixed = [watch("/srv/b", DeviceLabel::Fixed("b".into()))];
        assert_eq!(
            device_folder(Path::new("/srv/b/x"), &fixed),
            Some(PathBuf::from("/srv/b"))
        );
        assert_eq!(device_folder(Path::new("/elsewhere"), &fixed), None);
    }

    #[test]
    fn a_folder_replaced_between_two_looks_is_armed_again() {
        let mut p = Presence::new();
        let root = Path::new("/srv/cap");
        assert_eq!(p.observe(root, true, dir(1, 5, false), t(0)), None);
        assert_eq!(p.observe(root, true, dir(1, 5, false), t(2)), None);
        assert_eq!(
            p.observe(root, true, dir(1, 6, false), t(4)),
            Some(Change::Replaced { path: root.into() })
        );
    }

    #[test]
    fn a_round_lists_device_folders_and_leaves_those_of_a_missing_watch_path_to_it() {
        let ws = [
            watch("/srv/a", DeviceLabel::FromDir),
            watch("/srv/b", DeviceLabel::Fixed("cam-b".into())),
        ];
        let mut p = Presence::new();
        let all_there = |path: &Path| match path.to_str().unwrap() {
            "/srv/a/cam" => dir(9, 3, true),
            _ => dir(1, path.as_os_str().len() as u64, false),
        };
        let listing = |root: &Path| match root.to_str().unwrap() {
            "/srv/a" => vec![PathBuf::from("/srv/a/cam")],
            _ => panic!("a fixed label has no device folders to list"),
        };
        assert!(p.round(&ws, t(0), all_there, listing).is_empty());
        assert_eq!(p.up().len(), 3);
        // The drive holding /srv/a goes: one loss, the watch path's; its device folder is down with it.
        let a_gone = |path: &Path| match path.starts_with("/srv/a") {
            true => Seen::Absent,
            false => all_there(path),
        };
        assert_eq!(
            p.round(&ws, t(2), a_gone, |_| Vec::new()),
            vec![Change::Lost {
                path: "/srv/a".into(),
                why: Why::Absent
            }]
        );
        let missing: Vec<PathBuf> = p.missing().into_iter().map(|m| m.path).collect();
        assert_eq!(missing, vec![PathBuf::from("/srv/a")]);
        assert!(
            p.up()
                .iter()
                .all(|(path, up)| *up == path.starts_with("/srv/b"))
        );
        // Back, with the device folder a mount point again.
        let changes = p.round(&ws, t(4), all_there, listing);
        assert_eq!(
            changes,
            vec![Change::Back {
                path: "/srv/a".into()
            }]
        );
        assert!(p.up().iter().all(|(_, up)| *up));
    }

    #[test]
    fn vanished_files_wait_when_their_place_went_and_are_gone_when_only_they_went() {
        let ws = [watch("/srv/a", DeviceLabel::FromDir)];
        let rec = Path::new("/srv/a/cam/2026-12-07");
        let mounts = [PathBuf::from("/srv/a/cam")];
        let there = |_: &Path| dir(1, 1, false);
        let mounted = |p: &Path| {
            dir(
                if p.ends_with("cam") { 9 } else { 1 },
                1,
                p.ends_with("cam"),
            )
        };
        // Only the files went: gone, as before.
        let full = |_: &Path| false;
        let lost = |dir: &Path,
                    missing: &[MissingPath],
                    mounts: &[PathBuf],
                    look: &dyn Fn(&Path) -> Seen| {
            lost_place(dir, Some(1), &ws, missing, mounts, look, full)
        };
        assert_eq!(lost(rec, &[], &[], &there), None);
        assert_eq!(lost(rec, &[], &mounts, &mounted), None);
        // The device folder is an empty mount point now.
        assert_eq!(
            lost(rec, &[], &mounts, &there),
            Some(("/srv/a/cam".into(), Why::NotMounted))
        );
        // The watch path is gone.
        let none = |_: &Path| Seen::Absent;
        assert_eq!(
            lost(rec, &[], &[], &none),
            Some(("/srv/a".into(), Why::Absent))
        );
        // The service already knows it missing.
        let known = [MissingPath {
            path: "/srv/a/cam".into(),
            since_ms: 0,
            why: Why::NotMounted,
        }];
        assert_eq!(
            lost(rec, &known, &[], &there),
            Some(("/srv/a/cam".into(), Why::NotMounted))
        );
        // Outside every watch path: not ours to say.
        assert_eq!(lost(Path::new("/elsewhere"), &[], &[], &none), None);
        // Not mounted since before this run: the device folder is there, empty, on another
        // device than the file was (the file was on device 9).
        let root_there = |p: &Path| match p {
            p if p == Path::new("/srv/a") || p == Path::new("/srv/a/cam") => dir(1, 1, false),
            _ => Seen::Absent,
        };
        let empty = |p: &Path| p == Path::new("/srv/a/cam");
        assert_eq!(
            lost_place(rec, Some(9), &ws, &[], &[], root_there, empty),
            Some(("/srv/a/cam".into(), Why::NotMounted))
        );
        // The same folder holding other files, or on the file's own device: deleted, gone.
        assert_eq!(
            lost_place(rec, Some(9), &ws, &[], &[], root_there, full),
            None
        );
        assert_eq!(
            lost_place(rec, Some(1), &ws, &[], &[], root_there, empty),
            None
        );
        assert!(empty_mount_point(dir(1, 1, false), 9, true));
        assert!(
            !empty_mount_point(dir(9, 1, true), 1, true),
            "a mount point is mounted"
        );
    }

    #[test]
    fn look_tells_a_folder_from_a_file_and_from_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            look(tmp.path()),
            Seen::Dir {
                mount_point: false,
                ..
            }
        ));
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(look(&file), Seen::Absent);
        assert_eq!(look(&tmp.path().join("none")), Seen::Absent);
        std::fs::create_dir(tmp.path().join("cam")).unwrap();
        std::fs::create_dir(tmp.path().join(".hidden")).unwrap();
        assert_eq!(list(tmp.path()), vec![tmp.path().join("cam")]);
    }
}
