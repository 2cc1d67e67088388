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
    Sandbox::start_with(&[
        "--volume-queue-ms",
        "0",
        "--volume-run-ms",
        &run_ms.to_string(),
        "--volume-fail",
        &fail.to_string(),
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "200",
    ])
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
    rig_config(&cap, CALIBRATE);
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
}
