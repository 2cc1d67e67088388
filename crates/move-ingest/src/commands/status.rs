//! `move-ingest status`: what the state holds, by state, and the recordings worth a look.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cli::StatusArgs;
use crate::config::Config;
use crate::error::{Exit, UsageError};
use crate::service::pairing::WaitingVideo;
use crate::state::Phase;
use crate::status_view::{NEWEST, SendingNow, Shown, StatusView};
use crate::store::StoreError;
use crate::store::query::Reader;

/// Runs the `status` command. Opens the state read-only, so it works beside a running service.
pub async fn run(config: Option<&Path>, args: StatusArgs) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let sending = crate::sending::read(&cfg.state.dir);
    let waiting = crate::sending::read_waiting(&cfg.state.dir);
    let view = view(&cfg.state.dir, &args, &sending, &waiting)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let notices = crate::notices::Notices::load(&cfg.state.dir);
    let paused = crate::store::pause::read(&cfg.state.dir);
    if args.json {
        let mut out = view.to_json(&cfg.state.dir);
        add_notices(&mut out, &notices);
        add_paused(&mut out, paused.as_ref());
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    print(&view, &cfg.state.dir, &notices, paused.as_ref())?;
    Ok(Exit::Ok)
}

/// The view from the state: the counts come from its indexes, and only the recordings that
/// are listed are read (every unfinished and failed one, the newest of the rest), so
/// `status` takes as long with a million done recordings as with a hundred.
fn view(
    dir: &Path,
    args: &StatusArgs,
    sending: &SendingNow,
    waiting: &[WaitingVideo],
) -> Result<StatusView, StoreError> {
    let Some(reader) = Reader::open(dir)? else {
        return Ok(StatusView::build(
            std::iter::empty(),
            sending,
            waiting,
            args.all,
        ));
    };
    let since_ms = args.since.map(|d| ms_ago(d.into()));
    view_of(&reader, args, since_ms, sending, waiting)
}

/// The JSON of `status --json`; the running service serves the same at `/api/status`.
pub fn json(cfg: &Config, reader: &Reader) -> Result<serde_json::Value, StoreError> {
    let sending = crate::sending::read(&cfg.state.dir);
    let waiting = crate::sending::read_waiting(&cfg.state.dir);
    let args = StatusArgs::default();
    let mut out = view_of(reader, &args, None, &sending, &waiting)?.to_json(&cfg.state.dir);
    add_notices(&mut out, &crate::notices::Notices::load(&cfg.state.dir));
    add_paused(&mut out, crate::store::pause::read(&cfg.state.dir).as_ref());
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
    args: &StatusArgs,
    since_ms: Option<i64>,
    sending: &SendingNow,
    waiting: &[WaitingVideo],
) -> Result<StatusView, StoreError> {
    if let Some(ms) = since_ms {
        let recs = reader.since(ms)?;
        return Ok(StatusView::build(recs.iter(), sending, waiting, true));
    }
    let in_flight = [
        Phase::Queued,
        Phase::Uploading,
        Phase::TakeRequested,
        Phase::Retrying,
    ];
    let mut recs = reader.in_phases(&in_flight)?;
    recs.extend(reader.in_phases(&[Phase::Failed])?);
    let settled = [Phase::Waiting, Phase::Done, Phase::Gone];
    recs.extend(match args.all {
        true => reader.in_phases(&settled)?,
        false => reader.newest_in_phases(&settled, NEWEST)?,
    });
    let mut view = StatusView::build(recs.iter(), sending, waiting, args.all);
    view.count_unread(&reader.counts(None)?, reader.late_sidecars()? as usize);
    let counts = reader.job_counts()?;
    if counts != crate::store::query::JobCounts::default() {
        let (active, failed) = reader.job_rows(NEWEST)?;
        view.jobs = Some(crate::status_view::JobsView::new(counts, &active, &failed));
    }
    if args.failed {
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

/// `skipped_symlinks` and `low_space`: what the last `run` or `backfill` warned about.
fn add_notices(out: &mut serde_json::Value, notices: &crate::notices::Notices) {
    if let Some(obj) = out.as_object_mut() {
        obj.insert(
            "skipped_symlinks".into(),
            serde_json::json!(notices.skipped_symlinks),
        );
        let low: Vec<&String> = notices.low_space.values().collect();
        obj.insert("low_space".into(), serde_json::json!(low));
    }
}

fn print(
    view: &StatusView,
    state_dir: &Path,
    notices: &crate::notices::Notices,
    paused: Option<&crate::store::Paused>,
) -> anyhow::Result<()> {
    crate::outln!("state dir: {}", state_dir.display())?;
    if let Some(p) = paused {
        crate::outln!("PAUSED: {}", p.describe())?;
    }
    let summary: Vec<String> = view
        .counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.label()))
        .collect();
    crate::outln!("{} recordings: {}", view.total, summary.join(", "))?;
    for line in notices.lines() {
        crate::outln!("{line}")?;
    }
    if view.late_sidecars > 0 {
        crate::outln!(
            "{} .move file(s) arrived after their take was created (not added; see below)",
            view.late_sidecars
        )?;
    }
    if let Some(jobs) = &view.jobs {
        crate::outln!(
            "jobs: {} active, {} finished, {} failed (`move-ingest jobs retry TAKE_ID` asks again)",
            jobs.counts.active,
            jobs.counts.finished,
            jobs.counts.failed
        )?;
        for j in jobs.active.iter().chain(&jobs.failed) {
            let percent = j["percent"]
                .as_i64()
                .map_or(String::new(), |p| format!(" {p}%"));
            let reason = j["failure_reason"]
                .as_str()
                .map_or(String::new(), |r| format!(": {r}"));
            crate::outln!(
                "  {}/{}  take {}  job {}  {}{percent}{reason}",
                j["device"].as_str().unwrap_or(""),
                j["stem"].as_str().unwrap_or(""),
                j["take_id"].as_str().unwrap_or("-"),
                j["job_id"].as_str().unwrap_or("-"),
                j["state"].as_str().unwrap_or(""),
            )?;
        }
    }
    if view.rows.is_empty() {
        return Ok(());
    }
    crate::outln!()?;
    crate::outln!(
        "{:<16} {:<24} {:<13} {:<41} RECORDING / NOTE",
        "DEVICE",
        "STEM",
        "STATE",
        "TAKE"
    )?;
    for r in &view.rows {
        let note = if r.note.is_empty() {
            String::new()
        } else {
            format!("  {}", r.note)
        };
        crate::outln!(
            "{:<16} {:<24} {:<13} {:<41} {}{note}",
            r.device,
            r.stem,
            r.shown.label(),
            r.take_id.as_deref().unwrap_or("-"),
            r.recording_id,
        )?;
    }
    if view.not_listed > 0 {
        crate::outln!(
            "… and {} older done/waiting/gone recording(s): `move-ingest status --all` lists every one",
            view.not_listed
        )?;
    }
    Ok(())
}
