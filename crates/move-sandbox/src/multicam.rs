//! Move's multi-cam rules: the sources of a volume or multi-cam take, their sync method, and
//! `createMultiCamTake` (a take of cameras of a FINISHED volume, with the volume's lenses).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::App;
use super::admin::Stats;
use super::catalog;
use super::jobs::now_ms;
use super::resolvers::{Args, FieldError, json_arg, str_arg};
use super::store::{SourceRecord, SyncRecord, TakeRecord, now_rfc3339};
use super::takes::{self, check_file, is_video};
use super::views;
use super::volumes;

/// At least two sources, every one a video (MP4, MOV or AVI) with a lens `listCameraSettings`
/// lists, one per device label, every file uploaded and of its source's format; `what` names
/// the thing being made in the errors ("a volume", "a multi-cam take").
pub(crate) fn check_sources(
    app: &App,
    sources: &[SourceRecord],
    what: &str,
) -> Result<(), FieldError> {
    if sources.len() < 2 {
        return Err(FieldError::bad_request(format!(
            "{what} needs video sources from at least two cameras, got {}",
            sources.len()
        )));
    }
    let mut labels = HashSet::new();
    for source in sources {
        let label = &source.device_label;
        if !is_video(&source.format) {
            return Err(FieldError::bad_request(format!(
                "{what} takes only video sources (MP4, MOV or AVI), got {} from '{label}'",
                source.format
            )));
        }
        if label.is_empty() {
            return Err(FieldError::bad_request("deviceLabel must not be empty"));
        }
        if !labels.insert(label.as_str()) {
            return Err(FieldError::bad_request(format!(
                "each source of {what} needs its own deviceLabel, '{label}' is given twice"
            )));
        }
        match source.lens.as_deref() {
            None => {
                return Err(FieldError::bad_request(format!(
                    "source '{label}' needs cameraSettings.lens (one that listCameraSettings lists)"
                )));
            }
            Some(lens) if !catalog::is_lens(lens) => {
                return Err(FieldError::bad_request(format!(
                    "Unknown lens '{lens}' for source '{label}': use one that listCameraSettings lists"
                )));
            }
            Some(_) => {}
        }
    }
    sources.iter().try_for_each(|s| check_file(app, s))
}

/// The `syncMethod` argument, checked: at most one of `clapWindow` and `timecodeSync` (neither,
/// or no argument, means the sources are already synced), a clap window with
/// `0 <= startTime < endTime`.
pub(crate) fn sync_method(args: &Args) -> Result<Option<SyncRecord>, FieldError> {
    let Some(sync) = args.get("syncMethod").filter(|s| s.is_object()) else {
        return Ok(None);
    };
    let clap = sync.get("clapWindow").filter(|c| c.is_object());
    let timecode = sync.get("timecodeSync").filter(|t| t.is_object());
    match (clap, timecode) {
        (Some(_), Some(_)) => Err(FieldError::bad_request(
            "syncMethod takes one of clapWindow and timecodeSync, not both",
        )),
        (Some(window), None) => {
            let time = |key: &str| window.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            let (start, end) = (time("startTime"), time("endTime"));
            if start < 0.0 || start >= end {
                return Err(FieldError::bad_request(format!(
                    "syncMethod clapWindow startTime ({start}) must be at least 0 and before endTime ({end})"
                )));
            }
            Ok(Some(SyncRecord::Clap { start, end }))
        }
        (None, Some(timecode)) => Ok(Some(SyncRecord::Timecode {
            use_timecode: timecode
                .get("useTimecode")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })),
        (None, None) => Ok(None),
    }
}

/// A `SyncMethod`, or null when none was given.
pub(crate) fn sync_view(sync: Option<SyncRecord>) -> Value {
    match sync {
        None => Value::Null,
        Some(SyncRecord::Clap { start, end }) => json!({
            "__typename": "SyncMethod",
            "clapWindow": { "__typename": "ClapWindow", "startTime": start, "endTime": end },
            "timecodeSync": null,
        }),
        Some(SyncRecord::Timecode { use_timecode }) => json!({
            "__typename": "SyncMethod",
            "clapWindow": null,
            "timecodeSync": { "__typename": "TimeCodeSync", "useTimecode": use_timecode },
        }),
    }
}

/// `createMultiCamTake(sources, volumeId, syncMethod, metadata, name)`.
pub(crate) fn create_take(app: &App, args: &Args) -> Result<Value, FieldError> {
    let volume_id = str_arg(args, "volumeId").unwrap_or_default();
    let volume = app
        .store
        .volume(volume_id)
        .ok_or_else(|| FieldError::bad_request(format!("Volume {volume_id} does not exist")))?;
    let state = volumes::progress(&volume, now_ms()).state;
    if state != "FINISHED" {
        return Err(FieldError::bad_request(format!(
            "Volume {volume_id} is {state}: a multi-cam take needs a FINISHED volume"
        )));
    }
    let sources = takes::parse_sources(args);
    check_sources(app, &sources, "a multi-cam take")?;
    for source in &sources {
        let label = &source.device_label;
        let Some(camera) = volume.sources.iter().find(|v| &v.device_label == label) else {
            let cameras: Vec<&str> = volume
                .sources
                .iter()
                .map(|v| v.device_label.as_str())
                .collect();
            return Err(FieldError::bad_request(format!(
                "source '{label}' is not a camera of volume {volume_id} (its cameras: {})",
                cameras.join(", ")
            )));
        };
        if camera.lens != source.lens {
            return Err(FieldError::bad_request(format!(
                "source '{label}' has lens '{}' but volume {volume_id} was made with '{}' for it",
                source.lens.as_deref().unwrap_or_default(),
                camera.lens.as_deref().unwrap_or_default()
            )));
        }
    }
    let take = TakeRecord {
        id: format!("take-{}", uuid::Uuid::new_v4()),
        name: str_arg(args, "name").map(str::to_string),
        metadata: json_arg(args, "metadata")?,
        created: now_rfc3339(),
        seq: app.store.next_seq(),
        sources,
        volume_id: Some(volume.id),
        sync: sync_method(args)?,
    };
    app.store
        .put_take(take.clone())
        .map_err(|e| FieldError::internal(&e))?;
    Stats::bump(&app.stats.takes_created);
    Ok(views::take(app, &take))
}
