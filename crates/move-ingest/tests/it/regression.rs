//! Regression tests, each named after what broke.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::capture::{Capture, bytes, show};
use crate::util::Sandbox;

/// No retries at all: every failure is the last allowed attempt.
const NO_RETRIES: &str = "[retry]\nmax_attempts = 1\nbase_ms = 20\ncap_secs = 1\n";

/// A capture setup whose config allows no retry.
fn without_retries(sb: &Sandbox) -> Capture {
    let cap = Capture::new(sb);
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let text = text.replace("[retry]\nbase_ms = 50\ncap_secs = 2\n", NO_RETRIES);
    assert!(text.contains("max_attempts = 1"), "{text}");
    std::fs::write(&cap.config, text).unwrap();
    cap
}

/// Runs a backfill of `path` (a 2 MB file sent at 1 MB/s) and calls `meddle` with the file
/// once its upload is under way; returns the backfill's output.
fn backfill_meddling(cap: &Capture, path: &Path, meddle: impl FnOnce(&Path)) -> Output {
    let child = cap
        .cmd(&["backfill", "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cap.steps_of(path).iter().any(|s| s == "file_created") {
        assert!(Instant::now() < deadline, "the upload never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    meddle(path);
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn a_file_changed_during_its_last_allowed_upload_attempt_is_deferred_not_failed() {
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "1000000"]);
    let cap = without_retries(&sb);
    let first = bytes(1, 2_000_000);
    let path = cap.write("cam-a", "grow.mp4", &first);
    let mut whole = first.clone();
    whole.extend_from_slice(&bytes(2, 500_000));
    let out = backfill_meddling(&cap, &path, |p| std::fs::write(p, &whole).unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let status = cap.status();
    assert_eq!(status["counts"]["failed"], 0, "{status}");
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

#[tokio::test]
async fn a_file_deleted_during_its_last_allowed_upload_attempt_is_gone_not_failed() {
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "1000000"]);
    let cap = without_retries(&sb);
    let path = cap.write("cam-a", "doomed.mp4", &bytes(3, 2_000_000));
    let out = backfill_meddling(&cap, &path, |p| std::fs::remove_file(p).unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let status = cap.status();
    assert_eq!(status["counts"]["failed"], 0, "{status}");
    assert_eq!(status["counts"]["gone"], 1, "{status}");
    assert!(sb.takes().await.is_empty());
}
