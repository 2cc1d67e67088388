//! A job's state at a given time, its full GraphQL value, and the bytes of its outputs.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::store::{JobRecord, OutputRecord};
use crate::App;
use crate::views::{self, UrlKind};

/// Where a job is at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// NOT_STARTED, RUNNING, FINISHED or FAILED (the `JobState` names).
    pub state: &'static str,
    pub percent: u32,
}

/// The state of `job` at `now_ms` (see [`lifecycle`]).
pub(crate) fn progress(job: &JobRecord, now_ms: u64) -> Progress {
    lifecycle(
        job.created_ms,
        job.queue_ms,
        job.run_ms,
        job.failure.is_some(),
        now_ms,
    )
}

/// The state at `now_ms` of a job or volume created at `created_ms`: NOT_STARTED for
/// `queue_ms`, then RUNNING for `run_ms`, then FINISHED; one drawn to fail (`fails`) turns
/// FAILED halfway through its run, at 50%.
pub(crate) fn lifecycle(
    created_ms: u64,
    queue_ms: u64,
    run_ms: u64,
    fails: bool,
    now_ms: u64,
) -> Progress {
    let elapsed = now_ms.saturating_sub(created_ms);
    if elapsed < queue_ms {
        return Progress {
            state: "NOT_STARTED",
            percent: 0,
        };
    }
    let running = elapsed - queue_ms;
    if fails && running >= run_ms / 2 {
        let percent = if run_ms == 0 { 0 } else { 50 };
        return Progress {
            state: "FAILED",
            percent,
        };
    }
    if running < run_ms {
        let percent = (running.saturating_mul(100) / run_ms).min(99) as u32;
        return Progress {
            state: "RUNNING",
            percent,
        };
    }
    Progress {
        state: "FINISHED",
        percent: 100,
    }
}

/// A `Job` as it stands at `now_ms`, with its take and, once FINISHED, its outputs.
pub(crate) fn job(app: &App, record: &JobRecord, now_ms: u64) -> Value {
    let progress = progress(record, now_ms);
    let outputs: Vec<Value> = if progress.state == "FINISHED" {
        record.outputs.iter().map(|o| output(app, o)).collect()
    } else {
        Vec::new()
    };
    let take = app
        .store
        .take(&record.take_id)
        .map_or(Value::Null, |t| views::take(app, &t));
    json!({
        "__typename": "Job",
        "id": record.id,
        "created": record.created,
        "name": record.name,
        "metadata": with_failure_reason(&record.metadata, record.failure.as_deref(), progress),
        "state": progress.state,
        "progress": {
            "__typename": "JobProgress",
            "state": progress.state,
            "percentageComplete": progress.percent,
        },
        "inputs": inputs(record),
        "outputs": outputs,
        "take": take,
        "rig": record.rig.as_ref().map(|name| json!({ "__typename": "Rig", "name": name })),
        "client": views::client(app),
    })
}

/// The metadata as given (`{}` when none, like Move), plus `failure_reason` once FAILED: the
/// schema has no field for the reason, so the sandbox reports it there (jobs and volumes).
pub(crate) fn with_failure_reason(
    given: &Option<String>,
    failure: Option<&str>,
    progress: Progress,
) -> String {
    let given = given.as_deref().unwrap_or("{}");
    match (failure, progress.state) {
        (Some(reason), "FAILED") => {
            let mut value: Value = serde_json::from_str(given).unwrap_or_else(|_| json!({}));
            match value.as_object_mut() {
                Some(map) => {
                    map.insert("failure_reason".into(), json!(reason));
                }
                None => value = json!({ "value": value, "failure_reason": reason }),
            }
            value.to_string()
        }
        _ => given.to_string(),
    }
}

fn inputs(record: &JobRecord) -> Value {
    let clip = record.clip_window.map_or(Value::Null, |(start, end)| {
        json!({ "__typename": "ClipWindowJobInputType", "startTime": start, "endTime": end })
    });
    let options = record.options.as_ref().map_or(Value::Null, |given| {
        let mut options = json!({ "__typename": "OptionsInputType" });
        for key in [
            "floorPlane",
            "mocapModel",
            "trackBall",
            "trackFingers",
            "trackJerseyNumbers",
        ] {
            options[key] = given.get(key).cloned().unwrap_or(Value::Null);
        }
        options
    });
    json!({
        "__typename": "JobInputs",
        "numberOfActors": record.number_of_actors.unwrap_or(1),
        "clipWindow": clip,
        "options": options,
    })
}

fn output(app: &App, record: &OutputRecord) -> Value {
    let file = app
        .store
        .file(&record.file_id)
        .map_or(Value::Null, |f| views::file(app, &f, UrlKind::Download));
    json!({
        "__typename": "AdditionalFile",
        "key": record.key,
        "format": record.format,
        "file": file,
    })
}

/// The file extension of an `OutputType`'s file: a model, a video, data, or a zip of several.
pub(crate) fn extension(output_type: &str) -> &'static str {
    match output_type {
        "MAIN_FBX" => "fbx",
        "MAIN_BLEND" => "blend",
        "MAIN_GLB" => "glb",
        "MAIN_USDC" => "usdc",
        "MAIN_USDZ" => "usdz",
        "RENDER_VIDEO" | "RENDER_OVERLAY_VIDEO" => "mp4",
        "MOTION_DATA" | "SYNC_DATA" => "json",
        _ => "zip",
    }
}

/// The size of output `key` of job `job_id`: `base` plus up to 1 KiB, fixed per job and output.
pub(crate) fn output_size(job_id: &str, key: &str, base: u64) -> u64 {
    let digest = Sha256::digest(format!("{job_id}\n{key}\nsize").as_bytes());
    base + u64::from(u16::from_be_bytes([digest[0], digest[1]]) % 1024)
}

/// The bytes of output `key` of job `job_id`, `size` long: the same for the same arguments, so a
/// test can check a download byte for byte.
pub fn output_bytes(job_id: &str, key: &str, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(size as usize);
    let mut block = 0u64;
    while (out.len() as u64) < size {
        let digest = Sha256::digest(format!("{job_id}\n{key}\n{block}").as_bytes());
        let take = (size - out.len() as u64).min(digest.len() as u64) as usize;
        out.extend_from_slice(&digest[..take]);
        block += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(queue_ms: u64, run_ms: u64, failure: Option<&str>) -> JobRecord {
        JobRecord {
            id: "job-1".into(),
            take_id: "take-1".into(),
            name: None,
            metadata: None,
            created: String::new(),
            created_ms: 1_000,
            seq: 1,
            options: None,
            clip_window: None,
            queue_ms,
            run_ms,
            failure: failure.map(str::to_string),
            outputs: Vec::new(),
            number_of_actors: None,
            rig: None,
        }
    }

    fn at(job: &JobRecord, ms_after_creation: u64) -> (&'static str, u32) {
        let p = progress(job, job.created_ms + ms_after_creation);
        (p.state, p.percent)
    }

    #[test]
    fn moves_from_not_started_through_running_to_finished() {
        let j = job(100, 1000, None);
        assert_eq!(at(&j, 0), ("NOT_STARTED", 0));
        assert_eq!(at(&j, 99), ("NOT_STARTED", 0));
        assert_eq!(at(&j, 100), ("RUNNING", 0));
        assert_eq!(at(&j, 350), ("RUNNING", 25));
        assert_eq!(at(&j, 1099), ("RUNNING", 99));
        assert_eq!(at(&j, 1100), ("FINISHED", 100));
        assert_eq!(at(&j, 1_000_000), ("FINISHED", 100));
    }

    #[test]
    fn a_failing_job_fails_halfway_and_stays_failed() {
        let j = job(0, 1000, Some("why"));
        assert_eq!(at(&j, 499), ("RUNNING", 49));
        assert_eq!(at(&j, 500), ("FAILED", 50));
        assert_eq!(at(&j, 5000), ("FAILED", 50));
        assert_eq!(at(&job(0, 0, Some("why")), 0), ("FAILED", 0));
    }

    #[test]
    fn a_clock_before_creation_is_not_started() {
        let j = job(10, 0, None);
        assert_eq!(progress(&j, 0).state, "NOT_STARTED");
        assert_eq!(at(&j, 10), ("FINISHED", 100));
    }

    #[test]
    fn output_bytes_are_fixed_per_job_and_output() {
        let a = output_bytes("job-1", "MAIN_FBX", 1000);
        assert_eq!(a.len(), 1000);
        assert_eq!(a, output_bytes("job-1", "MAIN_FBX", 1000));
        assert_ne!(a, output_bytes("job-1", "RENDER_VIDEO", 1000));
        assert_ne!(a, output_bytes("job-2", "MAIN_FBX", 1000));
        let size = output_size("job-1", "MAIN_FBX", 5000);
        assert!((5000..6024).contains(&size));
    }
}
