//! What the running process is doing now, for `status` (another process): the files being
//! sent (`sending.json`: "uploading" and how far) and the videos waiting for their `.move`
//! (`waiting.json`), kept in the state dir.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The file's name in the state dir.
pub const FILE: &str = "sending.json";
/// How often a running upload's progress is written (start and end are written at once).
const WRITE_EVERY: Duration = Duration::from_secs(1);

/// What `sending.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sending {
    /// The process sending; its entries mean nothing once it is gone.
    pub pid: u32,
    pub files: Vec<SendingFile>,
}

/// One file being sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendingFile {
    pub path: PathBuf,
    pub sent: u64,
    pub size: u64,
}

/// The writer side: one per sending process. Changes are written by a thread of its own, at
/// most once per `WRITE_GAP` (a backfill of many small files would otherwise write and rename
/// the file four times per recording); the thread sleeps while nothing changes.
#[derive(Debug)]
pub struct Live {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    inner: Mutex<Inner>,
    changed: Condvar,
}

#[derive(Debug)]
struct Inner {
    files: HashMap<u64, SendingFile>,
    next: u64,
    written: Instant,
    /// Something changed since the last write.
    dirty: bool,
    /// The `Live` is gone: write what is left, then stop.
    closed: bool,
}

/// The least time between two writes of the file.
const WRITE_GAP: Duration = Duration::from_millis(250);

impl Live {
    /// Keeps `sending.json` in `state_dir`.
    pub fn new(state_dir: &Path) -> Live {
        let shared = Arc::new(Shared {
            path: state_dir.join(FILE),
            inner: Mutex::new(Inner {
                files: HashMap::new(),
                next: 0,
                written: Instant::now(),
                dirty: false,
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let writer = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("sending".into())
            .spawn(move || writer.run());
        if let Err(e) = spawned {
            tracing::debug!("cannot start the writer of {}: {e}", shared.path.display());
        }
        Live { shared }
    }

    /// A file starts; returns its handle for [`Live::sent`] and [`Live::end`].
    pub fn start(&self, path: &Path, size: u64) -> u64 {
        let Ok(mut inner) = self.shared.inner.lock() else {
            return 0;
        };
        inner.next += 1;
        let id = inner.next;
        let file = SendingFile {
            path: path.to_path_buf(),
            sent: 0,
            size,
        };
        inner.files.insert(id, file);
        self.changed(&mut inner);
        id
    }

    /// `sent` bytes of file `id` are sent; written at most once a second.
    pub fn sent(&self, id: u64, sent: u64) {
        let Ok(mut inner) = self.shared.inner.lock() else {
            return;
        };
        if let Some(f) = inner.files.get_mut(&id) {
            f.sent = sent;
        }
        if inner.written.elapsed() >= WRITE_EVERY {
            self.changed(&mut inner);
        }
    }

    /// File `id` is no longer being sent.
    pub fn end(&self, id: u64) {
        let Ok(mut inner) = self.shared.inner.lock() else {
            return;
        };
        inner.files.remove(&id);
        self.changed(&mut inner);
    }

    fn changed(&self, inner: &mut Inner) {
        if !inner.dirty {
            inner.dirty = true;
            self.shared.changed.notify_one();
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.shared.inner.lock() {
            inner.closed = true;
            self.shared.changed.notify_one();
        }
    }
}

impl Shared {
    /// The writer thread: waits for a change, writes, rests `WRITE_GAP`; ends once closed.
    fn run(&self) {
        loop {
            let Ok(mut inner) = self.inner.lock() else {
                return;
            };
            while !inner.dirty && !inner.closed {
                inner = match self.changed.wait(inner) {
                    Ok(inner) => inner,
                    Err(_) => return,
                };
            }
            let closed = inner.closed;
            if inner.dirty {
                inner.dirty = false;
                inner.written = Instant::now();
                let now = Sending {
                    pid: std::process::id(),
                    files: inner.files.values().cloned().collect(),
                };
                drop(inner);
                self.write(&now);
            }
            if closed {
                return;
            }
            std::thread::sleep(WRITE_GAP);
        }
    }

    /// Best effort: a state dir that cannot take it only costs `status` its "uploading".
    fn write(&self, now: &Sending) {
        if let Err(e) = crate::fsutil::publish_json(&self.path, now) {
            tracing::debug!("cannot write {}: {e}", self.path.display());
        }
    }
}

/// The files being sent now by a live process, by path; empty when none is.
pub fn read(state_dir: &Path) -> HashMap<PathBuf, (u64, u64)> {
    let Ok(bytes) = std::fs::read(state_dir.join(FILE)) else {
        return HashMap::new();
    };
    let Ok(sending) = serde_json::from_slice::<Sending>(&bytes) else {
        return HashMap::new();
    };
    if !crate::fsutil::pid_alive(sending.pid) {
        return HashMap::new();
    }
    sending
        .files
        .into_iter()
        .map(|f| (f.path, (f.sent, f.size)))
        .collect()
}

/// The file the service keeps its waiting videos in.
pub const WAITING_FILE: &str = "waiting.json";

/// What `waiting.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Waiting {
    pub pid: u32,
    pub videos: Vec<crate::detect::pairing::WaitingVideo>,
}

/// Writes the waiting videos (best effort, as `sending.json`).
pub fn write_waiting(state_dir: &Path, videos: Vec<crate::detect::pairing::WaitingVideo>) {
    let path = state_dir.join(WAITING_FILE);
    let now = Waiting {
        pid: std::process::id(),
        videos,
    };
    if let Err(e) = crate::fsutil::publish_json(&path, &now) {
        tracing::debug!("cannot write {}: {e}", path.display());
    }
}

/// The videos a live service says wait for their `.move`.
pub fn read_waiting(state_dir: &Path) -> Vec<crate::detect::pairing::WaitingVideo> {
    let Ok(bytes) = std::fs::read(state_dir.join(WAITING_FILE)) else {
        return Vec::new();
    };
    match serde_json::from_slice::<Waiting>(&bytes) {
        Ok(w) if crate::fsutil::pid_alive(w.pid) => w.videos,
        _ => Vec::new(),
    }
}
