//! Where a path an event names sits under the watch paths: a watch path, a device folder, or
//! a file of a recording; anything else (deeper folders, other files) is not ours.

use std::path::{Path, PathBuf};

use crate::config::WatchConfig;
use crate::scan::classify;

/// What a path is to the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A watch path itself (`index` into the config's watches).
    Root(usize),
    /// A device folder `<watch path>/<device>` (with `device_label = "from-dir"`).
    Folder { index: usize, device: String },
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
        return match (w.fixed_label(), parts.as_slice()) {
            (Some(label), [name]) => file(&w.path, label, name),
            (None, [device]) if !device.starts_with('.') => Some(Place::Folder {
                index,
                device: device.to_string(),
            }),
            (None, [device, name]) if !device.starts_with('.') => {
                file(&w.path.join(device), device, name)
            }
            _ => None,
        };
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
                device: "cam".into()
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
        assert_eq!(locate(&ws, Path::new("/srv/a/cam/x.mp4.part")), None);
        assert_eq!(locate(&ws, Path::new("/srv/a/cam/deep/x.mp4")), None);
        assert_eq!(
            locate(&ws, Path::new("/srv/a/x.mp4")),
            Some(Place::Folder {
                index: 0,
                device: "x.mp4".into()
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
