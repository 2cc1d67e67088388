//! Where a path an event names sits under the watch paths: a watch path, a folder (a device
//! folder or one below it, down to `max_depth`), or a file of a recording; anything else
//! (deeper folders, hidden ones, other files) is not ours.

use std::path::{Path, PathBuf};

use crate::config::WatchConfig;
use crate::detect::scan::Walk;
use crate::model::facts::classify;

/// What a path is to the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A watch path itself (`index` into the config's watches).
    Root(usize),
    /// A folder that may hold recordings: a device folder `<watch path>/<device>` (with
    /// `device_label = "from-dir"`) or a folder below it; `walk` reads what is left of
    /// `max_depth` below it.
    Folder {
        index: usize,
        dir: PathBuf,
        device: String,
        walk: Walk,
    },
    /// A file of a recording: its folder, device label and stem.
    File {
        dir: PathBuf,
        device: String,
        stem: String,
    },
}

/// Finds what `path` is, by its place under the first watch path that holds it.
pub fn locate(watches: &[WatchConfig], path: &Path) -> Option<Place> {
    for (index, w) in watches.iter().enumerate() {
        if path == w.path {
            return Some(Place::Root(index));
        }
        let Ok(rel) = path.strip_prefix(&w.path) else {
            continue;
        };
        let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        if parts.len() != rel.iter().count() || parts.iter().any(|p| p.starts_with('.')) {
            return None;
        }
        let (device, below) = match (w.fixed_label(), parts.as_slice()) {
            (Some(label), below) => (label, below),
            (None, [device, below @ ..]) => (*device, below),
            (None, []) => return None,
        };
        // `below`: the folders under the device folder, then maybe a file name.
        let walk = Walk::of(w);
        if let Some((name, folders)) = below.split_last()
            && folders.len() <= walk.max_depth
            && let Some(place) = path.parent().and_then(|dir| file(dir, device, name))
        {
            return Some(place);
        }
        let left = walk.max_depth.checked_sub(below.len())?;
        if w.fixed_label().is_some() && below.is_empty() {
            return None;
        }
        return Some(Place::Folder {
            index,
            dir: path.to_path_buf(),
            device: device.to_string(),
            walk: Walk {
                max_depth: left,
                ..walk
            },
        });
    }
    None
}

fn file(dir: &Path, device: &str, name: &str) -> Option<Place> {
    let (stem, _) = classify(name)?;
    Some(Place::File {
        dir: dir.to_path_buf(),
        device: device.to_string(),
        stem: stem.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::DeviceLabel;

    fn watch(path: &str, label: DeviceLabel) -> WatchConfig {
        WatchConfig {
            path: path.into(),
            device_label: label,
            rescan_secs: 300,
            max_depth: 2,
            follow_symlinks: false,
            min_free_percent: 10,
        }
    }

    fn walk(max_depth: usize) -> Walk {
        Walk {
            max_depth,
            follow_symlinks: false,
        }
    }

    #[test]
    fn places_by_depth_and_label() {
        let ws = [
            watch("/srv/a", DeviceLabel::FromDir),
            watch("/srv/b", DeviceLabel::Fixed("cam-b".into())),
        ];
        assert_eq!(locate(&ws, Path::new("/srv/a")), Some(Place::Root(0)));
        assert_eq!(
            locate(&ws, Path::new("/srv/a/cam")),
            Some(Place::Folder {
                index: 0,
                dir: "/srv/a/cam".into(),
                device: "cam".into(),
                walk: walk(2),
            })
        );
        assert_eq!(
            locate(&ws, Path::new("/srv/a/cam/x.1.MP4")),
            Some(Place::File {
                dir: "/srv/a/cam".into(),
                device: "cam".into(),
                stem: "x.1".into()
            })
        );
        // Not a recording's file: by its path alone it can only be a sub folder (the loop
        // finds it is not a folder and leaves it).
        assert!(matches!(
            locate(&ws, Path::new("/srv/a/cam/x.mp4.part")),
            Some(Place::Folder { .. })
        ));
        assert_eq!(
            locate(&ws, Path::new("/srv/a/cam/2026-12-01/day two/x.mp4")),
            Some(Place::File {
                dir: "/srv/a/cam/2026-12-01/day two".into(),
                device: "cam".into(),
                stem: "x".into()
            })
        );
        assert_eq!(
            locate(&ws, Path::new("/srv/a/cam/2026-12-01")),
            Some(Place::Folder {
                index: 0,
                dir: "/srv/a/cam/2026-12-01".into(),
                device: "cam".into(),
                walk: walk(1),
            })
        );
        assert_eq!(
            locate(&ws, Path::new("/srv/a/cam/1/2/3")),
            None,
            "deeper than max_depth"
        );
        assert_eq!(locate(&ws, Path::new("/srv/a/cam/1/2/3/x.mp4")), None);
        assert_eq!(locate(&ws, Path::new("/srv/a/cam/.hidden/x.mp4")), None);
        assert_eq!(
            locate(&ws, Path::new("/srv/b/sub/y.mp4")),
            Some(Place::File {
                dir: "/srv/b/sub".into(),
                device: "cam-b".into(),
                stem: "y".into()
            })
        );
        assert_eq!(
            locate(&ws, Path::new("/srv/a/x.mp4")),
            Some(Place::Folder {
                index: 0,
                dir: "/srv/a/x.mp4".into(),
                device: "x.mp4".into(),
                walk: walk(2),
            })
        );
        assert_eq!(
            locate(&ws, Path::new("/srv/b/y.move")),
            Some(Place::File {
                dir: "/srv/b".into(),
                device: "cam-b".into(),
                stem: "y".into()
            })
        );
        assert_eq!(locate(&ws, Path::new("/srv/c/y.move")), None);
    }
}
