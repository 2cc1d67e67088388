//! `move-ingest history DEVICE/STEM`: every step of one recording, with its time, in words
//! (`report::history`), or as stored with `--json`.

use std::path::Path;

use crate::cli::HistoryArgs;
use crate::commands::exit::Exit;
use crate::config::Config;
use crate::config::UsageError;
use crate::store::query::Reader;

/// Runs the `history` command (read-only, beside a running service).
pub async fn run(config: Option<&Path>, args: HistoryArgs) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let usage = |e: crate::store::StoreError| UsageError::new(e.to_string());
    let Some((device, stem)) = args.recording.rsplit_once('/') else {
        return Err(UsageError::new(format!(
            "`{}` is not DEVICE/STEM: give the device label and the file name without its extension, e.g. cam-a/take01",
            args.recording
        ))
        .into());
    };
    let Some(reader) = Reader::open(&cfg.state.dir).map_err(usage)? else {
        return Err(UsageError::new(format!(
            "no state in {} yet: nothing has been ingested",
            cfg.state.dir.display()
        ))
        .into());
    };
    if let Some(rig) = reader.rig_recording(&args.recording).map_err(usage)? {
        return rig_history(&reader, &rig, args.json);
    }
    let recs = reader.named(device, stem).map_err(usage)?;
    if recs.is_empty() {
        return Err(UsageError::new(format!(
            "no recording {device}/{stem} in {} (see `move-ingest status`)",
            reader.path().display()
        ))
        .into());
    }
    if args.json {
        let mut out = Vec::new();
        for r in &recs {
            let steps = reader.steps(&r.id).map_err(usage)?;
            out.push(serde_json::json!({
                "recording_id": r.id,
                "device": r.device,
                "stem": r.stem,
                "dir": r.dir,
                "state": r.phase().as_str(),
                "take_id": r.take_id,
                "steps": steps
                    .iter()
                    .map(|s| serde_json::json!({"seq": s.seq, "t": s.t, "event": s.event}))
                    .collect::<Vec<_>>(),
            }));
        }
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    for (i, r) in recs.iter().enumerate() {
        if i > 0 {
            crate::outln!()?;
        }
        crate::outln!(
            "{device}/{stem}  {}  {}  take {}  in {}",
            r.id,
            r.phase().as_str(),
            r.take_id.as_deref().unwrap_or("-"),
            r.dir.display()
        )?;
        for step in reader.steps(&r.id).map_err(usage)? {
            crate::outln!("  {}", crate::report::history::line(&step, &r.device))?;
        }
    }
    Ok(Exit::Ok)
}

/// `history RIG/STEM`: the steps of a rig recording.
fn rig_history(
    reader: &Reader,
    rig: &crate::model::rig::RigRecording,
    json: bool,
) -> anyhow::Result<Exit> {
    let usage = |e: crate::store::StoreError| UsageError::new(e.to_string());
    let steps = reader.rig_steps(&rig.key).map_err(usage)?;
    if json {
        let out = serde_json::json!({
            "rig_recording": rig.key,
            "rig": rig.rig,
            "stem": rig.stem,
            "state": rig.state().as_str(),
            "take_id": rig.take_id,
            "volume_id": rig.volume_id(),
            "files": crate::report::rigs::files_json(rig),
            "steps": steps
                .iter()
                .map(|(t, ev)| serde_json::json!({"at_ms": t, "event": ev}))
                .collect::<Vec<_>>(),
        });
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    crate::outln!(
        "{}  {}  take {}  volume {}",
        rig.key,
        rig.state().as_str(),
        rig.take_id.as_deref().unwrap_or("-"),
        rig.volume_id().unwrap_or("-")
    )?;
    crate::outln!("  files {}", crate::report::rigs::files_text(rig))?;
    for (at_ms, ev) in &steps {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis((*at_ms).max(0) as u64);
        let t = humantime::format_rfc3339_seconds(t);
        crate::outln!("  {t}  {}", ev.describe())?;
    }
    Ok(Exit::Ok)
}
