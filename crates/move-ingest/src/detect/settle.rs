//! When a file is complete: its mtime is at least `settle_secs` old, or its size and mtime
//! held still for `settle_secs`; the service's `Settler` and the one-shot `Walked` both use it.
//!
//! One rule, two ways of applying it, sharing [`old_enough`] and [`recheck`]:
//! - [`old_enough`]: a file last modified at least the settle time ago is complete (a file
//!   dated in the future, a clock that is ahead, never is);
//! - otherwise it is watched for the settle time, and [`recheck`] says whether its size and
//!   mtime (and inode) held still meanwhile: then it is complete.
//!
//! [`Settler`] applies it for `run`, timer-driven (the caller sleeps until `next_due`), never
//! polling: every event touching a file starts its wait again, and a writer closing the file
//! shortens the wait to a short confirmation only (if size and mtime are still the same then,
//! and no other event came, it is complete). Its `offer` takes in what a scan found (`run`'s
//! first scan and rescans): old enough is complete, anything else starts its wait.
//!
//! [`Walked`] applies it to a folder walked once (`backfill`, `backfill --dry-run`,
//! `reconcile`): old enough is complete; a file dated in the future is watched for the settle
//! time once (`Walked::watch`), taken on trust by a dry run, or not complete (`Walked::at`);
//! a newer file is not complete (the next run takes it).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::model::facts::{Completeness, Facts, Found};

/// The longest wait after a close-after-write before the file counts as complete.
const CLOSE_CONFIRM: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Pending {
    facts: Facts,
    due: Instant,
}

/// Files being written (pending) and files that settled but were not yet taken up.
#[derive(Debug)]
pub struct Settler {
    settle: Duration,
    pending: HashMap<PathBuf, Pending>,
    settled: HashMap<PathBuf, Facts>,
}

impl Settler {
    /// A settler with the configured settle time.
    pub fn new(settle: Duration) -> Settler {
        Settler {
            settle,
            pending: HashMap::new(),
            settled: HashMap::new(),
        }
    }

    /// An event touched `path`: its wait starts again. Returns false when the file is gone
    /// (deleted or renamed away).
    pub fn touch(&mut self, path: &Path, closed: bool, now: Instant) -> bool {
        let Ok(facts) = Facts::stat(path) else {
            self.forget(path);
            return false;
        };
        let wait = if closed {
            CLOSE_CONFIRM.min(self.settle)
        } else {
            self.settle
        };
        tracing::debug!(path = %path.display(), size = facts.size, closed, "settling");
        self.settled.remove(path);
        self.pending.insert(
            path.to_path_buf(),
            Pending {
                facts,
                due: now + wait,
            },
        );
        true
    }

    /// Whether a file found by a scan is complete. A file that is not being watched and is
    /// older than the settle time is; a newer one starts its wait now.
    pub fn offer(&mut self, path: &Path, facts: &Facts, wall: SystemTime, now: Instant) -> bool {
        if self.pending.contains_key(path) {
            return false;
        }
        if self
            .settled
            .get(path)
            .is_some_and(|f| f.same_version(facts))
        {
            return true;
        }
        if old_enough(facts, wall, self.settle) {
            return true;
        }
        tracing::debug!(path = %path.display(), size = facts.size, "found by a scan; settling");
        self.pending.insert(
            path.to_path_buf(),
            Pending {
                facts: facts.clone(),
                due: now + self.settle,
            },
        );
        false
    }

    /// When the next pending file is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.due).min()
    }

    /// Checks every due file: unchanged ones are complete (returned), changed ones wait again,
    /// vanished ones are dropped.
    pub fn due(&mut self, now: Instant) -> Vec<PathBuf> {
        let due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(path, _)| path.clone())
            .collect();
        let mut complete = Vec::new();
        for path in due {
            let Some(p) = self.pending.remove(&path) else {
                continue;
            };
            match recheck(&path, &p.facts) {
                Recheck::Held(facts) => {
                    tracing::debug!(path = %path.display(), size = facts.size, "settled");
                    self.settled.insert(path.clone(), facts);
                    complete.push(path);
                }
                Recheck::Changed(facts) => {
                    tracing::debug!(path = %path.display(), size = facts.size, "still changing");
                    let due = now + self.settle;
                    self.pending.insert(path, Pending { facts, due });
                }
                Recheck::Gone(e) => {
                    tracing::debug!(path = %path.display(), "gone while settling: {e}");
                    // Vanished paths are reported too: the caller re-checks the recording.
                    complete.push(path);
                }
            }
        }
        complete
    }

    /// Drops what is known about `path` (taken up by the state, or gone).
    pub fn forget(&mut self, path: &Path) {
        self.pending.remove(path);
        self.settled.remove(path);
    }

    /// Drops every file below `dir` (a folder was removed).
    pub fn forget_under(&mut self, dir: &Path) {
        self.pending.retain(|p, _| !p.starts_with(dir));
        self.settled.retain(|p, _| !p.starts_with(dir));
    }

    /// How many files are still being written.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Complete by age: last modified at least `settle` before `wall` (a file dated in the
/// future never is; it has to hold still instead, see [`recheck`]).
pub fn old_enough(facts: &Facts, wall: SystemTime, settle: Duration) -> bool {
    facts.age(wall) >= settle
}

/// A file that waited for the settle time, as it is now.
#[derive(Debug)]
pub enum Recheck {
    /// Same size, mtime, inode and device as before the wait: complete.
    Held(Facts),
    /// It changed meanwhile: not complete, it waits again.
    Changed(Facts),
    /// It cannot be read any more (deleted or renamed away).
    Gone(std::io::Error),
}

/// Stats `path` afresh and compares it with `before`, what it looked like when its wait began.
pub fn recheck(path: &Path, before: &Facts) -> Recheck {
    match Facts::stat(path) {
        Ok(facts) if facts.same_version(before) => Recheck::Held(facts),
        Ok(facts) => Recheck::Changed(facts),
        Err(e) => Recheck::Gone(e),
    }
}

/// The settle rule for a folder walked once: which files of each find are complete as of one
/// moment, with no events to watch (see the module doc).
#[derive(Debug)]
pub struct Walked {
    settle: Duration,
    now: SystemTime,
    /// Files dated in the future that count as complete (held still, or taken on trust).
    held: HashSet<PathBuf>,
}

impl Walked {
    /// As of `now`, without waiting: a file dated in the future is not complete.
    pub fn at(now: SystemTime, settle: Duration) -> Walked {
        Walked {
            settle,
            now,
            held: HashSet::new(),
        }
    }

    /// As of `now`, without waiting, taking every file of `found` dated in the future as held
    /// still (a dry run, which says what a real run would most likely do).
    pub fn trusting_future(found: &[Found], now: SystemTime, settle: Duration) -> Walked {
        let held = future_files(found, now).map(|(path, _)| path).collect();
        Walked { settle, now, held }
    }

    /// As of `now`: files dated in the future can never grow older than the settle time, so
    /// they are watched for `settle` (this sleeps) and those that held still count as complete.
    pub async fn watch(found: &[Found], now: SystemTime, settle: Duration) -> Walked {
        let future: Vec<(PathBuf, Facts)> = future_files(found, now).collect();
        let mut walked = Walked::at(now, settle);
        if future.is_empty() {
            return walked;
        }
        tracing::info!(
            files = future.len(),
            settle_secs = settle.as_secs(),
            "files dated in the future (a clock that is ahead?): they count as complete if their size and mtime hold still for the settle time"
        );
        tokio::time::sleep(settle).await;
        walked.held = future
            .into_iter()
            .filter(|(path, facts)| matches!(recheck(path, facts), Recheck::Held(_)))
            .map(|(path, _)| path)
            .collect();
        walked
    }

    /// Whether each file of `found` is complete: old enough, or dated in the future and held.
    pub fn completeness(&self, found: &Found) -> Completeness {
        let complete = |s: &Option<crate::model::facts::Seen>| {
            s.as_ref().is_some_and(|s| {
                old_enough(&s.facts, self.now, self.settle)
                    || self.held.contains(&found.path(&s.facts.name))
            })
        };
        Completeness {
            video: complete(&found.video),
            sidecar: complete(&found.sidecar),
        }
    }
}

/// The files of `found` dated after `now`, with their paths.
fn future_files(found: &[Found], now: SystemTime) -> impl Iterator<Item = (PathBuf, Facts)> + '_ {
    found.iter().flat_map(move |f| {
        [&f.video, &f.sidecar]
            .into_iter()
            .flatten()
            .filter(move |s| s.facts.is_future(now))
            .map(|s| (f.path(&s.facts.name), s.facts.clone()))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_settles_only_after_holding_still() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.mp4");
        std::fs::write(&path, b"one").unwrap();
        let mut s = Settler::new(Duration::from_secs(2));
        let t0 = Instant::now();
        assert!(s.touch(&path, false, t0));
        assert!(s.due(t0 + Duration::from_secs(1)).is_empty());
        std::fs::write(&path, b"one two").unwrap();
        assert!(
            s.due(t0 + Duration::from_secs(2)).is_empty(),
            "changed: waits again"
        );
        assert_eq!(s.next_due(), Some(t0 + Duration::from_secs(4)));
        assert_eq!(s.due(t0 + Duration::from_secs(4)), vec![path.clone()]);
        assert_eq!(s.pending(), 0);
    }

    #[tokio::test]
    async fn a_close_shortens_the_wait_and_a_new_file_from_a_scan_waits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.mp4");
        std::fs::write(&path, b"x").unwrap();
        let mut s = Settler::new(Duration::from_secs(5));
        let t0 = Instant::now();
        assert!(s.touch(&path, true, t0));
        assert_eq!(s.next_due(), Some(t0 + CLOSE_CONFIRM));
        s.forget(&path);
        let facts = Facts::stat(&path).unwrap();
        assert!(!s.offer(&path, &facts, SystemTime::now(), t0));
        assert!(
            !s.offer(&path, &facts, SystemTime::now(), t0),
            "still pending"
        );
        let later = SystemTime::now() + Duration::from_secs(60);
        let mut s = Settler::new(Duration::from_secs(5));
        assert!(s.offer(&path, &facts, later, t0), "old enough");
    }

    fn found_in(dir: &Path, names: (&str, Option<&str>)) -> Found {
        let seen = |name: &str| crate::model::facts::Seen {
            kind: crate::model::facts::classify(name).unwrap().1,
            facts: Facts::stat(&dir.join(name)).unwrap(),
        };
        Found {
            dir: dir.to_path_buf(),
            device: "cam".into(),
            stem: "a".into(),
            video: Some(seen(names.0)),
            sidecar: names.1.map(seen),
        }
    }

    #[test]
    fn a_walked_file_is_complete_once_old_enough_like_the_settlers() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"v").unwrap();
        std::fs::write(dir.path().join("a.move"), b"m").unwrap();
        let found = found_in(dir.path(), ("a.mp4", Some("a.move")));
        let settle = Duration::from_secs(5);
        let now = SystemTime::now();
        let done = Walked::at(now, settle).completeness(&found);
        assert!(!done.video && !done.sidecar && !done.ready(&found));
        let later = now + Duration::from_secs(60);
        let done = Walked::at(later, settle).completeness(&found);
        assert!(done.ready(&found));
        let facts = &found.video.as_ref().unwrap().facts;
        let mut s = Settler::new(settle);
        let path = dir.path().join("a.mp4");
        assert!(
            s.offer(&path, facts, later, Instant::now()),
            "the same rule"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_walked_file_dated_in_the_future_counts_once_it_held_still() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"v").unwrap();
        let found = [found_in(dir.path(), ("a.mp4", None))];
        let settle = Duration::from_secs(5);
        // The file's mtime is "now"; a walk dated an hour earlier sees it in the future.
        let before = SystemTime::now() - Duration::from_secs(3600);
        assert!(!Walked::at(before, settle).completeness(&found[0]).video);
        let trusted = Walked::trusting_future(&found, before, settle);
        assert!(trusted.completeness(&found[0]).ready(&found[0]));
        let watched = Walked::watch(&found, before, settle).await;
        assert!(
            watched.completeness(&found[0]).ready(&found[0]),
            "held still"
        );
        std::fs::write(dir.path().join("a.mp4"), b"longer").unwrap();
        let watched = Walked::watch(&found, before, settle).await;
        assert!(!watched.completeness(&found[0]).video, "changed meanwhile");
    }
}
