//! Processing jobs: created once per call, states that move over time, failures with a reason,
//! outputs that download byte for byte, and refusals like the API's.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::Sandbox;

const CREATE: &str = "mutation($take: String!, $outputs: [OutputType], $options: OptionsInput,
        $clip: ClipWindowInput, $name: String, $metadata: AWSJSON) {
    createSingleCamJob(takeId: $take, outputs: $outputs, options: $options, clipWindow: $clip,
        name: $name, metadata: $metadata) { ...J } }";

const GET: &str = "query($id: ID!) { getJob(jobId: $id) { ...J } }";

const JOB_FIELDS: &str = "fragment J on Job {
    id name metadata created state __typename
    progress { state percentageComplete }
    inputs { numberOfActors clipWindow { startTime endTime }
             options { trackFingers floorPlane trackBall trackJerseyNumbers mocapModel } }
    outputs { key format file { id type presignedUrl } }
    take { id } client { id } }";

/// A take made of one uploaded mp4; returns its id.
async fn a_take(sandbox: &Sandbox, label: &str) -> String {
    let video = sandbox.uploaded_file("mp4", b"video bytes").await;
    let answer = sandbox
        .create_take(label, &[(&video, "MP4")], Value::Null)
        .await;
    answer["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string()
}

async fn create(sandbox: &Sandbox, vars: Value) -> Value {
    sandbox.gql(&format!("{CREATE}\n{JOB_FIELDS}"), vars).await
}

async fn create_ok(sandbox: &Sandbox, vars: Value) -> Value {
    let answer = create(sandbox, vars).await;
    let job = answer["data"]["createSingleCamJob"].clone();
    assert!(job.is_object(), "{answer}");
    job
}

async fn get(sandbox: &Sandbox, id: &str) -> Value {
    let answer = sandbox
        .gql(&format!("{GET}\n{JOB_FIELDS}"), json!({ "id": id }))
        .await;
    let job = answer["data"]["getJob"].clone();
    assert!(job.is_object(), "{answer}");
    job
}

fn progress(job: &Value) -> (String, i64) {
    (
        job["progress"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        job["progress"]["percentageComplete"].as_i64().unwrap_or(-1),
    )
}

#[tokio::test]
async fn a_job_waits_then_runs_then_finishes_with_byte_exact_outputs() {
    let sandbox = Sandbox::start();
    let take = a_take(&sandbox, "cam-a").await;

    sandbox.set_jobs(json!({ "queue_ms": 3_600_000 })).await;
    let waiting = create_ok(&sandbox, json!({ "take": take })).await;
    assert_eq!(progress(&waiting), ("NOT_STARTED".into(), 0));
    assert_eq!(waiting["state"], "NOT_STARTED");
    assert_eq!(
        progress(&get(&sandbox, waiting["id"].as_str().unwrap()).await).0,
        "NOT_STARTED"
    );

    sandbox
        .set_jobs(json!({ "queue_ms": 0, "run_ms": 3_600_000 }))
        .await;
    let running = create_ok(&sandbox, json!({ "take": take })).await;
    assert_eq!(progress(&running), ("RUNNING".into(), 0));
    assert_eq!(running["outputs"], json!([]), "no outputs before FINISHED");

    sandbox
        .set_jobs(json!({ "queue_ms": 0, "run_ms": 0, "output_bytes": 5000 }))
        .await;
    let options = json!({ "trackFingers": true, "floorPlane": false, "mocapModel": "S2" });
    let done = create_ok(
        &sandbox,
        json!({ "take": take, "outputs": ["MAIN_FBX", "RENDER_VIDEO", "MAIN_FBX"],
                "options": options, "clip": { "startTime": 1.5, "endTime": 9 },
                "name": "cam-a job", "metadata": "{\"site\":\"a\"}" }),
    )
    .await;
    let job_id = done["id"].as_str().unwrap();
    assert!(job_id.starts_with("job-"), "{done}");
    let job = get(&sandbox, job_id).await;
    assert_eq!(progress(&job), ("FINISHED".into(), 100));
    assert_eq!(job["state"], "FINISHED");
    assert_eq!(job["__typename"], "Job");
    assert_eq!(job["name"], "cam-a job");
    assert_eq!(job["metadata"], "{\"site\":\"a\"}");
    assert_eq!(job["take"]["id"], take.as_str());
    assert_eq!(job["client"]["id"], "client-sandbox");
    assert_eq!(
        job["inputs"],
        json!({ "numberOfActors": 1, "clipWindow": { "startTime": 1.5, "endTime": 9.0 },
                "options": { "trackFingers": true, "floorPlane": false, "trackBall": null,
                             "trackJerseyNumbers": null, "mocapModel": "S2" } })
    );
    let outputs = job["outputs"].as_array().unwrap();
    let keys: Vec<(&str, &str)> = outputs
        .iter()
        .map(|o| (o["key"].as_str().unwrap(), o["format"].as_str().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [("MAIN_FBX", "fbx"), ("RENDER_VIDEO", "mp4")],
        "one per output, no repeats"
    );
    for output in outputs {
        let key = output["key"].as_str().unwrap();
        let file_id = output["file"]["id"].as_str().unwrap();
        assert_eq!(output["file"]["type"], output["format"]);
        let url = output["file"]["presignedUrl"].as_str().unwrap();
        let response = sandbox.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        assert!((5000..6024).contains(&bytes.len()), "{} bytes", bytes.len());
        assert_eq!(
            bytes.as_ref(),
            move_sandbox::output_bytes(job_id, key, bytes.len() as u64)
        );
        assert_eq!(bytes.as_ref(), sandbox.blob(file_id).as_slice());
    }
    let stats = sandbox.stats().await;
    assert_eq!(stats["jobs_created"], 3, "{stats}");
    assert_eq!(stats["files_downloaded"], 2, "{stats}");
}

#[tokio::test]
async fn states_move_forward_over_real_time() {
    let sandbox = Sandbox::start_with(&["--job-queue-ms", "150", "--job-run-ms", "600"]);
    let take = a_take(&sandbox, "cam-a").await;
    let job = create_ok(&sandbox, json!({ "take": take })).await;
    let id = job["id"].as_str().unwrap();
    let order = ["NOT_STARTED", "RUNNING", "FINISHED"];
    let mut last = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (state, percent) = progress(&get(&sandbox, id).await);
        let rank = order.iter().position(|s| *s == state).unwrap();
        assert!(
            (rank, percent) >= last,
            "went back from {last:?} to {state} {percent}%"
        );
        last = (rank, percent);
        if state == "FINISHED" {
            assert_eq!(percent, 100);
            break;
        }
        assert!(Instant::now() < deadline, "still {state} after 30 s");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

#[tokio::test]
async fn a_failing_job_fails_halfway_with_a_reason_and_no_outputs() {
    let sandbox = Sandbox::start_with(&[
        "--job-fail",
        "1",
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
    ]);
    let take = a_take(&sandbox, "cam-a").await;
    let job = create_ok(
        &sandbox,
        json!({ "take": take, "metadata": "{\"site\":\"a\"}" }),
    )
    .await;
    let job = get(&sandbox, job["id"].as_str().unwrap()).await;
    assert_eq!(progress(&job).0, "FAILED");
    assert_eq!(job["state"], "FAILED");
    assert_eq!(job["outputs"], json!([]));
    let metadata: Value = serde_json::from_str(job["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata["site"], "a", "the given metadata stays");
    assert!(
        metadata["failure_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{metadata}"
    );

    sandbox
        .set_jobs(
            json!({ "p_fail": 1.0, "queue_ms": 0, "run_ms": 3_600_000, "fail_reason": "too dark" }),
        )
        .await;
    let running = create_ok(&sandbox, json!({ "take": take })).await;
    let running = get(&sandbox, running["id"].as_str().unwrap()).await;
    assert_eq!(
        progress(&running).0,
        "RUNNING",
        "a job fails only halfway through its run"
    );
    assert_eq!(running["metadata"], "{}", "no reason before it fails");

    sandbox
        .set_jobs(json!({ "p_fail": 0.5, "seed": 3, "run_ms": 0, "queue_ms": 0 }))
        .await;
    let mut states = Vec::new();
    for _ in 0..12 {
        let job = create_ok(&sandbox, json!({ "take": take })).await;
        states.push(progress(&get(&sandbox, job["id"].as_str().unwrap()).await).0);
    }
    assert!(
        states.contains(&"FAILED".to_string()) && states.contains(&"FINISHED".to_string()),
        "{states:?}"
    );
}

#[tokio::test]
async fn list_jobs_filters_by_take_and_pages_newest_first() {
    let sandbox = Sandbox::start();
    let (a, b) = (
        a_take(&sandbox, "cam-a").await,
        a_take(&sandbox, "cam-b").await,
    );
    let mut of_a = Vec::new();
    for name in ["a1", "a2", "a3"] {
        let job = create_ok(&sandbox, json!({ "take": a, "name": name })).await;
        of_a.push(job["id"].as_str().unwrap().to_string());
    }
    create_ok(&sandbox, json!({ "take": b, "name": "b1" })).await;

    let query = "query($first: Int, $after: AWSJSON, $take: String, $dir: SortDirection) {
        listJobs(first: $first, after: $after, takeId: $take, sortDirection: $dir) {
            items { id name take { id } } first after } }";
    let mut names = Vec::new();
    let mut after = Value::Null;
    loop {
        let answer = sandbox
            .gql(query, json!({ "first": 2, "after": after, "take": a }))
            .await;
        let page = &answer["data"]["listJobs"];
        for job in page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
        {
            assert_eq!(job["take"]["id"], a.as_str());
            names.push(job["name"].as_str().unwrap().to_string());
        }
        after = page["after"].clone();
        if after.is_null() {
            break;
        }
    }
    assert_eq!(names, ["a3", "a2", "a1"]);

    let all = sandbox.gql(query, json!({ "dir": "ASC" })).await;
    let all: Vec<&str> = all["data"]["listJobs"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(all, ["a1", "a2", "a3", "b1"]);
    let none = sandbox.gql(query, json!({ "take": "take-nope" })).await;
    assert_eq!(none["data"]["listJobs"]["items"], json!([]));
}

#[tokio::test]
async fn bad_jobs_are_refused_like_the_api() {
    let sandbox = Sandbox::start();
    let take = a_take(&sandbox, "cam-a").await;

    let answer = create(&sandbox, json!({ "take": "take-missing" })).await;
    assert_eq!(answer["data"], Value::Null, "{answer}");
    assert_eq!(answer["errors"][0]["errorType"], "BadRequestError");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("take-missing")
    );

    let answer = create(&sandbox, json!({ "take": take, "outputs": ["MAIN_OBJ"] })).await;
    assert_eq!(
        answer["errors"][0]["errorType"], "ValidationError",
        "{answer}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("MAIN_OBJ"),
        "{answer}"
    );

    let answer = create(
        &sandbox,
        json!({ "take": take, "options": { "trackToes": true } }),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["errorType"], "ValidationError",
        "{answer}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trackToes"),
        "{answer}"
    );

    let answer = create(
        &sandbox,
        json!({ "take": take, "clip": { "startTime": 5, "endTime": 2 } }),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["errorType"], "BadRequestError",
        "{answer}"
    );

    let answer = sandbox
        .gql(
            &format!("{GET}\n{JOB_FIELDS}"),
            json!({ "id": "job-missing" }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["errorType"], "MoveNotFoundError",
        "{answer}"
    );
    assert_eq!(sandbox.stats().await["jobs_created"], 0);
}

#[tokio::test]
async fn a_dropped_answer_still_creates_the_job_once() {
    let sandbox = Sandbox::start();
    let take = a_take(&sandbox, "cam-a").await;
    sandbox.set_faults(json!({ "p_drop": 1.0 })).await;
    let result = sandbox
        .try_gql(&format!("{CREATE}\n{JOB_FIELDS}"), json!({ "take": take }))
        .await;
    assert!(result.is_err(), "the answer should be lost, got {result:?}");
    sandbox.set_faults(json!({})).await;
    let listed = sandbox
        .gql(
            "query($t: String) { listJobs(takeId: $t) { items { id } } }",
            json!({ "t": take }),
        )
        .await;
    assert_eq!(
        listed["data"]["listJobs"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{listed}"
    );
    assert_eq!(sandbox.stats().await["jobs_created"], 1);
}

#[tokio::test]
async fn flags_set_the_job_settings_and_a_restart_keeps_jobs() {
    let mut sandbox = Sandbox::start_with(&[
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
        "--job-fail",
        "0.25",
        "--job-seed",
        "7",
        "--job-output-bytes",
        "100",
    ]);
    let url = format!("{}/admin/jobs", sandbox.base);
    let settings: Value = sandbox
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["queue_ms"], 0);
    assert_eq!(settings["run_ms"], 0);
    assert_eq!(settings["p_fail"], 0.25);
    assert_eq!(settings["seed"], 7);
    assert_eq!(settings["output_bytes"], 100);
    let refused = sandbox
        .http
        .post(&url)
        .json(&json!({ "p_fail": 2.0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    sandbox
        .set_jobs(json!({ "queue_ms": 0, "run_ms": 0 }))
        .await;
    let take = a_take(&sandbox, "cam-a").await;
    let job = create_ok(
        &sandbox,
        json!({ "take": take, "outputs": ["MOTION_DATA"] }),
    )
    .await;
    let id = job["id"].as_str().unwrap().to_string();
    sandbox.restart();
    let job = get(&sandbox, &id).await;
    assert_eq!(progress(&job).0, "FINISHED");
    let url = job["outputs"][0]["file"]["presignedUrl"].as_str().unwrap();
    let bytes = sandbox
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        bytes.as_ref(),
        move_sandbox::output_bytes(&id, "MOTION_DATA", bytes.len() as u64)
    );
}

/// The documents Move's Python SDK sends (`jobs.create_singlecam`, `jobs.retrieve` with
/// `expand=["outputs"]`, `jobs.list`), with the variables it sends, including ones no
/// operation declares.
#[tokio::test]
async fn the_python_sdk_documents_work() {
    let sandbox = Sandbox::start_with(&["--job-queue-ms", "0", "--job-run-ms", "0"]);
    let take = a_take(&sandbox, "cam-a").await;
    let attributes = "id created metadata state name
        outputs { key file { id created type metadata presignedUrl __typename } __typename }
        __typename";
    let create = format!(
        "mutation create($take_id: String!, $name: String, $options: OptionsInput,
            $outputs: [OutputType], $metadata: AWSJSON) {{
            createSingleCamJob(takeId: $take_id, name: $name, options: $options,
                outputs: $outputs, metadata: $metadata) {{ {attributes} }} }}"
    );
    let options = json!({ "trackBall": null, "trackFingers": true, "floorPlane": null,
                           "trackJerseyNumbers": null, "mocapModel": null });
    let answer = sandbox
        .gql(
            &create,
            json!({ "take_id": take, "name": "", "options": options,
                              "outputs": ["MAIN_FBX"], "metadata": "{}", "clip_window": null }),
        )
        .await;
    let id = answer["data"]["createSingleCamJob"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    let retrieve = format!("query retrieve($id: ID!) {{ getJob(jobId: $id) {{ {attributes} }} }}");
    let answer = sandbox.gql(&retrieve, json!({ "id": id })).await;
    assert_eq!(answer["data"]["getJob"]["state"], "FINISHED", "{answer}");
    assert_eq!(
        answer["data"]["getJob"]["outputs"][0]["key"], "MAIN_FBX",
        "{answer}"
    );
    let list = format!(
        "query list($first: Int, $after: AWSJSON, $sortDirection: SortDirection, $takeId: String) {{
            listJobs(first: $first, after: $after, sortDirection: $sortDirection, takeId: $takeId) {{
                first after items {{ {attributes} }} }} }}"
    );
    let answer = sandbox
        .gql(
            &list,
            json!({ "first": 10, "after": null, "sortDirection": "DESC",
                            "expand": null, "takeId": take }),
        )
        .await;
    assert_eq!(answer["data"]["listJobs"]["items"][0]["id"], id, "{answer}");
}
