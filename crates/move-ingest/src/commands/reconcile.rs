//! `move-ingest reconcile [--dry-run]`: the adoption `backfill` and `run` do by themselves,
//! over everything on disk, on demand: each complete recording the state does not know is
//! adopted when its take is already on the API; a rig camera's video when a volume or
//! multicam take of its rig recording holds it (then `backfill` or `run` forms the rig
//! recording and finds them); nothing is uploaded or created.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::common;
use crate::cli::ReconcileArgs;
use crate::commands::exit::Exit;
use crate::config::resolve_key;
use crate::detect::scan::{self, Found};
use crate::detect::settle::Walked;
use crate::ingest::Fatal;
use crate::ingest::{CameraFile, Existing, Holder, Ingest};
use crate::model::recording::Phase;

/// What reconcile does (or would do) with one recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    /// Its take is on the API: recorded as adopted (with `--dry-run`: would be).
    Adopt,
    /// No take holds it: `backfill` or `run` uploads it.
    Upload,
    /// Nothing to do here: already done, not complete, failed, or in the queue.
    Left,
    /// The account's takes (for a rig camera: volumes and multicam takes) could not be read.
    Unknown,
}

/// One line of the report.
#[derive(Debug, Serialize)]
struct Line {
    device: String,
    stem: String,
    dir: String,
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    take_id: Option<String>,
    reason: String,
}

/// Runs the `reconcile` command.
pub async fn run(config: Option<&Path>, args: ReconcileArgs) -> anyhow::Result<Exit> {
    let cfg = common::load_config(config)?;
    common::require_watch_paths(&cfg)?;
    let watches = cfg.watch.clone();
    let scanning = tokio::task::spawn_blocking(move || scan::scan(&watches));
    let key = resolve_key(&cfg.api)?;
    let (store, _) = common::open_store(&cfg)?;
    let ingest = Ingest::new(cfg.clone(), key, store)?;
    let ingest = Arc::new(ingest);
    let scanned = scanning.await?;
    for e in &scanned.errors {
        tracing::error!("{e}");
    }
    let settle = Duration::from_secs(cfg.pairing.settle_secs);
    // Files dated in the future are not complete here: `backfill` watches them.
    let walked = Walked::at(SystemTime::now(), settle);
    let mut lines = Vec::new();
    for found in &scanned.found {
        let line = reconcile_one(&ingest, found, &walked, settle, args.dry_run)
            .await
            .map_err(Fatal::into_error)?;
        if !args.json {
            crate::outln!("{}", describe(&line, args.dry_run))?;
        }
        lines.push(line);
    }
    let count = |a: Action| lines.iter().filter(|l| l.action == a).count();
    let (adopt, upload, left, unknown) = (
        count(Action::Adopt),
        count(Action::Upload),
        count(Action::Left),
        count(Action::Unknown),
    );
    if args.json {
        let report = serde_json::json!({
            "dry_run": args.dry_run,
            "recordings": lines,
            "adopt": adopt,
            "upload": upload,
            "left": left,
            "unknown": unknown,
            "not_read": scanned.errors,
        });
        crate::outln!("{report}")?;
    } else {
        for e in &scanned.errors {
            crate::outln!("not read: {e}")?;
        }
        let (adopted, recorded) = match args.dry_run {
            true => ("would be adopted", "Nothing was recorded or sent."),
            false => ("adopted", "Nothing was sent."),
        };
        let unknown = match unknown {
            0 => String::new(),
            n => format!(
                "; {n} not known: the account's takes could not be read (see the log), run reconcile again"
            ),
        };
        crate::outln!(
            "reconcile: {adopt} {adopted} (their take is on the API), {upload} to upload (`backfill` or `run` sends them), {left} left (already done, not complete, failed or queued){unknown}. {recorded}"
        )?;
    }
    Ok(if unknown > 0 {
        Exit::Api
    } else if !scanned.errors.is_empty() {
        Exit::SomeFailed
    } else {
        Exit::Ok
    })
}

/// Decides about one find, and adopts its take unless `dry_run`.
async fn reconcile_one(
    ingest: &Ingest,
    found: &Found,
    walked: &Walked,
    settle: Duration,
    dry_run: bool,
) -> Result<Line, Fatal> {
    let mut line = Line {
        device: found.device.clone(),
        stem: found.stem.clone(),
        dir: found.dir.display().to_string(),
        action: Action::Left,
        take_id: None,
        reason: String::new(),
    };
    if found.video.is_none() {
        line.reason = "a .move waiting for its video".into();
        return Ok(line);
    }
    let done = walked.completeness(found);
    if !done.ready(found) {
        line.reason = format!(
            "not complete: modified within the last {}s",
            settle.as_secs()
        );
        return Ok(line);
    }
    let latest = ingest.latest(found)?;
    // Unknown: no recording, a `.move` that waited for this video, or one an earlier run
    // found unknown and has not looked for yet (nothing of it uploaded).
    let unknown = |rec: &crate::model::recording::Recording| {
        rec.phase() == Phase::Waiting || rec.look_for_take && rec.phase() == Phase::Queued
    };
    if let Some(rec) = &latest
        && !unknown(rec)
    {
        line.take_id = rec.take_id.clone();
        (line.action, line.reason) = known(rec, found);
        return Ok(line);
    }
    if let Some(m) = ingest.rig_member_of(found) {
        return reconcile_camera(ingest, found, latest.as_ref(), &m, line, dry_run).await;
    }
    match ingest.existing_take(found).await? {
        Existing::Take(take) => {
            if !dry_run {
                ingest.adopt_existing(latest.as_ref(), found, &take).await?;
            }
            line.action = Action::Adopt;
            line.reason = "a take holds these very files (names, sizes, SHA-256)".into();
            line.take_id = Some(take.take_id);
        }
        Existing::None => {
            line.action = Action::Upload;
            line.reason = "no take on the API holds these files".into();
        }
        Existing::Unknown { reason, .. } => {
            line.action = Action::Unknown;
            line.reason = reason;
        }
    }
    Ok(line)
}

/// A rig camera's video the state does not know: adopted when a volume or multicam take of
/// its rig recording holds it (recorded as `run` and `backfill` would, unless `dry_run`).
async fn reconcile_camera(
    ingest: &Ingest,
    found: &Found,
    latest: Option<&crate::model::recording::Recording>,
    m: &crate::ingest::RigMember,
    mut line: Line,
    dry_run: bool,
) -> Result<Line, Fatal> {
    let rig_recording = match m.by_time {
        true => format!("{} (found by the time it was recorded)", m.rig),
        false => crate::model::rig::key(&m.rig, &m.group),
    };
    let Some(video) = &found.video else {
        return Ok(line);
    };
    match ingest.find_camera_file(&found.dir, video, m).await? {
        CameraFile::Held(held) => {
            if !dry_run {
                ingest.adopt_camera_found(latest, found, &held).await?;
            }
            let by = match held.holder {
                Holder::Volume => "its volume",
                Holder::Take => "its multicam take",
            };
            if held.holder == Holder::Take {
                line.take_id = Some(held.holder_id.clone());
            }
            line.action = Action::Adopt;
            line.reason = format!(
                "camera {} of rig recording {}; {by} {} holds this very video (name, size, SHA-256)",
                m.camera, held.rig_recording, held.holder_id
            );
        }
        CameraFile::NotHeld | CameraFile::NoRecording => {
            line.action = Action::Upload;
            line.reason =
                format!("camera of rig recording {rig_recording}; no volume or take holds it");
        }
        CameraFile::Unknown(reason) => {
            line.action = Action::Unknown;
            line.reason = format!(
                "camera of rig recording {rig_recording}; the account's volumes and takes could not be read: {reason}"
            );
        }
    }
    Ok(line)
}

/// What happens to a recording the state knows.
fn known(rec: &crate::model::recording::Recording, found: &Found) -> (Action, String) {
    let facts = |s: &Option<scan::Seen>| s.as_ref().map(|s| s.facts.clone());
    let (v, m) = (facts(&found.video), facts(&found.sidecar));
    match rec.phase() {
        Phase::Done if rec.done_and_unchanged(v.as_ref(), m.as_ref()) => {
            (Action::Left, "already done".into())
        }
        Phase::Done => (
            Action::Left,
            "done; a file changed since its take (backfill tells a touch from new bytes)".into(),
        ),
        Phase::Failed => (
            Action::Left,
            "failed (`move-ingest retry` puts it back)".into(),
        ),
        Phase::Gone => (
            Action::Left,
            "gone: a file vanished before its upload".into(),
        ),
        _ => (
            Action::Left,
            "queued in the state: `backfill` or `run` finishes it".into(),
        ),
    }
}

/// `adopted cam-a/take01: take TAKE_ID (a take holds these very files ...)`.
fn describe(line: &Line, dry_run: bool) -> String {
    let verb = match (line.action, dry_run) {
        (Action::Adopt, true) => "would adopt",
        (Action::Adopt, false) => "adopted",
        (Action::Upload, _) => "upload",
        (Action::Left, _) => "left",
        (Action::Unknown, _) => "unknown",
    };
    let take = match &line.take_id {
        Some(t) => format!(": take {t}"),
        None => String::new(),
    };
    format!(
        "{verb} {}/{} ({}){take}: {}",
        line.device, line.stem, line.dir, line.reason
    )
}
