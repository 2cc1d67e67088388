//! `[[multicam]]` in the daemon (issue 22): a rig's calibration becomes exactly one volume,
//! each later recording exactly one multicam take on it, through missing cameras, a volume
//! still running, `group = "folder"`, a pinned volume, a FAILED volume, crashes with dropped
//! answers and an emptied state dir; a single camera beside the rig is never held up.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, set_age};
use crate::util::Sandbox;

const DEADLINE: Duration = Duration::from_secs(60);
const LENS: &str = "goprohero10-fhd";
const CAMS: [&str; 3] = ["cam-1", "cam-2", "cam-3"];

/// A sandbox whose volumes take `run_ms` to finish (`fail`: the share that FAIL).
fn sandbox(run_ms: u64, fail: f64) -> Sandbox {
    sandbox_with(run_ms, fail, &[])
}

/// `sandbox` with more flags (faults).
fn sandbox_with(run_ms: u64, fail: f64, more: &[&str]) -> Sandbox {
    let run_ms = run_ms.to_string();
    let fail = fail.to_string();
    let mut args = vec![
        "--volume-queue-ms",
        "0",
        "--volume-run-ms",
        &run_ms,
        "--volume-fail",
        &fail,
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "200",
    ];
    args.extend_from_slice(more);
    Sandbox::start_with(&args)
}

/// The rig `stage-a` of three cameras; `extra` lines go into its table.
fn rig_config(cap: &Capture, extra: &str) {
    cap.write_config(&format!(
        "[take]\nname = \"{{rig}} {{stem}}\"\n[take.metadata]\nsite = \"studio-a\"\n\n\
         [[multicam]]\nname = \"stage-a\"\ndevices = [\"cam-1\", \"cam-2\", \"cam-3\"]\n\
         lens = \"{LENS}\"\nsync = \"timecode\"\nwait_secs = 3\n{extra}\n"
    ));
}

const CALIBRATE: &str = "calibration = \"calib*\"\nhuman_height_m = 1.8\n";

/// Writes `<cam>/<stem>.mp4` for each camera, `age` old (older = recorded earlier).
fn record(cap: &Capture, cams: &[&str], stem: &str, age: Duration) -> Vec<PathBuf> {
    cams.iter()
        .enumerate()
        .map(|(i, cam)| {
            let seed = stem.bytes().map(u64::from).sum::<u64>() * 10 + i as u64;
            let p = cap.write(cam, &format!("{stem}.mp4"), &bytes(seed, 4_000 + i));
            set_age(&p, age);
            p
        })
        .collect()
}

/// A running `move-ingest run`, its stderr in a file; killed on drop.
struct Run {
    child: Child,
    log: PathBuf,
}

impl Run {
    async fn start(cap: &Capture) -> Run {
        let log = cap
            .root
            .path()
            .join(format!("run-{:08x}.log", fastrand::u32(..)));
        let child = cap
            .cmd(&["run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let run = Run { child, log };
        run.until("the service to be ready", || async {
            run.log().contains("watching for recordings").then_some(())
        })
        .await;
        run
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn until<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let start = Instant::now();
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every volume on the sandbox.
async fn volumes(sb: &Sandbox) -> Vec<Value> {
    let q = "query { listVolumes(first: 100) { items { ... on HumanVolume { id state metadata
             sources { deviceLabel cameraSettings { lens } } } } after } }";
    let answer = sb.gql(q, json!({})).await;
    answer["data"]["listVolumes"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

/// The multicam takes on the sandbox, by their record's stem.
async fn multicam_takes(sb: &Sandbox) -> Vec<Value> {
    sb.takes()
        .await
        .into_iter()
        .filter(|t| t["takeType"] == "MULTI_CAM")
        .collect()
}

/// The stems of the multicam takes, sorted.
async fn take_stems(sb: &Sandbox) -> Vec<String> {
    let mut stems: Vec<String> = multicam_takes(sb)
        .await
        .iter()
        .map(|t| {
            metadata(t)["move_ingest"]["stem"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    stems.sort();
    stems
}

async fn stat(sb: &Sandbox, key: &str) -> u64 {
    sb.stats().await[key].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rig_calibrates_once_then_makes_one_multicam_take_per_recording() {
    let sb = sandbox(1_500, 0.0);
    let cap = Capture::new(&sb);
    let out = cap.root.path().join("animations");
    rig_config(
        &cap,
        &format!(
            "{CALIBRATE}[multicam.job]\noutputs = [\"MAIN_FBX\"]\nactors = 2\nrig = \"move_mo\"\n\
             download_to = \"{}\"\n\n[job]\noutputs = [\"MAIN_FBX\"]\npoll_secs = 0.1\npoll_cap_secs = 0.4\n",
            out.display()
        ),
    );
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    // A `.move` beside a rig video is not a source; a single camera beside the rig works as today.
    cap.write("cam-1", "act-01.move", b"sidecar");
    cap.write("solo", "alone.mp4", &bytes(99, 3_000));
    let run = Run::start(&cap).await;
    // The single camera is never held up by the rig.
    run.until("the single camera's take", || async {
        let takes = sb.takes().await;
        takes
            .iter()
            .any(|t| t["takeType"] == "SINGLE_CAM")
            .then_some(())
    })
    .await;
    run.until("the multicam take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    // A recording made after the volume finished gets its take at once.
    record(&cap, &CAMS, "act-02", Duration::from_secs(1_000));
    run.until("the second multicam take", || async {
        (take_stems(&sb).await == ["act-01", "act-02"]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let vols = volumes(&sb).await;
    assert_eq!(vols.len(), 1, "exactly one volume: {vols:?}");
    assert_eq!(vols[0]["state"], "FINISHED");
    assert_eq!(stat(&sb, "volumes_created").await, 1);
    assert_eq!(
        stat(&sb, "takes_created").await,
        3,
        "two multicam, one single"
    );
    let takes = multicam_takes(&sb).await;
    for t in &takes {
        let meta = metadata(t);
        assert_eq!(meta["site"], "studio-a", "[take.metadata] is sent");
        assert_eq!(meta["move_ingest"]["rig"], "stage-a");
        assert_eq!(meta["move_ingest"]["volume_id"], vols[0]["id"]);
        let files = meta["move_ingest"]["files"].as_array().unwrap();
        assert_eq!(files.len(), 3, "{meta}");
        assert!(
            files
                .iter()
                .all(|f| f["sha256"].as_str().unwrap().len() == 64)
        );
        let stem = meta["move_ingest"]["stem"].as_str().unwrap();
        assert_eq!(t["name"], format!("stage-a {stem}"));
        let sources = t["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 3, "one video per camera, no .move: {t}");
        assert!(sources.iter().all(|s| s["format"] == "MP4"));
    }
    // Each camera's video was uploaded once (9), the single camera's once, no .move.
    assert_eq!(stat(&sb, "files_created").await, 10);
    assert!(run.log().contains("is not a source of a multicam take"));
    let history = cap.run(&["history", "stage-a/act-01"]);
    let text = String::from_utf8_lossy(&history.stdout);
    assert!(text.contains("multicam take created"), "{text}");
    // One multicam job per multicam take (and the single camera's own job), outputs downloaded
    // to <download_to>/<rig>/<stem>/.
    run.until("the multicam jobs' outputs", || async {
        let a = out.join("stage-a/act-01/MAIN_FBX.fbx").exists();
        let b = out.join("stage-a/act-02/MAIN_FBX.fbx").exists();
        (a && b).then_some(())
    })
    .await;
    let jobs = all_jobs(&sb).await;
    let multicam: Vec<&Value> = jobs
        .iter()
        .filter(|j| j["take"]["takeType"] == "MULTI_CAM")
        .collect();
    assert_eq!(multicam.len(), 2, "one job per multicam take: {jobs:?}");
    for j in &multicam {
        assert_eq!(j["rig"]["name"], "move_mo", "{j}");
        assert_eq!(j["inputs"]["numberOfActors"], 2, "{j}");
    }
    let mut job_takes: Vec<&str> = multicam
        .iter()
        .map(|j| j["take"]["id"].as_str().unwrap())
        .collect();
    job_takes.sort();
    job_takes.dedup();
    assert_eq!(job_takes.len(), 2);
}

/// Every job on the sandbox.
async fn all_jobs(sb: &Sandbox) -> Vec<Value> {
    let q = "query { listJobs(first: 100) { items { id rig { name } inputs { numberOfActors }
             take { id takeType } } after } }";
    let answer = sb.gql(q, json!({})).await;
    answer["data"]["listJobs"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

/// The rig recordings of `status --json`, by key.
fn rig_status(cap: &Capture) -> std::collections::BTreeMap<String, Value> {
    let status = cap.status();
    status["rigs"]
        .as_array()
        .unwrap_or_else(|| panic!("no rigs in {status}"))
        .iter()
        .map(|r| (r["rig_recording"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// A FINISHED volume of the three cameras, made by hand; returns its id.
async fn finished_volume(sb: &Sandbox) -> String {
    let mut sources = Vec::new();
    for (i, cam) in CAMS.iter().enumerate() {
        let file = sb.uploaded_file("mp4", &bytes(500 + i as u64, 1_000)).await;
        sources.push(json!({"deviceLabel": cam, "fileId": file, "format": "MP4",
                            "cameraSettings": {"lens": LENS}}));
    }
    let q = "mutation($s: [SourceInput!]) { createVolumeWithHuman(sources: $s, humanHeight: 1.8,
             areaType: NORMAL) { ... on HumanVolume { id } } }";
    let answer = sb.gql(q, json!({ "s": sources })).await;
    let id = answer["data"]["createVolumeWithHuman"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string();
    let start = Instant::now();
    while volumes(sb).await.iter().any(|v| v["state"] != "FINISHED") {
        assert!(start.elapsed() < DEADLINE, "the volume never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_never_records_gives_a_two_camera_take_after_wait_secs() {
    let sb = sandbox(0, 0.0);
    let volume = finished_volume(&sb).await;
    let cap = Capture::new(&sb);
    rig_config(&cap, &format!("volume = \"{volume}\"\n"));
    record(
        &cap,
        &["cam-1", "cam-2"],
        "act-01",
        Duration::from_secs(1_000),
    );
    let run = Run::start(&cap).await;
    run.until("the two-camera take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    let takes = multicam_takes(&sb).await;
    let meta = metadata(&takes[0]);
    assert_eq!(meta["move_ingest"]["missing"], json!(["cam-3"]), "{meta}");
    assert_eq!(
        meta["move_ingest"]["volume_id"],
        volume.as_str(),
        "the pinned volume"
    );
    assert_eq!(takes[0]["sources"].as_array().unwrap().len(), 2);
    rig_done(&run, &cap, "stage-a/act-01").await;
    let rigs = rig_status(&cap);
    let r = &rigs["stage-a/act-01"];
    assert_eq!(r["state"], "done", "{r}");
    assert_eq!(r["missing"], json!(["cam-3"]));
    assert!(
        run.log()
            .contains("made without the cameras that never recorded")
    );
    assert_eq!(stat(&sb, "volumes_created").await, 1, "only the pinned one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_camera_alone_fails_with_what_to_do_and_retry_looks_again() {
    let sb = sandbox(0, 0.0);
    let volume = finished_volume(&sb).await;
    let cap = Capture::new(&sb);
    rig_config(&cap, &format!("volume = \"{volume}\"\n"));
    record(&cap, &["cam-2"], "act-01", Duration::from_secs(1_000));
    let run = Run::start(&cap).await;
    let r = run
        .until("the rig recording to fail", || async {
            let rigs = rig_status(&cap);
            rigs.get("stage-a/act-01")
                .filter(|r| r["state"] == "failed")
                .cloned()
        })
        .await;
    let reason = r["error"].as_str().unwrap();
    assert!(
        reason.contains("missing: cam-1, cam-3") && reason.contains("retry"),
        "{reason}"
    );
    assert!(multicam_takes(&sb).await.is_empty());
    drop(run);
    // The other cameras' videos turn up; `retry` puts the rig recording back.
    record(
        &cap,
        &["cam-1", "cam-3"],
        "act-01",
        Duration::from_secs(1_000),
    );
    let out = cap.run(&["retry", "stage-a/act-01"]);
    assert!(out.status.success(), "{}", crate::capture::show(&out));
    let run = Run::start(&cap).await;
    run.until("the take after retry", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_made_while_the_volume_runs_waits_then_gets_its_take() {
    let sb = sandbox(4_000, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let run = Run::start(&cap).await;
    run.until("the recording to wait for its volume", || async {
        let rigs = rig_status(&cap);
        let waiting = rigs
            .get("stage-a/act-01")
            .is_some_and(|r| r["state"] == "waiting_for_volume");
        let calibrating = rigs
            .get("stage-a/calib-01")
            .is_some_and(|r| r["state"] == "calibrating");
        (waiting && calibrating).then_some(())
    })
    .await;
    assert!(
        multicam_takes(&sb).await.is_empty(),
        "no take before the volume finished"
    );
    run.until("the take once the volume finished", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    rig_done(&run, &cap, "stage-a/act-01").await;
    let rigs = rig_status(&cap);
    assert_eq!(rigs["stage-a/calib-01"]["state"], "calibrated");
    assert_eq!(rigs["stage-a/calib-01"]["volume"]["state"], "FINISHED");
    let text = String::from_utf8_lossy(&cap.run(&["status"]).stdout).into_owned();
    assert!(text.contains("stage-a/act-01  done"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_folder_finds_a_recording_as_one_folder_of_videos_named_by_camera() {
    let sb = sandbox(500, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, &format!("group = \"folder\"\n{CALIBRATE}"));
    for (stem, age) in [("calib-01", 3_000), ("act-01", 2_000)] {
        for (i, cam) in CAMS.iter().enumerate() {
            let p = cap.write(
                &format!("day1/{stem}"),
                &format!("{cam}.mp4"),
                &bytes(700 + i as u64 + age, 3_000 + i),
            );
            set_age(&p, Duration::from_secs(age));
        }
    }
    let run = Run::start(&cap).await;
    run.until("the multicam take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    assert_eq!(volumes(&sb).await.len(), 1);
    rig_done(&run, &cap, "stage-a/day1/act-01").await;
    let rigs = rig_status(&cap);
    assert_eq!(rigs["stage-a/day1/act-01"]["state"], "done", "{rigs:?}");
    let takes = multicam_takes(&sb).await;
    let mut labels: Vec<&str> = takes[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["deviceLabel"].as_str().unwrap())
        .collect();
    labels.sort();
    assert_eq!(labels, CAMS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_volume_is_shown_and_its_recordings_keep_waiting() {
    let sb = sandbox(300, 1.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let run = Run::start(&cap).await;
    let r = run
        .until("the calibration to fail", || async {
            rig_status(&cap)
                .get("stage-a/calib-01")
                .filter(|r| r["state"] == "failed")
                .cloned()
        })
        .await;
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("record a new calibration"),
        "{r}"
    );
    assert_eq!(r["volume"]["state"], "FAILED");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rig_status(&cap)["stage-a/act-01"]["state"],
        "waiting_for_volume"
    );
    assert!(multicam_takes(&sb).await.is_empty());
    assert_eq!(
        stat(&sb, "volumes_created").await,
        1,
        "a FAILED volume is not asked for again by itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_with_dropped_answers_makes_one_volume_and_one_take_per_recording() {
    let sb = sandbox_with(
        300,
        0.0,
        &[
            "--latency-ms",
            "30",
            "--fault-seed",
            "11",
            "--fault-drop",
            "0.3",
        ],
    );
    let cap = Capture::new(&sb);
    rig_config(
        &cap,
        &format!("{CALIBRATE}[multicam.job]\noutputs = [\"MAIN_FBX\"]\nrig = \"move_mo\"\n"),
    );
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    record(&cap, &CAMS, "act-02", Duration::from_secs(1_000));
    let mut rng = fastrand::Rng::with_seed(22);
    for _ in 0..8 {
        let mut child = cap
            .cmd(&["run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(300..2_500)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let run = Run::start(&cap).await;
    run.until("every take", || async {
        (take_stems(&sb).await == ["act-01", "act-02"]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    sb.set_faults(json!({})).await;
    assert_eq!(volumes(&sb).await.len(), 1, "exactly one volume");
    assert_eq!(
        take_stems(&sb).await,
        ["act-01", "act-02"],
        "one take per recording"
    );
    assert_eq!(
        sb.takes().await.len(),
        2,
        "no single-camera take for a rig camera"
    );
    run.until("one job per take", || async {
        (all_jobs(&sb).await.len() == 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let jobs = all_jobs(&sb).await;
    let mut takes: Vec<&str> = jobs
        .iter()
        .map(|j| j["take"]["id"].as_str().unwrap())
        .collect();
    takes.sort();
    takes.dedup();
    assert_eq!(
        (jobs.len(), takes.len()),
        (2, 2),
        "exactly one job per take: {jobs:?}"
    );
    let stats = sb.stats().await;
    assert!(stats["faults_injected"].as_u64().unwrap() > 0, "{stats}");
    drop(run);
}

/// Waits until `status --json` shows the rig recording `key` done.
async fn rig_done(run: &Run, cap: &Capture, key: &str) {
    run.until(&format!("{key} to be done"), || async {
        let rigs = rig_status(cap);
        rigs.get(key)
            .is_some_and(|r| r["state"] == "done")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_waits_for_the_volume_it_created_then_makes_the_takes_and_exits() {
    let sb = sandbox(1_500, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    cap.write("solo", "alone.mp4", &bytes(99, 3_000));
    let out = cap.backfill(0);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(take_stems(&sb).await, ["act-01"], "{log}");
    assert_eq!(stat(&sb, "volumes_created").await, 1);
    assert_eq!(
        stat(&sb, "takes_created").await,
        2,
        "the multicam take and the single camera's"
    );
    assert!(
        log.contains("RUNNING") || log.contains("FINISHED"),
        "the volume's progress: {log}"
    );
    // Nothing more on a second pass.
    cap.backfill(0);
    assert_eq!(stat(&sb, "volumes_created").await, 1);
    assert_eq!(stat(&sb, "takes_created").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_state_dir_adopts_the_volume_and_takes_and_sends_nothing_again() {
    let sb = sandbox(300, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let run = Run::start(&cap).await;
    run.until("the multicam take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    drop(run);
    std::fs::remove_dir_all(&cap.state).unwrap();
    let run = Run::start(&cap).await;
    run.until("both rig recordings adopted", || async {
        let rigs = rig_status(&cap);
        let done = rigs
            .get("stage-a/act-01")
            .is_some_and(|r| r["state"] == "done")
            && rigs
                .get("stage-a/calib-01")
                .is_some_and(|r| r["state"] == "calibrated");
        done.then_some(())
    })
    .await;
    assert_eq!(
        stat(&sb, "volumes_created").await,
        1,
        "the volume is adopted"
    );
    assert_eq!(stat(&sb, "takes_created").await, 1, "the take is adopted");
    assert!(run.log().contains("adopting it, nothing sent"));
}
