//! Volumes: `createVolumeWithHuman`, `getVolume` and `listVolumes`, with states that move over
//! time like jobs' (NOT_STARTED, RUNNING, then FINISHED, or FAILED halfway when
//! [`VolumeSettings::p_fail`] says so, the reason in the metadata as `failure_reason`).
//!
//! A volume is made of one video per camera (at least two, each with a known lens) of a human
//! of known height; a multi-cam take needs a FINISHED one.

mod settings;

use serde_json::{Value, json};

pub use settings::VolumeSettings;
pub(crate) use settings::{get_settings, post_settings};

use crate::App;
use crate::admin::Stats;
use crate::jobs::{self, Progress, lifecycle, now_ms, with_failure_reason};
use crate::multicam;
use crate::resolvers::{Args, FieldError, Page, json_arg, str_arg};
use crate::store::{VolumeRecord, now_rfc3339};
use crate::takes;
use crate::views;

/// The heights, in metres, a volume's human may have.
const HUMAN_HEIGHTS: std::ops::RangeInclusive<f64> = 0.5..=2.5;

/// `createVolumeWithHuman(sources, humanHeight, areaType, syncMethod, clipWindow, name, metadata)`.
pub(crate) fn create(app: &App, args: &Args) -> Result<Value, FieldError> {
    let height = args
        .get("humanHeight")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    if !HUMAN_HEIGHTS.contains(&height) {
        return Err(FieldError::bad_request(format!(
            "humanHeight must be between {} and {} metres, got {height}",
            HUMAN_HEIGHTS.start(),
            HUMAN_HEIGHTS.end()
        )));
    }
    let sources = takes::parse_sources(args);
    multicam::check_sources(app, &sources, "a volume")?;
    let sync = multicam::sync_method(args)?;
    let clip_window = jobs::clip_window(args)?;
    let metadata = json_arg(args, "metadata")?;
    let (settings, failure) = app.volumes.draw();
    let volume = VolumeRecord {
        id: format!("volume-{}", uuid::Uuid::new_v4()),
        name: str_arg(args, "name").map(str::to_string),
        metadata,
        created: now_rfc3339(),
        created_ms: now_ms(),
        seq: app.store.next_seq(),
        sources,
        human_height: height,
        area_type: str_arg(args, "areaType").unwrap_or("NORMAL").to_string(),
        sync,
        clip_window,
        queue_ms: settings.queue_ms,
        run_ms: settings.run_ms,
        failure,
    };
    app.store
        .put_volume(volume.clone())
        .map_err(|e| FieldError::internal(&e))?;
    Stats::bump(&app.stats.volumes_created);
    Ok(view(app, &volume, volume.created_ms))
}

/// `getVolume(id)`.
pub(crate) fn get(app: &App, args: &Args) -> Result<Value, FieldError> {
    let id = str_arg(args, "id").unwrap_or_default();
    let volume = app.store.volume(id).ok_or_else(FieldError::not_found)?;
    Ok(view(app, &volume, now_ms()))
}

/// `listVolumes(first, after, sortDirection)`: newest first by default.
pub(crate) fn list(app: &App, args: &Args) -> Result<Value, FieldError> {
    let page = Page::read(args, "listVolumes")?;
    let descending = str_arg(args, "sortDirection") != Some("ASC");
    let volumes = app.store.volumes_sorted(descending);
    let now = now_ms();
    Ok(page.of(&volumes, "VolumePage", |v| view(app, v, now)))
}

/// Where `volume` is at `now_ms`.
pub(crate) fn progress(volume: &VolumeRecord, now_ms: u64) -> Progress {
    lifecycle(
        volume.created_ms,
        volume.queue_ms,
        volume.run_ms,
        volume.failure.is_some(),
        now_ms,
    )
}

/// A `HumanVolume` as it stands at `now_ms`.
pub(crate) fn view(app: &App, record: &VolumeRecord, now_ms: u64) -> Value {
    let progress = progress(record, now_ms);
    let sources: Vec<Value> = record
        .sources
        .iter()
        .map(|s| views::source(app, s))
        .collect();
    let clip = record.clip_window.map_or(Value::Null, |(start, end)| {
        json!({ "__typename": "ClipWindowJobInputType", "startTime": start, "endTime": end })
    });
    json!({
        "__typename": "HumanVolume",
        "id": record.id,
        "name": record.name,
        "metadata": with_failure_reason(&record.metadata, record.failure.as_deref(), progress),
        "created": record.created,
        "areaType": record.area_type,
        "humanHeight": record.human_height,
        "clipWindow": clip,
        "sources": sources,
        "outputs": [],
        "state": progress.state,
        "progress": {
            "__typename": "JobProgress",
            "state": progress.state,
            "percentageComplete": progress.percent,
        },
        "client": views::client(app),
    })
}
