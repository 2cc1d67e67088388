//! Creating a take's job exactly once: the durable request, and settling an unanswered one
//! with `listJobs(takeId)` before anything is sent again.

use std::time::Duration;

use serde_json::{Value, json};

use super::JobSpec;
use super::now_ms;
use crate::api::ApiError;
use crate::api::jobs::{Job, JobRequest, MultiCamJobRequest};
use crate::config::template::{Vars, render_json};
use crate::ingest::classify::{Next, Tries, retry};
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::job::{JobEnd, JobState, JobTrack};
use crate::model::recording::{Event, Recording, Role};

/// How many jobs of one take `listJobs` is asked for when settling an unanswered request.
const SETTLE_PAGE: u32 = 50;
/// How old an unanswered job request must be before `listJobs` is asked whether it made a
/// job (at most `api.request_timeout_secs`): a request written just before a crash may reach
/// the API after the next start's first question.
const SETTLE_AFTER: Duration = Duration::from_secs(5);

/// What `listJobs(takeId)` said about an unanswered request.
enum Settled {
    /// The job it made.
    Found(Box<Job>),
    /// No job for the take: asking again is safe.
    None,
    /// No answer: nothing may be sent yet.
    Unknown,
}

impl Ingest {
    /// Creates the recording's job if one is wanted and none is recorded: settles an earlier
    /// unanswered request first. Errors other than a rejected key or the state are logged and
    /// leave the job to the next start (or, once the API refused it, to `jobs retry`).
    pub(in crate::ingest) async fn create_job(&self, id: &str) -> Result<(), Fatal> {
        // One creation at a time (a worker's and the follower's never overlap); the state is
        // read after the lock is held.
        let _one = self.job_creation.lock().await;
        let Some(rec) = self.recording(id)? else {
            return Ok(());
        };
        let (Some(job), Some(take_id)) = (&rec.job, &rec.take_id) else {
            return Ok(());
        };
        if job.id.is_some() || job.done.is_some() {
            return Ok(());
        }
        let Some(spec) = self.job_spec(&rec) else {
            tracing::info!(rec = %rec.id, take = %take_id, "a job was wanted for this take but [job] (or its rig's [multicam.job]) is no longer in the config; none is created");
            return Ok(());
        };
        if let Some(since) = job.requested_ms {
            // A request a killed process wrote may still be on its way to the API: it is given
            // time to land before listJobs is asked, so that the answer includes it.
            let age = Duration::from_millis(now_ms().saturating_sub(since).max(0) as u64);
            let settle_after =
                SETTLE_AFTER.min(Duration::from_secs(self.cfg.api.request_timeout_secs));
            if let Some(wait) = settle_after.checked_sub(age) {
                tracing::info!(rec = %rec.id, take = %take_id, wait_ms = wait.as_millis() as u64, "an earlier job request went unanswered; waiting for it to land before looking for it with listJobs");
                tokio::time::sleep(wait).await;
            }
            match self.settle_job(&rec, take_id).await? {
                Settled::Found(found) => return self.job_created(&rec, *found, true).await,
                Settled::None => {}
                Settled::Unknown => return self.job_later(&rec, job).await,
            }
        }
        let request = self.job_request(&rec, take_id, &spec);
        self.monitor
            .step(id, crate::observe::monitor::Doing::CreatingJob);
        self.store
            .record(id, Event::JobRequested { at_ms: now_ms() })
            .await?;
        let mut tries = Tries::default();
        loop {
            let answer = match spec.multicam {
                Some(mj) => {
                    let req = MultiCamJobRequest {
                        job: request.clone(),
                        actors: Some(u32::from(mj.actors)),
                        rig: Some(mj.rig.clone()),
                    };
                    self.api.create_multi_cam_job(&req).await
                }
                None => self.api.create_single_cam_job(&request).await,
            };
            let err = match answer {
                Ok(job) => return self.job_created(&rec, job, false).await,
                Err(e) => auth(e)?,
            };
            match tries.next(&err, &self.policy) {
                Next::Retry { wait } => {
                    tracing::warn!(rec = %rec.id, take = %take_id, attempt = tries.retries(), wait_ms = wait.as_millis() as u64, "createSingleCamJob: {err}; will retry");
                    tokio::time::sleep(wait).await;
                    if err.is_ambiguous() {
                        match self.settle_job(&rec, take_id).await? {
                            Settled::Found(found) => {
                                return self.job_created(&rec, *found, true).await;
                            }
                            Settled::None => {}
                            Settled::Unknown => return self.job_later(&rec, job).await,
                        }
                    }
                }
                Next::Fail { reason, .. } | Next::Defer { reason } | Next::Gone { reason }
                    if !err.is_ambiguous() && !err.is_transient() =>
                {
                    return self.job_not_created(&rec, take_id, reason).await;
                }
                _ => {
                    tracing::warn!(rec = %rec.id, take = %take_id, "createSingleCamJob: {err}; the job is looked for with listJobs and asked for again later");
                    return self.job_later(&rec, job).await;
                }
            }
        }
    }

    /// Leaves a job that could not be created (or settled) now to later: `run`'s follower
    /// tries again after the poll wait (settling first), a `backfill` at its next start.
    async fn job_later(&self, rec: &Recording, job: &JobTrack) -> Result<(), Fatal> {
        let wait = self
            .job_spec(rec)
            .map_or(Duration::from_secs(15), |s| s.cfg.poll_wait(job.polls));
        let ev = Event::JobPolled {
            state: JobState::Requested,
            percent: None,
            at_ms: now_ms(),
            next_poll_ms: Some(now_ms() + wait.as_millis() as i64),
            failure_reason: None,
            outputs: Vec::new(),
        };
        self.store.record(&rec.id, ev).await?;
        self.jobs_wake.notify_one();
        Ok(())
    }

    /// Looks for the job an unanswered request made: `listJobs(takeId)`, the one naming this
    /// recording in its metadata first, else any job of the take (never a second bill).
    async fn settle_job(&self, rec: &Recording, take_id: &str) -> Result<Settled, Fatal> {
        let page = retry(&self.policy, "listJobs", || {
            self.api.list_jobs(SETTLE_PAGE, None, Some(take_id))
        })
        .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let e: ApiError = auth(e)?;
                tracing::warn!(rec = %rec.id, take = %take_id, "cannot look for the job an earlier unanswered request may have made: {e}; nothing is sent until it is known (the next start asks again)");
                return Ok(Settled::Unknown);
            }
        };
        let jobs: Vec<Job> = page.items.into_iter().flatten().collect();
        let ours = jobs
            .iter()
            .position(|j| job_recording(j).as_deref() == Some(rec.id.as_str()));
        let mut jobs = jobs;
        Ok(match ours.or((!jobs.is_empty()).then_some(0)) {
            Some(i) => Settled::Found(Box::new(jobs.swap_remove(i))),
            None => Settled::None,
        })
    }

    async fn job_created(&self, rec: &Recording, job: Job, adopted: bool) -> Result<(), Fatal> {
        if adopted {
            tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, job = %job.id, "found the job an unanswered request created; following it");
        } else {
            tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, job = %job.id, "job created");
        }
        let ev = Event::JobCreated {
            job_id: job.id,
            adopted,
        };
        self.store.record(&rec.id, ev).await?;
        self.jobs_wake.notify_one();
        Ok(())
    }

    async fn job_not_created(
        &self,
        rec: &Recording,
        take_id: &str,
        reason: String,
    ) -> Result<(), Fatal> {
        tracing::error!(rec = %rec.id, device = %rec.device, stem = %rec.stem, take = %take_id, "the job could not be created: {reason}; `move-ingest jobs retry {take_id}` asks again");
        let ev = Event::JobPolled {
            state: JobState::NotCreated,
            percent: None,
            at_ms: now_ms(),
            next_poll_ms: None,
            failure_reason: Some(reason.clone()),
            outputs: Vec::new(),
        };
        self.store.record(&rec.id, ev).await?;
        let note = JobEnd::NotCreated { reason };
        self.store.record(&rec.id, Event::JobDone { note }).await?;
        Ok(())
    }

    /// What `createSingleCamJob` is sent: `[job]` outputs, options, name and metadata (plus
    /// move-ingest's own record, naming the recording, for settling).
    fn job_request(&self, rec: &Recording, take_id: &str, spec: &JobSpec<'_>) -> JobRequest {
        let cfg = spec.cfg;
        let subdir = crate::detect::scan::subdir(&self.cfg.watch, &rec.dir);
        let file_name = rec
            .seen(Role::Video)
            .map(|v| v.facts.name.clone())
            .unwrap_or_default();
        let vars = Vars {
            device_label: &spec.device,
            stem: &spec.stem,
            hostname: &self.hostname,
            file_name: &file_name,
            subdir: &subdir,
            // The rig's name for a multicam take; empty for a single camera's.
            rig: &spec.rig,
        };
        let mut meta = match render_json(&Value::Object(cfg.metadata.clone()), &vars) {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        meta.insert(
            "move_ingest".into(),
            json!({
                "recording_id": rec.id,
                "take_id": take_id,
                "host": self.hostname,
                "device_label": spec.device,
                "stem": spec.stem,
                "version": env!("CARGO_PKG_VERSION"),
            }),
        );
        JobRequest {
            take_id: take_id.to_string(),
            outputs: cfg.outputs.clone(),
            options: cfg.options.clone(),
            name: Some(cfg.name.render(&vars)),
            metadata: Some(Value::Object(meta)),
        }
    }
}

/// The recording a job's metadata names (`move_ingest.recording_id`), if any.
fn job_recording(job: &Job) -> Option<String> {
    let meta: Value = serde_json::from_str(job.metadata.as_deref()?).ok()?;
    meta.get("move_ingest")?
        .get("recording_id")?
        .as_str()
        .map(str::to_string)
}
