//! What the operator's views read: a `Snapshot` of the recordings (counts by state, what is
//! queued, failed and done lately, the oldest pending one) and the free space of each watch path.
//!
//! `StateView` is the one read interface the metrics, the status page and `/api/status` use;
//! the SQLite store implements it with indexed queries (nothing walks the history).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::{Config, WatchConfig};
use crate::detect::pairing::WaitingVideo;
use crate::model::recording::{Phase, Recording};
use crate::report::counts::Counts;
use crate::store::query::Reader;
use crate::store::{Store, StoreError};

/// How many rows of each list a snapshot carries.
pub const ROWS: usize = 12;

/// Every state a recording can be in, in the order the views show them.
pub const PHASES: [Phase; 9] = Phase::ALL;

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
    /// What a person can do about its failure (by the failure's kind).
    pub what_to_do: Option<&'static str>,
    /// A retrying one: where and why it waits, and when it is tried next.
    pub retry: Option<(String, String, SystemTime)>,
    /// Its processing job, e.g. `job RUNNING 40%` (`[job]`; none when no job is wanted).
    pub job: Option<String>,
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
    /// Every state with its count (zeros included), as [`crate::report::counts::by_state`]
    /// counts them (a video waiting for its `.move` is `waiting`).
    pub counts: Vec<(&'static str, usize)>,
    /// The first queued ones, oldest first.
    pub queued: Vec<Row>,
    /// Failed ones, newest first.
    pub failed: Vec<Row>,
    /// Retrying ones (waiting after a transient failure), the longest waiting first.
    pub retrying: Vec<Row>,
    /// The latest takes, newest first.
    pub latest_takes: Vec<Row>,
    /// Since when the oldest recording not yet done has been pending.
    pub oldest_pending: Option<SystemTime>,
    /// When the latest take was created.
    pub last_take: Option<SystemTime>,
    pub watches: Vec<WatchSpace>,
    /// The rig recordings (issue 22) the page lists, and their counts for the metrics.
    pub rigs: crate::store::RigView,
}

impl Snapshot {
    /// The count for one state (`"queued"`, `"failed"`, ...).
    pub fn count(&self, state: &str) -> usize {
        self.counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }

    /// How many recordings there are in all (the sum of `counts`).
    pub fn total(&self) -> usize {
        self.counts.iter().map(|(_, n)| n).sum()
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
    /// Counts, lists and ages, as of now; `waiting`: the videos the service holds while they
    /// wait for their `.move` (counted as waiting).
    fn snapshot(
        &self,
        watches: &[WatchConfig],
        first_seen: &FirstSeen,
        waiting: &[WaitingVideo],
    ) -> Snapshot;
    /// Exactly what `status --json` prints, with these videos waiting for their `.move`.
    fn status_json(&self, cfg: &Config, waiting: &[WaitingVideo]) -> serde_json::Value;
    /// The rows of these recordings (`None` for an unknown id).
    fn rows(&self, ids: &[&str]) -> Vec<Option<Row>>;
}

impl StateView for Store {
    fn snapshot(
        &self,
        watches: &[WatchConfig],
        first_seen: &FirstSeen,
        waiting: &[WaitingVideo],
    ) -> Snapshot {
        let mut snap = match from_reader(&self.reader(), first_seen, waiting) {
            Ok(snap) => snap,
            Err(e) => {
                tracing::error!("cannot read the state for the views: {e}");
                from_recordings(std::iter::empty(), first_seen)
            }
        };
        snap.watches = watch_space(watches);
        snap
    }

    fn status_json(&self, cfg: &Config, waiting: &[WaitingVideo]) -> serde_json::Value {
        crate::report::status::json(cfg, &self.reader(), waiting)
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }))
    }

    fn rows(&self, ids: &[&str]) -> Vec<Option<Row>> {
        ids.iter()
            .map(|id| self.recording(id).ok().flatten().map(|r| row(&r)))
            .collect()
    }
}

/// Builds the snapshot (without the watch paths) from the store's indexes: the counts (with
/// the `waiting` videos the service holds), the first rows of each list, and the unfinished
/// recordings (the only ones walked).
pub fn from_reader(
    reader: &Reader,
    first_seen: &FirstSeen,
    waiting: &[WaitingVideo],
) -> Result<Snapshot, StoreError> {
    let counts = crate::report::counts::by_state(&reader.counts(None)?, waiting);
    let queued = reader.oldest_in_phase(Phase::Queued, ROWS)?;
    let failed = reader.newest_in_phases(&[Phase::Failed], ROWS)?;
    let retrying = reader.oldest_in_phase(Phase::Retrying, ROWS)?;
    let done = reader.newest_in_phases(&[Phase::Done], ROWS)?;
    let pending = reader.in_phases(&Phase::IN_FLIGHT)?;
    let oldest_pending =
        first_seen.oldest(pending.iter().map(|r| (r.id.as_str(), time_of(&r.updated))));
    let last_take = done.first().map(|r| time_of(&r.updated));
    let rows = |v: &[Recording]| v.iter().map(row).collect();
    Ok(Snapshot {
        taken: SystemTime::now(),
        counts: named(&counts),
        queued: rows(&queued),
        failed: rows(&failed),
        retrying: rows(&retrying),
        latest_takes: rows(&done),
        oldest_pending,
        last_take,
        watches: Vec::new(),
        rigs: reader.rig_view(ROWS)?,
    })
}

/// When each pending recording was first seen pending, so that its age only ever grows even
/// though its latest step moves on (an upload's steps must not make an old recording look new).
#[derive(Debug, Default)]
pub struct FirstSeen(Mutex<HashMap<String, SystemTime>>);

impl FirstSeen {
    /// Since when the oldest of the `pending` recordings (id, time of its latest step) has
    /// been pending: each is remembered at the earliest time it was seen pending, and the ones
    /// no longer pending are forgotten. `None` when none is pending.
    pub fn oldest<'a>(
        &self,
        pending: impl IntoIterator<Item = (&'a str, SystemTime)>,
    ) -> Option<SystemTime> {
        let pending: Vec<(&str, SystemTime)> = pending.into_iter().collect();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let live: std::collections::HashSet<&str> = pending.iter().map(|p| p.0).collect();
        map.retain(|id, _| live.contains(id.as_str()));
        pending
            .iter()
            .map(|(id, at)| {
                let first = map.entry((*id).to_string()).or_insert(*at);
                *first = (*first).min(*at);
                *first
            })
            .min()
    }
}

/// The counts as the snapshot names them (`"queued"`, `"failed"`, ...), in [`PHASES`] order.
fn named(counts: &Counts) -> Vec<(&'static str, usize)> {
    counts
        .by_phase
        .iter()
        .map(|(p, n)| (p.as_str(), *n))
        .collect()
}

/// Builds the snapshot (without the watch paths) from an old journal replayed in memory (tests).
#[cfg(any(test, feature = "testing"))]
pub fn from_state(state: &crate::store::JournalState, first_seen: &FirstSeen) -> Snapshot {
    from_recordings(state.recordings(), first_seen)
}

/// Builds the snapshot (without the watch paths) from these recordings.
fn from_recordings<'a>(
    recordings: impl Iterator<Item = &'a Recording>,
    first_seen: &FirstSeen,
) -> Snapshot {
    let mut counts: HashMap<Phase, u64> = HashMap::new();
    // Only the first `ROWS` of each list are kept while walking (no sort of the whole history).
    let mut queued = TopRows::default();
    let mut failed = TopRows::default();
    let mut retrying = TopRows::default();
    let mut done = TopRows::default();
    let mut pending: Vec<(&str, SystemTime)> = Vec::new();
    for r in recordings {
        let phase = r.phase();
        *counts.entry(phase).or_default() += 1;
        match phase {
            // Oldest first: the key is the negated sequence number.
            Phase::Queued => queued.offer(-(r.seq as i128), r),
            Phase::Failed => failed.offer(r.seq as i128, r),
            Phase::Retrying => retrying.offer(-(r.seq as i128), r),
            Phase::Done => done.offer(r.seq as i128, r),
            _ => {}
        }
        if phase.is_in_flight() {
            pending.push((&r.id, time_of(&r.updated)));
        }
    }
    let oldest_pending = first_seen.oldest(pending);
    let (queued, failed, done) = (queued.best(), failed.best(), done.best());
    let retrying = retrying.best();
    let last_take = done.first().map(|r| time_of(&r.updated));
    let rows = |v: Vec<&Recording>| v.into_iter().map(row).collect();
    Snapshot {
        taken: SystemTime::now(),
        counts: named(&crate::report::counts::by_state(
            &counts.into_iter().collect::<Vec<_>>(),
            &[],
        )),
        queued: rows(queued),
        failed: rows(failed),
        retrying: rows(retrying),
        latest_takes: rows(done),
        oldest_pending,
        last_take,
        watches: Vec::new(),
        rigs: Default::default(),
    }
}

/// The `ROWS` recordings with the highest keys seen so far.
struct TopRows<'a>(std::collections::BinaryHeap<std::cmp::Reverse<(i128, ById<'a>)>>);

impl Default for TopRows<'_> {
    fn default() -> Self {
        TopRows(std::collections::BinaryHeap::with_capacity(ROWS + 1))
    }
}

/// A recording ordered by its id (a tie-break that never happens: sequence numbers are unique).
struct ById<'a>(&'a Recording);

impl PartialEq for ById<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}
impl Eq for ById<'_> {}
impl PartialOrd for ById<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ById<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.id.cmp(&other.0.id)
    }
}

impl<'a> TopRows<'a> {
    fn offer(&mut self, key: i128, r: &'a Recording) {
        self.0.push(std::cmp::Reverse((key, ById(r))));
        if self.0.len() > ROWS {
            self.0.pop();
        }
    }

    /// Highest key first.
    fn best(self) -> Vec<&'a Recording> {
        let mut v: Vec<(i128, &Recording)> = self
            .0
            .into_iter()
            .map(|std::cmp::Reverse((k, r))| (k, r.0))
            .collect();
        v.sort_by_key(|(k, _)| std::cmp::Reverse(*k));
        v.into_iter().map(|(_, r)| r).collect()
    }
}

fn row(r: &Recording) -> Row {
    let files: Vec<&crate::model::recording::Seen> =
        [&r.video, &r.sidecar].into_iter().flatten().collect();
    Row {
        id: r.id.to_string(),
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
            .map(|f| (f.step.as_str().to_string(), f.reason.clone())),
        what_to_do: r
            .failure
            .as_ref()
            .map(|f| crate::report::hint::hint(f.kind)),
        retry: r.retrying.as_ref().map(|w| {
            let next = UNIX_EPOCH + Duration::from_millis(w.next_ms.max(0) as u64);
            (w.step.as_str().to_string(), w.reason.clone(), next)
        }),
        job: r.job.as_ref().map(crate::report::view::job_note),
    }
}

/// A state time (RFC 3339) as a `SystemTime`; now when it cannot be read.
fn time_of(t: &str) -> SystemTime {
    humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).unwrap_or_else(|_| SystemTime::now())
}

/// The free space of every watch path.
pub fn watch_space(watches: &[WatchConfig]) -> Vec<WatchSpace> {
    watches
        .iter()
        .map(|w| {
            let space = crate::fsutil::space(&w.path);
            WatchSpace {
                path: w.path.clone(),
                free_bytes: space.map(|s| s.0),
                total_bytes: space.map(|s| s.1),
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Facts, Kind};
    use crate::model::recording::{Event, Seen};

    fn discovered(stem: &str) -> Event {
        Event::Discovered {
            dir: "/srv/captures/cam-a".into(),
            device: "cam-a".into(),
            stem: stem.into(),
            video: Some(Seen {
                kind: Kind::Mp4,
                facts: Facts {
                    name: format!("{stem}.mp4"),
                    size: 10,
                    mtime_ns: 0,
                    inode: 1,
                    dev: 1,
                },
            }),
            sidecar: None,
            look_for_take: false,
        }
    }

    #[test]
    fn lists_hold_the_newest_takes_and_the_oldest_queued_first() {
        let mut state = crate::store::JournalState::default();
        let mut seq = 0;
        let mut step = |state: &mut crate::store::JournalState, rec: &str, ev: Event| {
            seq += 1;
            state.apply(seq, "2026-12-03T08:00:00.000Z", rec, ev);
        };
        for i in 0..30 {
            let id = format!("rec-{i:02}");
            step(&mut state, &id, discovered(&format!("take-{i:02}")));
            if i < 20 {
                let take_id = format!("take-{i:02}");
                step(
                    &mut state,
                    &id,
                    Event::TakeCreated {
                        take_id,
                        adopted: false,
                    },
                );
            }
        }
        step(
            &mut state,
            "rec-25",
            Event::Failed {
                step: crate::model::recording::Step::Upload,
                reason: "x is empty".into(),
                kind: crate::model::recording::FailureKind::Empty,
            },
        );
        let snap = from_state(&state, &FirstSeen::default());
        assert_eq!(snap.count("done"), 20);
        assert_eq!(snap.count("queued"), 9);
        assert_eq!(snap.count("failed"), 1);
        let takes: Vec<&str> = snap.latest_takes.iter().map(|r| r.stem.as_str()).collect();
        assert_eq!(takes.len(), ROWS);
        assert_eq!(takes[0], "take-19");
        assert_eq!(takes[ROWS - 1], format!("take-{:02}", 20 - ROWS));
        let queued: Vec<&str> = snap.queued.iter().map(|r| r.stem.as_str()).collect();
        assert_eq!(queued.first(), Some(&"take-20"));
        assert_eq!(queued.last(), Some(&"take-29"));
        assert!(!queued.contains(&"take-25"));
        assert_eq!(
            snap.failed[0].failure.as_ref().map(|f| f.1.as_str()),
            Some("x is empty")
        );
        assert!(snap.oldest_pending.is_some());
    }
}
