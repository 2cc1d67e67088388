//! What the views show of rigs (issue 22): each rig recording's state, volume, cameras in and
//! missing (`status`, `/api/status`, the page), and the counts `/metrics` exports.

use std::path::Path;

use serde_json::{Value, json};

use crate::model::rig::{RigRecording, RigState};
use crate::store::query::Reader;

/// How many finished rig recordings the views list (every unfinished and failed one is).
const NEWEST: usize = 20;

/// The `rigs` section of `status --json` and `/api/status`: every rig recording not done,
/// then the newest done ones.
pub fn json(reader: &Reader) -> Value {
    match reader.rig_view(NEWEST) {
        Ok(view) => Value::Array(view.listed.iter().map(one).collect()),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

/// Adds `rigs` to a status JSON, reading the state dir `dir`.
pub fn add(out: &mut Value, dir: &Path) {
    let rigs = match Reader::open(dir) {
        Ok(Some(reader)) => json(&reader),
        Ok(None) => Value::Array(Vec::new()),
        Err(e) => json!({ "error": e.to_string() }),
    };
    if let Some(obj) = out.as_object_mut() {
        obj.insert("rigs".into(), rigs);
    }
}

fn one(r: &RigRecording) -> Value {
    let volume = r.volume.as_ref().map(|v| {
        json!({"id": v.id, "state": v.state.as_ref().map(|s| s.as_str().to_string()),
               "percent": v.percent})
    });
    json!({
        "rig_recording": r.key,
        "rig": r.rig,
        "stem": r.stem,
        "calibration": r.calibration,
        "state": r.state().as_str(),
        "cameras": r.cameras.keys().collect::<Vec<_>>(),
        "files": files_json(r),
        "missing": r.missing.clone().unwrap_or_default(),
        "volume": volume,
        "volume_id": r.take_requested.as_ref().map(|t| t.1.clone()).or_else(|| r.volume_id().map(str::to_string)),
        "take_id": r.take_id,
        "error": r.failure.as_ref().map(|f| f.reason.clone()),
    })
}

/// Every camera's own file: device label, file name and, grouped by time, when the file says
/// it was recorded (`interval`: start and end, ms since the epoch, UTC).
pub fn files_json(r: &RigRecording) -> Value {
    r.cameras
        .values()
        .map(|c| json!({"device_label": c.device, "name": c.name, "interval": c.interval}))
        .collect()
}

/// Every camera's own file, `cam-1/GX010123.MP4, cam-2/C0042.MP4`.
pub fn files_text(r: &RigRecording) -> String {
    let files: Vec<String> = r
        .cameras
        .values()
        .map(|c| format!("{}/{}", c.device, c.name))
        .collect();
    files.join(", ")
}

/// The lines of `status`'s rigs section (none without rig recordings).
pub fn lines(dir: &Path) -> Vec<String> {
    let Ok(Some(reader)) = Reader::open(dir) else {
        return Vec::new();
    };
    let Ok(view) = reader.rig_view(NEWEST) else {
        return Vec::new();
    };
    let recs = view.listed;
    let mut out = Vec::new();
    if !recs.is_empty() {
        out.push(format!("rig recordings ({}):", recs.len()));
    }
    for r in &recs {
        out.push(format!("  {}", describe(r)));
    }
    out
}

/// One rig recording in words: state, volume, cameras in and missing.
pub fn describe(r: &RigRecording) -> String {
    let state = r.state().as_str().replace('_', " ");
    let mut s = format!("{}  {state}  cameras {}", r.key, r.cameras.len());
    if let Some(missing) = r.missing.as_ref().filter(|m| !m.is_empty()) {
        s.push_str(&format!(" (missing {})", missing.join(", ")));
    }
    if let Some(v) = &r.volume {
        let st = v.state.as_ref().map_or("requested", |s| s.as_str());
        s.push_str(&format!("  volume {} {st}", v.id.as_deref().unwrap_or("-")));
        if let Some(p) = v.percent.filter(|_| r.state() == RigState::Calibrating) {
            s.push_str(&format!(" {p}%"));
        }
    }
    if let Some(t) = &r.take_id {
        s.push_str(&format!("  take {t}"));
    }
    if !r.cameras.is_empty() {
        s.push_str(&format!("  files {}", files_text(r)));
    }
    if let Some(f) = &r.failure {
        s.push_str(&format!("  failed: {}", f.reason));
    }
    s
}
