//! What `status` and `/api/status` show: the view of the state, with what a live process
//! publishes beside it (sending, waiting, the pause) and the notices of the last scan.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::detect::pairing::WaitingVideo;
use crate::model::recording::Phase;
use crate::report::counts::by_state;
use crate::report::view::{NEWEST, SendingNow, Shown, StatusView};
use crate::store::StoreError;
use crate::store::query::Reader;

/// Which recordings a view lists (`status --all`, `--failed`, `--since`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query {
    /// Every recording, not only the newest done ones.
    pub all: bool,
    /// Only the failed ones.
    pub failed: bool,
    /// Only those that changed within this long.
    pub since: Option<Duration>,
}

/// The view from the state: the counts come from its indexes, and only the recordings that
/// are listed are read (every unfinished and failed one, the newest of the rest), so
/// `status` takes as long with a million done recordings as with a hundred.
pub fn view(
    dir: &Path,
    q: &Query,
    sending: &SendingNow,
    waiting: &[WaitingVideo],
) -> Result<StatusView, StoreError> {
    let Some(reader) = Reader::open(dir)? else {
        return Ok(StatusView::build(
            std::iter::empty(),
            sending,
            waiting,
            q.all,
            &by_state(&[], waiting),
        ));
    };
    let since_ms = q.since.map(ms_ago);
    view_of(&reader, q, since_ms, sending, waiting)
}

/// The JSON of `status --json`, with the videos `waiting` for their `.move`; the running
/// service serves the same at `/api/status` (with the videos it holds).
pub fn json(
    cfg: &Config,
    reader: &Reader,
    waiting: &[WaitingVideo],
) -> Result<serde_json::Value, StoreError> {
    let sending = crate::report::sending::read(&cfg.state.dir);
    let mut out =
        view_of(reader, &Query::default(), None, &sending, waiting)?.to_json(&cfg.state.dir);
    add_notices(
        &mut out,
        &crate::detect::notices::Notices::load(&cfg.state.dir),
    );
    add_paused(&mut out, crate::store::pause::read(&cfg.state.dir).as_ref());
    if let Some(obj) = out.as_object_mut() {
        obj.insert("rigs".into(), crate::report::rigs::json(reader));
    }
    Ok(out)
}

/// `paused`: null while the running service ingests (or none runs), else why it waits.
pub fn add_paused(out: &mut serde_json::Value, paused: Option<&crate::store::Paused>) {
    if let Some(obj) = out.as_object_mut() {
        obj.insert("paused".into(), crate::store::pause::to_json(paused));
    }
}

fn view_of(
    reader: &Reader,
    q: &Query,
    since_ms: Option<i64>,
    sending: &SendingNow,
    waiting: &[WaitingVideo],
) -> Result<StatusView, StoreError> {
    if let Some(ms) = since_ms {
        let recs = reader.since(ms)?;
        let counts = by_state(&reader.counts(Some(ms))?, waiting);
        return Ok(StatusView::build(
            recs.iter(),
            sending,
            waiting,
            true,
            &counts,
        ));
    }
    let mut recs = reader.in_phases(&Phase::IN_FLIGHT)?;
    recs.extend(reader.in_phases(&[Phase::Failed])?);
    let settled = [Phase::Waiting, Phase::Done, Phase::Gone];
    recs.extend(match q.all {
        true => reader.in_phases(&settled)?,
        false => reader.newest_in_phases(&settled, NEWEST)?,
    });
    let counts = by_state(&reader.counts(None)?, waiting);
    let mut view = StatusView::build(recs.iter(), sending, waiting, q.all, &counts);
    view.late_sidecars = reader.late_sidecars()? as usize;
    let counts = reader.job_counts()?;
    if counts != crate::store::query::JobCounts::default() {
        let (active, failed) = reader.job_rows(NEWEST)?;
        view.jobs = Some(crate::report::view::JobsView::new(counts, &active, &failed));
    }
    if q.failed {
        view.rows.retain(|r| r.shown == Shown::Phase(Phase::Failed));
        view.not_listed = 0;
    }
    Ok(view)
}

/// Milliseconds since the epoch, `ago` before now.
fn ms_ago(ago: Duration) -> i64 {
    let at = SystemTime::now()
        .checked_sub(ago)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `skipped_symlinks`, `low_space` and `missing_paths`: what the last `run` or `backfill` warned about.
pub fn add_notices(out: &mut serde_json::Value, notices: &crate::detect::notices::Notices) {
    if let Some(obj) = out.as_object_mut() {
        obj.insert(
            "skipped_symlinks".into(),
            serde_json::json!(notices.skipped_symlinks),
        );
        let low: Vec<&String> = notices.low_space.values().collect();
        obj.insert("low_space".into(), serde_json::json!(low));
        let missing: Vec<serde_json::Value> = notices
            .missing_paths
            .iter()
            .map(|m| {
                let since =
                    SystemTime::UNIX_EPOCH + Duration::from_millis(m.since_ms.max(0) as u64);
                serde_json::json!({
                    "path": m.path,
                    "since": humantime::format_rfc3339_millis(since).to_string(),
                    "why": m.why,
                    "reason": m.describe(),
                })
            })
            .collect();
        obj.insert("missing_paths".into(), serde_json::json!(missing));
    }
}
