//! `move-ingest status`: what the journal holds, by state, and the recordings worth a look.

use std::path::Path;

use crate::cli::StatusArgs;
use crate::config::Config;
use crate::error::{Exit, UsageError};
use crate::journal;
use crate::status_view::StatusView;

/// Runs the `status` command. Reads the journal without locking it, so it works beside a running service.
pub async fn run(config: Option<&Path>, args: StatusArgs) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let (state, _) = journal::read(&cfg.state.dir).map_err(|e| UsageError::new(e.to_string()))?;
    let view = view(&cfg, &state, args.all);
    if args.json {
        let out = view.to_json(&cfg.state.dir);
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    print(&view, &cfg.state.dir)?;
    Ok(Exit::Ok)
}

/// What `status` shows of `state`, with what the running process says it is sending.
fn view(cfg: &Config, state: &crate::state::State, all: bool) -> StatusView {
    let sending = crate::sending::read(&cfg.state.dir);
    let waiting = crate::sending::read_waiting(&cfg.state.dir);
    StatusView::build(state.recordings(), &sending, &waiting, all)
}

/// The JSON of `status --json`; the running service serves the same at `/api/status`.
pub fn json(cfg: &Config, state: &crate::state::State) -> serde_json::Value {
    view(cfg, state, false).to_json(&cfg.state.dir)
}

fn print(view: &StatusView, state_dir: &Path) -> anyhow::Result<()> {
    crate::outln!("state dir: {}", state_dir.display())?;
    let summary: Vec<String> = view
        .counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.label()))
        .collect();
    crate::outln!("{} recordings: {}", view.total, summary.join(", "))?;
    if view.late_sidecars > 0 {
        crate::outln!(
            "{} .move file(s) arrived after their take was created (not added; see below)",
            view.late_sidecars
        )?;
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
