//! Capture trees as cameras and apps write them: date folders below the device folder, names
//! with spaces, one stem in two folders, symbolic links, and clocks that are ahead.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::capture::{Capture, bytes, metadata, set_age, show};
use crate::util::Sandbox;

/// Writes an old (complete) file at `<watch>/<rel>`.
fn write_at(cap: &Capture, rel: &str, data: &[u8]) {
    let path = cap.watch.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, data).unwrap();
    set_age(&path, Duration::from_secs(3600));
}

#[tokio::test]
async fn a_nested_tree_gives_one_take_per_recording_labelled_by_the_first_folder() {
    let sb = Sandbox::start();
    let cap = Capture::with_config(
        &sb,
        "[take]\nname = \"{device_label} {subdir} {stem}\"\n[take.metadata]\nfolder = \"{subdir}\"\n",
    );
    let files = [
        ("cam-a/2026-12-01/clip-1.mp4", 1),
        ("cam-a/2026-12-01/clip-1.move", 2),
        ("cam-a/2026-12-02/clip-1.mp4", 3),
        ("cam-a/2026-12-02/day two/clip-2.mp4", 4),
        ("cam-b/top.mp4", 5),
    ];
    for (rel, seed) in files {
        write_at(&cap, rel, &bytes(seed, 20_000 + seed as usize));
    }
    // Deeper than max_depth = 2: not ours.
    write_at(&cap, "cam-b/1/2/3/too-deep.mp4", &bytes(9, 1_000));
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let text = text.replace(
        "device_label = \"from-dir\"\n",
        "device_label = \"from-dir\"\nmax_depth = 2\n",
    );
    std::fs::write(&cap.config, text).unwrap();

    let out = cap.backfill(0);
    let takes = sb.takes().await;
    let by_name: BTreeMap<String, &serde_json::Value> = takes
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t))
        .collect();
    assert_eq!(
        by_name.keys().cloned().collect::<Vec<_>>(),
        [
            "cam-a 2026-12-01 clip-1",
            "cam-a 2026-12-02 clip-1",
            "cam-a 2026-12-02/day two clip-2",
            "cam-b  top",
        ],
        "{}",
        show(&out)
    );
    let first = by_name["cam-a 2026-12-01 clip-1"];
    let sources = first["sources"].as_array().unwrap();
    assert_eq!(
        sources.len(),
        2,
        "the .move in the same folder joins: {first}"
    );
    assert!(sources.iter().all(|s| s["deviceLabel"] == "cam-a"));
    assert_eq!(
        sb.blob(sources[0]["file"]["id"].as_str().unwrap()),
        bytes(1, 20_001)
    );
    let second = by_name["cam-a 2026-12-02 clip-1"];
    assert_eq!(
        second["sources"].as_array().unwrap().len(),
        1,
        "same stem, other folder: its own take without the other's .move"
    );
    assert_eq!(
        sb.blob(second["sources"][0]["file"]["id"].as_str().unwrap()),
        bytes(3, 20_003)
    );
    let spaced = by_name["cam-a 2026-12-02/day two clip-2"];
    assert_eq!(spaced["sources"][0]["deviceLabel"], "cam-a");
    assert_eq!(metadata(spaced)["folder"], "2026-12-02/day two");
    assert_eq!(by_name["cam-b  top"]["sources"][0]["deviceLabel"], "cam-b");
    assert_eq!(cap.status()["counts"]["done"], 4);
}

/// Dates a file `ahead` in the future, as a camera whose clock is ahead does.
fn set_future(path: &Path, ahead: Duration) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + ahead).unwrap();
}

#[tokio::test]
async fn a_file_dated_two_hours_ahead_gets_its_take_in_one_backfill() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let ahead = cap.write_fresh("cam-b", "ahead.mp4", &bytes(1, 10_000));
    set_future(&ahead, Duration::from_secs(2 * 3600));
    let old = cap.write("cam-c", "old.mp4", &bytes(2, 10_000));
    set_age(&old, Duration::from_secs(5 * 365 * 24 * 3600));
    let out = cap.backfill(0);
    let takes = sb.takes().await;
    let mut devices: Vec<&str> = takes
        .iter()
        .map(|t| t["sources"][0]["deviceLabel"].as_str().unwrap())
        .collect();
    devices.sort();
    assert_eq!(devices, ["cam-b", "cam-c"], "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 not yet complete"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn a_symlink_to_a_file_outside_is_not_uploaded_and_is_named() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let outside = cap.root.path().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.mp4"), bytes(1, 10_000)).unwrap();
    set_age(&outside.join("secret.mp4"), Duration::from_secs(3600));
    cap.write("cam-a", "real.mp4", &bytes(2, 10_000));
    let link = cap.watch.join("cam-a/linked.mp4");
    std::os::unix::fs::symlink(outside.join("secret.mp4"), &link).unwrap();
    let folder_link = cap.watch.join("cam-a/linked-folder");
    std::os::unix::fs::symlink(&outside, &folder_link).unwrap();

    let out = cap.backfill(0);
    let takes = sb.takes().await;
    assert_eq!(takes.len(), 1, "{}", show(&out));
    assert_eq!(sb.stats().await["files_created"], 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for l in [&link, &folder_link] {
        let name = l.display().to_string();
        assert!(stdout.contains(&name), "{}", show(&out));
        assert_eq!(
            stderr.matches(&name).count(),
            1,
            "one log line per link\n{}",
            show(&out)
        );
    }
    let status = cap.status();
    assert_eq!(
        status["skipped_symlinks"],
        serde_json::json!([folder_link, link]),
        "{status}"
    );
    let text = cap.run(&["status"]);
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains(&format!("{} is a symbolic link", link.display())),
        "{}",
        show(&text)
    );

    // Followed on request: the file behind the link becomes a take.
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let text = text.replace(
        "device_label = \"from-dir\"\n",
        "device_label = \"from-dir\"\nfollow_symlinks = true\n",
    );
    std::fs::write(&cap.config, text).unwrap();
    let out = cap.backfill(0);
    let takes = sb.takes().await;
    // linked.mp4 and linked-folder/secret.mp4: the same bytes through two paths are two recordings.
    assert_eq!(takes.len(), 3, "{}", show(&out));
    assert_eq!(cap.status()["skipped_symlinks"], serde_json::json!([]));
}

#[tokio::test]
async fn a_watch_path_short_of_free_space_is_a_warning_in_the_log_and_status() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "a.mp4", &bytes(1, 1_000));
    // No filesystem with data on it has 100% free: the warning must show.
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let text = text.replace(
        "device_label = \"from-dir\"\n",
        "device_label = \"from-dir\"\nmin_free_percent = 100\n",
    );
    std::fs::write(&cap.config, text).unwrap();
    let out = cap.backfill(0);
    let warning = "less than watch.min_free_percent = 100";
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(warning),
        "{}",
        show(&out)
    );
    let status = cap.status();
    let low = status["low_space"].as_array().unwrap();
    assert_eq!(low.len(), 1, "{status}");
    assert!(
        low[0]
            .as_str()
            .unwrap()
            .contains(&cap.watch.display().to_string())
    );
    let text = cap.run(&["status"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains(warning),
        "{}",
        show(&text)
    );
}
