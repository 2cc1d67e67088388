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
