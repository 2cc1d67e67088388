//! Following each job that has not ended: `getJob` when it is due, the wait doubling from
//! `poll_secs` up to `poll_cap_secs`, each answer recorded as a `JobPolled` step.

use std::time::Duration;

use serde_json::Value;

use super::JobSpec;
use super::now_ms;
use crate::api::jobs::Job;
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::job::{JobEnd, JobState, JobTrack};
use crate::model::recording::{Event, Recording};

/// How long the follower sleeps when nothing is due (a new job wakes it sooner).
const IDLE_WAIT: Duration = Duration::from_secs(60);

impl Ingest {
    /// Follows every job that has not ended (`run` only): asks `getJob` when each is due,
    /// downloads the outputs of finished ones. Returns only on a fatal error.
    pub async fn follow_jobs(&self) -> Fatal {
        loop {
            let wait = match self.follow_due().await {
                Ok(wait) => wait,
                Err(fatal) => return fatal,
            };
            let _ = tokio::time::timeout(wait, self.jobs_wake.notified()).await;
        }
    }

    /// One turn of the follower: every due job once; returns how long until the next is due.
    async fn follow_due(&self) -> Result<Duration, Fatal> {
        if !self.any_jobs() {
            return Ok(IDLE_WAIT);
        }
        let mut next: Option<i64> = None;
        for (id, next_poll) in self.store.jobs_active()? {
            let now = now_ms();
            if let Some(at) = next_poll
                && at > now
            {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            let Some(rec) = self.recording(&id)? else {
                continue;
            };
            let Some(job) = rec.job.clone() else {
                continue;
            };
            let Some(job_id) = job.id.clone() else {
                // Left to later by the creation step (a worker's, when it has no next poll).
                if next_poll.is_some() {
                    self.create_job(&id).await?;
                    if let Some(at) = self
                        .recording(&id)?
                        .and_then(|r| r.job)
                        .filter(|j| j.id.is_none() && j.is_active())
                        .and_then(|j| j.next_poll_ms)
                    {
                        next = Some(next.map_or(at, |n| n.min(at)));
                    }
                }
                continue;
            };
            let Some(spec) = self.job_spec(&rec) else {
                continue;
            };
            if let Some(at) = self.poll_job(&rec, &job, &job_id, &spec).await? {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        let now = now_ms();
        Ok(next.map_or(IDLE_WAIT, |at| {
            Duration::from_millis(at.saturating_sub(now).max(0) as u64).min(IDLE_WAIT)
        }))
    }

    /// Asks for one job and records the answer; downloads its outputs once it FINISHED.
    /// Returns when it is to be asked next (`None`: it ended).
    async fn poll_job(
        &self,
        rec: &Recording,
        track: &JobTrack,
        job_id: &str,
        spec: &JobSpec<'_>,
    ) -> Result<Option<i64>, Fatal> {
        let cfg = spec.cfg;
        let next_at = now_ms() + cfg.poll_wait(track.polls).as_millis() as i64;
        let polled =
            |state: JobState, percent, next_poll_ms, failure_reason, outputs| Event::JobPolled {
                state,
                percent,
                at_ms: now_ms(),
                next_poll_ms,
                failure_reason,
                outputs,
            };
        let job = match self.api.get_job(job_id).await {
            Ok(job) => job,
            Err(e) => {
                let e = auth(e)?;
                if e.error_types().contains(&"MoveNotFoundError") {
                    let reason = format!("the API no longer knows job {job_id}");
                    tracing::error!(rec = %rec.id, job = %job_id, "{reason}; `move-ingest jobs retry` asks for a new one");
                    let ev = polled(
                        JobState::NotFound,
                        None,
                        None,
                        Some(reason.clone()),
                        Vec::new(),
                    );
                    self.store.record(&rec.id, ev).await?;
                    let note = JobEnd::Failed { reason };
                    self.store.record(&rec.id, Event::JobDone { note }).await?;
                    return Ok(None);
                }
                tracing::warn!(rec = %rec.id, job = %job_id, "getJob: {e}; asking again later");
                let state = track.state.clone().unwrap_or(JobState::Unknown);
                let ev = polled(state, None, Some(next_at), None, Vec::new());
                self.store.record(&rec.id, ev).await?;
                return Ok(Some(next_at));
            }
        };
        let (state, percent) = (job.state(), job.percent());
        match state {
            JobState::Failed => {
                let reason = failure_reason(&job);
                tracing::error!(rec = %rec.id, device = %rec.device, stem = %rec.stem, job = %job_id, take = rec.take_id.as_deref().unwrap_or(""), "job FAILED: {reason}; it is not retried by itself (each job is billed): `move-ingest jobs retry {}` asks again", rec.take_id.as_deref().unwrap_or("TAKE_ID"));
                let ev = polled(
                    JobState::Failed,
                    percent,
                    None,
                    Some(reason.clone()),
                    Vec::new(),
                );
                self.store.record(&rec.id, ev).await?;
                let note = JobEnd::Failed { reason };
                self.store.record(&rec.id, Event::JobDone { note }).await?;
                Ok(None)
            }
            JobState::Finished => {
                let Some(root) = &cfg.download_to else {
                    tracing::info!(rec = %rec.id, job = %job_id, "job FINISHED");
                    let ev = polled(JobState::Finished, percent, None, None, Vec::new());
                    self.store.record(&rec.id, ev).await?;
                    let note = JobEnd::Finished;
                    self.store.record(&rec.id, Event::JobDone { note }).await?;
                    return Ok(None);
                };
                let keys: Vec<String> = job
                    .outputs
                    .iter()
                    .flatten()
                    .flatten()
                    .filter_map(|o| o.key.clone())
                    .collect();
                let ev = polled(JobState::Finished, percent, Some(next_at), None, keys);
                self.store.record(&rec.id, ev).await?;
                let place = (spec.device.as_str(), spec.stem.as_str());
                match self.download_outputs(rec, track, &job, root, place).await? {
                    Ok(n) => {
                        tracing::info!(rec = %rec.id, job = %job_id, outputs = n, "job FINISHED; outputs downloaded");
                        let below = root.display().to_string();
                        let note = JobEnd::Downloaded { below };
                        self.store.record(&rec.id, Event::JobDone { note }).await?;
                        Ok(None)
                    }
                    Err(e) => {
                        tracing::warn!(rec = %rec.id, job = %job_id, "{e}; tried again later with fresh URLs");
                        Ok(Some(next_at))
                    }
                }
            }
            state => {
                let ev = polled(state, percent, Some(next_at), None, Vec::new());
                self.store.record(&rec.id, ev).await?;
                Ok(Some(next_at))
            }
        }
    }
}

/// Why a job FAILED: the schema has no field for it; Move's metadata `failure_reason` when
/// present (the sandbox puts it there), else a sentence saying the API gave none.
fn failure_reason(job: &Job) -> String {
    job.metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|m| m.get("failure_reason").cloned())
        .map(|r| r.as_str().map_or(r.to_string(), str::to_string))
        .unwrap_or_else(|| {
            "the API gives no reason (state FAILED); `move-ingest jobs show JOB_ID` shows the job"
                .into()
        })
}
