//! `[after_take]`: files are deleted or moved only once their take exists, a failed or
//! waiting recording is never touched, and a crash loop loses nothing and repeats no take.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::capture::{Capture, bytes, metadata, show};
use crate::util::Sandbox;

/// (device, stem) of every take.
async fn taken(sb: &Sandbox) -> Vec<(String, String)> {
    sb.takes()
        .await
        .iter()
        .map(|t| {
            let m = metadata(t);
            (
                m["move_ingest"]["device_label"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                m["move_ingest"]["stem"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts that every recording with a file gone has its take: the disk is read first, the
/// takes after (takes are never deleted, so a take missing now was missing then).
async fn none_gone_early(sb: &Sandbox, files: &BTreeMap<(String, String), Vec<PathBuf>>) {
    let gone: Vec<&(String, String)> = files
        .iter()
        .filter(|(_, paths)| paths.iter().any(|p| !p.exists()))
        .map(|(k, _)| k)
        .collect();
    if gone.is_empty() {
        return;
    }
    let takes: BTreeSet<(String, String)> = taken(sb).await.into_iter().collect();
    for k in gone {
        assert!(
            takes.contains(k),
            "a file of {k:?} is gone but its take does not exist"
        );
    }
}

fn config(cap: &Capture, after_take: &str) {
    cap.write_config(&format!("[after_take]\n{after_take}\n"));
}

#[tokio::test]
async fn delete_removes_only_files_whose_take_exists_and_keeps_failed_and_waiting_ones() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    config(&cap, "action = \"delete\"");
    let a = cap.write("cam-a", "a.mp4", &bytes(1, 10_000));
    let a_move = cap.write("cam-a", "a.move", &bytes(2, 1_000));
    let b = cap.write("cam-a/2026-12-01", "b.mp4", &bytes(3, 10_000));
    let failed = cap.write("cam-b", "empty.mp4", b"");
    let waiting = cap.write("cam-c", "lonely.move", &bytes(4, 1_000));
    let out = cap.backfill(1);
    let mut takes = taken(&sb).await;
    takes.sort();
    assert_eq!(
        takes,
        [("cam-a".into(), "a".into()), ("cam-a".into(), "b".into())],
        "{}",
        show(&out)
    );
    for gone in [&a, &a_move, &b] {
        assert!(
            !gone.exists(),
            "{} is still there\n{}",
            gone.display(),
            show(&out)
        );
    }
    // The state holds the plan, recorded before the files went, then the end of the step.
    let steps = cap.steps("cam-a", "a");
    let at = |name: &str| steps.iter().position(|s| s == name);
    let (take, plan, done) = (
        at("take_created"),
        at("after_take_planned"),
        at("after_take_done"),
    );
    assert!(take < plan && plan < done && take.is_some(), "{steps:?}");
    assert!(
        !cap.steps("cam-b", "empty")
            .iter()
            .any(|s| s.starts_with("after_take"))
    );
    assert!(failed.exists(), "a failed recording is never touched");
    assert!(
        waiting.exists(),
        "a .move waiting for its video is never touched"
    );
    // A second run acts on nothing more and sends nothing (the failure was reported before).
    let out = cap.backfill(0);
    assert_eq!(sb.takes().await.len(), 2, "{}", show(&out));
    assert!(failed.exists() && waiting.exists());
}

/// A folder on another filesystem than the temp dir, when there is one (/dev/shm is tmpfs).
fn other_filesystem(than: &Path) -> Option<tempfile::TempDir> {
    use std::os::unix::fs::MetadataExt;
    let shm = Path::new("/dev/shm");
    let dev = |p: &Path| std::fs::metadata(p).ok().map(|m| m.dev());
    (dev(shm).is_some() && dev(shm) != dev(than))
        .then(|| tempfile::tempdir_in(shm).ok())
        .flatten()
}

#[tokio::test]
async fn move_keeps_the_folders_never_overwrites_and_crosses_filesystems() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let other = other_filesystem(cap.root.path());
    let archive: PathBuf = match &other {
        Some(dir) => dir.path().join("archive"),
        None => {
            eprintln!(
                "SKIPPED the cross-filesystem half: no /dev/shm on another filesystem; moving within one"
            );
            cap.root.path().join("archive")
        }
    };
    std::fs::create_dir_all(archive.join("cam-a")).unwrap();
    // A name already taken in the archive: the pair gets one suffix, nothing is overwritten.
    std::fs::write(archive.join("cam-a/a.mp4"), b"older").unwrap();
    config(
        &cap,
        &format!("action = \"move\"\nmove_to = \"{}\"", archive.display()),
    );
    let check = cap.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", show(&check));
    let video = bytes(1, 30_000);
    let sidecar = bytes(2, 1_000);
    let a = cap.write("cam-a", "a.mp4", &video);
    let a_move = cap.write("cam-a", "a.move", &sidecar);
    let b = cap.write("cam-a/2026-12-01/day two", "b.mp4", &bytes(3, 10_000));
    let out = cap.backfill(0);
    assert_eq!(sb.takes().await.len(), 2, "{}", show(&out));
    assert!(
        !a.exists() && !a_move.exists() && !b.exists(),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read(archive.join("cam-a/a.mp4")).unwrap(),
        b"older"
    );
    assert_eq!(std::fs::read(archive.join("cam-a/a.1.mp4")).unwrap(), video);
    assert_eq!(
        std::fs::read(archive.join("cam-a/a.1.move")).unwrap(),
        sidecar
    );
    assert_eq!(
        std::fs::read(archive.join("cam-a/2026-12-01/day two/b.mp4")).unwrap(),
        bytes(3, 10_000)
    );
    let leftovers: Vec<_> = std::fs::read_dir(archive.join("cam-a"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("move-ingest-part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn move_needs_move_to_and_check_wants_it_to_exist() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    config(&cap, "action = \"move\"");
    let out = cap.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("move_to"),
        "{}",
        show(&out)
    );
    let missing = cap.root.path().join("no-such-archive");
    config(
        &cap,
        &format!("action = \"move\"\nmove_to = \"{}\"", missing.display()),
    );
    let out = cap.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must exist and be writable"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn a_crash_loop_with_delete_ends_with_one_take_each_every_file_gone_and_none_gone_early() {
    let sb = Sandbox::start_with(&["--latency-ms", "30"]);
    let cap = Capture::new(&sb);
    config(
        &cap,
        "action = \"delete\"\n[retry]\nmax_attempts = 40\nbase_ms = 20\ncap_secs = 1",
    );
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replacen("[retry]\nbase_ms = 50\ncap_secs = 2\n", "", 1),
    )
    .unwrap();
    let mut files: BTreeMap<(String, String), Vec<PathBuf>> = BTreeMap::new();
    for i in 0..30 {
        let dev = format!("cam-{}", i % 3);
        let stem = format!("take{i:02}");
        let mut paths =
            vec![cap.write(&dev, &format!("{stem}.mp4"), &bytes(i, 8_000 + i as usize))];
        if i % 2 == 0 {
            paths.push(cap.write(&dev, &format!("{stem}.move"), &bytes(100 + i, 500)));
        }
        files.insert((dev, stem), paths);
    }
    let mut rng = fastrand::Rng::with_seed(20261203);
    let (mut killed, mut checks) = (0, 0);
    for _ in 0..8 {
        let mut child = cap
            .cmd(&["backfill", "--no-progress"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Watches the disk while it runs: a file seen gone must have its take by then.
        let until = std::time::Instant::now() + Duration::from_millis(rng.u64(30..500));
        while std::time::Instant::now() < until {
            none_gone_early(&sb, &files).await;
            checks += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let out = cap.backfill(0);
    none_gone_early(&sb, &files).await;
    eprintln!(
        "after_take crash loop: {killed} of 8 runs killed mid-way; the disk was checked {checks} times"
    );
    assert!(killed >= 4, "the kills landed mid-run ({killed})");
    let takes = taken(&sb).await;
    let unique: BTreeSet<_> = takes.iter().cloned().collect();
    assert_eq!(takes.len(), unique.len(), "a recording got two takes");
    assert_eq!(unique, files.keys().cloned().collect(), "{}", show(&out));
    for (device, stem) in files.keys() {
        let steps = cap.steps(device, stem);
        let ended = steps.iter().filter(|s| *s == "after_take_done").count();
        assert_eq!(ended, 1, "{device}/{stem}: {steps:?}");
    }
    for paths in files.values() {
        for p in paths {
            assert!(
                !p.exists(),
                "{} is still there\n{}",
                p.display(),
                show(&out)
            );
        }
    }
}
