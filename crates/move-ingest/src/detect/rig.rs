//! Rig grouping (pure, time as a parameter): which rig recording a camera's video belongs to,
//! and when the cameras of one rig recording are complete (`wait_secs`).

use std::path::Path;

use crate::config::{Grouping, MulticamConfig, WatchConfig};

/// Where a camera's video belongs: its rig, its label in the rig, and the rig recording.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub rig: &'a MulticamConfig,
    /// The camera's device label in the rig.
    pub camera: String,
    /// The group key: sub folders and stem (`group = "stem"`), or the recording's folder
    /// below the watch path (`group = "folder"`); empty with `group = "time"`, whose video
    /// finds its recording by when it was recorded once it joins (`detect/rig_time`).
    pub group: String,
    /// The rig recording's name: the stem, or the folder's name (the video's own stem with
    /// `group = "time"`, until it joins its recording).
    pub stem: String,
    /// The video's sub folders and stem below its device folder (what a `calibration` with a
    /// '/' matches); the group key with `group = "folder"`.
    pub place: String,
}

impl Member<'_> {
    /// Whether the video is a calibration video of its rig.
    pub fn calibration(&self) -> bool {
        self.rig.is_calibration_at(&self.stem, &self.place)
    }

    /// Whether its recording is found by time (`group = "time"`).
    pub fn by_time(&self) -> bool {
        matches!(self.rig.group, Grouping::Time { .. })
    }
}

/// The rig recording a video of `device`, in folder `dir`, with `stem`, belongs to; `None`
/// for a single-camera device's video.
pub fn member<'a>(
    watches: &[WatchConfig],
    rigs: &'a [MulticamConfig],
    device: &str,
    dir: &Path,
    stem: &str,
) -> Option<Member<'a>> {
    if let Some(rig) = rigs
        .iter()
        .find(|r| r.group.by_device_folder() && r.has_device(device))
    {
        let sub = crate::detect::scan::subdir(watches, dir);
        let place = if sub.is_empty() {
            stem.to_string()
        } else {
            format!("{sub}/{stem}")
        };
        let group = match rig.group {
            Grouping::Time { .. } => String::new(),
            _ => place.clone(),
        };
        return Some(Member {
            rig,
            camera: device.to_string(),
            group,
            stem: stem.to_string(),
            place,
        });
    }
    let rig = rigs
        .iter()
        .find(|r| r.group == Grouping::Folder && r.has_device(stem))?;
    let folder = dir.file_name()?.to_str()?.to_string();
    let group = below_watch(watches, dir)?;
    Some(Member {
        rig,
        camera: stem.to_string(),
        place: group.clone(),
        group,
        stem: folder,
    })
}

/// `dir` below the watch path that holds it, '/'-separated; `None` for a watch path itself.
fn below_watch(watches: &[WatchConfig], dir: &Path) -> Option<String> {
    let w = watches.iter().find(|w| dir.starts_with(&w.path))?;
    let rel = dir.strip_prefix(&w.path).ok()?;
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether a rig recording's cameras are complete, as of `now_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formation {
    /// Every camera came: made now.
    Complete,
    /// `wait_secs` passed with at least two: made now without `missing`.
    Partial { missing: Vec<String> },
    /// Some are still to come: look again at `until_ms`.
    Wait { until_ms: i64 },
    /// `wait_secs` passed with fewer than two: it cannot be made.
    TooFew { reason: String },
}

/// Decides the formation of a rig recording whose cameras `present` came, the first at
/// `first_ms`.
pub fn form(rig: &MulticamConfig, present: &[&str], first_ms: i64, now_ms: i64) -> Formation {
    let missing: Vec<String> = rig
        .labels()
        .filter(|l| !present.contains(l))
        .map(str::to_string)
        .collect();
    if missing.is_empty() {
        return Formation::Complete;
    }
    let until_ms = first_ms.saturating_add(rig.wait.as_millis() as i64);
    if now_ms < until_ms {
        return Formation::Wait { until_ms };
    }
    if present.len() >= 2 {
        return Formation::Partial { missing };
    }
    Formation::TooFew {
        reason: format!(
            "only {} of rig {}'s cameras recorded within wait_secs ({} s; missing: {}); a multicam take needs at least two: copy the missing videos into their folders (or raise wait_secs), then `move-ingest retry` looks again",
            present.len(),
            rig.name,
            rig.wait.as_secs(),
            missing.join(", ")
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{ApiQuestions, DeviceLabel, RigDevice, SyncMethod, VolumeSource};
    use std::time::Duration;

    fn rig(group: Grouping) -> MulticamConfig {
        MulticamConfig {
            name: "stage-a".into(),
            devices: ["cam-1", "cam-2", "cam-3"]
                .iter()
                .map(|l| RigDevice {
                    label: l.to_string(),
                    lens: "lens".into(),
                })
                .collect(),
            group,
            sync: SyncMethod::None,
            wait: Duration::from_secs(10),
            volume: VolumeSource::Pinned("v".into()),
            job: None,
            ask: ApiQuestions::default(),
        }
    }

    #[test]
    fn complete_when_every_camera_came_else_after_wait_secs_with_two() {
        let r = rig(Grouping::Stem);
        assert_eq!(
            form(&r, &["cam-1", "cam-2", "cam-3"], 0, 0),
            Formation::Complete
        );
        assert_eq!(
            form(&r, &["cam-1", "cam-2"], 1_000, 5_000),
            Formation::Wait { until_ms: 11_000 }
        );
        assert_eq!(
            form(&r, &["cam-1", "cam-3"], 1_000, 11_000),
            Formation::Partial {
                missing: vec!["cam-2".into()]
            }
        );
        let Formation::TooFew { reason } = form(&r, &["cam-2"], 0, 10_000) else {
            panic!()
        };
        assert!(reason.contains("missing: cam-1, cam-3") && reason.contains("retry"));
    }

    #[test]
    fn members_by_stem_and_by_folder() {
        let ws = [WatchConfig {
            path: "/srv/c".into(),
            device_label: DeviceLabel::FromDir,
            rescan_secs: 300,
            max_depth: 2,
            follow_symlinks: false,
            min_free_percent: 10,
        }];
        let rigs = [rig(Grouping::Stem)];
        let m = member(&ws, &rigs, "cam-2", Path::new("/srv/c/cam-2/day1"), "act").unwrap();
        assert_eq!((m.camera.as_str(), m.group.as_str()), ("cam-2", "day1/act"));
        let other = member(&ws, &rigs, "cam-9", Path::new("/srv/c/cam-9"), "act");
        assert!(other.is_none());
        let rigs = [rig(Grouping::Folder)];
        let m = member(&ws, &rigs, "day1", Path::new("/srv/c/day1/act-01"), "cam-1").unwrap();
        assert_eq!(
            (m.camera.as_str(), m.group.as_str(), m.stem.as_str()),
            ("cam-1", "day1/act-01", "act-01")
        );
        let other = member(&ws, &rigs, "day1", Path::new("/srv/c/day1/act-01"), "x");
        assert!(other.is_none());
    }
}
