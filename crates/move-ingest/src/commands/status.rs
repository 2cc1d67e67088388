//! `move-ingest status`: what the journal holds, by state, and the latest recordings.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::cli::StatusArgs;
use crate::config::Config;
use crate::error::{Exit, UsageError};
use crate::journal;
use crate::state::{Phase, Recording};

const LATEST: usize = 20;

/// Runs the `status` command. Reads the journal without locking it, so it works beside a running service.
pub async fn run(config: Option<&Path>, args: StatusArgs) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let (state, _) = journal::read(&cfg.state.dir).map_err(|e| UsageError::new(e.to_string()))?;
    let mut counts: BTreeMap<Phase, usize> = BTreeMap::new();
    for r in state.recordings() {
        *counts.entry(r.phase()).or_default() += 1;
    }
    let late = state
        .recordings()
        .filter(|r| r.late_sidecar.is_some())
        .count();
    let mut latest: Vec<&Recording> = state.recordings().collect();
    latest.sort_by_key(|r| std::cmp::Reverse(r.seq));
    latest.truncate(LATEST);
    if args.json {
        let counts: serde_json::Map<_, _> = all_phases()
            .iter()
            .map(|p| {
                (
                    p.as_str().to_string(),
                    json!(counts.get(p).copied().unwrap_or(0)),
                )
            })
            .collect();
        let out = json!({
            "state_dir": cfg.state.dir,
            "total": state.len(),
            "counts": counts,
            "late_sidecars": late,
            "latest": latest.iter().map(|r| row_json(r)).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(Exit::Ok);
    }
    println!("state dir: {}", cfg.state.dir.display());
    let summary: Vec<String> = all_phases()
        .iter()
        .map(|p| format!("{} {}", counts.get(p).copied().unwrap_or(0), p.as_str()))
        .collect();
    println!("{} recordings: {}", state.len(), summary.join(", "));
    if late > 0 {
        println!(
            "{late} .move file(s) arrived after their take was created (not added; see below)"
        );
    }
    if latest.is_empty() {
        return Ok(Exit::Ok);
    }
    println!();
    println!(
        "{:<16} {:<24} {:<14} {:<44} RECORDING / NOTE",
        "DEVICE", "STEM", "STATE", "TAKE"
    );
    for r in latest {
        let note = note(r);
        println!(
            "{:<16} {:<24} {:<14} {:<44} {}{}",
            r.device,
            r.stem,
            r.phase().as_str(),
            r.take_id.as_deref().unwrap_or("-"),
            r.id,
            if note.is_empty() {
                String::new()
            } else {
                format!("  {note}")
            }
        );
    }
    Ok(Exit::Ok)
}

fn all_phases() -> [Phase; 7] {
    [
        Phase::Waiting,
        Phase::Queued,
        Phase::Uploading,
        Phase::TakeRequested,
        Phase::Done,
        Phase::Failed,
        Phase::Gone,
    ]
}

fn note(r: &Recording) -> String {
    if let Some(f) = &r.failure {
        return format!("failed at {}: {}", f.step, f.reason);
    }
    if let Some(g) = &r.gone {
        return g.clone();
    }
    if let Some(late) = &r.late_sidecar {
        return format!("late .move: {}", late.name);
    }
    if r.video.is_none() {
        return "a .move waiting for its video".into();
    }
    String::new()
}

fn row_json(r: &Recording) -> serde_json::Value {
    json!({
        "recording_id": r.id,
        "device": r.device,
        "stem": r.stem,
        "dir": r.dir,
        "state": r.phase().as_str(),
        "take_id": r.take_id,
        "error": r.failure.as_ref().map(|f| format!("{}: {}", f.step, f.reason)),
        "late_sidecar": r.late_sidecar.as_ref().map(|f| f.name.clone()),
        "updated": r.updated,
    })
}
