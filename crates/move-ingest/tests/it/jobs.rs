//! `[job]` in the daemon: one processing job per take, exactly once (also under dropped answers
//! and a crash loop), followed by `run` to FINISHED or FAILED, outputs downloaded byte for byte
//! and once, a failed job reported and never retried by itself, `jobs retry` asking again.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, show};
use crate::util::Sandbox;

const DEADLINE: Duration = Duration::from_secs(60);

/// `[job]` with two outputs, an option, fast polling and `download_to` below the capture root.
fn job_config(cap: &Capture) -> PathBuf {
    let out = cap.root.path().join("animations");
    cap.write_config(&format!(
        "[job]\noutputs = [\"MAIN_FBX\", \"RENDER_VIDEO\"]\noptions = {{ trackFingers = true }}\n\
         name = \"job {{device_label}} {{stem}}\"\ndownload_to = \"{}\"\npoll_secs = 0.1\npoll_cap_secs = 0.4\n\
         [job.metadata]\nsite = \"studio-a\"\n",
        out.display()
    ));
    out
}

/// Writes `n` recordings over 2 devices; returns their (device, stem).
fn recordings(cap: &Capture, n: usize) -> BTreeSet<(String, String)> {
    (0..n)
        .map(|i| {
            let dev = format!("cam-{}", i % 2);
            let stem = format!("take{i:02}");
            cap.write(&dev, &format!("{stem}.mp4"), &bytes(i as u64, 5_000 + i));
            (dev, stem)
        })
        .collect()
}

/// Every job on the sandbox, newest first.
async fn all_jobs(sb: &Sandbox) -> Vec<Value> {
    let query = "query($after: AWSJSON) { listJobs(first: 100, after: $after) {
        after items { id name metadata progress { state percentageComplete }
        inputs { options { trackFingers floorPlane } } outputs { key format file { id type } } take { id } } } }";
    let mut jobs = Vec::new();
    let mut after = Value::Null;
    loop {
        let answer = sb.gql(query, json!({ "after": after })).await;
        let list = &answer["data"]["listJobs"];
        jobs.extend(
            list["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{answer}"))
                .iter()
                .cloned(),
        );
        after = list["after"].clone();
        if after.is_null() {
            return jobs;
        }
    }
}

/// Asserts exactly one job per take and one take per recording; returns take id → job.
async fn assert_one_job_per_take(
    sb: &Sandbox,
    expected: &BTreeSet<(String, String)>,
) -> BTreeMap<String, Value> {
    let takes = sb.takes().await;
    assert_eq!(takes.len(), expected.len(), "one take per recording");
    let mut by_take = BTreeMap::new();
    for job in all_jobs(sb).await {
        let take = job["take"]["id"].as_str().unwrap().to_string();
        if let Some(other) = by_take.insert(take.clone(), job.clone()) {
            panic!("two jobs for take {take}: {other} and {job}");
        }
    }
    for take in &takes {
        let id = take["id"].as_str().unwrap();
        let job = by_take
            .get(id)
            .unwrap_or_else(|| panic!("no job for take {id} ({})", metadata(take)));
        let meta: Value = serde_json::from_str(job["metadata"].as_str().unwrap()).unwrap();
        let take_meta = metadata(take);
        assert_eq!(
            meta["move_ingest"]["recording_id"], take_meta["move_ingest"]["recording_id"],
            "the job names the take's recording"
        );
        assert_eq!(meta["site"], "studio-a", "[job.metadata] is sent");
        let label = take_meta["move_ingest"]["device_label"].as_str().unwrap();
        let stem = take_meta["move_ingest"]["stem"].as_str().unwrap();
        assert_eq!(job["name"], format!("job {label} {stem}"));
        assert_eq!(job["inputs"]["options"]["trackFingers"], true, "{job}");
        assert_eq!(job["inputs"]["options"]["floorPlane"], Value::Null, "{job}");
    }
    assert_eq!(by_take.len(), expected.len());
    by_take
}

/// A running `move-ingest run`, its stderr in a file; killed on drop.
struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    async fn start(cap: &Capture) -> Service {
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
        let svc = Service { child, log };
        until("the service to be ready", &svc, || async {
            svc.log().contains("watching for recordings").then_some(())
        })
        .await;
        svc
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and waits for the exit.
    fn stop(mut self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn until<T, F, Fut>(what: &str, svc: &Service, mut check: F) -> T
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
            svc.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The downloaded outputs below `root`: (device, stem, file name) → bytes.
fn downloads(root: &Path) -> BTreeMap<(String, String, String), Vec<u8>> {
    let mut out = BTreeMap::new();
    for dev in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for stem in std::fs::read_dir(dev.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            for file in std::fs::read_dir(stem.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = |e: &std::fs::DirEntry| e.file_name().to_string_lossy().into_owned();
                out.insert(
                    (name(&dev), name(&stem), name(&file)),
                    std::fs::read(file.path()).unwrap(),
                );
            }
        }
    }
    out
}

/// Each job's outputs are on disk under `<root>/<device>/<stem>/<key>.<ext>`, byte for byte.
async fn assert_downloaded(sb: &Sandbox, root: &Path, jobs: &BTreeMap<String, Value>) {
    let takes = sb.takes().await;
    let files = downloads(root);
    let mut expected = 0;
    for take in &takes {
        let meta = metadata(take);
        let (dev, stem) = (
            meta["move_ingest"]["device_label"].as_str().unwrap(),
            meta["move_ingest"]["stem"].as_str().unwrap(),
        );
        let job = &jobs[take["id"].as_str().unwrap()];
        let job = sb
            .gql(
                "query($id: ID!) { getJob(jobId: $id) { id outputs { key file { type } } } }",
                json!({ "id": job["id"] }),
            )
            .await["data"]["getJob"]
            .clone();
        let job_id = job["id"].as_str().unwrap();
        let outputs = job["outputs"].as_array().unwrap();
        assert_eq!(outputs.len(), 2, "{job}");
        for o in outputs {
            let key = o["key"].as_str().unwrap();
            let name = format!("{key}.{}", o["file"]["type"].as_str().unwrap());
            let got = files
                .get(&(dev.to_string(), stem.to_string(), name.clone()))
                .unwrap_or_else(|| {
                    panic!(
                        "{dev}/{stem}/{name} not downloaded; have {:?}",
                        files.keys()
                    )
                });
            let want = move_sandbox::output_bytes(job_id, key, got.len() as u64);
            assert!(
                got == &want,
                "{dev}/{stem}/{name}: bytes differ from the job's output"
            );
            assert!(
                got.len() >= 1000,
                "{dev}/{stem}/{name} is whole ({} bytes)",
                got.len()
            );
            expected += 1;
        }
    }
    assert_eq!(
        files.len(),
        expected,
        "nothing else is written: {:?}",
        files.keys()
    );
}

#[tokio::test]
async fn backfill_makes_one_job_per_take_and_run_follows_them_and_downloads_each_output_once() {
    let sb = Sandbox::start_with(&[
        "--job-queue-ms",
        "200",
        "--job-run-ms",
        "600",
        "--job-output-bytes",
        "4000",
    ]);
    let cap = Capture::new(&sb);
    let out = job_config(&cap);
    let expected = recordings(&cap, 4);
    let done = cap.backfill(0);
    let jobs = assert_one_job_per_take(&sb, &expected).await;
    for job in jobs.values() {
        let mut keys: Vec<&str> = job["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap())
            .collect();
        keys.sort();
        assert!(
            keys.is_empty(),
            "backfill does not wait for the jobs: {job}"
        );
    }
    assert_eq!(sb.stats().await["files_downloaded"], 0, "{}", show(&done));
    // A second backfill asks for nothing more.
    cap.backfill(0);
    assert_eq!(sb.stats().await["jobs_created"], 4);

    let svc = Service::start(&cap).await;
    until("every output downloaded", &svc, || async {
        (sb.stats().await["files_downloaded"] == 8).then_some(())
    })
    .await;
    until("the jobs ended", &svc, || async {
        let status = cap.status();
        let finished = status["jobs"]["finished"].as_u64() == Some(4);
        finished.then_some(())
    })
    .await;
    svc.stop();
    let jobs = assert_one_job_per_take(&sb, &expected).await;
    for job in jobs.values() {
        assert_eq!(job["progress"]["state"], "FINISHED", "{job}");
    }
    assert_downloaded(&sb, &out, &jobs).await;
    // `status` and `takes show` tell the job's state from this machine's state.
    let text = cap.run(&["status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("jobs: 0 active, 4 finished, 0 failed"),
        "{text}"
    );
    let (take, job) = jobs.iter().next().unwrap();
    let shown = cap.run(&["takes", "show", take, "--json"]);
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["local_job"]["job_id"], job["id"], "{shown}");
    assert_eq!(shown["local_job"]["state"], "FINISHED", "{shown}");
    assert_eq!(shown["local_job"]["percent"], 100, "{shown}");
    assert_eq!(
        shown["local_job"]["downloaded"].as_array().unwrap().len(),
        2,
        "{shown}"
    );
    let shown = cap.run(&["takes", "show", take]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("FINISHED 100%"), "{shown}");
    // A restart follows nothing and downloads nothing again.
    let svc = Service::start(&cap).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    svc.stop();
    let stats = sb.stats().await;
    assert_eq!(stats["files_downloaded"], 8, "each output downloaded once");
    assert_eq!(stats["jobs_created"], 4, "one job per take");
}

#[tokio::test]
async fn dropped_answers_and_a_crash_loop_still_make_exactly_one_job_per_take() {
    let sb = Sandbox::start_with(&[
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
        "--latency-ms",
        "80",
        "--fault-seed",
        "7",
        "--fault-drop",
        "0.4",
    ]);
    let cap = Capture::new(&sb);
    job_config(&cap);
    let expected = recordings(&cap, 16);
    let killed = crate::faults::kill_backfills(&cap, 8, 20261203, 50..700);
    let out = cap.backfill(0);
    let stats = sb.stats().await;
    sb.set_faults(json!({})).await;
    eprintln!("jobs crash loop: {killed} of 8 runs killed mid-way; {stats}");
    assert!(killed >= 4, "the kills landed mid-run ({killed})");
    assert!(
        stats["faults_injected"].as_u64().unwrap() > 0,
        "answers were dropped: {stats}"
    );
    assert_one_job_per_take(&sb, &expected).await;
    assert_eq!(stats["jobs_created"], 16, "{}", show(&out));
}

#[tokio::test]
async fn every_dropped_job_answer_is_settled_with_list_jobs_not_sent_again() {
    // Every createSingleCamJob is performed and its answer lost; nothing else is disturbed.
    let sb = Sandbox::start_with(&[
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
        "--fault-drop",
        "1",
        "--fault-drop-only",
        "createSingleCamJob",
    ]);
    let cap = Capture::new(&sb);
    job_config(&cap);
    let expected = recordings(&cap, 3);
    let out = cap.backfill(0);
    let stats = sb.stats().await;
    assert_eq!(
        stats["faults_injected"], 3,
        "each job's answer was dropped: {stats}"
    );
    assert_one_job_per_take(&sb, &expected).await;
    assert_eq!(stats["jobs_created"], 3, "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("found the job an unanswered request created")
            .count(),
        3,
        "{err}"
    );
}

#[tokio::test]
async fn a_failed_job_is_reported_and_not_retried_until_jobs_retry() {
    let sb = Sandbox::start_with(&[
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "200",
        "--job-fail",
        "1",
    ]);
    let cap = Capture::new(&sb);
    let out = job_config(&cap);
    let expected = recordings(&cap, 1);
    cap.backfill(0);
    let jobs = assert_one_job_per_take(&sb, &expected).await;
    let take_id = jobs.keys().next().unwrap().clone();
    let svc = Service::start(&cap).await;
    let line = until("the failure reported", &svc, || async {
        svc.log()
            .lines()
            .find(|l| l.contains("job FAILED"))
            .map(str::to_string)
    })
    .await;
    assert!(
        line.contains(&format!("jobs retry {take_id}")),
        "says what to do: {line}"
    );
    // The log line comes just before the failure is recorded.
    let status = until("the failure recorded", &svc, || async {
        let status = cap.status();
        (status["jobs"]["failed"] == 1).then_some(status)
    })
    .await;
    let rec = &status["jobs"]["failed_jobs"][0];
    assert_eq!(rec["take_id"], take_id.as_str(), "{status}");
    assert!(
        !rec["failure_reason"].as_str().unwrap_or("").is_empty(),
        "{status}"
    );
    // Polled a while longer: nothing is asked again by itself.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sb.stats().await["jobs_created"],
        1,
        "a failed job is never retried by itself"
    );
    // `jobs retry` while run holds the state dir: refused, saying how.
    let busy = cap.run(&["jobs", "retry", &take_id]);
    assert_eq!(busy.status.code(), Some(2), "{}", show(&busy));
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("stop"),
        "{}",
        show(&busy)
    );
    svc.stop();

    sb.set_jobs(json!({"queue_ms": 0, "run_ms": 200, "p_fail": 0.0}))
        .await;
    let retried = cap.run(&["jobs", "retry", &take_id]);
    assert_eq!(retried.status.code(), Some(0), "{}", show(&retried));
    assert_eq!(
        sb.stats().await["jobs_created"],
        2,
        "jobs retry asks once more"
    );
    let svc = Service::start(&cap).await;
    until("the new job's outputs downloaded", &svc, || async {
        (sb.stats().await["files_downloaded"] == 2).then_some(())
    })
    .await;
    svc.stop();
    assert_eq!(downloads(&out).len(), 2);
    assert_eq!(sb.stats().await["jobs_created"], 2);
}

#[tokio::test]
async fn run_killed_again_and_again_still_makes_one_job_per_take_and_whole_downloads() {
    let sb = Sandbox::start_with(&[
        "--job-queue-ms",
        "100",
        "--job-run-ms",
        "300",
        "--job-output-bytes",
        "3000000",
        "--latency-ms",
        "40",
    ]);
    let cap = Capture::new(&sb);
    let out = job_config(&cap);
    let expected = recordings(&cap, 6);
    let mut rng = fastrand::Rng::with_seed(14);
    let mut killed = 0;
    for _ in 0..6 {
        let mut child = cap
            .cmd(&["run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(200..1500)));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    assert!(killed >= 5, "the kills landed while run ran ({killed})");
    let svc = Service::start(&cap).await;
    until("every job ended", &svc, || async {
        let status = cap.status();
        (status["jobs"]["finished"].as_u64() == Some(6)).then_some(())
    })
    .await;
    svc.stop();
    let stats = sb.stats().await;
    eprintln!("run crash loop: {killed} kills; {stats}");
    let jobs = assert_one_job_per_take(&sb, &expected).await;
    assert_eq!(stats["jobs_created"], 6);
    assert_downloaded(&sb, &out, &jobs).await;
    assert!(stats["files_downloaded"].as_u64().unwrap() >= 12, "{stats}");
}
