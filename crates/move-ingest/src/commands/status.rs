//! `move-ingest status`: what the state holds, by state, and the recordings worth a look.

use std::path::Path;

use crate::cli::StatusArgs;
use crate::commands::exit::Exit;
use crate::config::Config;
use crate::config::UsageError;
use crate::coord::Coordinator;
use crate::report::coordination::Shared;
use crate::report::status::{Query, add_notices, add_paused, view};
use crate::report::view::StatusView;

/// Runs the `status` command. Opens the state read-only, so it works beside a running service.
pub async fn run(config: Option<&Path>, args: StatusArgs) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let sending = crate::report::sending::read(&cfg.state.dir);
    let waiting = crate::report::sending::read_waiting(&cfg.state.dir);
    let query = Query {
        all: args.all,
        failed: args.failed,
        since: args.since.map(Into::into),
    };
    let view = view(&cfg.state.dir, &query, &sending, &waiting)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let notices = crate::detect::notices::Notices::load(&cfg.state.dir);
    let paused = crate::store::pause::read(&cfg.state.dir);
    let shared = shared(&cfg).await?;
    if args.json {
        let mut out = view.to_json(&cfg.state.dir);
        add_notices(&mut out, &notices);
        add_paused(&mut out, paused.as_ref());
        crate::report::rigs::add(&mut out, &cfg.state.dir);
        if let (Some(s), Some(obj)) = (&shared, out.as_object_mut()) {
            obj.insert("coordination".into(), crate::report::coordination::json(s));
        }
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    print(&view, &cfg.state.dir, &notices, paused.as_ref())?;
    for line in shared.iter().flat_map(crate::report::coordination::lines) {
        crate::outln!("{line}")?;
    }
    Ok(Exit::Ok)
}

/// With `[coordination]`: the rig recordings as the shared database holds them (or why it
/// cannot be read); a password that cannot be read is a usage error.
async fn shared(cfg: &Config) -> anyhow::Result<Option<Shared<'_>>> {
    let Some(c) = &cfg.coordination else {
        return Ok(None);
    };
    let password = crate::config::resolve_pg_password(c, &cfg.path)?;
    let coord = Coordinator::new(c, password.as_ref()).map_err(UsageError::new)?;
    let rigs = coord.list(20).await.map_err(|e| e.to_string());
    Ok(Some(Shared {
        node: &c.node,
        database: coord.place(),
        rigs,
    }))
}

fn print(
    view: &StatusView,
    state_dir: &Path,
    notices: &crate::detect::notices::Notices,
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
    for line in crate::report::rigs::lines(state_dir) {
        crate::outln!("{line}")?;
    }
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
