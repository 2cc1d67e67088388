//! `createSingleCamTake` with Move's source rules, and `listTakes` paging (single- and
//! multi-cam takes alike; `createMultiCamTake` is in `multicam`).

use serde_json::Value;

use super::App;
use super::admin::Stats;
use super::resolvers::{Args, FieldError, Page, json_arg, str_arg};
use super::store::{SourceRecord, TakeRecord, now_rfc3339};
use super::views;

/// `listTakes(first, after, sortDirection)`: newest first by default.
pub(crate) fn list(app: &App, args: &Args) -> Result<Value, FieldError> {
    let page = Page::read(args, "listTakes")?;
    Stats::bump(&app.stats.takes_listed);
    let descending = str_arg(args, "sortDirection") != Some("ASC");
    let takes = app.store.takes_sorted(descending);
    Ok(page.of(&takes, "TakesPage", |t| views::take(app, t)))
}

/// `createSingleCamTake(sources, metadata, name)`.
pub(crate) fn create_single_cam(app: &App, args: &Args) -> Result<Value, FieldError> {
    let sources = parse_sources(args);
    check_sources(app, &sources)?;
    let take = TakeRecord {
        id: format!("take-{}", uuid::Uuid::new_v4()),
        name: str_arg(args, "name").map(str::to_string),
        metadata: json_arg(args, "metadata")?,
        created: now_rfc3339(),
        seq: app.store.next_seq(),
        sources,
        volume_id: None,
        sync: None,
    };
    app.store
        .put_take(take.clone())
        .map_err(|e| FieldError::internal(&e))?;
    Stats::bump(&app.stats.takes_created);
    Ok(views::take(app, &take))
}

/// The `sources` argument (validated against `[SourceInput!]` already) as records.
pub(crate) fn parse_sources(args: &Args) -> Vec<SourceRecord> {
    let Some(list) = args.get("sources").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|s| {
            let text = |pointer: &str| {
                s.pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            SourceRecord {
                device_label: text("/deviceLabel").unwrap_or_default(),
                file_id: text("/fileId").unwrap_or_default(),
                format: text("/format").unwrap_or_default(),
                lens: text("/cameraSettings/lens"),
            }
        })
        .collect()
}

pub(crate) fn is_video(format: &str) -> bool {
    matches!(format, "MP4" | "MOV" | "AVI")
}

/// Move's rules: one video, at most one MOVE, one device label, every file uploaded and of the
/// source's format.
fn check_sources(app: &App, sources: &[SourceRecord]) -> Result<(), FieldError> {
    let videos = sources.iter().filter(|s| is_video(&s.format)).count();
    if videos != 1 {
        return Err(FieldError::bad_request(format!(
            "a single-cam take needs exactly one video source (MP4, MOV or AVI), got {videos}"
        )));
    }
    if sources.iter().filter(|s| s.format == "MOVE").count() > 1 {
        return Err(FieldError::bad_request(
            "a single-cam take takes at most one MOVE source",
        ));
    }
    let label = sources.first().map_or("", |s| s.device_label.as_str());
    if label.is_empty() {
        return Err(FieldError::bad_request("deviceLabel must not be empty"));
    }
    if let Some(other) = sources.iter().find(|s| s.device_label != label) {
        return Err(FieldError::bad_request(format!(
            "all sources of a single-cam take share one deviceLabel, got '{label}' and '{}'",
            other.device_label
        )));
    }
    sources.iter().try_for_each(|s| check_file(app, s))
}

pub(crate) fn check_file(app: &App, source: &SourceRecord) -> Result<(), FieldError> {
    let id = &source.file_id;
    let file = app
        .store
        .file(id)
        .ok_or_else(|| FieldError::bad_request(format!("File {id} does not exist")))?;
    if file.upload.is_none() {
        return Err(FieldError::bad_request(format!(
            "File {id} has not been uploaded: PUT its bytes to the presignedUrl first"
        )));
    }
    if !file.file_type.eq_ignore_ascii_case(&source.format) {
        return Err(FieldError::bad_request(format!(
            "File {id} is of type {} but its source says format {}",
            file.file_type, source.format
        )));
    }
    Ok(())
}
