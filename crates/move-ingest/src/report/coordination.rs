//! What `status` shows of a rig over several machines (issue 26): the shared database, and
//! each rig recording as the shared rows hold it (which cameras are in, which machine holds
//! which camera, who claimed it, its volume or take).

use serde_json::{Value, json};

use crate::coord::SharedRecording;

/// What `status` learnt from the coordination database.
pub struct Shared<'a> {
    /// This machine's name there.
    pub node: &'a str,
    /// Where the database is (no password).
    pub database: String,
    /// The rig recordings, or why the database could not be read.
    pub rigs: Result<Vec<SharedRecording>, String>,
}

/// A shared rig recording's state in words.
fn state(r: &SharedRecording) -> &'static str {
    let c = &r.claim;
    match () {
        _ if c.take_id.is_some() => "done",
        _ if c.missing.is_none() => "collecting",
        _ if c.take_requested.is_some() => "take requested",
        _ if r.calibration && c.volume_state.as_deref() == Some("FINISHED") => "calibrated",
        _ if r.calibration => "calibrating",
        _ => "waiting for volume",
    }
}

/// The `coordination` section of `status --json`.
pub fn json(s: &Shared<'_>) -> Value {
    let rigs = match &s.rigs {
        Ok(rigs) => rigs.iter().map(one).collect(),
        Err(_) => Vec::new(),
    };
    json!({
        "node": s.node,
        "database": s.database,
        "up": s.rigs.is_ok(),
        "error": s.rigs.as_ref().err(),
        "rigs": rigs,
    })
}

fn one(r: &SharedRecording) -> Value {
    let c = &r.claim;
    let cameras: Vec<Value> = r
        .cameras
        .iter()
        .map(|cam| json!({"device": cam.device, "node": cam.node, "name": cam.name, "sha256": cam.sha256}))
        .collect();
    json!({
        "rig_recording": r.key,
        "rig": r.rig,
        "calibration": r.calibration,
        "state": state(r),
        "cameras": cameras,
        "missing": c.missing,
        "claimed_by": c.claimed_by,
        "volume_id": c.volume_id.as_ref().or(c.take_volume_id.as_ref()),
        "volume_state": c.volume_state,
        "take_id": c.take_id,
    })
}

/// The lines of `status`'s coordination section.
pub fn lines(s: &Shared<'_>) -> Vec<String> {
    let head = format!(
        "coordination: this machine is {}, database {}",
        s.node, s.database
    );
    let rigs = match &s.rigs {
        Ok(rigs) => rigs,
        Err(e) => {
            return vec![
                head,
                format!(
                    "  the coordination database is unreachable ({e}): rig recordings wait (retrying); single cameras go on"
                ),
            ];
        }
    };
    let mut out = vec![
        head,
        format!("rig recordings across machines ({}):", rigs.len()),
    ];
    for r in rigs {
        let cams: Vec<String> = r
            .cameras
            .iter()
            .map(|c| format!("{} ({})", c.device, c.node))
            .collect();
        let mut line = format!("  {}  {}  cameras {}", r.key, state(r), cams.join(", "));
        if let Some(m) = r.claim.missing.as_ref().filter(|m| !m.is_empty()) {
            line.push_str(&format!(" (missing {})", m.join(", ")));
        }
        if let Some(by) = &r.claim.claimed_by {
            line.push_str(&format!("  claimed by {by}"));
        }
        if let Some(v) = &r.claim.volume_id {
            line.push_str(&format!("  volume {v}"));
        }
        if let Some(t) = &r.claim.take_id {
            line.push_str(&format!("  take {t}"));
        }
        out.push(line);
    }
    out
}
