//! `[[multicam]]` in the daemon (issue 22): a rig's calibration becomes exactly one volume,
//! each later recording exactly one multicam take on it (and one multicam job); the shared
//! fixtures here, the behaviour in `flow`, crashes, lost state, backfill and views in `hard`.

mod flow;
mod hard;
mod time;

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, set_age};
use crate::util::Sandbox;

const DEADLINE: Duration = Duration::from_secs(60);
pub(crate) const LENS: &str = "goprohero10-fhd";
const CAMS: [&str; 3] = ["cam-1", "cam-2", "cam-3"];

/// A sandbox whose volumes take `run_ms` to finish (`fail`: the share that FAIL).
fn sandbox(run_ms: u64, fail: f64) -> Sandbox {
    sandbox_with(run_ms, fail, &[])
}

/// `sandbox` with more flags (faults).
pub(crate) fn sandbox_with(run_ms: u64, fail: f64, more: &[&str]) -> Sandbox {
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
    rig_config_with(cap, "", extra);
}

/// `rig_config` with `log` lines (keys of `[log]`) and more tables after the rig's.
fn rig_config_with(cap: &Capture, log: &str, extra: &str) {
    cap.write_config(&format!(
        "{log}[take]\nname = \"{{rig}} {{stem}}\"\n[take.metadata]\nsite = \"studio-a\"\n\n\
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
pub(crate) async fn multicam_takes(sb: &Sandbox) -> Vec<Value> {
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

/// Every job on the sandbox.
pub(crate) async fn all_jobs(sb: &Sandbox) -> Vec<Value> {
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
pub(crate) async fn finished_volume(sb: &Sandbox) -> String {
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
