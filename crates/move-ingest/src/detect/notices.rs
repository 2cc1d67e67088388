//! Warnings that `status` shows beside the state: symbolic links the scans skipped and watch
//! paths low on free space. `run` and `backfill` keep them in `<state dir>/notices.json`
//! (written whole: a temporary file renamed over it); each new one is logged once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::WatchConfig;

const FILE: &str = "notices.json";

/// What the daemon wants the user to know about the capture folders.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notices {
    /// Symbolic links that were not followed (`watch.follow_symlinks = false`).
    #[serde(default)]
    pub skipped_symlinks: BTreeSet<PathBuf>,
    /// Watch paths whose filesystem has less than `watch.min_free_percent` free, with the warning.
    #[serde(default)]
    pub low_space: BTreeMap<PathBuf, String>,
}

impl Notices {
    /// The notices a `run` or `backfill` left in `state_dir` (none when there is no file).
    pub fn load(state_dir: &Path) -> Notices {
        std::fs::read(state_dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes them to `state_dir`; a failure is logged (they are warnings, not state).
    pub fn save(&self, state_dir: &Path) {
        let path = state_dir.join(FILE);
        let written = serde_json::to_vec_pretty(self).map_err(std::io::Error::other);
        if let Err(e) = written.and_then(|b| crate::fsutil::write_atomic(&path, &b)) {
            tracing::warn!(path = %path.display(), "cannot write the notices `status` shows: {e}; check that the state dir is writable");
        }
    }

    /// Takes in the links a scan skipped; logs each one the first time. Returns true when
    /// something changed (the caller saves).
    pub fn skipped(&mut self, links: &[PathBuf]) -> bool {
        let mut changed = false;
        for link in links {
            if self.skipped_symlinks.insert(link.clone()) {
                tracing::warn!(path = %link.display(), "skipped a symbolic link: it is not uploaded (watch.follow_symlinks = false); move the file itself into the folder, or set watch.follow_symlinks = true");
                changed = true;
            }
        }
        changed
    }

    /// Checks the free space of every watch path; logs a warning when one gets low and a
    /// note when it has room again. Returns true when something changed.
    pub fn check_space(&mut self, watches: &[WatchConfig]) -> bool {
        let mut changed = false;
        for w in watches {
            match crate::detect::disk::low_space(&w.path, w.min_free_percent) {
                Some(msg) => {
                    if !self.low_space.contains_key(&w.path) {
                        tracing::warn!("{msg}");
                    }
                    changed |= self.low_space.insert(w.path.clone(), msg.clone()) != Some(msg);
                }
                None => {
                    if self.low_space.remove(&w.path).is_some() {
                        tracing::info!(path = %w.path.display(), "the watch path's filesystem has enough free space again");
                        changed = true;
                    }
                }
            }
        }
        changed
    }

    /// The lines `status` prints (empty when all is well).
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .low_space
            .values()
            .map(|m| format!("warning: {m}"))
            .collect();
        out.extend(self.skipped_symlinks.iter().map(|p| {
            format!(
                "skipped symlink: {} is a symbolic link and is not uploaded (watch.follow_symlinks = false)",
                p.display()
            )
        }));
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_new_once_and_the_notices_survive_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = Notices::default();
        let link = PathBuf::from("/srv/cam/a.mp4");
        assert!(n.skipped(std::slice::from_ref(&link)));
        assert!(!n.skipped(std::slice::from_ref(&link)), "reported once");
        n.save(dir.path());
        let back = Notices::load(dir.path());
        assert_eq!(back, n);
        assert!(back.lines()[0].contains("/srv/cam/a.mp4"));
        assert!(back.lines()[0].contains("symbolic link"));
    }
}
