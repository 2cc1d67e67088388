//! What `status` shows, apart from where it is read: counts by state and the rows to list
//! (failed and unfinished recordings always, the newest of the rest up to a limit). The counts
//! are [`crate::report::counts::by_state`]'s (as on the page and in `/metrics`); the rows are
//! built from the recordings that are listed.

use serde_json::{Value, json};

use crate::detect::pairing::WaitingVideo;
use crate::model::job::{JobState, JobTrack};
use crate::model::recording::{Phase, Recording};
use crate::report::counts::Counts;

/// How many done (or waiting, or gone) recordings `status` lists without `--all`.
pub const NEWEST: usize = 20;

/// What `status` calls a recording: its phase, or "uploading" while a file of it is being
/// sent right now (whatever its phase says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Phase(Phase),
    Uploading,
}

/// Every state `status` counts, in order.
pub const SHOWN: [Shown; 9] = [
    Shown::Phase(Phase::Waiting),
    Shown::Phase(Phase::Queued),
    Shown::Uploading,
    Shown::Phase(Phase::Uploading),
    Shown::Phase(Phase::TakeRequested),
    Shown::Phase(Phase::Retrying),
    Shown::Phase(Phase::Done),
    Shown::Phase(Phase::Failed),
    Shown::Phase(Phase::Gone),
];

impl Shown {
    /// The name in `status --json`.
    pub fn key(self) -> &'static str {
        match self {
            Shown::Uploading => "uploading",
            Shown::Phase(Phase::Uploading) => "part_sent",
            Shown::Phase(p) => p.as_str(),
        }
    }

    /// The words in `status`'s table.
    pub fn label(self) -> &'static str {
        match self {
            Shown::Uploading => "uploading",
            Shown::Phase(Phase::Waiting) => "waiting",
            Shown::Phase(Phase::Queued) => "queued",
            Shown::Phase(Phase::Uploading) => "part sent",
            Shown::Phase(Phase::TakeRequested) => "creating take",
            Shown::Phase(Phase::Retrying) => "retrying",
            Shown::Phase(Phase::Done) => "done",
            Shown::Phase(Phase::Failed) => "failed",
            Shown::Phase(Phase::Gone) => "gone",
            Shown::Phase(Phase::Grouped) => "in rig take",
        }
    }
}

/// The files being sent now: path → (bytes sent, size).
pub type SendingNow = std::collections::HashMap<std::path::PathBuf, (u64, u64)>;

/// Whether a recording is always listed: it needs someone (failed), is being sent, or is
/// mid-way and will be taken up again (part sent, creating take, retrying).
fn always_listed(shown: Shown) -> bool {
    match shown {
        Shown::Uploading => true,
        Shown::Phase(p) => p == Phase::Failed || (p.is_in_flight() && p != Phase::Queued),
    }
}

/// One listed recording.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub recording_id: String,
    pub device: String,
    pub stem: String,
    pub dir: String,
    pub shown: Shown,
    /// Bytes sent and size of the file being sent now.
    pub sending: Option<(u64, u64)>,
    pub take_id: Option<String>,
    pub error: Option<String>,
    /// When a retrying recording is tried next (RFC 3339, UTC).
    pub next_attempt: Option<String>,
    pub late_sidecar: Option<String>,
    pub updated: String,
    /// What a person should know about it (why it failed, what it waits for).
    pub note: String,
    /// The recording's processing job (`job_json`), if one is wanted.
    pub job: Option<Value>,
    /// Its phase in the state (`shown` may say "uploading" instead).
    phase: Phase,
    seq: u64,
}

/// Counts and rows.
#[derive(Debug, Clone, Default)]
pub struct StatusView {
    pub total: usize,
    pub counts: Vec<(Shown, usize)>,
    pub late_sidecars: usize,
    /// Failed first, then the rest; newest first within each.
    pub rows: Vec<StatusRow>,
    /// Recordings not listed (done, waiting or gone, older than the newest [`NEWEST`]).
    pub not_listed: usize,
    /// The processing jobs (`[job]`), when the state has any.
    pub jobs: Option<JobsView>,
}

/// The processing jobs: how many in each stage, every active one, the newest failed ones.
#[derive(Debug, Clone, Default)]
pub struct JobsView {
    pub counts: crate::store::query::JobCounts,
    pub active: Vec<Value>,
    pub failed: Vec<Value>,
}

impl JobsView {
    /// From the counts and the recordings with an active or failed job.
    pub fn new(
        counts: crate::store::query::JobCounts,
        active: &[Recording],
        failed: &[Recording],
    ) -> JobsView {
        JobsView {
            counts,
            active: active.iter().filter_map(job_json).collect(),
            failed: failed.iter().filter_map(job_json).collect(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "active": self.counts.active,
            "finished": self.counts.finished,
            "failed": self.counts.failed,
            "active_jobs": self.active,
            "failed_jobs": self.failed,
        })
    }
}

/// One recording's job as `status --json` shows it (`None`: no job wanted).
pub fn job_json(r: &Recording) -> Option<Value> {
    let j = r.job.as_ref()?;
    Some(json!({
        "recording_id": r.id,
        "device": r.device,
        "stem": r.stem,
        "take_id": r.take_id,
        "job_id": j.id,
        "state": job_state(j),
        "percent": j.percent,
        "failure_reason": j.failure_reason,
        "downloaded": j.downloaded.iter().map(|d| json!({"key": d.key, "path": d.path, "size": d.size})).collect::<Vec<_>>(),
        "earlier_jobs": j.earlier,
        "ended": j.done,
    }))
}

/// The job's state in one word: the API's, or `WANTED` / `REQUESTED` before it has one,
/// `DOWNLOADING` while a FINISHED job's outputs are fetched.
pub fn job_state(j: &JobTrack) -> String {
    match (&j.state, &j.id) {
        (Some(JobState::Finished), _) if j.is_active() => "DOWNLOADING".into(),
        (Some(s), _) => s.to_string(),
        (None, Some(_)) => "NOT_STARTED".into(),
        (None, None) if j.requested_ms.is_some() => "REQUESTED".into(),
        (None, None) => "WANTED".into(),
    }
}

/// `job FINISHED 100%`, for the notes of `status` and the page.
pub fn job_note(j: &JobTrack) -> String {
    let percent = j.percent.map_or(String::new(), |p| format!(" {p}%"));
    let mut note = format!("job {}{percent}", job_state(j));
    if let Some(reason) = &j.failure_reason {
        note.push_str(&format!(": {reason}"));
    }
    note
}

impl StatusView {
    /// The view of `recordings` (every unfinished and failed one, and the newest of the rest
    /// or all of them), with the files `sending` now and the videos `waiting` for their `.move`;
    /// with `all`, every recording read is listed. `counts` are the recordings by state
    /// ([`crate::report::counts::by_state`], the videos `waiting` included): a recording being
    /// sent now is counted as "uploading" instead of its phase; the rest as they are.
    pub fn build<'a>(
        recordings: impl Iterator<Item = &'a Recording>,
        sending: &SendingNow,
        waiting: &[WaitingVideo],
        all: bool,
        counts: &Counts,
    ) -> StatusView {
        let mut view = StatusView::default();
        let mut always = Vec::new();
        let mut rest = Vec::new();
        for r in recordings {
            let row = row(r, sending);
            view.late_sidecars += usize::from(r.late_sidecar.is_some());
            if all || always_listed(row.shown) {
                always.push(row);
            } else {
                rest.push(row);
            }
        }
        always.extend(waiting.iter().map(waiting_row));
        let failed = |r: &StatusRow| r.shown == Shown::Phase(Phase::Failed);
        let newest_first =
            |a: &StatusRow, b: &StatusRow| (failed(b), b.seq).cmp(&(failed(a), a.seq));
        rest.sort_by(newest_first);
        rest.truncate(NEWEST);
        always.extend(rest);
        always.sort_by(newest_first);
        // Every row being sent now is listed (`always_listed`): moving them out of their phase
        // into "uploading" keeps the total.
        let sent_now = |phase: Option<Phase>| {
            always
                .iter()
                .filter(|r| r.shown == Shown::Uploading && phase.is_none_or(|p| r.phase == p))
                .count()
        };
        view.counts = SHOWN
            .iter()
            .map(|s| match s {
                Shown::Uploading => (*s, sent_now(None)),
                Shown::Phase(p) => (*s, counts.get(*p).saturating_sub(sent_now(Some(*p)))),
            })
            .collect();
        view.total = counts.total;
        view.not_listed = counts.total.saturating_sub(always.len());
        view.rows = always;
        view
    }

    /// The JSON `status --json` prints (keys as before: `counts` by state name, `latest` the rows).
    pub fn to_json(&self, state_dir: &std::path::Path) -> Value {
        let counts: serde_json::Map<String, Value> = self
            .counts
            .iter()
            .map(|(s, n)| (s.key().to_string(), json!(n)))
            .collect();
        json!({
            "state_dir": state_dir,
            "total": self.total,
            "counts": counts,
            "late_sidecars": self.late_sidecars,
            "latest": self.rows.iter().map(StatusRow::to_json).collect::<Vec<_>>(),
            "not_listed": self.not_listed,
            "jobs": self.jobs.as_ref().map(JobsView::to_json),
        })
    }
}

impl StatusRow {
    fn to_json(&self) -> Value {
        json!({
            "recording_id": self.recording_id,
            "device": self.device,
            "stem": self.stem,
            "dir": self.dir,
            "state": self.shown.key(),
            "sending": self.sending.map(|(sent, size)| json!({"sent": sent, "size": size})),
            "take_id": self.take_id,
            "error": self.error,
            "next_attempt": self.next_attempt,
            "late_sidecar": self.late_sidecar,
            "updated": self.updated,
            "note": self.note,
            "job": self.job,
        })
    }
}

fn row(r: &Recording, sending: &SendingNow) -> StatusRow {
    let now = [&r.video, &r.sidecar]
        .into_iter()
        .flatten()
        .find_map(|s| sending.get(&r.dir.join(&s.facts.name)).copied());
    let phase = r.phase();
    let shown = match now {
        Some(_) if !matches!(phase, Phase::Done | Phase::Failed | Phase::Gone) => Shown::Uploading,
        _ => Shown::Phase(phase),
    };
    StatusRow {
        shown,
        sending: now.filter(|_| shown == Shown::Uploading),
        recording_id: r.id.to_string(),
        device: r.device.clone(),
        stem: r.stem.clone(),
        dir: r.dir.display().to_string(),
        take_id: r.take_id.clone(),
        error: match (&r.failure, &r.retrying) {
            (Some(f), _) => Some(format!("{}: {}", f.step, f.reason)),
            (None, Some(w)) => Some(format!("{}: {}", w.step, w.reason)),
            (None, None) => None,
        },
        next_attempt: r.retrying.as_ref().map(|w| next_attempt(w.next_ms)),
        late_sidecar: r.late_sidecar.as_ref().map(|f| f.name.clone()),
        updated: r.updated.clone(),
        note: match now.filter(|_| shown == Shown::Uploading) {
            Some((sent, size)) => format!(
                "sending: {} of {} ({}%)",
                indicatif::HumanBytes(sent),
                indicatif::HumanBytes(size),
                sent * 100 / size.max(1)
            ),
            None => note(r),
        },
        job: job_json(r),
        phase,
        seq: r.seq,
    }
}

/// A video the service holds back while it waits for its `.move` (not recorded yet).
fn waiting_row(w: &WaitingVideo) -> StatusRow {
    let until = match &w.until {
        Some(t) => format!("until {t}"),
        None => "without limit (pairing.require_move)".into(),
    };
    StatusRow {
        recording_id: "-".into(),
        device: w.device.clone(),
        stem: w.stem.clone(),
        dir: w.dir.display().to_string(),
        shown: Shown::Phase(Phase::Waiting),
        sending: None,
        take_id: None,
        error: None,
        next_attempt: None,
        late_sidecar: None,
        updated: String::new(),
        note: format!("a video waiting for its .move {until}"),
        job: None,
        phase: Phase::Waiting,
        seq: u64::MAX,
    }
}

fn note(r: &Recording) -> String {
    if let Some(f) = &r.failure {
        return format!(
            "failed at {}: {} (`move-ingest retry` tries it again)",
            f.step, f.reason
        );
    }
    if let Some(g) = &r.gone {
        return g.clone();
    }
    if let Some(w) = &r.retrying {
        return format!(
            "retrying at {}: {} (next attempt {}; tried again by itself, nothing to fix in it)",
            w.step,
            w.reason,
            next_attempt(w.next_ms)
        );
    }
    if let Some(late) = &r.late_sidecar {
        return format!(
            "late .move: {} (arrived after the take was created; not added)",
            late.name
        );
    }
    if let Some(j) = &r.job
        && r.take_id.is_some()
    {
        return job_note(j);
    }
    match r.phase() {
        Phase::Waiting => "a .move waiting for its video".into(),
        Phase::Uploading => "some files sent; the next run sends the rest".into(),
        Phase::TakeRequested => {
            "the take was asked for; the next run finds it or asks again".into()
        }
        _ => String::new(),
    }
}

/// A next attempt time (ms since the epoch) as RFC 3339 UTC, to the second.
fn next_attempt(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}
