//! A state disk that fills up (or turns read-only) under a running service: `run` pauses,
//! says so (`/healthz`, `status`, the log), stays alive, and resumes by itself once a write
//! goes through again, with exactly one take per recording.

use std::fs::File;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::capture::{Capture, bytes, show};
use crate::faults::{Expected, Mount, assert_exactly_one_take_each};
use crate::monitoring::Daemon;
use crate::util::Sandbox;

/// Pauses are retried every 5 s and a busy machine is slow: generous, never slept for.
const DEADLINE: Duration = Duration::from_secs(60);

/// A capture setup with quick settling, the metrics server on a free port and JSON logs.
fn capture(sb: &Sandbox, extra: &str) -> Capture {
    let cap = Capture::new(sb);
    let text = format!(
        "[api]\nendpoint = \"{}\"\n\n[[watch]]\npath = \"{}\"\n\n[pairing]\nsettle_secs = 1\nmove_wait_secs = 1\n\n\
         [state]\ndir = \"{}\"\n\n[upload]\nconcurrency = 2\n\n[retry]\nbase_ms = 50\ncap_secs = 1\n\n\
         [log]\nlevel = \"debug\"\nformat = \"json\"\n\n[metrics]\nlisten = \"127.0.0.1:0\"\n{extra}\n",
        cap.endpoint,
        cap.watch.display(),
        cap.state.display(),
    );
    std::fs::write(&cap.config, text).unwrap();
    cap
}

async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crate::run::until_within(what, DEADLINE, check).await
}

/// Writes recording `i` (a video, every other one with a `.move`) and notes what its take must hold.
fn record(cap: &Capture, expected: &mut Expected, i: u64) {
    let (dev, stem) = (format!("cam-{}", i % 3), format!("clip{i:02}"));
    // The `.move` first: `write` back-dates the files, so a video written first is complete
    // at once and, with no wait left for its `.move`, may be taken without it.
    let sidecar = i.is_multiple_of(2).then(|| {
        let s = bytes(1_000 + i, 1_500);
        cap.write(&dev, &format!("{stem}.move"), &s);
        s
    });
    let video = bytes(i, 20_000 + i as usize);
    cap.write(&dev, &format!("{stem}.mp4"), &video);
    expected.insert((dev, stem), (video, sidecar));
}

/// Fills the file system of `dir` with one file until it refuses more.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = File::create(&path).unwrap();
    let chunk = vec![0u8; 64 << 10];
    while f.write_all(&chunk).is_ok() {}
    path
}

#[tokio::test]
async fn a_state_disk_filled_during_run_pauses_then_resumes_by_itself_with_one_take_each() {
    let sb = Sandbox::start();
    let hook = crate::monitoring::Receiver::start().await;
    let cap = capture(&sb, &format!("\n[notify]\nwebhook = \"{}\"\n", hook.url));
    // Room for the database and its WAL; the filler takes the rest.
    let Some(_mount) = Mount::tmpfs(&cap.state, "8m") else {
        return;
    };
    let mut d = Daemon::start(&cap).await;
    let mut expected = Expected::new();
    for i in 0..3 {
        record(&cap, &mut expected, i);
    }
    until("the first takes", || async {
        (sb.takes().await.len() == 3).then_some(())
    })
    .await;

    // The disk fills while recordings keep arriving.
    let filler = fill(&cap.state);
    for i in 3..9 {
        record(&cap, &mut expected, i);
    }
    let reason = until("/healthz to say the state disk is full", || async {
        let (status, body) = d.healthz().await;
        (status == 503).then_some(body)
    })
    .await;
    assert!(reason.contains("paused: state disk full"), "{reason}");
    assert!(reason.contains("state.db"), "names the file: {reason}");
    let status = cap.status();
    assert_eq!(
        status["paused"]["reason"], "state disk full",
        "status --json: {status}"
    );
    let text = cap.run(&["status"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("PAUSED: state disk full"),
        "{}",
        show(&text)
    );
    let api: Value = reqwest::get(format!("{}/api/status", d.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["paused"]["reason"], "state disk full", "{api}");
    assert!(d.log_text().contains("ingestion paused: state disk full"));
    let paused = hook.event("paused").await;
    assert!(
        paused["reason"]
            .as_str()
            .unwrap()
            .starts_with("state disk full"),
        "{paused}"
    );
    // Still paused a retry later, and alive.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(d.healthz().await.0, 503);
    d.assert_alive();

    std::fs::remove_file(&filler).unwrap();
    until("/healthz to say ingesting again", || async {
        (d.healthz().await.0 == 200).then_some(())
    })
    .await;
    until("a take for every recording", || async {
        (sb.takes().await.len() >= expected.len()).then_some(())
    })
    .await;
    d.assert_alive();
    assert_exactly_one_take_each(&sb, &expected).await;
    assert!(
        d.log_text().contains("ingestion resumed"),
        "{}",
        d.log_text()
    );
    hook.event("resumed").await;
    assert_eq!(cap.status()["paused"], Value::Null);
    assert_eq!(cap.status()["counts"]["done"], expected.len() as u64);
    // The database reopens after the failed commits (checked at the start) and knows every take.
    drop(d);
    cap.backfill(0);
    assert_eq!(sb.takes().await.len(), expected.len());
    assert_eq!(cap.status()["counts"]["done"], expected.len() as u64);
}

/// An ext4 image mounted on a temp dir with `errors=remount-ro`, unmounted on drop; `None`
/// where loop devices or mkfs.ext4 are not available.
struct Ext4 {
    image: PathBuf,
    at: PathBuf,
}

impl Ext4 {
    fn mount(image: &Path, at: &Path) -> Option<Ext4> {
        std::fs::create_dir_all(at).unwrap();
        let made = File::create(image)
            .and_then(|f| f.set_len(32 << 20))
            .is_ok()
            && sh("mkfs.ext4", &["-q", "-F", &image.to_string_lossy()]);
        let disk = Ext4 {
            image: image.to_path_buf(),
            at: at.to_path_buf(),
        };
        if made && disk.mount_again() {
            Some(disk)
        } else {
            crate::skip(
                "a test with an ext4 state disk: cannot make and mount an ext4 image here (needs root, loop devices and mkfs.ext4)",
            );
            None
        }
    }

    fn mount_again(&self) -> bool {
        sh(
            "mount",
            &[
                "-o",
                "loop,errors=remount-ro",
                &self.image.to_string_lossy(),
                &self.at.to_string_lossy(),
            ],
        )
    }

    /// What the kernel does on a file system error: the file system turns read-only under the
    /// running service (a plain `mount -o remount,ro` is refused while files are open for writing).
    fn fail(&self) {
        let out = std::process::Command::new("findmnt")
            .args(["-no", "SOURCE"])
            .arg(&self.at)
            .output()
            .unwrap();
        let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let name = Path::new(&dev)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        std::fs::write(format!("/sys/fs/ext4/{name}/trigger_fs_error"), "test\n").unwrap();
    }

    /// The way back from that: unmount, fsck, mount.
    fn repair(&self) {
        assert!(sh("umount", &[&self.at.to_string_lossy()]));
        let _ = std::process::Command::new("e2fsck")
            .args(["-fy"])
            .arg(&self.image)
            .output();
        assert!(self.mount_again());
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.at)
            .status();
    }
}

fn sh(cmd: &str, args: &[&str]) -> bool {
    std::process::Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn a_state_disk_turned_read_only_during_run_pauses_and_loses_nothing() {
    let sb = Sandbox::start();
    let cap = capture(&sb, "");
    let Some(disk) = Ext4::mount(&cap.root.path().join("state.img"), &cap.state) else {
        return;
    };
    let mut d = Daemon::start(&cap).await;
    let mut expected = Expected::new();
    for i in 0..2 {
        record(&cap, &mut expected, i);
    }
    until("the first takes", || async {
        (sb.takes().await.len() == 2).then_some(())
    })
    .await;

    disk.fail();
    for i in 2..6 {
        record(&cap, &mut expected, i);
    }
    let reason = until("/healthz to say the state disk is read-only", || async {
        let (status, body) = d.healthz().await;
        (status == 503).then_some(body)
    })
    .await;
    assert!(reason.contains("paused: state disk read-only"), "{reason}");
    let status = cap.status();
    assert_eq!(
        status["paused"]["reason"], "state disk read-only",
        "status --json: {status}"
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(d.healthz().await.0, 503);
    d.assert_alive();
    let created = sb.takes().await.len();
    assert!(
        created < expected.len(),
        "nothing waits on the state: {created}"
    );

    // A kernel-forced read-only file system comes back only through unmount and fsck, which
    // need the service stopped: it stops cleanly, and the next start finishes the work.
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &d.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let start = Instant::now();
    let exited = loop {
        if let Some(status) = d.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < DEADLINE, "the service did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exited.success(), "{exited:?}; log:\n{}", d.log_text());
    disk.repair();
    let d = Daemon::start(&cap).await;
    until("a take for every recording", || async {
        (sb.takes().await.len() >= expected.len()).then_some(())
    })
    .await;
    assert_eq!(d.healthz().await.0, 200);
    assert_exactly_one_take_each(&sb, &expected).await;
}

#[tokio::test]
async fn a_run_started_on_a_full_state_disk_waits_and_starts_once_there_is_room() {
    let sb = Sandbox::start();
    let cap = capture(&sb, "");
    let Some(_mount) = Mount::tmpfs(&cap.state, "8m") else {
        return;
    };
    let mut expected = Expected::new();
    record(&cap, &mut expected, 0);
    cap.backfill(0);
    let filler = fill(&cap.state);
    record(&cap, &mut expected, 1);
    let log = cap.root.path().join("run-full.log");
    let mut child = cap
        .cmd(&["run"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    until("the service to say it waits for the state dir", || async {
        text()
            .contains("waiting for the state dir: state disk full")
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "it exited:\n{}",
        text()
    );
    assert_eq!(sb.takes().await.len(), 1);

    std::fs::remove_file(&filler).unwrap();
    until("a take for the recording made meanwhile", || async {
        (sb.takes().await.len() >= expected.len()).then_some(())
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_exactly_one_take_each(&sb, &expected).await;
}
