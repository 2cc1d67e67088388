//! What the operator's views read: a `Snapshot` of the recordings (counts by state, what is
//! queued, failed and done lately, the oldest pending one) and the free space of each watch path.
//!
//! `StateView` is the one read interface the metrics, the status page and `/api/status` use;
//! today the journal's in-memory state implements it, a store only has to implement it too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::{Config, Watch};
use crate::journal::Ledger;
use crate::state::{Phase, Recording, State};

/// How many rows of each list a snapshot carries.
pub const ROWS: usize = 12;

/// Every state a recording can be in, in the order the views show them.
pub const PHASES: [Phase; 7] = [
    Phase::Waiting,
    Phase::Queued,
    Phase::Uploading,
    Phase::TakeRequested,
    Phase::Done,
    Phase::Failed,
    Phase::Gone,
];

/// One recording, as the views show it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub device: String,
    pub stem: String,
    pub state: &'static str,
    pub take_id: Option<String>,
    /// The file names (video first).
    pub files: Vec<String>,
    /// The size of all its files.
    pub bytes: u64,
    /// Time of its latest step.
    pub updated: String,
    /// Where and why it failed.
    pub failure: Option<(String, String)>,
}

/// A watch path and the free space of its file system (`None`: it cannot be read).
#[derive(Debug, Clone)]
pub struct WatchSpace {
    pub path: PathBuf,
    pub free_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// What the views show, read at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub taken: SystemTime,
    /// Every state with its count (zeros included).
    pub counts: Vec<(&'static str, usize)>,
    /// The first queued ones, oldest first.
    pub queued: Vec<Row>,
    /// Failed ones, newest first.
    pub failed: Vec<Row>,
    /// The latest takes, newest first.
    pub latest_takes: Vec<Row>,
    /// Since when the oldest recording not yet done has been pending.
    pub oldest_pending: Option<SystemTime>,
    /// When the latest take was created.
    pub last_take: Option<SystemTime>,
    pub watches: Vec<WatchSpace>,
}

impl Snapshot {
    /// The count for one state (`"queued"`, `"failed"`, ...).
    pub fn count(&self, state: &str) -> usize {
        self.counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }

    /// Seconds the oldest pending recording has waited; 0 when none.
    pub fn oldest_pending_age_secs(&self) -> f64 {
        self.oldest_pending.map_or(0.0, |t| {
            self.taken
                .duration_since(t)
                .unwrap_or_default()
                .as_secs_f64()
        })
    }

    /// The latest take's time as Unix seconds.
    pub fn last_take_unix(&self) -> Option<f64> {
        self.last_take
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64())
    }
}

/// The read interface of the views.
pub trait StateView: Send + Sync {
    /// Counts, lists and ages, as of now.
    fn snapshot(&self, watches: &[Watch], first_seen: &FirstSeen) -> Snapshot;
    /// Exactly what `status --json` prints.
    fn status_json(&self, cfg: &Config) -> serde_json::Value;
    /// The rows of these recordings (`None` for an unknown id).
    fn rows(&self, ids: &[&str]) -> Vec<Option<Row>>;
}

impl StateView for Ledger {
    fn snapshot(&self, watches: &[Watch], first_seen: &FirstSeen) -> Snapshot {
        let mut snap = from_state(&self.state(), first_seen);
        snap.watches = watch_space(watches);
        snap
    }

    fn status_json(&self, cfg: &Config) -> serde_json::Value {
        crate::commands::status::json(cfg, &self.state())
    }

    fn rows(&self, ids: &[&str]) -> Vec<Option<Row>> {
        let state = self.state();
        ids.iter().map(|id| state.get(id).map(row)).collect()
    }
}

/// When each pending recording was first seen pending, so that its age only ever grows even
/// though its latest step moves on (an upload's steps must not make an old recording look new).
#[derive(Debug, Default)]
pub struct FirstSeen(Mutex<HashMap<String, SystemTime>>);

impl FirstSeen {
    /// Remembers `id` pending since `at` (its earliest known time), and returns that time.
    fn note(map: &mut HashMap<String, SystemTime>, id: &str, at: SystemTime) -> SystemTime {
        let first = map.entry(id.to_string()).or_insert(at);
        *first = (*first).min(at);
        *first
    }
}

/// Builds the snapshot (without the watch paths) from the in-memory state.
pub fn from_state(state: &State, first_seen: &FirstSeen) -> Snapshot {
    let mut counts: HashMap<Phase, usize> = HashMap::new();
    let mut queued: Vec<&Recording> = Vec::new();
    let mut failed: Vec<&Recording> = Vec::new();
    let mut done: Vec<&Recording> = Vec::new();
    let mut pending: Vec<(&str, SystemTime)> = Vec::new();
    for r in state.recordings() {
        let phase = r.phase();
        *counts.entry(phase).or_default() += 1;
        match phase {
            Phase::Queued => queued.push(r),
            Phase::Failed => failed.push(r),
            Phase::Done => done.push(r),
            _ => {}
        }
        if matches!(
            phase,
            Phase::Queued | Phase::Uploading | Phase::TakeRequested
        ) {
            pending.push((&r.id, time_of(&r.updated)));
        }
    }
    let oldest_pending = {
        let mut map = first_seen.0.lock().unwrap_or_else(|p| p.into_inner());
        let live: std::collections::HashSet<&str> = pending.iter().map(|p| p.0).collect();
        map.retain(|id, _| live.contains(id.as_str()));
        pending
            .iter()
            .map(|(id, at)| FirstSeen::note(&mut map, id, *at))
            .min()
    };
    queued.sort_by_key(|r| r.seq);
    failed.sort_by_key(|r| std::cmp::Reverse(r.seq));
    done.sort_by_key(|r| std::cmp::Reverse(r.seq));
    let last_take = done.first().map(|r| time_of(&r.updated));
    let rows = |v: Vec<&Recording>| v.into_iter().take(ROWS).map(row).collect();
    Snapshot {
        taken: SystemTime::now(),
        counts: PHASES
            .iter()
            .map(|p| (p.as_str(), counts.get(p).copied().unwrap_or(0)))
            .collect(),
        queued: rows(queued),
        failed: rows(failed),
        latest_takes: rows(done),
        oldest_pending,
        last_take,
        watches: Vec::new(),
    }
}

fn row(r: &Recording) -> Row {
    let files: Vec<&crate::state::Seen> = [&r.video, &r.sidecar].into_iter().flatten().collect();
    Row {
        id: r.id.clone(),
        device: r.device.clone(),
        stem: r.stem.clone(),
        state: r.phase().as_str(),
        take_id: r.take_id.clone(),
        files: files.iter().map(|s| s.facts.name.clone()).collect(),
        bytes: files.iter().map(|s| s.facts.size).sum(),
        updated: r.updated.clone(),
        failure: r
            .failure
            .as_ref()
            .map(|f| (f.step.clone(), f.reason.clone())),
    }
}

/// A journal time (RFC 3339) as a `SystemTime`; now when it cannot be read.
fn time_of(t: &str) -> SystemTime {
    humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).unwrap_or_else(|_| SystemTime::now())
}

/// The free space of every watch path.
pub fn watch_space(watches: &[Watch]) -> Vec<WatchSpace> {
    watches
        .iter()
        .map(|w| {
            let space = fs_space(&w.path);
            WatchSpace {
                path: w.path.clone(),
                free_bytes: space.map(|s| s.0),
                total_bytes: space.map(|s| s.1),
            }
        })
        .collect()
}

/// (available to us, total) bytes of the file system holding `path`.
// The statvfs fields are u64 here but narrower on other targets.
#[allow(clippy::unnecessary_cast)]
pub fn fs_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path and `st` is a valid, writable statvfs.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    let frsize = st.f_frsize as u64;
    Some((st.f_bavail as u64 * frsize, st.f_blocks as u64 * frsize))
}

/// How long ago `t` was, for people ("3 min", "2 h").
pub fn ago(now: SystemTime, t: SystemTime) -> String {
    let d = now.duration_since(t).unwrap_or(Duration::ZERO).as_secs();
    match d {
        0..60 => format!("{d} s"),
        60..3600 => format!("{} min", d / 60),
        3600..86400 => format!("{} h {} min", d / 3600, d % 3600 / 60),
        _ => format!("{} d {} h", d / 86400, d % 86400 / 3600),
    }
}
