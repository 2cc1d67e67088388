//! Processing jobs on the API: the documents, what they answer, and the client calls.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, Client};
use crate::config::job_input::JobOptions;
use crate::model::job::JobState;

/// The job fields every job document asks for.
macro_rules! job_fields {
    () => {
        "fragment JobFields on Job {
  id
  name
  created
  metadata
  progress { state percentageComplete }
  inputs { numberOfActors options { floorPlane mocapModel trackBall trackFingers trackJerseyNumbers } }
  outputs { key format file { id type presignedUrl } }
  take { id }
  rig { name }
}"
    };
}

/// Starts processing a take into the requested outputs (billed by Move).
pub const CREATE_SINGLE_CAM_JOB: &str = concat!(
    "mutation CreateSingleCamJob($takeId: String!, $outputs: [OutputType], $options: OptionsInput, $name: String, $metadata: AWSJSON) {
  createSingleCamJob(takeId: $takeId, outputs: $outputs, options: $options, name: $name, metadata: $metadata) { ...JobFields }
}
",
    job_fields!()
);

/// Starts processing a multicam take (made on a volume) into the requested outputs, with the
/// number of actors and the rig (`listRigs`) to use; billed by Move.
pub const CREATE_MULTI_CAM_JOB: &str = concat!(
    "mutation CreateMultiCamJob($takeId: String!, $numberOfActors: Int, $rig: String, $outputs: [OutputType], $options: OptionsInput, $name: String, $metadata: AWSJSON) {
  createMultiCamJob(takeId: $takeId, numberOfActors: $numberOfActors, rig: $rig, outputs: $outputs, options: $options, name: $name, metadata: $metadata) { ...JobFields }
}
",
    job_fields!()
);

/// What a take is, before a job is asked for it: `takeType` (and its volume, for an API that
/// leaves `takeType` out), so that a multicam take never gets `createSingleCamJob`.
pub const GET_TAKE_TYPE: &str = "query GetTakeType($takeId: ID!) {
  getTake(takeId: $takeId) { id takeType volume { ... on HumanVolume { id } } }
}";

/// Reads one job: its progress and, once FINISHED, its outputs.
pub const GET_JOB: &str = concat!(
    "query GetJob($jobId: ID!) {
  getJob(jobId: $jobId) { ...JobFields }
}
",
    job_fields!()
);

/// Reads one page of jobs, of one take when `takeId` is given.
pub const LIST_JOBS: &str = concat!(
    "query ListJobs($first: Int, $after: AWSJSON, $sortDirection: SortDirection, $takeId: String) {
  listJobs(first: $first, after: $after, sortDirection: $sortDirection, takeId: $takeId) {
    after
    items { ...JobFields }
  }
}
",
    job_fields!()
);

/// The job documents, for the validation tests.
pub fn documents() -> [(&'static str, String); 5] {
    [
        ("CreateSingleCamJob", CREATE_SINGLE_CAM_JOB.to_string()),
        ("CreateMultiCamJob", CREATE_MULTI_CAM_JOB.to_string()),
        ("GetTakeType", GET_TAKE_TYPE.to_string()),
        ("GetJob", GET_JOB.to_string()),
        ("ListJobs", LIST_JOBS.to_string()),
    ]
}

/// A job as the documents above read it, with the API's field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: String,
    pub name: Option<String>,
    pub created: Option<String>,
    /// AWSJSON: a JSON string holding JSON.
    pub metadata: Option<String>,
    pub progress: Option<JobProgress>,
    pub inputs: Option<Value>,
    #[serde(default)]
    pub outputs: Option<Vec<Option<JobOutput>>>,
    pub take: Option<TakeRef>,
    /// The rig of a multicam job (`None` for a single-camera job).
    #[serde(default)]
    pub rig: Option<RigRef>,
}

/// The rig a multicam job uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RigRef {
    pub name: String,
}

/// Where a job is: NOT_STARTED, RUNNING, FINISHED or FAILED, and how far.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    /// Parsed once here; serialized back as the API's string (`jobs list --json`).
    pub state: Option<JobState>,
    pub percentage_complete: Option<i64>,
}

/// One output of a finished job: its `OutputType` key, format and file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOutput {
    pub key: Option<String>,
    pub format: Option<String>,
    pub file: Option<OutputFile>,
}

/// The file of an output, with its download URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    pub id: String,
    #[serde(rename = "type")]
    pub file_type: Option<String>,
    pub presigned_url: Option<String>,
}

/// The take a job processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TakeRef {
    pub id: String,
}

/// One page of `listJobs`.
#[derive(Debug, Clone, Deserialize)]
pub struct JobsPage {
    /// AWSJSON cursor for the next page; `None` on the last page.
    pub after: Option<String>,
    #[serde(default)]
    pub items: Vec<Option<Job>>,
}

impl Job {
    /// The state, `UNKNOWN` if the API gave none.
    pub fn state(&self) -> JobState {
        self.progress
            .as_ref()
            .and_then(|p| p.state.clone())
            .unwrap_or(JobState::Unknown)
    }

    /// The percentage complete, if the API gave one.
    pub fn percent(&self) -> Option<i64> {
        self.progress.as_ref().and_then(|p| p.percentage_complete)
    }
}

/// What to ask `createSingleCamJob` for.
#[derive(Debug, Clone, Default)]
pub struct JobRequest {
    pub take_id: String,
    /// `OutputType` names; empty leaves the choice to the API.
    pub outputs: Vec<&'static str>,
    pub options: JobOptions,
    pub name: Option<String>,
    pub metadata: Option<Value>,
}

/// What to ask `createMultiCamJob` for: the single-camera request's fields, plus the number
/// of actors and the rig.
#[derive(Debug, Clone, Default)]
pub struct MultiCamJobRequest {
    pub job: JobRequest,
    /// `numberOfActors`; `None` leaves it to the API (one).
    pub actors: Option<u32>,
    /// A rig name from `listRigs`, e.g. `move_mo`; `None` leaves the API's default rig.
    pub rig: Option<String>,
}

/// What kind of take a job is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeKind {
    /// `SINGLE_CAM`: `createSingleCamJob`.
    SingleCam,
    /// `MULTI_CAM` (or made on a volume): `createMultiCamJob`.
    MultiCam,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TakeTypeAnswer {
    take_type: Option<String>,
    volume: Option<Value>,
}

/// The variables every job creation sends.
fn job_vars(req: &JobRequest) -> Value {
    let mut vars = json!({"takeId": req.take_id});
    if !req.outputs.is_empty() {
        vars["outputs"] = json!(req.outputs);
    }
    if !req.options.is_empty() {
        vars["options"] = serde_json::to_value(&req.options).unwrap_or(Value::Null);
    }
    if let Some(name) = &req.name {
        vars["name"] = json!(name);
    }
    if let Some(metadata) = &req.metadata {
        vars["metadata"] = json!(metadata.to_string());
    }
    vars
}

impl Client {
    /// `createSingleCamJob`: one new job, billed by Move.
    pub async fn create_single_cam_job(&self, req: &JobRequest) -> Result<Job, ApiError> {
        let vars = job_vars(req);
        self.call(
            "createSingleCamJob",
            CREATE_SINGLE_CAM_JOB,
            vars,
            "createSingleCamJob",
        )
        .await
    }

    /// `createMultiCamJob`: one new job of a multicam take, billed by Move.
    pub async fn create_multi_cam_job(&self, req: &MultiCamJobRequest) -> Result<Job, ApiError> {
        let mut vars = job_vars(&req.job);
        if let Some(actors) = req.actors {
            vars["numberOfActors"] = json!(actors);
        }
        if let Some(rig) = &req.rig {
            vars["rig"] = json!(rig);
        }
        self.call(
            "createMultiCamJob",
            CREATE_MULTI_CAM_JOB,
            vars,
            "createMultiCamJob",
        )
        .await
    }

    /// Whether a take is single-camera or multicam (`getTake`'s `takeType`; a take with a
    /// volume is multicam even when `takeType` is missing).
    pub async fn take_kind(&self, take_id: &str) -> Result<TakeKind, ApiError> {
        let answer: TakeTypeAnswer = self
            .call(
                "getTake",
                GET_TAKE_TYPE,
                json!({"takeId": take_id}),
                "getTake",
            )
            .await?;
        let multi = answer.take_type.as_deref() == Some("MULTI_CAM")
            || answer.volume.is_some_and(|v| !v.is_null());
        Ok(if multi {
            TakeKind::MultiCam
        } else {
            TakeKind::SingleCam
        })
    }

    /// `getJob(jobId)`.
    pub async fn get_job(&self, job_id: &str) -> Result<Job, ApiError> {
        self.call("getJob", GET_JOB, json!({"jobId": job_id}), "getJob")
            .await
    }

    /// One page of `listJobs`, newest first, of `take_id` only when given.
    pub async fn list_jobs(
        &self,
        first: u32,
        after: Option<&str>,
        take_id: Option<&str>,
    ) -> Result<JobsPage, ApiError> {
        let vars =
            json!({"first": first, "after": after, "sortDirection": "DESC", "takeId": take_id});
        self.call("listJobs", LIST_JOBS, vars, "listJobs").await
    }
}
