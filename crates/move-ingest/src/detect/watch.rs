//! Filesystem events from notify (inotify on Linux) into tokio through a bounded channel whose
//! overflow policy is a full rescan, never a silent drop.
//!
//! Events are hints; the folder is the truth. Every watch path is watched recursively (notify
//! adds a watch for each new sub folder as it appears; the loop then scans that folder, since
//! files may land in it before its watch exists), and its parent without recursion, so that
//! a watch path removed and re-created is seen again. Symbolic links to folders are watched
//! only when some watch path follows them (`watch.follow_symlinks`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::config::ServiceConfig;

/// How the watcher feeds the loop (`[service]` `event_channel_size` and `ignore_events`).
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Hints that may wait between notify's thread and the loop; when full, the next ones are
    /// dropped and replaced by one full rescan.
    pub event_channel_size: usize,
    /// Ignore every event, so that only scans find files.
    pub ignore_events: bool,
    /// Watch the folders symbolic links point to (some watch path has `follow_symlinks`).
    pub follow_symlinks: bool,
}

impl WatchOptions {
    /// The options `[service]` sets.
    pub fn from_config(cfg: &ServiceConfig) -> WatchOptions {
        WatchOptions {
            event_channel_size: cfg.event_channel_size,
            ignore_events: cfg.ignore_events,
            follow_symlinks: false,
        }
    }
}

const LIMIT_HINT: &str = "the inotify watch limit is reached (fs.inotify.max_user_watches): some folders are not watched, so files there are found only by rescans; raise it with `sysctl fs.inotify.max_user_watches=524288` and keep it in /etc/sysctl.d/90-move-ingest.conf";

/// What one event says, reduced to what the pipeline acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// Something created, wrote, renamed or removed `path`; `closed` when a writer closed it.
    Touched { path: PathBuf, closed: bool },
    /// Events may have been lost: scan everything.
    Rescan { reason: String },
}

/// The recursive watches on the watch paths and the channel their events arrive on.
pub struct Watch {
    watcher: RecommendedWatcher,
    rx: mpsc::Receiver<Hint>,
    overflow: Arc<AtomicBool>,
    watched: HashSet<PathBuf>,
    parents: HashSet<PathBuf>,
}

impl Watch {
    /// Starts the watcher thread; no path is watched until `ensure`.
    pub fn new(options: WatchOptions) -> anyhow::Result<Watch> {
        let capacity = options.event_channel_size.max(1);
        let ignore = options.ignore_events;
        if ignore {
            tracing::warn!(
                "service.ignore_events: filesystem events are ignored; only rescans find files"
            );
        }
        let (tx, rx) = mpsc::channel(capacity);
        let overflow = Arc::new(AtomicBool::new(false));
        let flag = overflow.clone();
        let handler = move |event: notify::Result<notify::Event>| {
            if ignore {
                return;
            }
            for hint in hints(event) {
                if tx.try_send(hint).is_err() {
                    flag.store(true, Ordering::Release);
                }
            }
        };
        let config = notify::Config::default().with_follow_symlinks(options.follow_symlinks);
        let watcher = RecommendedWatcher::new(handler, config).map_err(|e| {
            anyhow::anyhow!(
                "cannot start watching files: {e}; if it says too many open files, raise fs.inotify.max_user_instances (sysctl)"
            )
        })?;
        Ok(Watch {
            watcher,
            rx,
            overflow,
            watched: HashSet::new(),
            parents: HashSet::new(),
        })
    }

    /// The next hint; an overflow since the last one comes first, as one rescan.
    pub async fn next(&mut self) -> Hint {
        if let Some(h) = self.overflowed() {
            return h;
        }
        match self.rx.recv().await {
            Some(h) => h,
            // The sender lives in the watcher we own, so this does not happen; wait forever if it did.
            None => std::future::pending().await,
        }
    }

    /// A hint that is already waiting, without waiting.
    pub fn try_next(&mut self) -> Option<Hint> {
        self.overflowed().or_else(|| self.rx.try_recv().ok())
    }

    fn overflowed(&self) -> Option<Hint> {
        self.overflow
            .swap(false, Ordering::AcqRel)
            .then(|| Hint::Rescan {
                reason: format!("more than {} events were waiting", self.rx.max_capacity()),
            })
    }

    /// Watches `root` recursively if it exists and is not watched yet; its parent (without
    /// recursion) learns when it is created. Returns true when a new watch was added: the
    /// caller then scans `root`, since files written before the watch raised no event.
    pub fn ensure(&mut self, root: &Path) -> bool {
        if let Some(parent) = root.parent()
            && !self.parents.contains(parent)
            && self
                .watcher
                .watch(parent, RecursiveMode::NonRecursive)
                .is_ok()
        {
            self.parents.insert(parent.to_path_buf());
        }
        if self.watched.contains(root) || !root.is_dir() {
            return false;
        }
        match self.watcher.watch(root, RecursiveMode::Recursive) {
            Ok(()) => {
                tracing::debug!(path = %root.display(), "watching");
                self.watched.insert(root.to_path_buf());
                true
            }
            Err(e) => {
                warn_error(&e);
                // Partly watched (e.g. the limit was hit half-way): rescans cover the rest.
                if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                    self.watched.insert(root.to_path_buf());
                }
                false
            }
        }
    }

    /// Forgets a watch path that was removed (inotify already dropped its watches).
    pub fn forget(&mut self, root: &Path) {
        if self.watched.remove(root) {
            let _ = self.watcher.unwatch(root);
        }
    }

    /// Arms the watch on `dir` again (a watch path with `root`, else a device folder below
    /// one): its old watch died with the folder or its mount (inotify says nothing of an
    /// unmount), so it is dropped and added afresh. True when `dir` is watched now.
    pub fn rearm(&mut self, dir: &Path, root: bool) -> bool {
        // Not watched any more, or stale: either way the old descriptors go.
        let _ = self.watcher.unwatch(dir);
        if root {
            self.watched.remove(dir);
            return self.ensure(dir);
        }
        if !dir.is_dir() {
            return false;
        }
        match self.watcher.watch(dir, RecursiveMode::Recursive) {
            Ok(()) => {
                tracing::debug!(path = %dir.display(), "watching again");
                true
            }
            Err(e) => {
                warn_error(&e);
                false
            }
        }
    }

    /// Whether `root` is watched.
    pub fn is_watched(&self, root: &Path) -> bool {
        self.watched.contains(root)
    }
}

/// Turns one notify event into hints; reads (open, close without write) are no hint.
fn hints(event: notify::Result<notify::Event>) -> Vec<Hint> {
    let event = match event {
        Ok(ev) => ev,
        Err(e) => {
            warn_error(&e);
            return vec![Hint::Rescan {
                reason: format!("the watcher reported: {e}"),
            }];
        }
    };
    if event.need_rescan() {
        return vec![Hint::Rescan {
            reason: "the kernel's event queue overflowed".into(),
        }];
    }
    let closed = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => return Vec::new(),
        _ => false,
    };
    event
        .paths
        .into_iter()
        .map(|path| Hint::Touched { path, closed })
        .collect()
}

fn warn_error(e: &notify::Error) {
    if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
        tracing::warn!(paths = ?e.paths, "{LIMIT_HINT}; a full rescan runs now");
    } else {
        tracing::warn!(paths = ?e.paths, "watching files failed: {e}; a full rescan runs now");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, Flag};

    #[test]
    fn reads_are_no_hint_and_overflow_is_a_rescan() {
        let open = notify::Event::new(EventKind::Access(AccessKind::Open(AccessMode::Any)))
            .add_path("/a/b.mp4".into());
        assert!(hints(Ok(open)).is_empty());
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(matches!(hints(Ok(overflow))[..], [Hint::Rescan { .. }]));
        let closed = notify::Event::new(EventKind::Access(AccessKind::Close(AccessMode::Write)))
            .add_path("/a/b.mp4".into());
        assert_eq!(
            hints(Ok(closed)),
            vec![Hint::Touched {
                path: "/a/b.mp4".into(),
                closed: true
            }]
        );
        let created =
            notify::Event::new(EventKind::Create(CreateKind::Folder)).add_path("/a/c".into());
        assert!(matches!(
            hints(Ok(created))[..],
            [Hint::Touched { closed: false, .. }]
        ));
    }
}
