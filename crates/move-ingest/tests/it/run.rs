//! `move-ingest run` against the sandbox: settling, pairing, new folders, rescans, shutdown and
//! restarts of the real watching service. Outcomes are polled with deadlines, never slept for.

use std::collections::BTreeSet;
use std::fs::File;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata};
use crate::util::Sandbox;

/// How long any outcome may take before a test fails.
pub(crate) const DEADLINE: Duration = Duration::from_secs(25);

/// Test timings: `[pairing]`, `[service]` and `rescan_secs` of the one watch path.
pub(crate) struct Timing {
    pub(crate) settle: u64,
    pub(crate) move_wait: u64,
    pub(crate) grace: u64,
    pub(crate) rescan: u64,
    pub(crate) concurrency: u64,
}

pub(crate) const QUICK: Timing = Timing {
    settle: 1,
    move_wait: 1,
    grace: 5,
    rescan: 300,
    concurrency: 2,
};

/// A capture setup whose config has the given timings and JSON logs at debug.
pub(crate) fn capture(sb: &Sandbox, t: &Timing) -> Capture {
    let cap = Capture::new(sb);
    let text = format!(
        "[api]\nendpoint = \"{}\"\n\n[[watch]]\npath = \"{}\"\ndevice_label = \"from-dir\"\nrescan_secs = {}\n\n\
         [pairing]\nsettle_secs = {}\nmove_wait_secs = {}\n\n[state]\ndir = \"{}\"\n\n\
         [upload]\nconcurrency = {}\n\n[retry]\nbase_ms = 50\ncap_secs = 2\n\n\
         [service]\nshutdown_grace_secs = {}\n\n[log]\nlevel = \"debug\"\nformat = \"json\"\n",
        cap.endpoint,
        cap.watch.display(),
        t.rescan,
        t.settle,
        t.move_wait,
        cap.state.display(),
        t.concurrency,
        t.grace,
    );
    std::fs::write(&cap.config, text).unwrap();
    cap
}

/// Adds `keys` to the config's `[service]` table (the keys tests and diagnosis use).
fn service_keys(cap: &Capture, keys: &str) {
    let text = std::fs::read_to_string(&cap.config).unwrap();
    assert!(text.contains("[service]\n"), "{text}");
    let text = text.replace("[service]\n", &format!("[service]\n{keys}\n"));
    std::fs::write(&cap.config, text).unwrap();
}

/// A running `move-ingest run`, its stderr in a file; killed on drop.
pub(crate) struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Starts the service and waits until it says it is watching.
    pub(crate) async fn start(cap: &Capture) -> Service {
        let log = cap
            .root
            .path()
            .join(format!("run-{:08x}.log", fastrand::u32(..)));
        let mut cmd = cap.cmd(&["run"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap());
        let svc = Service {
            child: cmd.spawn().unwrap(),
            log,
        };
        until("the service to be ready", || async {
            svc.log().contains("watching for recordings").then_some(())
        })
        .await;
        svc
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `within`.
    pub(crate) async fn exit_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it gives a value, failing after `DEADLINE`.
pub(crate) async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    until_within(what, DEADLINE, check).await
}

/// Polls `check` every 100 ms until it gives a value, failing after `deadline`.
pub(crate) async fn until_within<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the sandbox holds `n` takes, and returns them.
pub(crate) async fn takes(sb: &Sandbox, svc: &Service, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let takes = sb.takes().await;
        if takes.len() >= n {
            return takes;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {n} takes (have {}); log:\n{}",
            takes.len(),
            svc.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bytes stored for source `i` of a take.
fn source_blob(sb: &Sandbox, take: &Value, i: usize) -> Vec<u8> {
    sb.blob(take["sources"][i]["file"]["id"].as_str().unwrap())
}

#[tokio::test]
async fn an_mp4_written_in_chunks_is_uploaded_once_and_whole_after_it_settles() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &Timing { settle: 2, ..QUICK });
    let svc = Service::start(&cap).await;
    std::fs::create_dir(cap.watch.join("cam-a")).unwrap();
    let whole = bytes(1, 800_000);
    let mut f = File::create(cap.watch.join("cam-a/take.mp4")).unwrap();
    for chunk in whole.chunks(100_000) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        sb.stats().await["files_created"],
        0,
        "nothing is sent while it is written"
    );
    drop(f);
    let takes = takes(&sb, &svc, 1).await;
    assert_eq!(source_blob(&sb, &takes[0], 0), whole);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stats = sb.stats().await;
    assert_eq!(stats["uploads_completed"], 1, "{stats}");
    assert_eq!(stats["takes_created"], 1, "{stats}");
    // Every log line is JSON (log.format = "json").
    for line in svc.log().lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
}

#[tokio::test]
async fn a_file_closed_and_reopened_within_the_settle_time_is_taken_whole() {
    // A segment writer: writes, closes, reopens 1.5 s later and appends. A close does not cut
    // the wait short (no `trust_close`), so the take has every byte, and there is one take.
    let sb = Sandbox::start();
    let cap = capture(&sb, &Timing { settle: 4, ..QUICK });
    let svc = Service::start(&cap).await;
    // Its `.move` is there already: nothing else holds the video back once it is complete.
    cap.write("cam-s", "seg.move", &bytes(22, 2_000));
    let whole = bytes(21, 400_000);
    let path = cap.write_fresh("cam-s", "seg.mp4", &whole[..200_000]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut f = File::options().append(true).open(&path).unwrap();
    f.write_all(&whole[200_000..]).unwrap();
    drop(f);
    let takes = takes(&sb, &svc, 1).await;
    let sent = source_blob(&sb, &takes[0], 0);
    assert!(
        sent == whole,
        "the take holds {} of the {} bytes: taken between two writes",
        sent.len(),
        whole.len()
    );
    assert_eq!(sb.stats().await["takes_created"], 1);
}

#[tokio::test]
async fn a_move_arriving_2s_after_its_mp4_joins_the_same_take() {
    let sb = Sandbox::start();
    let cap = capture(
        &sb,
        &Timing {
            move_wait: 5,
            ..QUICK
        },
    );
    let svc = Service::start(&cap).await;
    let video = bytes(2, 200_000);
    let sidecar = bytes(3, 4_000);
    cap.write_fresh("cam-b", "t1.mp4", &video);
    tokio::time::sleep(Duration::from_secs(2)).await;
    cap.write_fresh("cam-b", "t1.move", &sidecar);
    let takes = takes(&sb, &svc, 1).await;
    let sources = takes[0]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "{}", takes[0]);
    assert_eq!(sources[1]["format"], "MOVE");
    assert_eq!(source_blob(&sb, &takes[0], 0), video);
    assert_eq!(source_blob(&sb, &takes[0], 1), sidecar);
    assert!(sources.iter().all(|s| s["deviceLabel"] == "cam-b"));
}

#[tokio::test]
async fn an_mp4_without_a_move_gets_its_take_after_settle_and_move_wait() {
    let sb = Sandbox::start();
    let cap = capture(
        &sb,
        &Timing {
            move_wait: 3,
            ..QUICK
        },
    );
    let svc = Service::start(&cap).await;
    let start = Instant::now();
    cap.write_fresh("cam-c", "solo.mp4", &bytes(4, 100_000));
    let takes = takes(&sb, &svc, 1).await;
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(3),
        "took it after {waited:?}, before move_wait"
    );
    assert_eq!(takes[0]["sources"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_file_renamed_into_place_is_picked_up_once() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    let svc = Service::start(&cap).await;
    let whole = bytes(5, 300_000);
    let part = cap.write_fresh("cam-d", "clip.mp4.part", &whole[..100_000]);
    let mut f = File::options().append(true).open(&part).unwrap();
    f.write_all(&whole[100_000..]).unwrap();
    drop(f);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sb.stats().await["files_created"],
        0,
        "a .part is never sent"
    );
    std::fs::rename(&part, cap.watch.join("cam-d/clip.mp4")).unwrap();
    let takes = takes(&sb, &svc, 1).await;
    assert_eq!(source_blob(&sb, &takes[0], 0), whole);
    assert_eq!(metadata(&takes[0])["move_ingest"]["stem"], "clip");
}

#[tokio::test]
async fn files_in_device_folders_created_after_start_are_seen() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    let svc = Service::start(&cap).await;
    // A folder made and written at once, racing the watch that notify adds for it.
    std::fs::create_dir(cap.watch.join("cam-new")).unwrap();
    std::fs::write(cap.watch.join("cam-new/a.mp4"), bytes(6, 50_000)).unwrap();
    // A folder filled elsewhere and moved in: its files raise no event at all.
    let outside = cap.root.path().join("staging/cam-moved");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("b.mp4"), bytes(7, 50_000)).unwrap();
    std::fs::write(outside.join("b.move"), bytes(8, 1_000)).unwrap();
    std::fs::rename(&outside, cap.watch.join("cam-moved")).unwrap();
    let takes = takes(&sb, &svc, 2).await;
    let devices: BTreeSet<&str> = takes
        .iter()
        .map(|t| t["sources"][0]["deviceLabel"].as_str().unwrap())
        .collect();
    assert_eq!(devices, BTreeSet::from(["cam-moved", "cam-new"]));
}

#[tokio::test]
async fn sub_folders_created_after_start_are_watched_and_scanned_at_any_depth() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    std::fs::create_dir(cap.watch.join("cam-a")).unwrap();
    let svc = Service::start(&cap).await;
    // A date folder made and written at once, racing the watch that notify adds for it.
    let day = cap.watch.join("cam-a/2026-12-01");
    std::fs::create_dir(&day).unwrap();
    std::fs::write(day.join("clip-1.mp4"), bytes(6, 50_000)).unwrap();
    // A tree two levels deep filled elsewhere and moved in: its files raise no event at all.
    let outside = cap.root.path().join("staging/2026-12-02");
    std::fs::create_dir_all(outside.join("day two")).unwrap();
    std::fs::write(outside.join("day two/clip-1.mp4"), bytes(7, 50_000)).unwrap();
    std::fs::write(outside.join("day two/clip-1.move"), bytes(8, 1_000)).unwrap();
    std::fs::rename(&outside, cap.watch.join("cam-a/2026-12-02")).unwrap();
    let takes = takes(&sb, &svc, 2).await;
    assert!(
        takes
            .iter()
            .all(|t| t["sources"][0]["deviceLabel"] == "cam-a"),
        "{takes:?}"
    );
    let mut sizes: Vec<usize> = takes
        .iter()
        .map(|t| t["sources"].as_array().unwrap().len())
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        [1, 2],
        "one stem in two folders: two takes, the .move with its own"
    );
    // A file written later into the new date folder: its watch is there.
    std::fs::write(day.join("clip-2.mp4"), bytes(9, 50_000)).unwrap();
    let takes = self::takes(&sb, &svc, 3).await;
    assert_eq!(takes.len(), 3);
}

#[tokio::test]
async fn with_after_take_delete_the_service_removes_a_recording_once_its_take_exists() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        format!("{text}\n[after_take]\naction = \"delete\"\n"),
    )
    .unwrap();
    let dir = cap.watch.join("cam-a/2026-12-01");
    std::fs::create_dir_all(&dir).unwrap();
    let svc = Service::start(&cap).await;
    std::fs::write(dir.join("a.move"), bytes(2, 1_000)).unwrap();
    std::fs::write(dir.join("a.mp4"), bytes(1, 50_000)).unwrap();
    let takes = takes(&sb, &svc, 1).await;
    assert_eq!(takes[0]["sources"].as_array().unwrap().len(), 2);
    until("both files to be deleted", || async {
        (!dir.join("a.mp4").exists() && !dir.join("a.move").exists()).then_some(())
    })
    .await;
    assert!(
        svc.log()
            .contains("after_take: deleted a.mp4; deleted a.move"),
        "{}",
        svc.log()
    );
}

#[tokio::test]
async fn a_late_move_creates_no_second_take_and_shows_in_status() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    let svc = Service::start(&cap).await;
    cap.write_fresh("cam-e", "late.mp4", &bytes(9, 60_000));
    takes(&sb, &svc, 1).await;
    cap.write_fresh("cam-e", "late.move", &bytes(10, 1_000));
    until("status to show the late .move", || async {
        (cap.status()["late_sidecars"] == 1).then_some(())
    })
    .await;
    assert_eq!(sb.stats().await["takes_created"], 1);
    assert!(svc.log().contains("arrived after its take was created"));
}

#[tokio::test]
async fn the_watch_path_removed_and_recreated_is_watched_again() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    let svc = Service::start(&cap).await;
    std::fs::remove_dir_all(&cap.watch).unwrap();
    until("the removal to be noticed", || async {
        svc.log().contains("watch path was removed").then_some(())
    })
    .await;
    std::fs::create_dir(&cap.watch).unwrap();
    until("the watch path to be watched again", || async {
        svc.log().contains("(re)created").then_some(())
    })
    .await;
    cap.write_fresh("cam-f", "back.mp4", &bytes(11, 40_000));
    takes(&sb, &svc, 1).await;
}

#[tokio::test]
async fn a_watch_path_missing_at_start_is_waited_for_not_an_exit() {
    // A drive not mounted yet: `run` says so and waits (backfill and check exit 2 instead).
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    std::fs::remove_dir(&cap.watch).unwrap();
    let mut svc = Service::start(&cap).await;
    assert!(
        svc.log().contains("the watch path does not exist"),
        "{}",
        svc.log()
    );
    assert!(svc.exit_within(Duration::from_millis(200)).await.is_none());
    std::fs::create_dir(&cap.watch).unwrap();
    until("the watch path to be watched", || async {
        svc.log().contains("(re)created").then_some(())
    })
    .await;
    cap.write_fresh("cam-m", "late.mp4", &bytes(13, 40_000));
    takes(&sb, &svc, 1).await;
}

#[tokio::test]
async fn the_periodic_rescan_finds_files_no_event_announced() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &Timing { rescan: 1, ..QUICK });
    // Events are ignored, as on a network mount whose remote writes inotify never sees.
    service_keys(&cap, "ignore_events = true");
    let svc = Service::start(&cap).await;
    cap.write_fresh("cam-g", "quiet.mp4", &bytes(12, 40_000));
    let takes = takes(&sb, &svc, 1).await;
    assert_eq!(takes[0]["sources"][0]["deviceLabel"], "cam-g");
    assert!(svc.log().contains("periodic rescan"));
}

#[tokio::test]
async fn an_event_overflow_is_a_full_rescan_not_a_silent_drop() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    // A channel of one hint: any burst of events overflows it.
    service_keys(&cap, "event_channel_size = 1");
    let svc = Service::start(&cap).await;
    for i in 0..5 {
        cap.write_fresh(&format!("cam-{i}"), "x.mp4", &bytes(20 + i, 20_000));
    }
    takes(&sb, &svc, 5).await;
    assert!(
        svc.log().contains("rescanning every watch path"),
        "{}",
        svc.log()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sb.stats().await["takes_created"], 5);
}

#[tokio::test]
async fn sigterm_exits_0_within_the_grace_and_the_next_start_finishes_the_work() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &Timing { grace: 2, ..QUICK });
    sb.set_faults(json!({"upload_bytes_per_sec": 100_000}))
        .await;
    let mut svc = Service::start(&cap).await;
    let video = bytes(30, 3_000_000);
    cap.write("cam-h", "long.mp4", &video);
    until("the upload to start", || async {
        (sb.stats().await["files_created"] == 1).then_some(())
    })
    .await;
    svc.signal("-TERM");
    let status = svc.exit_within(Duration::from_secs(2 + 3)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", svc.log());
    assert!(svc.log().contains("SIGTERM received"));
    assert_eq!(sb.stats().await["takes_created"], 0);
    sb.set_faults(json!({})).await;
    let svc = Service::start(&cap).await;
    let takes = takes(&sb, &svc, 1).await;
    assert_eq!(source_blob(&sb, &takes[0], 0), video);
}

#[tokio::test]
async fn a_service_killed_mid_queue_and_restarted_makes_each_take_once() {
    let sb = Sandbox::start();
    let cap = capture(
        &sb,
        &Timing {
            concurrency: 1,
            ..QUICK
        },
    );
    sb.set_faults(json!({"upload_bytes_per_sec": 400_000}))
        .await;
    for i in 0..4 {
        cap.write(&format!("cam-{i}"), "k.mp4", &bytes(40 + i, 200_000));
        cap.write(&format!("cam-{i}"), "k.move", &bytes(50 + i, 2_000));
    }
    let mut svc = Service::start(&cap).await;
    until("some work to be done", || async {
        (sb.stats().await["uploads_completed"].as_u64() >= Some(2)).then_some(())
    })
    .await;
    svc.signal("-KILL");
    svc.exit_within(Duration::from_secs(5)).await.unwrap();
    sb.set_faults(json!({})).await;
    let svc = Service::start(&cap).await;
    let takes = takes(&sb, &svc, 4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sb.stats().await["takes_created"], 4);
    let recordings: BTreeSet<String> = takes
        .iter()
        .map(|t| metadata(t)["move_ingest"]["recording_id"].to_string())
        .collect();
    assert_eq!(recordings.len(), 4);
    assert!(
        takes
            .iter()
            .all(|t| t["sources"].as_array().unwrap().len() == 2)
    );
}

#[tokio::test]
async fn a_file_deleted_before_its_upload_leaves_the_queue_with_a_log_line() {
    let sb = Sandbox::start();
    let cap = capture(
        &sb,
        &Timing {
            concurrency: 1,
            ..QUICK
        },
    );
    sb.set_faults(json!({"upload_bytes_per_sec": 300_000}))
        .await;
    cap.write("cam-a", "first.mp4", &bytes(60, 1_500_000));
    let svc = Service::start(&cap).await;
    until("the first upload to start", || async {
        (sb.stats().await["files_created"] == 1).then_some(())
    })
    .await;
    // Queued behind the slow first upload, then deleted before its turn.
    let doomed = cap.write_fresh("cam-b", "second.mp4", &bytes(61, 100_000));
    // Queued in the journal (a video the service still holds back for its .move counts as
    // waiting, not queued).
    until("the second recording to be queued", || async {
        (cap.status()["counts"]["queued"] == 1).then_some(())
    })
    .await;
    assert_eq!(sb.stats().await["files_created"], 1, "{}", svc.log());
    std::fs::remove_file(&doomed).unwrap();
    sb.set_faults(json!({})).await;
    until("the deleted recording to leave the queue", || async {
        (cap.status()["counts"]["gone"] == 1).then_some(())
    })
    .await;
    takes(&sb, &svc, 1).await;
    assert!(
        svc.log().contains("deleted before its upload"),
        "{}",
        svc.log()
    );
    assert_eq!(cap.status()["counts"]["failed"], 0);
    assert_eq!(sb.stats().await["takes_created"], 1);
}

#[tokio::test]
async fn systemd_hears_ready_status_and_watchdog_pings_from_the_loop() {
    use std::os::unix::net::UnixDatagram;
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    let config = std::fs::read_to_string(&cap.config).unwrap();
    let config = config.replace("cap_secs = 2\n", "cap_secs = 1\nmax_attempts = 2\n");
    std::fs::write(&cap.config, config).unwrap();
    // One recording fails for good (an empty file); one outlasts its retries (the API says 503).
    cap.write("cam-a", "empty.mp4", b"");
    sb.set_faults(json!({"p_5xx": 1.0})).await;
    cap.write("cam-b", "take1.mp4", &bytes(1, 10_000));
    let socket = cap.root.path().join("notify.sock");
    let listener = UnixDatagram::bind(&socket).unwrap();
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // `exec` keeps the shell's pid, which WATCHDOG_PID must name.
    let cmd = cap.cmd(&[]);
    let program = cmd.get_program().to_owned();
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg("WATCHDOG_PID=$$ exec \"$0\" \"$@\" run")
        .arg(program)
        .args(args)
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env("NOTIFY_SOCKET", &socket)
        .env("WATCHDOG_USEC", "400000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = sh.spawn().unwrap();
    let mut heard = Vec::new();
    let mut buf = [0u8; 512];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        let n = listener.recv(&mut buf).unwrap();
        heard.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        let counted = heard.iter().any(|m| m.contains("1 retrying, 1 failed"));
        if counted && heard.iter().filter(|m| m.contains("WATCHDOG=1")).count() >= 3 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let all = heard.join("\n");
    assert!(all.contains("READY=1"), "{all}");
    assert!(
        all.contains("STATUS=0 settling, 0 waiting for .move, "),
        "{all}"
    );
    assert!(
        all.contains("0 queued, 0 uploading, 1 retrying, 1 failed; the Move API does not answer"),
        "{all}"
    );
    assert!(
        heard.iter().filter(|m| m.contains("WATCHDOG=1")).count() >= 3,
        "{all}"
    );
}

#[tokio::test]
async fn a_video_waiting_for_its_move_shows_in_status_with_until_when_and_in_the_log() {
    let sb = Sandbox::start();
    let cap = capture(
        &sb,
        &Timing {
            move_wait: 120,
            ..QUICK
        },
    );
    let svc = Service::start(&cap).await;
    cap.write_fresh("cam-a", "paired.mp4", &bytes(5, 10_000));
    let row = until("status to show the waiting video", || async {
        let status = cap.status();
        (status["counts"]["waiting"] == 1).then(|| status["latest"][0].clone())
    })
    .await;
    assert_eq!(row["stem"], "paired", "{row}");
    assert!(
        row["note"]
            .as_str()
            .unwrap()
            .starts_with("a video waiting for its .move until 20"),
        "{row}"
    );
    assert!(
        svc.log().contains("s for its .move") && svc.log().contains("\"until\""),
        "logged: {}",
        svc.log()
    );
    cap.write_fresh("cam-a", "paired.move", &bytes(6, 1_000));
    let takes = takes(&sb, &svc, 1).await;
    assert_eq!(takes[0]["sources"].as_array().unwrap().len(), 2);
    until("status to show no waiting video", || async {
        (cap.status()["counts"]["waiting"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_service_with_an_emptied_state_dir_adopts_the_takes_and_sends_only_what_is_new() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.write("cam-a", "take01.move", &bytes(2, 3_000));
    cap.write("cam-b", "take02.mp4", &bytes(3, 30_000));
    cap.backfill(0);
    std::fs::remove_dir_all(&cap.state).unwrap();
    cap.write("cam-c", "take03.mp4", &bytes(4, 20_000));
    let svc = Service::start(&cap).await;
    takes(&sb, &svc, 3).await;
    until("status to count three done", || async {
        (cap.status()["counts"]["done"] == 3).then_some(())
    })
    .await;
    // A recording made while it runs is not on the API: it is uploaded, with no second paging.
    cap.write_fresh("cam-d", "take04.mp4", &bytes(5, 20_000));
    takes(&sb, &svc, 4).await;
    let stats = sb.stats().await;
    assert_eq!(stats["takes_created"], 4, "{stats}\n{}", svc.log());
    assert_eq!(stats["uploads_completed"], 5, "{stats}");
    let log = svc.log();
    assert_eq!(log.matches("adopted, nothing sent").count(), 2, "{log}");
    assert_eq!(
        log.matches("indexed the account's takes").count(),
        1,
        "{log}"
    );
}

#[tokio::test]
async fn the_service_started_during_an_outage_with_an_emptied_state_adopts_once_the_api_answers() {
    let sb = Sandbox::start();
    let cap = capture(&sb, &QUICK);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.backfill(0);
    std::fs::remove_dir_all(&cap.state).unwrap();
    sb.set_faults(json!({"p_5xx": 1.0})).await;
    let svc = Service::start(&cap).await;
    until("the service to say it cannot read the takes", || async {
        svc.log()
            .contains("cannot read the account's takes")
            .then_some(())
    })
    .await;
    // It waits in the queue, neither failed nor uploaded.
    let status = cap.status();
    assert_eq!(status["counts"]["failed"], 0, "{status}");
    assert_eq!(status["counts"]["done"], 0, "{status}");
    sb.set_faults(json!({})).await;
    until("the recording to be adopted", || async {
        (cap.status()["counts"]["done"] == 1).then_some(())
    })
    .await;
    let stats = sb.stats().await;
    assert_eq!(stats["takes_created"], 1, "{stats}\n{}", svc.log());
    assert_eq!(stats["uploads_completed"], 1, "{stats}");
}
