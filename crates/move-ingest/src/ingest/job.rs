//! `[job]`: one processing job per take, exactly once, followed to its outputs.
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

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::classify::{Next, Tries, retry};
use super::{Fatal, Ingest, auth};
use crate::api::ApiError;
use crate::api::jobs::{Job, JobRequest};
use crate::config::JobConfig;
use crate::config::template::{Vars, render_json};
use crate::model::recording::{Event, JobTrack, Recording, Role};

/// How many jobs of one take `listJobs` is asked for when settling an unanswered request.
const SETTLE_PAGE: u32 = 50;
/// How old an unanswered job request must be before `listJobs` is asked whether it made a
/// job (at most `api.request_timeout_secs`): a request written just before a crash may reach
/// the API after the next start's first question.
const SETTLE_AFTER: Duration = Duration::from_secs(5);
/// How long the follower sleeps when nothing is due (a new job wakes it sooner).
const IDLE_WAIT: Duration = Duration::from_secs(60);

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
    /// Records that this recording's take gets a job, when `[job]` is set and nothing is
    /// recorded yet. Called just before `TakeRequested`, whose durable commit carries it.
    pub(super) async fn want_job(&self, rec: &Recording) -> Result<(), Fatal> {
        if self.cfg.job.is_some() && rec.job.is_none() && rec.take_id.is_none() {
            self.ledger.record(&rec.id, Event::JobWanted).await?;
        }
        Ok(())
    }

    /// Creates the recording's job if one is wanted and none is recorded: settles an earlier
    /// unanswered request first. Errors other than a rejected key or the state are logged and
    /// leave the job to the next start (or, once the API refused it, to `jobs retry`).
    pub(super) async fn create_job(&self, id: &str) -> Result<(), Fatal> {
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
        let Some(cfg) = &self.cfg.job else {
            tracing::info!(rec = %rec.id, take = %take_id, "a job was wanted for this take but [job] is no longer in the config; none is created");
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
        let request = self.job_request(&rec, take_id, cfg);
        self.monitor
            .step(id, crate::observe::monitor::Doing::CreatingJob);
        self.ledger
            .record(id, Event::JobRequested { at_ms: now_ms() })
            .await?;
        let mut tries = Tries::default();
        loop {
            let err = match self.api.create_single_cam_job(&request).await {
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

    /// `jobs retry`: keeps the ended job as history and asks for a new one now (with the same
    /// exactly-once steps). Returns the new job's id, or why none was created.
    pub async fn retry_job(&self, id: &str) -> Result<Result<String, String>, Fatal> {
        self.ledger.record(id, Event::JobRetried).await?;
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

    /// Leaves a job that could not be created (or settled) now to later: `run`'s follower
    /// tries again after the poll wait (settling first), a `backfill` at its next start.
    async fn job_later(&self, rec: &Recording, job: &JobTrack) -> Result<(), Fatal> {
        let wait = self
            .cfg
            .job
            .as_ref()
            .map_or(Duration::from_secs(15), |c| c.poll_wait(job.polls));
        let ev = Event::JobPolled {
            state: "REQUESTED".into(),
            percent: None,
            at_ms: now_ms(),
            next_poll_ms: Some(now_ms() + wait.as_millis() as i64),
            failure_reason: None,
            outputs: Vec::new(),
        };
        self.ledger.record(&rec.id, ev).await?;
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
        self.ledger.record(&rec.id, ev).await?;
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
            state: "NOT_CREATED".into(),
            percent: None,
            at_ms: now_ms(),
            next_poll_ms: None,
            failure_reason: Some(reason.clone()),
            outputs: Vec::new(),
        };
        self.ledger.record(&rec.id, ev).await?;
        let note = format!("not created: {reason}");
        self.ledger.record(&rec.id, Event::JobDone { note }).await?;
        Ok(())
    }

    /// What `createSingleCamJob` is sent: `[job]` outputs, options, name and metadata (plus
    /// move-ingest's own record, naming the recording, for settling).
    fn job_request(&self, rec: &Recording, take_id: &str, cfg: &JobConfig) -> JobRequest {
        let subdir = crate::detect::scan::subdir(&self.cfg.watch, &rec.dir);
        let file_name = rec
            .seen(Role::Video)
            .map(|v| v.facts.name.clone())
            .unwrap_or_default();
        let vars = Vars {
            device_label: &rec.device,
            stem: &rec.stem,
            hostname: &self.hostname,
            file_name: &file_name,
            subdir: &subdir,
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
                "device_label": rec.device,
                "stem": rec.stem,
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
        let Some(cfg) = &self.cfg.job else {
            return Ok(IDLE_WAIT);
        };
        let mut next: Option<i64> = None;
        for (id, next_poll) in self.ledger.jobs_active()? {
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
            if let Some(at) = self.poll_job(&rec, &job, &job_id, cfg).await? {
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
        cfg: &JobConfig,
    ) -> Result<Option<i64>, Fatal> {
        let next_at = now_ms() + cfg.poll_wait(track.polls).as_millis() as i64;
        let polled =
            |state: &str, percent, next_poll_ms, failure_reason, outputs| Event::JobPolled {
                state: state.to_string(),
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
                    let ev = polled("NOT_FOUND", None, None, Some(reason.clone()), Vec::new());
                    self.ledger.record(&rec.id, ev).await?;
                    let note = format!("failed: {reason}");
                    self.ledger.record(&rec.id, Event::JobDone { note }).await?;
                    return Ok(None);
                }
                tracing::warn!(rec = %rec.id, job = %job_id, "getJob: {e}; asking again later");
                let state = track.state.as_deref().unwrap_or("UNKNOWN");
                let ev = polled(state, None, Some(next_at), None, Vec::new());
                self.ledger.record(&rec.id, ev).await?;
                return Ok(Some(next_at));
            }
        };
        let (state, percent) = (job.state().to_string(), job.percent());
        match state.as_str() {
            "FAILED" => {
                let reason = failure_reason(&job);
                tracing::error!(rec = %rec.id, device = %rec.device, stem = %rec.stem, job = %job_id, take = rec.take_id.as_deref().unwrap_or(""), "job FAILED: {reason}; it is not retried by itself (each job is billed): `move-ingest jobs retry {}` asks again", rec.take_id.as_deref().unwrap_or("TAKE_ID"));
                let ev = polled("FAILED", percent, None, Some(reason.clone()), Vec::new());
                self.ledger.record(&rec.id, ev).await?;
                let note = format!("failed: {reason}");
                self.ledger.record(&rec.id, Event::JobDone { note }).await?;
                Ok(None)
            }
            "FINISHED" => {
                let Some(root) = &cfg.download_to else {
                    tracing::info!(rec = %rec.id, job = %job_id, "job FINISHED");
                    let ev = polled("FINISHED", percent, None, None, Vec::new());
                    self.ledger.record(&rec.id, ev).await?;
                    let note = "finished".to_string();
                    self.ledger.record(&rec.id, Event::JobDone { note }).await?;
                    return Ok(None);
                };
                let keys: Vec<String> = job
                    .outputs
                    .iter()
                    .flatten()
                    .flatten()
                    .filter_map(|o| o.key.clone())
                    .collect();
                let ev = polled("FINISHED", percent, Some(next_at), None, keys);
                self.ledger.record(&rec.id, ev).await?;
                match self.download_outputs(rec, track, &job, root).await? {
                    Ok(n) => {
                        tracing::info!(rec = %rec.id, job = %job_id, outputs = n, "job FINISHED; outputs downloaded");
                        let note = format!("finished; outputs downloaded below {}", root.display());
                        self.ledger.record(&rec.id, Event::JobDone { note }).await?;
                        Ok(None)
                    }
                    Err(e) => {
                        tracing::warn!(rec = %rec.id, job = %job_id, "{e}; tried again later with fresh URLs");
                        Ok(Some(next_at))
                    }
                }
            }
            _ => {
                let ev = polled(&state, percent, Some(next_at), None, Vec::new());
                self.ledger.record(&rec.id, ev).await?;
                Ok(Some(next_at))
            }
        }
    }

    /// Downloads each output not downloaded yet; the outer error is the state's, the inner
    /// one the first download that did not work. Returns how many outputs the job has.
    async fn download_outputs(
        &self,
        rec: &Recording,
        track: &JobTrack,
        job: &Job,
        root: &Path,
    ) -> Result<Result<usize, String>, Fatal> {
        let outputs: Vec<_> = job.outputs.iter().flatten().flatten().collect();
        for output in &outputs {
            let key = output.key.as_deref().unwrap_or("OUTPUT");
            if track.has_downloaded(key) {
                continue;
            }
            let file = output.file.as_ref();
            let Some(url) = file.and_then(|f| f.presigned_url.as_deref()) else {
                return Ok(Err(format!(
                    "output {key} of job {} has no download URL yet",
                    job.id
                )));
            };
            let ext = file
                .and_then(|f| f.file_type.as_deref())
                .or(output.format.as_deref())
                .unwrap_or("bin");
            let dest = output_path(root, &rec.device, &rec.stem, key, ext);
            self.monitor
                .step(&rec.id, crate::observe::monitor::Doing::DownloadingOutput);
            match self.download(url, &dest).await {
                Ok(size) => {
                    tracing::info!(rec = %rec.id, job = %job.id, output = key, path = %dest.display(), size, "job output downloaded");
                    let ev = Event::JobOutputDownloaded {
                        key: key.to_string(),
                        path: dest,
                        size,
                    };
                    self.ledger.record(&rec.id, ev).await?;
                }
                Err(e) => {
                    return Ok(Err(format!(
                        "cannot download output {key} of job {}: {e}",
                        job.id
                    )));
                }
            }
        }
        Ok(Ok(outputs.len()))
    }

    /// Streams `url` to a temporary name beside `dest`, checks its size against Content-Length,
    /// fsyncs it, renames it into place and fsyncs the folder. Returns the size.
    async fn download(&self, url: &str, dest: &Path) -> Result<u64, String> {
        let parent = dest.parent().unwrap_or(Path::new("/"));
        tokio::fs::create_dir_all(parent).await.map_err(|e| {
            format!(
                "cannot create {}: {e} (check that the service may write to [job] download_to)",
                parent.display()
            )
        })?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}.move-ingest-part"));
        let result = self.fetch_to(url, &tmp).await;
        let size = match result {
            Ok(size) => size,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        tokio::fs::rename(&tmp, dest)
            .await
            .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), dest.display()))?;
        std::fs::File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("cannot fsync {}: {e}", parent.display()))?;
        Ok(size)
    }

    async fn fetch_to(&self, url: &str, tmp: &Path) -> Result<u64, String> {
        let stall = Duration::from_secs(self.cfg.api.stall_timeout_secs.max(1));
        let resp = tokio::time::timeout(stall, self.http.get(url).send())
            .await
            .map_err(|_| format!("no answer within {}s", stall.as_secs()))?
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("the storage answered HTTP {status}"));
        }
        let expected = resp.content_length();
        let mut file = tokio::fs::File::create(tmp)
            .await
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut body = resp.bytes_stream();
        let mut got: u64 = 0;
        loop {
            let chunk = match tokio::time::timeout(stall, body.next()).await {
                Err(_) => return Err(format!("the download stalled for {}s", stall.as_secs())),
                Ok(None) => break,
                Ok(Some(chunk)) => chunk.map_err(|e| format!("the download broke off: {e}"))?,
            };
            file.write_all(&chunk)
                .await
                .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            got += chunk.len() as u64;
        }
        if let Some(expected) = expected
            && expected != got
        {
            return Err(format!("got {got} bytes of {expected}"));
        }
        file.sync_all()
            .await
            .map_err(|e| format!("cannot fsync {}: {e}", tmp.display()))?;
        Ok(got)
    }
}

/// `<root>/<device label>/<stem>/<output key>.<ext>`, each part kept to a plain file name.
pub fn output_path(root: &Path, device: &str, stem: &str, key: &str, ext: &str) -> PathBuf {
    let ext: String = ext
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let ext = if ext.is_empty() { "bin".into() } else { ext };
    root.join(plain(device))
        .join(plain(stem))
        .join(format!("{}.{ext}", plain(key)))
}

/// A path component that cannot climb out of its folder.
fn plain(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect();
    match s.as_str() {
        "" | "." | ".." => format!("_{s}"),
        _ => s,
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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_stay_below_the_root() {
        let root = Path::new("/srv/out");
        assert_eq!(
            output_path(root, "cam-a", "clip 1", "MAIN_FBX", "fbx"),
            Path::new("/srv/out/cam-a/clip 1/MAIN_FBX.fbx")
        );
        assert_eq!(
            output_path(root, "..", "a/b", "K", "../x"),
            Path::new("/srv/out/_../a_b/K.x")
        );
    }
}
