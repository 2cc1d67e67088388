//! `[job]`: one processing job per take, exactly once, followed to its outputs.
//!
//! Here the steps a recording's pipeline calls (`want_job`, `retry_job`); `create` asks for
//! the job, `follow` polls it, `download` fetches its outputs.
//!
//! - **Asked for once.** `JobWanted` is recorded with the take request (so a crash between the
//!   take and the job still leaves the job to ask for); `JobRequested` is committed with
//!   `synchronous = FULL` before `createSingleCamJob` is sent; an unanswered request (a crash,
//!   a dropped answer) is settled by `listJobs(takeId)` before anything is sent again, and
//!   nothing is sent while that question has no answer. A request younger than 5 s is given
//!   the rest of those 5 s to land before the question is asked.
//! - **Followed.** `run` asks `getJob` for every job that has not ended, waiting `[job]
//!   poll_secs` after the first answer, doubling up to `poll_cap_secs`; each answer is a
//!   `JobPolled` step (state, percentage, next poll). `backfill` creates jobs and leaves the
//!   following to `run`.
//! - **Downloaded once.** A FINISHED job's output files go to
//!   `<download_to>/<device label>/<stem>/<output key>.<ext>`: streamed to a temporary name
//!   beside it, size-checked against Content-Length, fsynced, renamed, the folder fsynced; then
//!   `JobOutputDownloaded` is recorded durably and that output is never fetched again. A crash
//!   mid-download starts that file again from its first byte (no Range), with fresh URLs.
//! - **A FAILED job is never retried by itself** (each job is billed): its reason (the API's
//!   metadata `failure_reason`, when given) is recorded and logged; `jobs retry TAKE_ID` asks again.

mod create;
mod download;
mod follow;

use std::time::SystemTime;

use super::{Fatal, Ingest};
use crate::config::{JobConfig, MulticamJobConfig};
use crate::model::recording::{Event, Recording};

/// The job a recording's take gets: `[job]` for a single camera's, `[multicam.job]` for a rig
/// recording's multicam take (carried by its first camera's recording, the job's lead).
pub(in crate::ingest) struct JobSpec<'a> {
    pub cfg: &'a JobConfig,
    /// `Some` for a multicam take: `createMultiCamJob` with its actors and processing rig.
    pub multicam: Option<&'a MulticamJobConfig>,
    /// The device label (the rig's name for a multicam take) and stem: `{device_label}`,
    /// `{stem}`, and the download folder `<download_to>/<device>/<stem>/`.
    pub device: String,
    pub stem: String,
    pub rig: String,
}

impl Ingest {
    /// The job this recording's take gets, if any.
    pub(in crate::ingest) fn job_spec(&self, rec: &Recording) -> Option<JobSpec<'_>> {
        if let Some(m) = self.rig_member(rec) {
            let rig = self.cfg.multicam.iter().find(|r| r.name == m.rig)?;
            let mj = rig.job.as_ref()?;
            return Some(JobSpec {
                cfg: &mj.job,
                multicam: Some(mj),
                device: rig.name.clone(),
                stem: m.stem,
                rig: rig.name.clone(),
            });
        }
        Some(JobSpec {
            cfg: self.cfg.job.as_ref()?,
            multicam: None,
            device: rec.device.clone(),
            stem: rec.stem.clone(),
            rig: String::new(),
        })
    }

    /// Whether any take may get a job (`[job]`, or a rig's `[multicam.job]`).
    pub fn any_jobs(&self) -> bool {
        self.cfg.job.is_some() || self.cfg.multicam.iter().any(|r| r.job.is_some())
    }

    /// Records that this recording's take gets a job, when `[job]` is set and nothing is
    /// recorded yet. Called just before `TakeRequested`, whose durable commit carries it.
    pub(super) async fn want_job(&self, rec: &Recording) -> Result<(), Fatal> {
        if self.cfg.job.is_some() && rec.job.is_none() && rec.take_id.is_none() {
            self.store.record(&rec.id, Event::JobWanted).await?;
        }
        Ok(())
    }

    /// `jobs retry`: keeps the ended job as history and asks for a new one now (with the same
    /// exactly-once steps). Returns the new job's id, or why none was created.
    pub async fn retry_job(&self, id: &str) -> Result<Result<String, String>, Fatal> {
        self.store.record(id, Event::JobRetried).await?;
        self.create_job(id).await?;
        let job = self.recording(id)?.and_then(|r| r.job).unwrap_or_default();
        Ok(match (job.id, job.failure_reason) {
            (Some(job_id), _) => Ok(job_id),
            (None, Some(reason)) => Err(reason),
            (None, None) => Err(
                "no answer from the API; the next `run` or `backfill` looks for the job with listJobs and asks again only if there is none"
                    .into(),
            ),
        })
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
