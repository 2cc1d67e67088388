//! Move's multi-cam path: lenses and rigs, volumes that move over time, multi-cam takes in a
//! FINISHED volume, multi-cam jobs; each rule accepted and refused like the API, and the
//! faults on the new mutations.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::Sandbox;

const VOLUME_FIELDS: &str = "fragment V on HumanVolume {
    id name metadata created areaType humanHeight state __typename
    progress { state percentageComplete } clipWindow { startTime endTime }
    sources { deviceLabel format cameraSettings { lens } file { id } }
    outputs { key } client { id } }";

const CREATE_VOLUME: &str = "mutation($s: [SourceInput!], $h: Float!, $a: AreaType!,
        $sync: SyncMethodInput, $clip: ClipWindowInput, $n: String, $m: AWSJSON) {
    createVolumeWithHuman(sources: $s, humanHeight: $h, areaType: $a, syncMethod: $sync,
        clipWindow: $clip, name: $n, metadata: $m) { ...V } }";

const GET_VOLUME: &str = "query($id: ID!) { getVolume(id: $id) { ... on HumanVolume { ...V } } }";

const CREATE_TAKE: &str = "mutation($s: [SourceInput!], $v: String!, $sync: SyncMethodInput,
        $n: String, $m: AWSJSON) {
    createMultiCamTake(sources: $s, volumeId: $v, syncMethod: $sync, name: $n, metadata: $m) {
        id name metadata takeType __typename videoFile { id }
        sources { deviceLabel format cameraSettings { lens } file { id } }
        syncMethod { clapWindow { startTime endTime } timecodeSync { useTimecode } }
        volume { ... on HumanVolume { id state } } } }";

const CREATE_JOB: &str =
    "mutation($t: String!, $actors: Int, $rig: String, $outputs: [OutputType]) {
    createMultiCamJob(takeId: $t, numberOfActors: $actors, rig: $rig, outputs: $outputs) {
        id state rig { name } inputs { numberOfActors } take { id takeType } } }";

const SINGLE_JOB: &str = "mutation($t: String!) { createSingleCamJob(takeId: $t) { id } }";

/// The three cameras of these tests: label and lens.
const CAMERAS: [(&str, &str); 3] = [
    ("cam-1", "goprohero10-4k"),
    ("cam-2", "iphone13pro-wide-fhd"),
    ("cam-3", "goprohero10-fhd"),
];

/// A sandbox whose volumes and jobs finish at once.
fn instant_sandbox() -> Sandbox {
    Sandbox::start_with(&[
        "--volume-queue-ms",
        "0",
        "--volume-run-ms",
        "0",
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
    ])
}

/// One uploaded mp4 per camera: `(label, lens, file id)`.
async fn filmed(sandbox: &Sandbox) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (label, lens) in CAMERAS {
        let file = sandbox
            .uploaded_file("mp4", format!("{label} video").as_bytes())
            .await;
        out.push((label.to_string(), lens.to_string(), file));
    }
    out
}

/// `SourceInput`s, one MP4 per `(label, lens, file id)`.
fn sources(cams: &[(String, String, String)]) -> Value {
    cams.iter()
        .map(|(label, lens, file)| {
            json!({ "deviceLabel": label, "fileId": file, "format": "MP4",
                    "cameraSettings": { "lens": lens } })
        })
        .collect()
}

async fn create_volume(sandbox: &Sandbox, vars: Value) -> Value {
    let mut all = json!({ "h": 1.8, "a": "NORMAL" });
    if let (Some(all), Some(given)) = (all.as_object_mut(), vars.as_object()) {
        all.extend(given.clone());
    }
    sandbox
        .gql(&format!("{CREATE_VOLUME}\n{VOLUME_FIELDS}"), all)
        .await
}

async fn volume_ok(sandbox: &Sandbox, vars: Value) -> Value {
    let answer = create_volume(sandbox, vars).await;
    let volume = answer["data"]["createVolumeWithHuman"].clone();
    assert!(volume.is_object(), "{answer}");
    volume
}

async fn get_volume(sandbox: &Sandbox, id: &str) -> Value {
    let answer = sandbox
        .gql(
            &format!("{GET_VOLUME}\n{VOLUME_FIELDS}"),
            json!({ "id": id }),
        )
        .await;
    let volume = answer["data"]["getVolume"].clone();
    assert!(volume.is_object(), "{answer}");
    volume
}

async fn take_ok(sandbox: &Sandbox, vars: Value) -> Value {
    let answer = sandbox.gql(CREATE_TAKE, vars).await;
    let take = answer["data"]["createMultiCamTake"].clone();
    assert!(take.is_object(), "{answer}");
    take
}

/// A FINISHED volume of the three cameras and a multi-cam take of it: (volume id, take id).
async fn volume_and_take(sandbox: &Sandbox) -> (String, String) {
    let cams = filmed(sandbox).await;
    let volume = volume_ok(sandbox, json!({ "s": sources(&cams) })).await;
    let volume_id = volume["id"].as_str().unwrap_or_default().to_string();
    let take = take_ok(sandbox, json!({ "s": sources(&cams[..2]), "v": volume_id })).await;
    (
        volume_id,
        take["id"].as_str().unwrap_or_default().to_string(),
    )
}

/// Asserts that `answer` is the refusal of `field` with `error_type`, its message containing
/// `words`.
fn assert_refused(answer: &Value, field: &str, error_type: &str, words: &str) {
    assert_eq!(answer["data"], Value::Null, "{answer}");
    let error = &answer["errors"][0];
    assert_eq!(error["errorType"], error_type, "{answer}");
    if error_type != "ValidationError" {
        assert_eq!(error["path"], json!([field]), "{answer}");
    }
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{words:?} not in {message:?}");
}

fn state(value: &Value) -> (&str, i64) {
    (
        value["progress"]["state"].as_str().unwrap_or_default(),
        value["progress"]["percentageComplete"]
            .as_i64()
            .unwrap_or(-1),
    )
}

#[tokio::test]
async fn lenses_and_rigs_are_listed() {
    let sandbox = Sandbox::start();
    let answer = sandbox
        .gql(
            "{ listCameraSettings { items { lens __typename } } listRigs { items { name } } }",
            json!({}),
        )
        .await;
    let lenses: Vec<&str> = answer["data"]["listCameraSettings"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|l| l["lens"].as_str().unwrap())
        .collect();
    assert!(lenses.len() >= 5, "{lenses:?}");
    for (_, lens) in CAMERAS {
        assert!(lenses.contains(&lens), "{lens} not in {lenses:?}");
    }
    assert_eq!(
        answer["data"]["listCameraSettings"]["items"][0]["__typename"],
        "CameraSettings"
    );
    assert_eq!(
        answer["data"]["listRigs"]["items"],
        json!([{"name": "move_mo"}, {"name": "move_one"}])
    );
}

#[tokio::test]
async fn a_volume_waits_then_runs_then_finishes_and_reads_back() {
    let sandbox = Sandbox::start_with(&["--volume-queue-ms", "150", "--volume-run-ms", "600"]);
    let cams = filmed(&sandbox).await;
    let created = volume_ok(
        &sandbox,
        json!({ "s": sources(&cams), "h": 1.72, "a": "LARGE", "n": "studio",
                "m": "{\"move_ingest\":{\"key\":\"k1\"}}",
                "sync": { "clapWindow": { "startTime": 1, "endTime": 2.5 } },
                "clip": { "startTime": 0.5, "endTime": 30 } }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("volume-"), "{created}");
    assert_eq!(state(&created), ("NOT_STARTED", 0));
    assert_eq!(created["state"], "NOT_STARTED");

    let order = ["NOT_STARTED", "RUNNING", "FINISHED"];
    let mut last = (0, 0);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let finished = loop {
        let volume = get_volume(&sandbox, id).await;
        let (now, percent) = state(&volume);
        assert_eq!(volume["state"], now, "state and progress.state agree");
        let rank = order.iter().position(|s| *s == now).unwrap();
        assert!(
            (rank, percent) >= last,
            "went back from {last:?} to {now} {percent}%"
        );
        last = (rank, percent);
        if !seen.contains(&now.to_string()) {
            seen.push(now.to_string());
        }
        if now == "FINISHED" {
            assert_eq!(percent, 100);
            break volume;
        }
        assert!(Instant::now() < deadline, "still {now} after 30 s");
        tokio::time::sleep(Duration::from_millis(40)).await;
    };
    assert!(seen.contains(&"RUNNING".to_string()), "{seen:?}");
    assert_eq!(finished["__typename"], "HumanVolume");
    assert_eq!(finished["name"], "studio");
    assert_eq!(finished["metadata"], "{\"move_ingest\":{\"key\":\"k1\"}}");
    assert_eq!(finished["areaType"], "LARGE");
    assert_eq!(finished["humanHeight"], 1.72);
    assert_eq!(
        finished["clipWindow"],
        json!({"startTime": 0.5, "endTime": 30.0})
    );
    assert_eq!(finished["client"]["id"], "client-sandbox");
    assert_eq!(finished["outputs"], json!([]));
    let got: Vec<(&str, &str, &str)> = finished["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["deviceLabel"].as_str().unwrap(),
                s["cameraSettings"]["lens"].as_str().unwrap(),
                s["file"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, &str, &str)> = cams
        .iter()
        .map(|(l, lens, f)| (l.as_str(), lens.as_str(), f.as_str()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(sandbox.stats().await["volumes_created"], 1);
}

/// The names of every volume, read through `listVolumes` pages of 2 in direction `dir`, each
/// item checked: a FINISHED HumanVolume whose metadata (the product's record) came back.
async fn volume_names(sandbox: &Sandbox, dir: &str) -> Vec<String> {
    let query = "query($first: Int, $after: AWSJSON, $dir: SortDirection) {
        listVolumes(first: $first, after: $after, sortDirection: $dir) {
            first after items { __typename ... on HumanVolume { name metadata state } } } }";
    let mut names = Vec::new();
    let mut after = Value::Null;
    loop {
        let answer = sandbox
            .gql(query, json!({ "first": 2, "after": after, "dir": dir }))
            .await;
        let page = &answer["data"]["listVolumes"];
        for v in page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
        {
            assert_eq!(v["__typename"], "HumanVolume");
            assert_eq!(v["state"], "FINISHED");
            let metadata: Value = serde_json::from_str(v["metadata"].as_str().unwrap()).unwrap();
            if let Some(name) = v["name"].as_str() {
                assert_eq!(metadata["move_ingest"]["name"], name);
            }
            names.push(v["name"].as_str().unwrap_or_default().to_string());
        }
        after = page["after"].clone();
        if after.is_null() {
            return names;
        }
    }
}

#[tokio::test]
async fn list_volumes_pages_newest_first_with_metadata_and_a_restart_keeps_them() {
    let mut sandbox = instant_sandbox();
    let cams = filmed(&sandbox).await;
    for n in ["v1", "v2", "v3"] {
        let metadata = json!({ "move_ingest": { "name": n } }).to_string();
        volume_ok(
            &sandbox,
            json!({ "s": sources(&cams), "n": n, "m": metadata }),
        )
        .await;
    }
    assert_eq!(volume_names(&sandbox, "DESC").await, ["v3", "v2", "v1"]);
    assert_eq!(volume_names(&sandbox, "ASC").await, ["v1", "v2", "v3"]);
    let (_, take_id) = volume_and_take(&sandbox).await;

    sandbox.restart();
    assert_eq!(volume_names(&sandbox, "DESC").await.len(), 4);
    let take = sandbox
        .gql(
            "query($id: ID!) { getTake(takeId: $id) { takeType volume { ... on HumanVolume { state } } } }",
            json!({ "id": take_id }),
        )
        .await;
    assert_eq!(
        take["data"]["getTake"],
        json!({"takeType": "MULTI_CAM", "volume": {"state": "FINISHED"}})
    );
}

#[tokio::test]
async fn volume_rules_are_each_accepted_and_refused_like_the_api() {
    let sandbox = instant_sandbox();
    let cams = filmed(&sandbox).await;
    let (never_uploaded, _) = sandbox.create_file("mp4").await;
    let mov = sandbox.uploaded_file("mov", b"mov").await;
    let sidecar = sandbox.uploaded_file("move", b"move").await;
    let good = sources(&cams);
    let with = |i: usize, key: &str, value: Value| {
        let mut s = good.clone();
        s[i][key] = value;
        s
    };
    let field = "createVolumeWithHuman";
    let refusals: Vec<(Value, &str)> = vec![
        (
            json!({ "s": sources(&cams[..1]) }),
            "at least two cameras, got 1",
        ),
        (json!({ "s": [] }), "at least two cameras, got 0"),
        (
            json!({ "s": with(1, "deviceLabel", json!("cam-1")) }),
            "'cam-1' is given twice",
        ),
        (
            json!({ "s": with(0, "deviceLabel", json!("")) }),
            "deviceLabel must not be empty",
        ),
        (
            json!({ "s": with(1, "cameraSettings", Value::Null) }),
            "'cam-2' needs cameraSettings.lens",
        ),
        (
            json!({ "s": with(2, "cameraSettings", json!({"lens": "pinhole-8k"})) }),
            "Unknown lens 'pinhole-8k'",
        ),
        (
            json!({ "s": with(1, "fileId", json!(never_uploaded)) }),
            "has not been uploaded",
        ),
        (
            json!({ "s": with(1, "fileId", json!("file-nope")) }),
            "File file-nope does not exist",
        ),
        (
            json!({ "s": with(1, "fileId", json!(mov)) }),
            "is of type mov but its source says format MP4",
        ),
        (
            json!({ "s": with(1, "format", json!("MOVE")) }),
            "only video sources",
        ),
        (
            json!({ "s": good, "h": 0.49 }),
            "humanHeight must be between 0.5 and 2.5",
        ),
        (
            json!({ "s": good, "h": 2.51 }),
            "humanHeight must be between 0.5 and 2.5",
        ),
        (
            json!({ "s": good, "sync": { "clapWindow": { "startTime": 3, "endTime": 3 } } }),
            "clapWindow startTime (3) must be at least 0 and before endTime (3)",
        ),
        (
            json!({ "s": good, "sync": { "clapWindow": { "startTime": 1, "endTime": 2 },
                                      "timecodeSync": { "useTimecode": true } } }),
            "not both",
        ),
        (
            json!({ "s": good, "clip": { "startTime": 5, "endTime": 1 } }),
            "clipWindow startTime (5)",
        ),
    ];
    for (vars, words) in refusals {
        let answer = create_volume(&sandbox, vars.clone()).await;
        assert_refused(&answer, field, "BadRequestError", words);
    }
    let mixed =
        json!([good[0], good[1], {"deviceLabel": "cam-1", "fileId": sidecar, "format": "MOVE"}]);
    let answer = create_volume(&sandbox, json!({ "s": mixed })).await;
    assert_refused(&answer, field, "BadRequestError", "only video sources");
    let answer = create_volume(&sandbox, json!({ "s": good, "a": "HUGE" })).await;
    assert_refused(&answer, field, "ValidationError", "HUGE");
    assert_eq!(sandbox.stats().await["volumes_created"], 0);

    let accepted = [
        json!({ "s": good, "h": 0.5 }),
        json!({ "s": good, "h": 2.5, "a": "LARGE" }),
        json!({ "s": sources(&cams[..2]), "sync": { "timecodeSync": { "useTimecode": true } } }),
        json!({ "s": good, "sync": { "clapWindow": { "startTime": 0, "endTime": 0.5 }, "timecodeSync": null } }),
        json!({ "s": with(1, "fileId", json!(mov)).as_array().map(|s| {
            let mut s = s.clone();
            s[1]["format"] = json!("MOV");
            s
        }) }),
    ];
    for vars in accepted {
        volume_ok(&sandbox, vars).await;
    }
    assert_eq!(sandbox.stats().await["volumes_created"], 5);
    let missing = sandbox
        .gql(
            &format!("{GET_VOLUME}\n{VOLUME_FIELDS}"),
            json!({ "id": "volume-nope" }),
        )
        .await;
    assert_refused(
        &missing,
        "getVolume",
        "MoveNotFoundError",
        "Resource not found",
    );
}

#[tokio::test]
async fn volume_fail_fails_volumes_halfway_with_a_reason_and_no_take_can_use_them() {
    let sandbox = Sandbox::start_with(&[
        "--volume-fail",
        "1",
        "--volume-queue-ms",
        "0",
        "--volume-run-ms",
        "0",
    ]);
    let cams = filmed(&sandbox).await;
    let volume = volume_ok(
        &sandbox,
        json!({ "s": sources(&cams), "m": "{\"site\":\"a\"}" }),
    )
    .await;
    let id = volume["id"].as_str().unwrap();
    let volume = get_volume(&sandbox, id).await;
    assert_eq!(state(&volume).0, "FAILED");
    assert_eq!(volume["state"], "FAILED");
    let metadata: Value = serde_json::from_str(volume["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(metadata["site"], "a", "the given metadata stays");
    assert!(
        metadata["failure_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{metadata}"
    );
    let answer = sandbox
        .gql(CREATE_TAKE, json!({ "s": sources(&cams), "v": id }))
        .await;
    assert_refused(
        &answer,
        "createMultiCamTake",
        "BadRequestError",
        "is FAILED: a multi-cam take needs a FINISHED volume",
    );

    // Half of them, drawn from the seed; a volume fails only halfway through its run.
    let settings = format!("{}/admin/volumes", sandbox.base);
    let post = |body: Value| {
        let sandbox = &sandbox;
        let url = settings.clone();
        async move { sandbox.http.post(url).json(&body).send().await.unwrap() }
    };
    assert_eq!(
        post(json!({ "p_fail": 1.0, "queue_ms": 0, "run_ms": 3_600_000 }))
            .await
            .status(),
        200
    );
    let running = volume_ok(&sandbox, json!({ "s": sources(&cams) })).await;
    assert_eq!(state(&running).0, "RUNNING");
    assert_eq!(running["metadata"], "{}", "no reason before it fails");
    assert_eq!(
        post(json!({ "p_fail": 0.5, "seed": 3, "queue_ms": 0, "run_ms": 0 }))
            .await
            .status(),
        200
    );
    let mut states = Vec::new();
    for _ in 0..12 {
        let v = volume_ok(&sandbox, json!({ "s": sources(&cams) })).await;
        states.push(
            state(&get_volume(&sandbox, v["id"].as_str().unwrap()).await)
                .0
                .to_string(),
        );
    }
    assert!(
        states.contains(&"FAILED".to_string()) && states.contains(&"FINISHED".to_string()),
        "{states:?}"
    );
    assert_eq!(post(json!({ "p_fail": 1.5 })).await.status(), 400);
}

#[tokio::test]
async fn volume_flags_set_the_volume_settings() {
    let sandbox = Sandbox::start_with(&[
        "--volume-queue-ms",
        "12",
        "--volume-run-ms",
        "34",
        "--volume-fail",
        "0.25",
        "--volume-seed",
        "7",
    ]);
    let url = format!("{}/admin/volumes", sandbox.base);
    let settings: Value = sandbox
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["queue_ms"], 12);
    assert_eq!(settings["run_ms"], 34);
    assert_eq!(settings["p_fail"], 0.25);
    assert_eq!(settings["seed"], 7);
    let out = std::process::Command::new(crate::util::sandbox_bin())
        .args(["--port", "0", "--volume-fail", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("p_fail must be a probability"));
}

#[tokio::test]
async fn multi_cam_take_rules_are_each_accepted_and_refused_like_the_api() {
    let sandbox = instant_sandbox();
    let cams = filmed(&sandbox).await;
    let volume = volume_ok(&sandbox, json!({ "s": sources(&cams[..2]) })).await;
    let volume_id = volume["id"].as_str().unwrap();
    let good = sources(&cams[..2]);
    let mut other_lens = good.clone();
    other_lens[1]["cameraSettings"]["lens"] = json!("goprohero10-4k");
    let mut twice = good.clone();
    twice[1]["deviceLabel"] = json!("cam-1");
    let field = "createMultiCamTake";
    let refusals: Vec<(Value, &str)> = vec![
        (
            json!({ "s": good, "v": "volume-nope" }),
            "Volume volume-nope does not exist",
        ),
        (
            json!({ "s": sources(&cams[..1]), "v": volume_id }),
            "at least two cameras, got 1",
        ),
        (
            json!({ "s": twice, "v": volume_id }),
            "'cam-1' is given twice",
        ),
        (
            json!({ "s": sources(&cams), "v": volume_id }),
            "'cam-3' is not a camera of volume",
        ),
        (
            json!({ "s": other_lens, "v": volume_id }),
            "has lens 'goprohero10-4k' but volume",
        ),
        (
            json!({ "s": good, "v": volume_id, "sync": { "clapWindow": { "startTime": -1, "endTime": 2 } } }),
            "clapWindow startTime (-1)",
        ),
        (
            json!({ "s": good, "v": volume_id, "sync": { "clapWindow": { "startTime": 1, "endTime": 2 }, "timecodeSync": { "useTimecode": true } } }),
            "not both",
        ),
        (
            json!({ "s": good, "v": volume_id, "m": "{not json" }),
            "invalid value",
        ),
    ];
    for (vars, words) in refusals {
        let answer = sandbox.gql(CREATE_TAKE, vars).await;
        let kind = if words == "invalid value" {
            "ValidationError"
        } else {
            "BadRequestError"
        };
        assert_refused(&answer, field, kind, words);
    }
    let answer = sandbox
        .gql(
            "mutation { createMultiCamTake(sources: []) { id } }",
            json!({}),
        )
        .await;
    assert_refused(&answer, field, "ValidationError", "volumeId");

    sandbox.set_jobs(json!({})).await; // jobs untouched; volumes are set apart:
    let url = format!("{}/admin/volumes", sandbox.base);
    let slow = sandbox
        .http
        .post(&url)
        .json(&json!({ "queue_ms": 0, "run_ms": 3_600_000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), 200);
    let running = volume_ok(&sandbox, json!({ "s": good })).await;
    let answer = sandbox
        .gql(CREATE_TAKE, json!({ "s": good, "v": running["id"] }))
        .await;
    assert_refused(
        &answer,
        field,
        "BadRequestError",
        "is RUNNING: a multi-cam take needs a FINISHED volume",
    );
    assert_eq!(sandbox.stats().await["takes_created"], 0);

    let clap = take_ok(
        &sandbox,
        json!({ "s": good, "v": volume_id, "n": "clap", "m": "{\"move_ingest\":1}",
                "sync": { "clapWindow": { "startTime": 1.5, "endTime": 2 } } }),
    )
    .await;
    assert_eq!(clap["takeType"], "MULTI_CAM");
    assert_eq!(clap["__typename"], "Take");
    assert_eq!(clap["metadata"], "{\"move_ingest\":1}");
    assert_eq!(clap["videoFile"], Value::Null, "no single video file");
    assert_eq!(
        clap["volume"],
        json!({"id": volume_id, "state": "FINISHED"})
    );
    assert_eq!(
        clap["syncMethod"],
        json!({"clapWindow": {"startTime": 1.5, "endTime": 2.0}, "timecodeSync": null})
    );
    assert_eq!(
        clap["sources"][1]["cameraSettings"]["lens"],
        "iphone13pro-wide-fhd"
    );
    assert_eq!(clap["sources"][1]["file"]["id"], cams[1].2.as_str());
    let timecode = take_ok(
        &sandbox,
        json!({ "s": good, "v": volume_id, "n": "timecode",
                "sync": { "timecodeSync": { "useTimecode": true } } }),
    )
    .await;
    assert_eq!(
        timecode["syncMethod"],
        json!({"clapWindow": null, "timecodeSync": {"useTimecode": true}})
    );
    let unsynced = take_ok(
        &sandbox,
        json!({ "s": good, "v": volume_id, "n": "synced" }),
    )
    .await;
    assert_eq!(unsynced["syncMethod"], Value::Null);

    let single_file = sandbox.uploaded_file("mp4", b"single").await;
    sandbox
        .create_take("solo", &[(&single_file, "MP4")], Value::Null)
        .await;
    let listed = sandbox
        .gql(
            "{ listTakes { items { name takeType syncMethod { timecodeSync { useTimecode } }
                volume { ... on HumanVolume { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["listTakes"]["items"],
        json!([
            {"name": "solo take", "takeType": "SINGLE_CAM", "syncMethod": null, "volume": null},
            {"name": "synced", "takeType": "MULTI_CAM", "syncMethod": null, "volume": {"id": volume_id}},
            {"name": "timecode", "takeType": "MULTI_CAM", "syncMethod": {"timecodeSync": {"useTimecode": true}}, "volume": {"id": volume_id}},
            {"name": "clap", "takeType": "MULTI_CAM", "syncMethod": {"timecodeSync": null}, "volume": {"id": volume_id}},
        ])
    );
    let got = sandbox
        .gql(
            "query($id: ID!) { getTake(takeId: $id) { id takeType sources { deviceLabel } } }",
            json!({ "id": clap["id"] }),
        )
        .await;
    assert_eq!(
        got["data"]["getTake"],
        json!({"id": clap["id"], "takeType": "MULTI_CAM",
               "sources": [{"deviceLabel": "cam-1"}, {"deviceLabel": "cam-2"}]})
    );
    assert_eq!(sandbox.stats().await["takes_created"], 4);
}

#[tokio::test]
async fn multi_cam_jobs_run_on_multi_cam_takes_only_and_single_cam_jobs_refuse_them() {
    let sandbox = instant_sandbox();
    let (_, take) = volume_and_take(&sandbox).await;
    let single_file = sandbox.uploaded_file("mp4", b"single").await;
    let single = sandbox
        .create_take("solo", &[(&single_file, "MP4")], Value::Null)
        .await;
    let single = single["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap();

    let answer = sandbox.gql(SINGLE_JOB, json!({ "t": take })).await;
    assert_refused(
        &answer,
        "createSingleCamJob",
        "BadRequestError",
        "is a multi-cam take: process it with createMultiCamJob",
    );
    let field = "createMultiCamJob";
    let answer = sandbox
        .gql(CREATE_JOB, json!({ "t": single, "actors": 1 }))
        .await;
    assert_refused(
        &answer,
        field,
        "BadRequestError",
        "is a single-cam take: process it with createSingleCamJob",
    );
    let refusals = [
        (
            json!({ "t": "take-nope", "actors": 1 }),
            "Take take-nope does not exist",
        ),
        (
            json!({ "t": take, "actors": 0 }),
            "numberOfActors must be between 1 and 10, got 0",
        ),
        (
            json!({ "t": take, "actors": 11 }),
            "numberOfActors must be between 1 and 10, got 11",
        ),
        (
            json!({ "t": take, "rig": "move_two" }),
            "Unknown rig 'move_two': use one of move_mo, move_one",
        ),
    ];
    for (vars, words) in refusals {
        let answer = sandbox.gql(CREATE_JOB, vars).await;
        assert_refused(&answer, field, "BadRequestError", words);
    }
    assert_eq!(sandbox.stats().await["jobs_created"], 0);

    let job = sandbox
        .gql(
            CREATE_JOB,
            json!({ "t": take, "actors": 3, "rig": "move_one", "outputs": ["MAIN_FBX"] }),
        )
        .await;
    let job = &job["data"]["createMultiCamJob"];
    assert_eq!(job["rig"], json!({"name": "move_one"}), "{job}");
    assert_eq!(job["inputs"]["numberOfActors"], 3);
    assert_eq!(job["take"], json!({"id": take, "takeType": "MULTI_CAM"}));
    let defaulted = sandbox
        .gql(CREATE_JOB, json!({ "t": take, "rig": "" }))
        .await;
    assert_eq!(
        defaulted["data"]["createMultiCamJob"]["rig"],
        json!({"name": "move_mo"}),
        "an empty rig (the SDK's default) is the default rig: {defaulted}"
    );
    assert_eq!(
        defaulted["data"]["createMultiCamJob"]["inputs"]["numberOfActors"],
        1
    );
    let single_job = sandbox.gql(SINGLE_JOB, json!({ "t": single })).await;
    assert!(
        single_job["data"]["createSingleCamJob"]["id"].is_string(),
        "{single_job}"
    );

    let got = sandbox
        .gql(
            "query($id: ID!) { getJob(jobId: $id) { state progress { state percentageComplete }
                rig { name } outputs { key file { presignedUrl } } } }",
            json!({ "id": job["id"] }),
        )
        .await;
    let got = &got["data"]["getJob"];
    assert_eq!(state(got), ("FINISHED", 100), "{got}");
    assert_eq!(got["outputs"][0]["key"], "MAIN_FBX");
    let url = got["outputs"][0]["file"]["presignedUrl"].as_str().unwrap();
    assert_eq!(sandbox.http.get(url).send().await.unwrap().status(), 200);
    let listed = sandbox
        .gql(
            "query($t: String) { listJobs(takeId: $t) { items { id rig { name } } } }",
            json!({ "t": take }),
        )
        .await;
    assert_eq!(
        listed["data"]["listJobs"]["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    let single_listed = sandbox
        .gql(
            "query($t: String) { listJobs(takeId: $t) { items { rig { name } } } }",
            json!({ "t": single }),
        )
        .await;
    assert_eq!(
        single_listed["data"]["listJobs"]["items"],
        json!([{"rig": null}])
    );
}

#[tokio::test]
async fn dropped_answers_on_the_new_mutations_still_create_once() {
    let sandbox = instant_sandbox();
    let cams = filmed(&sandbox).await;
    sandbox
        .set_faults(json!({ "p_drop": 1.0, "drop_only": "createVolumeWithHuman" }))
        .await;
    let lost = sandbox
        .try_gql(
            &format!("{CREATE_VOLUME}\n{VOLUME_FIELDS}"),
            json!({ "s": sources(&cams), "h": 1.8, "a": "NORMAL" }),
        )
        .await;
    assert!(lost.is_err(), "the answer should be lost, got {lost:?}");
    // Another mutation keeps its answer.
    let (file, _) = sandbox.create_file("mp4").await;
    assert!(file.starts_with("file-"));
    let listed = sandbox
        .gql(
            "{ listVolumes { items { ... on HumanVolume { id } } } }",
            json!({}),
        )
        .await;
    let volumes = listed["data"]["listVolumes"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(volumes.len(), 1, "{listed}");
    let volume_id = volumes[0]["id"].as_str().unwrap();

    sandbox
        .set_faults(json!({ "p_drop": 1.0, "drop_only": "createMultiCamTake" }))
        .await;
    let lost = sandbox
        .try_gql(CREATE_TAKE, json!({ "s": sources(&cams), "v": volume_id }))
        .await;
    assert!(lost.is_err(), "the answer should be lost, got {lost:?}");
    let takes = sandbox.takes().await;
    assert_eq!(takes.len(), 1);
    assert_eq!(takes[0]["takeType"], "MULTI_CAM");

    sandbox
        .set_faults(json!({ "p_drop": 1.0, "drop_only": "createMultiCamJob" }))
        .await;
    let lost = sandbox
        .try_gql(CREATE_JOB, json!({ "t": takes[0]["id"] }))
        .await;
    assert!(lost.is_err(), "the answer should be lost, got {lost:?}");
    let stats = sandbox.stats().await;
    assert_eq!(stats["volumes_created"], 1, "{stats}");
    assert_eq!(stats["takes_created"], 1, "{stats}");
    assert_eq!(stats["jobs_created"], 1, "{stats}");
    assert_eq!(stats["faults_injected"], 3, "{stats}");
}

#[tokio::test]
async fn fault_5xx_only_hits_the_named_new_field_and_nothing_else() {
    let sandbox = instant_sandbox();
    let (volume_id, take_id) = volume_and_take(&sandbox).await;
    let status = |query: &'static str, vars: Value| {
        let sandbox = &sandbox;
        async move {
            sandbox
                .http
                .post(&sandbox.url)
                .header("Authorization", &sandbox.key)
                .json(&json!({ "query": query, "variables": vars }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let get = "query($id: ID!) { getVolume(id: $id) { ... on HumanVolume { id } } }";
    let list = "{ listVolumes { items { ... on HumanVolume { id } } } }";
    let job = "mutation($t: String!) { createMultiCamJob(takeId: $t) { id } }";
    let take = "query($id: ID!) { getTake(takeId: $id) { volume { ... on HumanVolume { id } } } }";
    let cases = [
        (
            "getVolume",
            [(get, 503), (list, 200), (take, 200), (job, 200)],
        ),
        (
            "listVolumes",
            [(get, 200), (list, 503), (take, 200), (job, 200)],
        ),
        (
            "createMultiCamJob",
            [(get, 200), (list, 200), (take, 200), (job, 503)],
        ),
    ];
    for (only, expected) in cases {
        sandbox
            .set_faults(json!({ "p_5xx": 1.0, "unavailable_only": only }))
            .await;
        for (query, code) in expected {
            let vars =
                json!({ "id": if query == get { &volume_id } else { &take_id }, "t": take_id });
            assert_eq!(
                status(query, vars).await,
                code,
                "--fault-5xx-only {only}: {query}"
            );
        }
    }
    let stats = sandbox.stats().await;
    assert_eq!(stats["faults_injected"], 3, "{stats}");
    assert_eq!(stats["jobs_created"], 2, "{stats}");
}

/// The documents Move's Python SDK 4.1.0 sends for `volumes.create_human_volume`,
/// `volumes.retrieve_human_volume`, `volumes.list`, `takes.create_multicam` (with
/// expand=["volume"]) and `jobs.create_multicam`, with the variables it sends, including ones
/// no operation declares.
#[tokio::test]
async fn the_python_sdk_multicam_documents_work() {
    let sandbox = instant_sandbox();
    let cams = filmed(&sandbox).await;
    let attributes = "id areaType created humanHeight metadata name state
        progress { state percentageComplete } __typename";
    let create = format!(
        "mutation create($sources: [SourceInput!], $syncMethod: SyncMethodInput,
            $areaType: AreaType!, $humanHeight: Float!, $metadata: AWSJSON, $name: String,
            $clip_window: ClipWindowInput) {{
            createVolumeWithHuman(sources: $sources, syncMethod: $syncMethod, areaType: $areaType,
                humanHeight: $humanHeight, metadata: $metadata, name: $name,
                clipWindow: $clip_window) {{ {attributes} }} }}"
    );
    let answer = sandbox
        .gql(
            &create,
            json!({ "sources": sources(&cams), "humanHeight": 1.8, "areaType": "NORMAL",
                    "syncMethod": { "clapWindow": null, "timecodeSync": { "useTimecode": true } },
                    "metadata": "{}", "name": "", "clip_window": null }),
        )
        .await;
    let volume_id = answer["data"]["createVolumeWithHuman"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    let retrieve = format!(
        "query retrieve($id: ID!) {{ getVolume(id: $id) {{ ... on Volume {{ ...VolumeFields }} }} }}
         fragment VolumeFields on HumanVolume {{ {attributes} }}"
    );
    let answer = sandbox.gql(&retrieve, json!({ "id": volume_id })).await;
    assert_eq!(answer["data"]["getVolume"]["state"], "FINISHED", "{answer}");
    assert_eq!(answer["data"]["getVolume"]["__typename"], "HumanVolume");
    let list = format!(
        "query list($first: Int, $after: AWSJSON, $sortDirection: SortDirection) {{
            listVolumes(first: $first, after: $after, sortDirection: $sortDirection) {{
                first after items {{ ... on Volume {{ ...VolumeFields }} }} }} }}
         fragment VolumeFields on HumanVolume {{ {attributes} }}"
    );
    let answer = sandbox
        .gql(
            &list,
            json!({ "first": 10, "after": null, "sortDirection": "DESC", "expand": null, "takeId": null }),
        )
        .await;
    assert_eq!(
        answer["data"]["listVolumes"]["items"][0]["id"], volume_id,
        "{answer}"
    );
    let take = "mutation create($sources: [SourceInput!], $syncMethod: SyncMethodInput,
            $metadata: AWSJSON, $name: String, $volumeId: String!) {
        createMultiCamTake(sources: $sources, syncMethod: $syncMethod, name: $name,
            volumeId: $volumeId, metadata: $metadata) {
            id created metadata name
            volume { ... on Volume { ...HumanVolumeFragment } }
            __typename } }
        fragment HumanVolumeFragment on HumanVolume {
            id areaType created humanHeight metadata name state __typename }";
    let answer = sandbox
        .gql(
            take,
            json!({ "sources": sources(&cams), "volumeId": volume_id, "name": "",
                    "syncMethod": { "clapWindow": { "startTime": 1.0, "endTime": 2.0 }, "timecodeSync": null },
                    "metadata": "{}" }),
        )
        .await;
    let take_id = answer["data"]["createMultiCamTake"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(
        answer["data"]["createMultiCamTake"]["volume"]["id"],
        volume_id
    );
    let job = "mutation create($take_id: String!, $name: String, $numberOfActors: Int!,
            $options: OptionsInput, $outputs: [OutputType], $metadata: AWSJSON, $rig: String,
            $clip_window: ClipWindowInput) {
        createMultiCamJob(takeId: $take_id, name: $name, numberOfActors: $numberOfActors,
            options: $options, outputs: $outputs, metadata: $metadata rig: $rig
            clipWindow: $clip_window) {
            id created metadata state name progress { state percentageComplete }
            rig { name __typename } __typename } }";
    let answer = sandbox
        .gql(
            job,
            json!({ "take_id": take_id, "numberOfActors": 2, "name": "", "options": {},
                    "outputs": [], "metadata": "{}", "rig": "", "clip_window": null }),
        )
        .await;
    assert_eq!(
        answer["data"]["createMultiCamJob"]["rig"],
        json!({"name": "move_mo", "__typename": "Rig"}),
        "{answer}"
    );
}
