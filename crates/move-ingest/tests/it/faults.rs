//! Exactly one take per recording through injected faults, crashes, locks and unwritable state.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::capture::{Capture, bytes, metadata, show};
use crate::util::Sandbox;

/// Writes `n` recordings over 5 devices (every other one with a `.move`); returns (device, stem) → (video, sidecar).
fn recordings(cap: &Capture, n: usize, size: usize) -> Expected {
    (0..n)
        .map(|i| {
            let dev = format!("cam-{}", i % 5);
            let stem = format!("take{i:03}");
            let video = bytes(i as u64, size + i);
            cap.write(&dev, &format!("{stem}.mp4"), &video);
            let sidecar = (i % 2 == 0).then(|| {
                let s = bytes(10_000 + i as u64, 2_000);
                cap.write(&dev, &format!("{stem}.move"), &s);
                s
            });
            ((dev, stem), (video, sidecar))
        })
        .collect()
}

/// Asserts the sandbox holds exactly one take per recording, with the right files and bytes.
pub(crate) async fn assert_exactly_one_take_each(sb: &Sandbox, expected: &Expected) {
    let takes = sb.takes().await;
    let mut seen = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for t in &takes {
        let meta = metadata(t);
        let key = (
            meta["move_ingest"]["device_label"]
                .as_str()
                .unwrap()
                .to_string(),
            meta["move_ingest"]["stem"].as_str().unwrap().to_string(),
        );
        assert!(
            ids.insert(
                meta["move_ingest"]["recording_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            ),
            "a recording id twice"
        );
        assert!(
            seen.insert(key.clone(), t.clone()).is_none(),
            "two takes for {key:?}"
        );
    }
    assert_eq!(
        seen.len(),
        expected.len(),
        "takes: {} for {} recordings",
        takes.len(),
        expected.len()
    );
    for (key, (video, sidecar)) in expected {
        let take = seen
            .get(key)
            .unwrap_or_else(|| panic!("no take for {key:?}"));
        let sources = take["sources"].as_array().unwrap();
        assert_eq!(
            sb.blob(sources[0]["file"]["id"].as_str().unwrap()),
            *video,
            "video bytes of {key:?}"
        );
        match sidecar {
            Some(s) => assert_eq!(
                sb.blob(sources[1]["file"]["id"].as_str().unwrap()),
                *s,
                "sidecar of {key:?}"
            ),
            None => assert_eq!(sources.len(), 1),
        }
    }
}

fn assert_no_key(out: &std::process::Output, key: &str) {
    let all = show(out);
    assert!(
        !all.contains(key),
        "the API key appeared in the output:\n{all}"
    );
}

/// (device, stem) → (video bytes, sidecar bytes).
/// Starts `backfill` `runs` times and SIGKILLs each after a random `ms` (seeded); returns
/// how many were still running when killed (killed mid-way).
pub(crate) fn kill_backfills(
    cap: &Capture,
    runs: usize,
    seed: u64,
    ms: std::ops::Range<u64>,
) -> usize {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut killed = 0;
    for _ in 0..runs {
        let mut child = cap
            .cmd(&["backfill", "--no-progress"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(ms.clone())));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    killed
}

pub(crate) type Expected = BTreeMap<(String, String), (Vec<u8>, Option<Vec<u8>>)>;

const PATIENT: &str = "[retry]\nmax_attempts = 40\nbase_ms = 20\ncap_secs = 1\n";

fn patient(cap: &Capture) {
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let text = text.replace("[retry]\nbase_ms = 50\ncap_secs = 2\n", PATIENT);
    std::fs::write(&cap.config, text).unwrap();
}

#[tokio::test]
async fn twenty_recordings_under_5xx_429_and_dropped_answers_give_twenty_takes() {
    let sb = Sandbox::start_with(&[
        "--fault-seed",
        "42",
        "--fault-5xx",
        "0.2",
        "--fault-429",
        "0.1",
        "--fault-drop",
        "0.1",
    ]);
    let cap = Capture::with_config(&sb, "[upload]\nconcurrency = 4\n");
    patient(&cap);
    let expected = recordings(&cap, 20, 40_000);
    let out = cap.backfill(0);
    assert_no_key(&out, &sb.key);
    let stats = sb.stats().await;
    sb.set_faults(serde_json::json!({})).await; // the checks below read without faults
    assert!(
        stats["faults_injected"].as_u64().unwrap() >= 10,
        "faults were injected: {stats}"
    );
    assert_exactly_one_take_each(&sb, &expected).await;
    eprintln!("20 recordings under faults: {stats}");
    // And nothing more happens on a second pass.
    let out = cap.backfill(0);
    assert_no_key(&out, &sb.key);
    assert_eq!(sb.takes().await.len(), 20);
}

#[tokio::test]
async fn a_crash_loop_of_ten_kills_over_forty_recordings_ends_with_forty_takes() {
    let sb = Sandbox::start_with(&[
        "--latency-ms",
        "50",
        "--fault-seed",
        "3",
        "--fault-drop",
        "0.05",
    ]);
    let cap = Capture::new(&sb);
    patient(&cap);
    let expected = recordings(&cap, 40, 20_000);
    let killed = kill_backfills(&cap, 10, 20261128, 30..600);
    let out = cap.backfill(0);
    assert_no_key(&out, &sb.key);
    let stats = sb.stats().await;
    sb.set_faults(serde_json::json!({})).await;
    eprintln!("crash loop: {killed} of 10 runs killed mid-way; {stats}");
    assert!(killed >= 5, "the kills landed mid-run ({killed})");
    assert_exactly_one_take_each(&sb, &expected).await;
    assert_eq!(cap.status()["counts"]["done"], 40);
}

#[tokio::test]
async fn a_take_whose_answer_was_lost_is_not_asked_for_again_while_takes_cannot_be_listed() {
    // The take is made but its answer is lost, and with no quick retry left the recording
    // waits, its request on record. At the next run `listTakes` fails: whether the take exists
    // cannot be told, so the recording waits again instead of asking for the take a second
    // time (a take can never be deleted). Once takes can be listed, the take is found and
    // adopted.
    let sb = Sandbox::start_with(&[
        "--fault-drop",
        "1",
        "--fault-drop-only",
        "createSingleCamTake",
    ]);
    let cap = Capture::new(&sb);
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let once = text.replace("[retry]\n", "[retry]\nmax_attempts = 1\n");
    assert_ne!(text, once, "the test config has a [retry] table");
    std::fs::write(&cap.config, once).unwrap();
    cap.write("cam-a", "one.mp4", &bytes(1, 50_000));
    let out = cap.backfill(1);
    assert_no_key(&out, &sb.key);
    assert_eq!(sb.takes().await.len(), 1, "{}", show(&out));
    assert_eq!(cap.status()["counts"]["retrying"], 1);

    sb.set_faults(serde_json::json!({ "p_5xx": 1.0, "unavailable_only": "listTakes" }))
        .await;
    let out = cap.backfill(1);
    assert_no_key(&out, &sb.key);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 retrying"), "{}", show(&out));
    sb.set_faults(serde_json::json!({})).await;
    assert_eq!(sb.takes().await.len(), 1, "{}", show(&out));

    let out = cap.backfill(0);
    assert_no_key(&out, &sb.key);
    assert_eq!(sb.takes().await.len(), 1, "{}", show(&out));
    assert_eq!(cap.status()["counts"]["done"], 1);
}

#[tokio::test]
async fn a_second_instance_on_the_same_state_dir_is_refused() {
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "1000000"]);
    let cap = Capture::new(&sb);
    cap.write("cam-a", "slow.mp4", &bytes(1, 4_000_000));
    let first = cap
        .cmd(&["backfill", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = cap.state.join("lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != first.id().to_string() {
        assert!(
            Instant::now() < deadline,
            "the first instance never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for cmd in ["backfill", "retry"] {
        let out = cap.run(&[cmd]);
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("pid {}", first.id())),
            "names the pid: {err}"
        );
    }
    // status reads the state read-only without the lock, beside the running instance.
    assert!(cap.run(&["status"]).status.success());
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(sb.takes().await.len(), 1);
}

/// A small tmpfs mounted on a temp dir, unmounted on drop; `None` where mounting is not allowed.
pub(crate) struct Mount(std::path::PathBuf);

impl Mount {
    pub(crate) fn tmpfs(at: &std::path::Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status();
        if ok.is_ok_and(|s| s.success()) {
            Some(Mount(at.to_path_buf()))
        } else {
            crate::skip(
                "a test with a tmpfs state disk: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)",
            );
            None
        }
    }

    pub(crate) fn remount(&self, mode: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_read_only_state_dir_stops_with_a_clear_error_and_loses_nothing() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let Some(mount) = Mount::tmpfs(&cap.state, "4m") else {
        return;
    };
    cap.write("cam-a", "one.mp4", &bytes(1, 10_000));
    cap.backfill(0);
    mount.remount("ro");
    cap.write("cam-a", "two.mp4", &bytes(2, 10_000));
    let out = cap.run(&["backfill", "--no-progress"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&cap.state.display().to_string()) && err.contains("writable"),
        "{err}"
    );
    assert_eq!(
        sb.stats().await["files_created"],
        1,
        "nothing was sent without a writable state"
    );
    mount.remount("rw");
    cap.backfill(0);
    assert_eq!(sb.takes().await.len(), 2);
    assert_eq!(sb.stats().await["files_created"], 2);
}

#[tokio::test]
async fn a_full_disk_stops_ingestion_with_a_clear_error_and_loses_nothing() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    // Room for the database and its WAL (which grows up to ~4 MiB before a checkpoint).
    let Some(_mount) = Mount::tmpfs(&cap.state, "8m") else {
        return;
    };
    cap.write("cam-a", "one.mp4", &bytes(1, 10_000));
    cap.backfill(0);
    // Fill the disk.
    let filler = cap.state.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 16 << 20]);
    for i in 0..5 {
        cap.write("cam-b", &format!("clip{i}.mp4"), &bytes(10 + i, 10_000));
    }
    let out = cap.run(&["backfill", "--no-progress"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("state.db") && err.contains("free space"),
        "{}",
        show(&out)
    );
    // What was committed is intact: status reads it while the disk is still full.
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 1, "{status}");
    std::fs::remove_file(&filler).unwrap();
    cap.backfill(0);
    assert_eq!(sb.takes().await.len(), 6);
    assert_eq!(cap.status()["counts"]["done"], 6);
}

#[tokio::test]
async fn expired_upload_urls_are_replaced_and_the_take_is_made_once_with_the_right_bytes() {
    // URLs live 2 s; each upload is throttled to take 5 s; half the uploads are cut off halfway,
    // so their retry comes after the URL expired and needs a fresh createFile.
    let sb = Sandbox::start_with(&[
        "--url-ttl-secs",
        "2",
        "--upload-bytes-per-sec",
        "200000",
        "--fault-cut",
        "0.5",
        "--fault-seed",
        "11",
    ]);
    let cap = Capture::with_config(&sb, "[upload]\nconcurrency = 4\n");
    patient(&cap);
    let mut expected = Expected::new();
    for i in 0..3u64 {
        let video = bytes(500 + i, 1_000_000);
        cap.write(&format!("cam-{i}"), "long.mp4", &video);
        expected.insert((format!("cam-{i}"), "long".to_string()), (video, None));
    }
    let out = cap.backfill(0);
    assert_no_key(&out, &sb.key);
    let stats = sb.stats().await;
    eprintln!("expiring URLs: {stats}");
    assert!(
        stats["faults_injected"].as_u64().unwrap() >= 1,
        "some uploads were cut: {stats}"
    );
    assert!(
        stats["files_created"].as_u64().unwrap() > 3,
        "expired URLs were replaced by new ones: {stats}"
    );
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("asking for a new upload URL"),
        "{}",
        show(&out)
    );
    assert_exactly_one_take_each(&sb, &expected).await;
    // The stale file ids are in no take.
    let used: BTreeSet<String> = sb
        .takes()
        .await
        .iter()
        .flat_map(|t| {
            t["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["file"]["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(used.len(), 3);
}

#[tokio::test]
async fn a_file_that_changes_during_its_upload_is_sent_again_whole_once_it_settles() {
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "1000000"]);
    let cap = Capture::new(&sb);
    let first = bytes(1, 2_000_000);
    let path = cap.write("cam-a", "grow.mp4", &first);
    let child = cap
        .cmd(&["backfill", "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Mid-upload (it takes 2 s), the recorder appends more and finishes.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cap
        .steps("cam-a", "grow")
        .iter()
        .any(|s| s == "file_created")
    {
        assert!(Instant::now() < deadline, "the upload never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut whole = first.clone();
    whole.extend_from_slice(&bytes(2, 500_000));
    std::fs::write(&path, &whole).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("changed while it was uploaded"),
        "{}",
        show(&out)
    );
    assert!(
        sb.takes().await.is_empty(),
        "the partial upload made no take"
    );
    // Once it has held still, the next pass sends it whole.
    crate::capture::set_age(&path, Duration::from_secs(60));
    cap.backfill(0);
    let takes = sb.takes().await;
    assert_eq!(takes.len(), 1);
    assert_eq!(
        sb.blob(takes[0]["sources"][0]["file"]["id"].as_str().unwrap()),
        whole
    );
}
