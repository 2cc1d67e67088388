//! Watch paths and device folders that vanish and return (the rules: `detect::presence`):
//! looked at every `PROBE_EVERY`, and at once when an event names one. A missing one is
//! warned about, shown by `status`, the page, `/api/status`, `/healthz` (503) and
//! `move_ingest_watch_path_up` (0); its recordings wait. When it is back, its watch is armed
//! again, it is scanned and its recordings are taken up, with no restart.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Service;
use crate::config::WatchConfig;
use crate::detect::presence::{self, Change, Presence, Seen};
use crate::ingest::Fatal;

/// A look that takes longer than this (a hung network share) is left to finish on its own;
/// no other starts meanwhile.
const LOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// What one look saw: each path's folder, and each `from-dir` watch path's device folders.
type Looks = (Vec<(PathBuf, Seen)>, Vec<(PathBuf, Vec<PathBuf>)>);

/// The presence rules' state and when to look next.
pub(super) struct Places {
    presence: Presence,
    next: Instant,
    /// The device folders of unfinished recordings are expected once, at the first look.
    expected: bool,
    /// A look that outlasted `LOOK_TIMEOUT`.
    stuck: Option<JoinHandle<Looks>>,
}

impl Places {
    /// Looks at once.
    pub(super) fn new(now: Instant) -> Places {
        Places {
            presence: Presence::new(),
            next: now,
            expected: false,
            stuck: None,
        }
    }

    /// When to look next.
    pub(super) fn next_due(&self) -> Instant {
        self.next
    }
}

/// Looks at every watch path, its device folders (listed now) and the folders tracked before.
fn look_all(watches: &[WatchConfig], tracked: &[PathBuf]) -> Looks {
    let mut seen = Vec::new();
    let mut lists = Vec::new();
    for w in watches {
        seen.push((w.path.clone(), presence::look(&w.path)));
        if w.fixed_label().is_none() {
            let listed = presence::list(&w.path);
            for dir in &listed {
                seen.push((dir.clone(), presence::look(dir)));
            }
            lists.push((w.path.clone(), listed));
        }
    }
    for dir in tracked {
        if !seen.iter().any(|(p, _)| p == dir) {
            seen.push((dir.clone(), presence::look(dir)));
        }
    }
    (seen, lists)
}

impl Service {
    /// An event named `path`: if it is a watch path or a device folder (deleted, created),
    /// look at once. Events on files never do.
    pub(super) fn place_hint(&mut self, path: &Path) {
        let named = self.cfg.watch.iter().any(|w| {
            path == w.path || (w.fixed_label().is_none() && path.parent() == Some(w.path.as_path()))
        });
        if named {
            self.places.next = Instant::now();
        }
    }

    /// Looks at the watch paths and device folders when due, and acts on what changed.
    pub(super) async fn look_at_places(&mut self, now: Instant) -> Result<(), Fatal> {
        if self.places.next > now {
            return Ok(());
        }
        self.places.next = now + presence::PROBE_EVERY;
        if let Some(stuck) = &self.places.stuck {
            if !stuck.is_finished() {
                return Ok(());
            }
            self.places.stuck = None;
        }
        if !self.places.expected {
            self.places.expected = true;
            for id in self.ingest.unfinished()? {
                let Some(rec) = self.ingest.recording(&id)? else {
                    continue;
                };
                let Some(d) = presence::device_folder(&rec.dir, &self.cfg.watch) else {
                    continue;
                };
                // Its files were on another device than the empty folder there now: a
                // drive not mounted since before this start.
                let file_dev = [&rec.video, &rec.sidecar]
                    .into_iter()
                    .flatten()
                    .map(|s| s.facts.dev)
                    .next();
                let unmounted = file_dev.is_some_and(|dev| {
                    presence::empty_mount_point(presence::look(&d), dev, presence::is_empty(&d))
                });
                self.places.presence.expect(&d, unmounted);
            }
        }
        let watches = self.cfg.watch.clone();
        let tracked: Vec<PathBuf> = self
            .places
            .presence
            .up()
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let mut handle = tokio::task::spawn_blocking(move || look_all(&watches, &tracked));
        let (seen, lists) = match tokio::time::timeout(LOOK_TIMEOUT, &mut handle).await {
            Ok(Ok(looks)) => looks,
            Ok(Err(e)) => {
                tracing::warn!(
                    "looking at the watch paths stopped unexpectedly: {e}; trying again shortly"
                );
                return Ok(());
            }
            Err(_) => {
                tracing::warn!(
                    "looking at the watch paths and device folders took over {} s (a network share that hangs?); trying again once that look ends",
                    LOOK_TIMEOUT.as_secs()
                );
                self.places.stuck = Some(handle);
                return Ok(());
            }
        };
        let look = |p: &Path| {
            seen.iter()
                .find(|(q, _)| q == p)
                .map_or(Seen::Absent, |(_, s)| *s)
        };
        let list = |root: &Path| {
            lists
                .iter()
                .find(|(r, _)| r == root)
                .map(|(_, l)| l.clone())
                .unwrap_or_default()
        };
        let changes = self
            .places
            .presence
            .round(&self.cfg.watch, SystemTime::now(), look, list);
        for change in changes {
            self.place_changed(change).await?;
        }
        self.publish_places();
        Ok(())
    }

    /// Acts on one change: warn and hold, or watch, scan and take up again.
    async fn place_changed(&mut self, change: Change) -> Result<(), Fatal> {
        let root = self.cfg.watch.iter().position(|w| w.path == change.path());
        match change {
            Change::Lost { path, why } => {
                tracing::warn!(
                    path = %path.display(),
                    "{} {} {}; its recordings wait (nothing is failed or marked gone, no [after_take] runs) and are taken up by themselves once it is back: mount the drive or share again, or re-create the folder",
                    if root.is_some() { "watch path" } else { "device folder" },
                    path.display(),
                    why.words()
                );
                if root.is_some() {
                    self.watch.forget(&path);
                }
                self.settler.forget_under(&path);
                self.pairing.forget_under(&path);
            }
            Change::Back { path } | Change::Replaced { path } => {
                tracing::info!(path = %path.display(), "{} {} is there again: watching and scanning it", if root.is_some() { "watch path" } else { "device folder" }, path.display());
                self.watch.rearm(&path, root.is_some());
                match root {
                    Some(index) => self.scan_watch(index).await?,
                    None => {
                        if let Some(super::Place::Folder {
                            dir, device, walk, ..
                        }) = super::locate(&self.cfg.watch, &path)
                        {
                            self.folder_scans.push((Instant::now(), dir, device, walk));
                        }
                    }
                }
                self.take_up_under(&path)?;
            }
        }
        Ok(())
    }

    /// The unfinished recordings under `path` (waiting for it, or with an `[after_take]`
    /// step left) are taken up now rather than at their next retry.
    fn take_up_under(&mut self, path: &Path) -> Result<(), Fatal> {
        let mut again = 0;
        for id in self.ingest.unfinished()? {
            let under = self
                .ingest
                .recording(&id)?
                .is_some_and(|r| r.dir.starts_with(path));
            if under && !self.waiting.api_down() {
                self.waiting.remove(&id);
                self.workers.push(id);
                again += 1;
            }
        }
        if again > 0 {
            tracing::info!(path = %path.display(), recordings = again, "taking up the recordings that waited for it");
        }
        Ok(())
    }

    /// The missing paths for systemd's STATUS line, if any.
    pub(super) fn places_status(&self) -> Option<String> {
        let missing = self.places.presence.missing();
        let paths: Vec<String> = missing
            .iter()
            .map(|m| m.path.display().to_string())
            .collect();
        (!paths.is_empty()).then(|| format!("watch path missing: {}", paths.join(", ")))
    }

    /// Tells the operator's views: the monitor (`/healthz`, the page, `/api/status`), the
    /// metric, and `status` (through the notices file).
    fn publish_places(&mut self) {
        let p = &self.places.presence;
        let missing = p.missing();
        for (path, up) in p.up() {
            self.ingest.monitor().metrics.set_path_up(&path, up);
        }
        self.ingest
            .monitor()
            .set_places(missing.clone(), p.mount_points());
        if self.notices.missing(missing) {
            self.notices.save(&self.cfg.state.dir);
        }
    }
}
