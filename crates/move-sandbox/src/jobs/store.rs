//! Jobs kept in memory and persisted as JSON under `<data dir>/jobs`, so a restart keeps them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{load_all, write_json};

/// A job created with `createSingleCamJob` or `createMultiCamJob`, with the timing and fate drawn at creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct JobRecord {
    pub id: String,
    pub take_id: String,
    pub name: Option<String>,
    /// Compact JSON text (the AWSJSON value), if any.
    pub metadata: Option<String>,
    pub created: String,
    /// Creation time in milliseconds since the epoch: the clock the state moves by.
    pub created_ms: u64,
    pub seq: u64,
    /// The `OptionsInput` as given (a JSON object), if any.
    pub options: Option<Value>,
    /// `(startTime, endTime)` of the clip window, if given.
    pub clip_window: Option<(f64, f64)>,
    /// How long it stays NOT_STARTED, then RUNNING.
    pub queue_ms: u64,
    pub run_ms: u64,
    /// Set when the job was drawn to fail: the reason it gives.
    pub failure: Option<String>,
    /// The output files, already written; served once the job is FINISHED.
    pub outputs: Vec<OutputRecord>,
    /// `numberOfActors` of a multi-cam job (a single-cam job has 1).
    #[serde(default)]
    pub number_of_actors: Option<i64>,
    /// The rig of a multi-cam job; `None` for a single-cam job.
    #[serde(default)]
    pub rig: Option<String>,
}

/// One output of a job: its `OutputType`, file extension and file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OutputRecord {
    pub key: String,
    pub format: String,
    pub file_id: String,
}

/// The jobs, loaded from and written through to `<data dir>/jobs`.
pub(crate) struct JobStore {
    dir: PathBuf,
    inner: Mutex<(HashMap<String, JobRecord>, u64)>,
}

impl JobStore {
    /// Opens (creating if needed) `<data dir>/jobs` and loads what an earlier run left there.
    pub(crate) fn open(data_dir: &Path) -> anyhow::Result<JobStore> {
        let dir = data_dir.join("jobs");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the sandbox folder {}", dir.display()))?;
        let mut jobs = HashMap::new();
        let mut seq = 0;
        for job in load_all::<JobRecord>(&dir)? {
            seq = job.seq.max(seq);
            jobs.insert(job.id.clone(), job);
        }
        Ok(JobStore {
            dir,
            inner: Mutex::new((jobs, seq)),
        })
    }

    /// The next creation counter, which breaks ties between equal timestamps.
    pub(crate) fn next_seq(&self) -> u64 {
        let mut inner = self.lock();
        inner.1 += 1;
        inner.1
    }

    pub(crate) fn get(&self, id: &str) -> Option<JobRecord> {
        self.lock().0.get(id).cloned()
    }

    /// Writes a job record to disk, then keeps it.
    pub(crate) fn put(&self, job: JobRecord) -> anyhow::Result<()> {
        let mut inner = self.lock();
        write_json(&self.dir.join(format!("{}.json", job.id)), &job)?;
        inner.0.insert(job.id.clone(), job);
        Ok(())
    }

    /// The jobs of `take_id` (all when `None`), sorted by creation (newest first when `descending`).
    pub(crate) fn sorted(&self, take_id: Option<&str>, descending: bool) -> Vec<JobRecord> {
        let mut jobs: Vec<_> = self
            .lock()
            .0
            .values()
            .filter(|j| take_id.is_none_or(|t| j.take_id == t))
            .cloned()
            .collect();
        jobs.sort_by_key(|j| (j.created_ms, j.seq));
        if descending {
            jobs.reverse();
        }
        jobs
    }

    fn lock(&self) -> MutexGuard<'_, (HashMap<String, JobRecord>, u64)> {
        // Records are replaced whole, so a panic elsewhere cannot leave one half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
