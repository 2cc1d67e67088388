//! Pairing: a complete video waits up to `move_wait_secs` for `<stem>.move` in its folder (without
//! limit when `require_move`), a `.move` that comes first waits for its video, and only then is
//! the recording handed to the state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::config::PairingConfig;
use crate::detect::settle::Settler;
use crate::model::facts::Completeness;
use crate::model::facts::{Found, Seen};

/// A recording: its folder and stem.
pub type Key = (PathBuf, String);

/// What to do with a recording's files as they are now.
#[derive(Debug, Clone, Copy)]
pub enum Decision {
    /// Hand it to the state (`Ingest::consider`) with this completeness.
    Consider(Completeness),
    /// A file is still being written, or the video waits for its `.move`.
    Wait,
    /// No file of it is left.
    Nothing,
}

/// A video waiting for its `.move`: its device label, and until when (`None`: without limit).
#[derive(Debug)]
struct Wait {
    device: String,
    until: Option<Instant>,
}

/// A video waiting for its `.move`, as `status` shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WaitingVideo {
    pub dir: PathBuf,
    pub stem: String,
    pub device: String,
    /// RFC 3339; `None`: without limit (`pairing.require_move`).
    pub until: Option<String>,
}

/// The videos that wait for their `.move`.
#[derive(Debug)]
pub struct Pairing {
    settle: Duration,
    move_wait: Duration,
    require_move: bool,
    waits: HashMap<Key, Wait>,
    /// Changes with every wait begun or ended (the service then republishes the waits).
    generation: u64,
}

impl Pairing {
    /// Pairing as the config says.
    pub fn new(settle_secs: u64, cfg: &PairingConfig) -> Pairing {
        Pairing {
            settle: Duration::from_secs(settle_secs),
            move_wait: Duration::from_secs(cfg.move_wait_secs),
            require_move: cfg.require_move,
            waits: HashMap::new(),
            generation: 0,
        }
    }

    /// Decides about `found` (fresh from disk). `recorded`: the state already holds this
    /// very video, so there is no `.move` to wait for (it was waited for before).
    pub fn decide(
        &mut self,
        found: &Found,
        settler: &mut Settler,
        recorded: bool,
        wall: SystemTime,
        now: Instant,
    ) -> Decision {
        let key = (found.dir.clone(), found.stem.clone());
        let mut complete = |s: &Option<Seen>| {
            s.as_ref()
                .map(|s| settler.offer(&found.path(&s.facts.name), &s.facts, wall, now))
        };
        let (video, sidecar) = (complete(&found.video), complete(&found.sidecar));
        let consider = |video, sidecar| Decision::Consider(Completeness { video, sidecar });
        if (video, sidecar) == (Some(true), None) {
            return self.video_alone(key, found, recorded, wall, now);
        }
        // Any other state ends a wait: a file still settling brings the recording back
        // when it settles (and a video that settles again starts a new wait).
        self.end_wait(&key);
        match (video, sidecar) {
            (None, None) => Decision::Nothing,
            // A .move alone is recorded as waiting for its video.
            (None, Some(true)) => consider(false, true),
            (Some(true), Some(true)) => consider(true, true),
            _ => Decision::Wait,
        }
    }

    /// A complete video without a `.move`: waits for it, up to the limit.
    fn video_alone(
        &mut self,
        key: Key,
        found: &Found,
        recorded: bool,
        wall: SystemTime,
        now: Instant,
    ) -> Decision {
        let take = Decision::Consider(Completeness {
            video: true,
            sidecar: false,
        });
        if recorded {
            self.end_wait(&key);
            return take;
        }
        // Time already spent since the video settled counts (a video found at start-up).
        let age = found
            .video
            .as_ref()
            .map_or(Duration::ZERO, |v| v.facts.age(wall));
        let left = self
            .move_wait
            .saturating_sub(age.saturating_sub(self.settle));
        let require = self.require_move;
        let generation = &mut self.generation;
        let wait = self.waits.entry(key.clone()).or_insert_with(|| {
            *generation += 1;
            let until = (!require).then(|| now + left);
            match until {
                Some(u) => tracing::info!(device = %found.device, stem = %found.stem, until = %humantime::format_rfc3339_seconds(wall + u.duration_since(now)), "video complete; waiting {}s for its .move", u.duration_since(now).as_secs()),
                None => tracing::info!(device = %found.device, stem = %found.stem, "video complete; waiting for its .move (pairing.require_move)"),
            }
            Wait {
                device: found.device.clone(),
                until,
            }
        });
        let until = wait.until;
        match until {
            Some(until) if until <= now => {
                self.end_wait(&key);
                tracing::info!(device = %found.device, stem = %found.stem, "no .move came; the take is made without one");
                take
            }
            _ => Decision::Wait,
        }
    }

    /// When the next wait ends.
    pub fn next_due(&self) -> Option<Instant> {
        self.waits.values().filter_map(|w| w.until).min()
    }

    /// The recordings whose wait has ended, with their device label (the caller decides
    /// about them again).
    pub fn due(&self, now: Instant) -> Vec<(Key, String)> {
        self.waits
            .iter()
            .filter(|(_, w)| w.until.is_some_and(|u| u <= now))
            .map(|(k, w)| (k.clone(), w.device.clone()))
            .collect()
    }

    /// Drops the waits below `dir` (a folder was removed).
    pub fn forget_under(&mut self, dir: &Path) {
        let before = self.waits.len();
        self.waits.retain(|(d, _), _| !d.starts_with(dir));
        if self.waits.len() != before {
            self.generation += 1;
        }
    }

    /// Ends any wait for this folder and stem (its recording is already done).
    pub fn forget(&mut self, dir: &Path, stem: &str) {
        self.end_wait(&(dir.to_path_buf(), stem.to_string()));
    }

    fn end_wait(&mut self, key: &Key) {
        if self.waits.remove(key).is_some() {
            self.generation += 1;
        }
    }

    /// Changes whenever a wait begins or ends.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The videos waiting now, with until when in wall-clock time (for `status`).
    pub fn waiting_videos(&self, now: Instant, wall: SystemTime) -> Vec<WaitingVideo> {
        self.waits
            .iter()
            .map(|((dir, stem), w)| WaitingVideo {
                dir: dir.clone(),
                stem: stem.clone(),
                device: w.device.clone(),
                until: w.until.map(|u| {
                    humantime::format_rfc3339_seconds(wall + u.saturating_duration_since(now))
                        .to_string()
                }),
            })
            .collect()
    }

    /// How many videos wait for their `.move`.
    pub fn waiting(&self) -> usize {
        self.waits.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::facts::{Facts, Kind};

    fn found(video: bool, sidecar: bool, age: Duration) -> Found {
        let seen = |name: &str, kind| Seen {
            kind,
            facts: Facts {
                name: name.into(),
                size: 1,
                mtime_ns: (SystemTime::now() - age)
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as i64,
                inode: 1,
                dev: 1,
            },
        };
        Found {
            dir: "/nonexistent/cam".into(),
            device: "cam".into(),
            stem: "a".into(),
            video: video.then(|| seen("a.mp4", Kind::Mp4)),
            sidecar: sidecar.then(|| seen("a.move", Kind::Move)),
        }
    }

    fn cfg(require_move: bool) -> PairingConfig {
        PairingConfig {
            settle_secs: 2,
            move_wait_secs: 10,
            require_move,
        }
    }

    #[tokio::test]
    async fn a_video_waits_for_its_move_then_goes_alone() {
        let mut p = Pairing::new(2, &cfg(false));
        let mut s = Settler::new(Duration::from_secs(2));
        let now = Instant::now();
        let f = found(true, false, Duration::from_secs(3));
        assert!(matches!(
            p.decide(&f, &mut s, false, SystemTime::now(), now),
            Decision::Wait
        ));
        assert!(p.due(now + Duration::from_secs(8)).is_empty());
        let later = now + Duration::from_secs(10);
        assert_eq!(p.due(later).len(), 1);
        assert!(matches!(
            p.decide(&f, &mut s, false, SystemTime::now(), later),
            Decision::Consider(Completeness {
                video: true,
                sidecar: false
            })
        ));
        assert_eq!(p.waiting(), 0);
        let both = found(true, true, Duration::from_secs(3));
        assert!(matches!(
            p.decide(&both, &mut s, false, SystemTime::now(), now),
            Decision::Consider(Completeness {
                video: true,
                sidecar: true
            })
        ));
    }

    #[tokio::test]
    async fn require_move_waits_without_limit_and_old_videos_do_not_wait() {
        let now = Instant::now();
        let mut s = Settler::new(Duration::from_secs(2));
        let mut p = Pairing::new(2, &cfg(true));
        let old = found(true, false, Duration::from_secs(3600));
        assert!(matches!(
            p.decide(&old, &mut s, false, SystemTime::now(), now),
            Decision::Wait
        ));
        assert_eq!(p.next_due(), None);
        let mut p = Pairing::new(2, &cfg(false));
        assert!(matches!(
            p.decide(&old, &mut s, false, SystemTime::now(), now),
            Decision::Consider(_)
        ));
        let alone = found(false, true, Duration::from_secs(3600));
        assert!(matches!(
            p.decide(&alone, &mut s, false, SystemTime::now(), now),
            Decision::Consider(Completeness {
                video: false,
                sidecar: true
            })
        ));
    }

    #[tokio::test]
    async fn a_move_still_being_written_ends_the_wait_so_no_timer_spins() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Pairing::new(2, &cfg(false));
        let mut s = Settler::new(Duration::from_secs(2));
        let now = Instant::now();
        let mut f = found(true, false, Duration::from_secs(3));
        f.dir = dir.path().to_path_buf();
        assert!(matches!(
            p.decide(&f, &mut s, false, SystemTime::now(), now),
            Decision::Wait
        ));
        assert_eq!(p.waiting(), 1);
        f.sidecar = found(false, true, Duration::ZERO).sidecar;
        let later = now + Duration::from_secs(20);
        assert!(matches!(
            p.decide(&f, &mut s, false, SystemTime::now(), later),
            Decision::Wait
        ));
        assert_eq!((p.waiting(), p.next_due()), (0, None));
        assert_eq!(s.pending(), 1, "the .move settles first");
    }
}
