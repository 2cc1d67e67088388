//! Capture folders that vanish and return while `run` runs: a real tmpfs unmounted and mounted
//! again under the watch path, a device folder deleted and re-created, a watch path missing at
//! start. With the full rescan at 300 s, only the presence looks (every 2 s) and re-armed
//! watches can find what is written after the return. Outcomes are polled, never slept for.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, set_age};
use crate::faults::Mount;
use crate::run::until_within;
use crate::util::Sandbox;

const DEADLINE: Duration = Duration::from_secs(30);

/// `run` with its HTTP server on a free port of 127.0.0.1; killed on drop.
struct Daemon {
    child: Child,
    log: PathBuf,
    base: String,
}

impl Daemon {
    async fn start(cap: &Capture) -> Daemon {
        let text = format!(
            "[api]\nendpoint = \"{}\"\n\n[[watch]]\npath = \"{}\"\ndevice_label = \"from-dir\"\nrescan_secs = 300\n\n\
             [pairing]\nsettle_secs = 1\nmove_wait_secs = 1\n\n[state]\ndir = \"{}\"\n\n\
             [retry]\nbase_ms = 50\ncap_secs = 2\n\n[log]\nlevel = \"debug\"\nformat = \"json\"\n\n\
             [metrics]\nlisten = \"127.0.0.1:0\"\n",
            cap.endpoint,
            cap.watch.display(),
            cap.state.display(),
        );
        std::fs::write(&cap.config, text).unwrap();
        let log = cap.root.path().join("run.log");
        let child = cap
            .cmd(&["run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut d = Daemon {
            child,
            log,
            base: String::new(),
        };
        d.base = until("the metrics server to listen", || async {
            d.log().lines().find_map(|l| {
                let v: Value = serde_json::from_str(l).ok()?;
                Some(format!("http://{}", v["listen"].as_str()?))
            })
        })
        .await;
        until("the service to be ready", || async {
            d.log().contains("watching for recordings").then_some(())
        })
        .await;
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A GET on a connection of its own.
    async fn get(&self, path: &str) -> (u16, String) {
        let r = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// `move_ingest_watch_path_up` of `path`.
    async fn path_up(&self, path: &Path) -> Option<f64> {
        let (_, text) = self.get("/metrics").await;
        let series = format!("move_ingest_watch_path_up{{path=\"{}\"}} ", path.display());
        text.lines()
            .find_map(|l| l.strip_prefix(&series)?.trim().parse().ok())
    }

    fn assert_alive(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the service exited; log:\n{}",
            self.log()
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    until_within(what, DEADLINE, check).await
}

/// Writes a complete recording (an old mp4 and its .move) into `dir`.
fn record(dir: &Path, stem: &str, seed: u64) {
    std::fs::create_dir_all(dir).unwrap();
    for (ext, len) in [("mp4", 30_000), ("move", 300)] {
        let path = dir.join(format!("{stem}.{ext}"));
        std::fs::write(&path, bytes(seed + len as u64, len)).unwrap();
        set_age(&path, Duration::from_secs(3600));
    }
}

/// Copies every file of `from` into `to` (what a drive brings back, or a copy made meanwhile).
fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        std::fs::copy(e.path(), &dest).unwrap();
        set_age(&dest, Duration::from_secs(3600));
    }
}

/// The stems of the sandbox's takes, sorted.
async fn stems(sb: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = sb
        .takes()
        .await
        .iter()
        .map(|t| {
            metadata(t)["move_ingest"]["stem"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    v.sort();
    v
}

async fn until_stems(sb: &Sandbox, d: &Daemon, want: &[&str]) {
    let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    until_within(&format!("the takes {want:?}"), DEADLINE, || async {
        let have = stems(sb).await;
        assert!(
            have.iter().all(|s| want.contains(s)) && have.len() <= want.len(),
            "unexpected takes {have:?}; log:\n{}",
            d.log()
        );
        (have == want).then_some(())
    })
    .await;
}

/// While `path` is missing: the warning naming it in the log, `/healthz` 503 with the
/// reason, the metric 0, and `status --json` showing it missing with since when and why.
async fn assert_missing(cap: &Capture, d: &Daemon, path: &Path, why: &str) {
    let shown = path.display().to_string();
    until("the warning naming the missing folder", || async {
        d.log()
            .lines()
            .find(|l| l.contains("\"WARN\"") && l.contains(&shown) && l.contains("recordings wait"))
            .map(|_| ())
    })
    .await;
    let (status, reason) = until("/healthz to answer 503", || async {
        let (status, body) = d.get("/healthz").await;
        (status == 503).then_some((status, body))
    })
    .await;
    assert_eq!(status, 503);
    assert!(
        reason.contains("watch path missing") && reason.contains(&shown),
        "{reason}"
    );
    until("the metric to be 0", || async {
        (d.path_up(path).await == Some(0.0)).then_some(())
    })
    .await;
    let missing = until("status --json to show it missing", || async {
        let s = cap.status();
        let m = s["missing_paths"].as_array()?.first()?.clone();
        Some(m)
    })
    .await;
    assert_eq!(missing["path"], shown.as_str(), "{missing}");
    assert_eq!(missing["why"], why, "{missing}");
    assert!(
        missing["since"].as_str().is_some_and(|s| s.len() > 10),
        "{missing}"
    );
    let (_, api) = d.get("/api/status").await;
    let api: Value = serde_json::from_str(&api).unwrap();
    assert_eq!(api["missing_paths"][0]["path"], shown.as_str(), "{api}");
    let text = cap.run(&["status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("watch path missing") && text.contains(&shown),
        "{text}"
    );
    let (_, page) = d.get("/").await;
    assert!(
        page.contains("watch path missing") && page.contains(&shown),
        "{page}"
    );
}

/// After the return: `/healthz` 200, the metric 1, nothing missing in `status`.
async fn assert_clear(cap: &Capture, d: &Daemon, path: &Path) {
    until("/healthz to answer 200 again", || async {
        (d.get("/healthz").await.0 == 200).then_some(())
    })
    .await;
    until("the metric to be 1 again", || async {
        (d.path_up(path).await == Some(1.0)).then_some(())
    })
    .await;
    until("status to show nothing missing", || async {
        (cap.status()["missing_paths"] == serde_json::json!([])).then_some(())
    })
    .await;
}

/// Nothing failed and nothing gone: every recording was waited for.
fn assert_none_failed_or_gone(cap: &Capture, d: &Daemon) {
    let s = cap.status();
    assert_eq!(s["counts"]["failed"], 0, "{s}\nlog:\n{}", d.log());
    assert_eq!(s["counts"]["gone"], 0, "{s}\nlog:\n{}", d.log());
}

#[tokio::test]
async fn a_drive_unmounted_and_mounted_again_under_the_watch_path_is_waited_for_and_watched_again()
{
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let cam = cap.watch.join("cam");
    let Some(drive) = Mount::tmpfs(&cam, "16m") else {
        return;
    };
    let mut d = Daemon::start(&cap).await;
    // Before: taken while the drive is there.
    record(&cam, "before", 1);
    until_stems(&sb, &d, &["before"]).await;
    let kept = cap.root.path().join("drive-contents");
    std::fs::create_dir(&kept).unwrap();
    copy_files(&cam, &kept);
    // The drive goes (a lazy unmount, as a yanked disk): the folder stays, an empty mount point.
    drop(drive);
    assert_missing(&cap, &d, &cam, "not_mounted").await;
    assert!(cam.is_dir(), "the mount point stays");
    // During: recorded elsewhere meanwhile, copied in once the drive is back.
    let elsewhere = cap.root.path().join("elsewhere");
    record(&elsewhere, "during", 2);
    d.assert_alive();
    let Some(drive) = Mount::tmpfs(&cam, "16m") else {
        panic!("the tmpfs mounted once and not again");
    };
    // The drive comes back with what it held, and the copy joins it.
    copy_files(&kept, &cam);
    copy_files(&elsewhere, &cam);
    until("the return to be noticed", || async {
        d.log().contains("is there again").then_some(())
    })
    .await;
    until_stems(&sb, &d, &["before", "during"]).await;
    assert_clear(&cap, &d, &cam).await;
    // After: written to the drive once it is back, found by the re-armed watch.
    record(&cam, "after", 3);
    until_stems(&sb, &d, &["after", "before", "during"]).await;
    until("every recording done", || async {
        (cap.status()["counts"]["done"] == 3).then_some(())
    })
    .await;
    assert_eq!(
        stems(&sb).await,
        ["after", "before", "during"],
        "one take each"
    );
    assert_none_failed_or_gone(&cap, &d);
    d.assert_alive();
    drop(drive);
}

#[tokio::test]
async fn a_deleted_and_re_created_device_folder_is_shown_missing_meanwhile_and_its_recordings_wait()
{
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let cam = cap.watch.join("cam-d");
    record(&cam, "first", 4);
    let mut d = Daemon::start(&cap).await;
    until_stems(&sb, &d, &["first"]).await;
    // A recording in the state, not sent yet (the API does not answer) when its folder goes.
    sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    record(&cam, "held", 7);
    until("the held recording to wait for the API", || async {
        (cap.status()["counts"]["retrying"] == 1).then_some(())
    })
    .await;
    let kept = cap.root.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    copy_files(&cam, &kept);
    std::fs::remove_file(kept.join("first.mp4")).unwrap();
    std::fs::remove_file(kept.join("first.move")).unwrap();
    std::fs::remove_dir_all(&cam).unwrap();
    assert_missing(&cap, &d, &cam, "absent").await;
    // The API answers again: the held recording is tried, finds its folder gone, and waits.
    sb.set_faults(json!({})).await;
    let waits = format!("waiting for {} to come back", cam.display());
    until("the held recording to wait for its folder", || async {
        d.log().contains(&waits).then_some(())
    })
    .await;
    assert_none_failed_or_gone(&cap, &d);
    d.assert_alive();
    // The folder comes back with the held recording's files, and a new one.
    std::fs::create_dir(&cam).unwrap();
    copy_files(&kept, &cam);
    record(&cam, "second", 5);
    until_stems(&sb, &d, &["first", "held", "second"]).await;
    assert_clear(&cap, &d, &cam).await;
    until("every recording done", || async {
        (cap.status()["counts"]["done"] == 3).then_some(())
    })
    .await;
    assert_none_failed_or_gone(&cap, &d);
}

#[tokio::test]
async fn run_waits_for_a_watch_path_missing_at_start_instead_of_exiting() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    std::fs::remove_dir(&cap.watch).unwrap();
    let mut d = Daemon::start(&cap).await;
    assert_missing(&cap, &d, &cap.watch, "absent").await;
    d.assert_alive();
    record(&cap.watch.join("cam"), "late", 6);
    until_stems(&sb, &d, &["late"]).await;
    assert_clear(&cap, &d, &cap.watch).await;
}

#[tokio::test]
async fn a_drive_not_mounted_when_run_starts_holds_its_recordings_until_it_is_mounted() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let cam = cap.watch.join("cam");
    let Some(drive) = Mount::tmpfs(&cam, "16m") else {
        return;
    };
    // A recording in the state, not sent yet (the API does not answer)...
    sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    let d = Daemon::start(&cap).await;
    record(&cam, "held", 8);
    until("the held recording to wait for the API", || async {
        (cap.status()["counts"]["retrying"] == 1).then_some(())
    })
    .await;
    // ...when the machine goes down and comes up without the drive: an empty mount point.
    drop(d);
    let kept = cap.root.path().join("drive-contents");
    std::fs::create_dir(&kept).unwrap();
    copy_files(&cam, &kept);
    drop(drive);
    sb.set_faults(json!({})).await;
    let mut d = Daemon::start(&cap).await;
    assert_missing(&cap, &d, &cam, "not_mounted").await;
    let waits = format!("waiting for {} to come back", cam.display());
    until("the held recording to wait for its drive", || async {
        d.log().contains(&waits).then_some(())
    })
    .await;
    assert_none_failed_or_gone(&cap, &d);
    d.assert_alive();
    // The drive is mounted, with its files: the recording is sent, once.
    let Some(drive) = Mount::tmpfs(&cam, "16m") else {
        panic!("the tmpfs mounted once and not again");
    };
    copy_files(&kept, &cam);
    until_stems(&sb, &d, &["held"]).await;
    assert_clear(&cap, &d, &cam).await;
    assert_none_failed_or_gone(&cap, &d);
    drop(drive);
}
