//! Processing jobs: `createSingleCamJob`, `createMultiCamJob`, `getJob` and `listJobs`, with
//! states that move over time. A single-cam job needs a single-cam take, a multi-cam job a
//! multi-cam take (with 1 to 10 actors and a rig from `listRigs`).
//!
//! A job stays NOT_STARTED, then RUNNING (its percentage growing), then FINISHED with one output
//! file per requested `OutputType` (MAIN_FBX and RENDER_VIDEO when none is named), whose
//! presigned URL serves bytes fixed per job and output ([`output_bytes`]). Some jobs FAIL halfway when [`JobSettings::p_fail`] says so; the schema has
//! no field for why, so the reason is added to the job's metadata as `failure_reason`.

mod settings;
mod store;
mod view;

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use settings::JobSettings;
pub(crate) use settings::{Fate, SettingsState, get_settings, post_settings};
pub use view::output_bytes;
pub(crate) use view::{Progress, lifecycle, with_failure_reason};

use crate::App;
use crate::admin::Stats;
use crate::catalog;
use crate::resolvers::{Args, FieldError, Page, json_arg, str_arg};
use crate::store::{FileRecord, TakeRecord, Upload, now_rfc3339};
use store::{JobRecord, JobStore, OutputRecord};

/// The outputs a job gets when `outputs` is absent or empty: the animation and its video.
const DEFAULT_OUTPUTS: [&str; 2] = ["MAIN_FBX", "RENDER_VIDEO"];

/// The jobs and how new ones behave.
pub(crate) struct Jobs {
    store: JobStore,
    pub(crate) settings: SettingsState<JobSettings>,
}

impl Jobs {
    /// Opens `<data dir>/jobs` with `settings` for new jobs.
    pub(crate) fn open(data_dir: &std::path::Path, settings: JobSettings) -> anyhow::Result<Jobs> {
        Ok(Jobs {
            store: JobStore::open(data_dir)?,
            settings: SettingsState::new(settings),
        })
    }
}

/// Milliseconds since the epoch: the clock job and volume states move by.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `getJob(jobId)`.
pub(crate) fn get(app: &App, args: &Args) -> Result<Value, FieldError> {
    let id = str_arg(args, "jobId").unwrap_or_default();
    let job = app.jobs.store.get(id).ok_or_else(FieldError::not_found)?;
    Ok(view::job(app, &job, now_ms()))
}

/// `listJobs(first, after, sortDirection, takeId)`: newest first by default.
pub(crate) fn list(app: &App, args: &Args) -> Result<Value, FieldError> {
    let page = Page::read(args, "listJobs")?;
    let descending = str_arg(args, "sortDirection") != Some("ASC");
    let jobs = app.jobs.store.sorted(str_arg(args, "takeId"), descending);
    let now = now_ms();
    Ok(page.of(&jobs, "JobsPage", |j| view::job(app, j, now)))
}

/// `createSingleCamJob(takeId, outputs, options, clipWindow, name, metadata)`.
pub(crate) fn create_single_cam(app: &App, args: &Args) -> Result<Value, FieldError> {
    let take = job_take(app, args)?;
    if take.is_multi_cam() {
        return Err(FieldError::bad_request(format!(
            "Take {} is a multi-cam take: process it with createMultiCamJob",
            take.id
        )));
    }
    create(app, args, &take, None)
}

/// `createMultiCamJob(takeId, numberOfActors, rig, outputs, options, clipWindow, name, metadata)`.
pub(crate) fn create_multi_cam(app: &App, args: &Args) -> Result<Value, FieldError> {
    let take = job_take(app, args)?;
    if !take.is_multi_cam() {
        return Err(FieldError::bad_request(format!(
            "Take {} is a single-cam take: process it with createSingleCamJob",
            take.id
        )));
    }
    let actors = args
        .get("numberOfActors")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    if !(1..=MAX_ACTORS).contains(&actors) {
        return Err(FieldError::bad_request(format!(
            "numberOfActors must be between 1 and {MAX_ACTORS}, got {actors}"
        )));
    }
    let rig = catalog::rig(str_arg(args, "rig"))?;
    create(app, args, &take, Some((actors, rig)))
}

/// The most actors a multi-cam job may track.
const MAX_ACTORS: i64 = 10;

/// The take named by `takeId`, or a bad request naming it.
fn job_take(app: &App, args: &Args) -> Result<TakeRecord, FieldError> {
    let take_id = str_arg(args, "takeId").unwrap_or_default();
    app.store
        .take(take_id)
        .ok_or_else(|| FieldError::bad_request(format!("Take {take_id} does not exist")))
}

/// Creates a job of `take`; `multi_cam` is `(numberOfActors, rig)` for a multi-cam job.
fn create(
    app: &App,
    args: &Args,
    take: &TakeRecord,
    multi_cam: Option<(i64, String)>,
) -> Result<Value, FieldError> {
    let clip_window = clip_window(args)?;
    let metadata = json_arg(args, "metadata")?;
    let (settings, failure) = app.jobs.settings.draw();
    let id = format!("job-{}", uuid::Uuid::new_v4());
    let outputs = match failure {
        Some(_) => Vec::new(),
        None => write_outputs(app, &id, &requested_outputs(args), settings.output_bytes)?,
    };
    let job = JobRecord {
        id,
        take_id: take.id.clone(),
        name: str_arg(args, "name").map(str::to_string),
        metadata,
        created: now_rfc3339(),
        created_ms: now_ms(),
        seq: app.jobs.store.next_seq(),
        options: args.get("options").filter(|o| o.is_object()).cloned(),
        clip_window,
        queue_ms: settings.queue_ms,
        run_ms: settings.run_ms,
        failure,
        outputs,
        number_of_actors: multi_cam.as_ref().map(|(actors, _)| *actors),
        rig: multi_cam.map(|(_, rig)| rig),
    };
    app.jobs
        .store
        .put(job.clone())
        .map_err(|e| FieldError::internal(&e))?;
    Stats::bump(&app.stats.jobs_created);
    Ok(view::job(app, &job, job.created_ms))
}

/// The `outputs` argument without nulls and repeats; the defaults when it names none.
fn requested_outputs(args: &Args) -> Vec<String> {
    let mut outputs: Vec<String> = Vec::new();
    for name in args
        .get("outputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !outputs.iter().any(|o| o == name) {
            outputs.push(name.to_string());
        }
    }
    if outputs.is_empty() {
        outputs = DEFAULT_OUTPUTS.iter().map(|o| o.to_string()).collect();
    }
    outputs
}

/// The `clipWindow` argument, checked: `0 <= startTime < endTime` (jobs and volumes).
pub(crate) fn clip_window(args: &Args) -> Result<Option<(f64, f64)>, FieldError> {
    let Some(window) = args.get("clipWindow").filter(|w| w.is_object()) else {
        return Ok(None);
    };
    let time = |key: &str| window.get(key).and_then(Value::as_f64).unwrap_or(0.0);
    let (start, end) = (time("startTime"), time("endTime"));
    if start < 0.0 || start >= end {
        return Err(FieldError::bad_request(format!(
            "clipWindow startTime ({start}) must be at least 0 and before endTime ({end})"
        )));
    }
    Ok(Some((start, end)))
}

/// Writes each output's bytes and file record now; they are served once the job FINISHES.
fn write_outputs(
    app: &App,
    job_id: &str,
    outputs: &[String],
    base_size: u64,
) -> Result<Vec<OutputRecord>, FieldError> {
    outputs
        .iter()
        .map(|key| {
            let format = view::extension(key);
            let size = view::output_size(job_id, key, base_size);
            let bytes = output_bytes(job_id, key, size);
            let file = FileRecord {
                id: format!("file-{}", uuid::Uuid::new_v4()),
                file_type: format.to_string(),
                name: Some(format!("{key}.{format}")),
                metadata: None,
                created: now_rfc3339(),
                seq: app.store.next_seq(),
                upload: Some(Upload {
                    size,
                    sha256: hex::encode(Sha256::digest(&bytes)),
                    completed: now_rfc3339(),
                }),
            };
            let path = app.store.blob_path(&file.id);
            std::fs::write(&path, &bytes)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
                .and_then(|()| app.store.put_file(file.clone()))
                .map_err(|e| FieldError::internal(&e))?;
            Ok(OutputRecord {
                key: key.clone(),
                format: format.to_string(),
                file_id: file.id,
            })
        })
        .collect()
}
