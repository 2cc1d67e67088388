//! Completeness: a file is complete once its size and mtime held still for `settle_secs` with
//! no event touching it; timer-driven (the caller sleeps until `next_due`), never polling.
//!
//! A writer closing the file shortens the wait to a short confirmation only: if size and
//! mtime are still the same then, and no other event came, it is complete.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::model::facts::Facts;

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
        if facts.age(wall) >= self.settle {
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
            match Facts::stat(&path) {
                Ok(facts) if facts.same_version(&p.facts) => {
                    tracing::debug!(path = %path.display(), size = facts.size, "settled");
                    self.settled.insert(path.clone(), facts);
                    complete.push(path);
                }
                Ok(facts) => {
                    tracing::debug!(path = %path.display(), size = facts.size, "still changing");
                    let due = now + self.settle;
                    self.pending.insert(path, Pending { facts, due });
                }
                Err(e) => {
                    tracing::debug!(path = %path.display(), "gone while settling: {e}");
                    // Vanished paths are reported too: the caller re-checks the recording.
                    complete.push(path);
                }
            }
        }
        complete
    }

    /// Drops what is known about `path` (taken up by the journal, or gone).
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
}
