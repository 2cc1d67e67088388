//! `move-ingest backfill` against the sandbox: every complete recording becomes exactly one take.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::capture::{Capture, bytes, metadata, show};
use crate::util::Sandbox;

/// Takes by device label.
fn by_device(takes: &[Value]) -> BTreeMap<String, Value> {
    takes
        .iter()
        .map(|t| {
            (
                t["sources"][0]["deviceLabel"].as_str().unwrap().to_string(),
                t.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn four_recordings_give_four_takes_with_the_right_sources_and_bytes() {
    let sb = Sandbox::start();
    let cap = Capture::with_config(
        &sb,
        "[take]\nname = \"{device_label} {stem}\"\n[take.metadata]\nsite = \"studio-a\"\nhost = \"{hostname}\"\nclip = \"{file_name}\"\n",
    );
    let mut files = BTreeMap::new();
    for (i, dev) in ["cam-a", "cam-b", "cam-c"].iter().enumerate() {
        let video = bytes(i as u64, 300_000 + i * 1000);
        let sidecar = bytes(100 + i as u64, 5_000);
        cap.write(dev, "take01.mp4", &video);
        cap.write(dev, "take01.move", &sidecar);
        files.insert(dev.to_string(), (video, Some(sidecar)));
    }
    let video = bytes(9, 250_000);
    cap.write("phone-d", "clip.MP4", &video);
    files.insert("phone-d".to_string(), (video, None));

    let out = cap.backfill(0);
    let takes = sb.takes().await;
    assert_eq!(takes.len(), 4, "{}", show(&out));
    let takes = by_device(&takes);
    assert_eq!(
        takes.keys().cloned().collect::<Vec<_>>(),
        files.keys().cloned().collect::<Vec<_>>()
    );
    for (dev, (video, sidecar)) in &files {
        let take = &takes[dev];
        let sources = take["sources"].as_array().unwrap();
        assert_eq!(
            sources.len(),
            if sidecar.is_some() { 2 } else { 1 },
            "{take}"
        );
        assert!(sources.iter().all(|s| s["deviceLabel"] == dev.as_str()));
        assert_eq!(sources[0]["format"], "MP4");
        assert_eq!(
            sb.blob(sources[0]["file"]["id"].as_str().unwrap()),
            *video,
            "video bytes of {dev}"
        );
        if let Some(sidecar) = sidecar {
            assert_eq!(sources[1]["format"], "MOVE");
            assert_eq!(
                sb.blob(sources[1]["file"]["id"].as_str().unwrap()),
                *sidecar,
                "sidecar bytes of {dev}"
            );
        }
        let meta = metadata(take);
        assert_eq!(meta["site"], "studio-a");
        assert_eq!(
            meta["host"],
            gethostname::gethostname().to_string_lossy().as_ref()
        );
        assert!(
            meta["clip"]
                .as_str()
                .unwrap()
                .starts_with(if dev == "phone-d" { "clip" } else { "take01" })
        );
        assert!(
            meta["move_ingest"]["recording_id"]
                .as_str()
                .unwrap()
                .starts_with("rec-")
        );
        assert_eq!(meta["move_ingest"]["device_label"], dev.as_str());
        let files = meta["move_ingest"]["files"].as_array().unwrap();
        assert_eq!(files[0]["size"], video.len());
        assert_eq!(files[0]["sha256"].as_str().unwrap().len(), 64);
        let stem = if dev == "phone-d" { "clip" } else { "take01" };
        assert_eq!(take["name"], format!("{dev} {stem}"));
    }
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 4, "{status}");
}

#[tokio::test]
async fn a_second_backfill_creates_nothing_and_uploads_nothing() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "a.mp4", &bytes(1, 10_000));
    cap.write("cam-a", "a.move", &bytes(2, 1_000));
    cap.write("cam-b", "b.mov", &bytes(3, 10_000));
    cap.backfill(0);
    let before = sb.stats().await;
    assert_eq!(before["takes_created"], 2, "{before}");
    let out = cap.backfill(0);
    let after = sb.stats().await;
    assert_eq!(after["takes_created"], 2, "{}", show(&out));
    assert_eq!(after["files_created"], before["files_created"]);
    assert_eq!(after["uploads_completed"], before["uploads_completed"]);
    assert_eq!(sb.takes().await.len(), 2);
}

#[tokio::test]
async fn a_file_still_being_written_is_not_uploaded() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write_fresh("cam-a", "new.mp4", &bytes(1, 10_000));
    cap.write("cam-b", "old.mp4", &bytes(2, 10_000));
    let out = cap.backfill(0);
    let takes = sb.takes().await;
    assert_eq!(takes.len(), 1, "{}", show(&out));
    assert_eq!(takes[0]["sources"][0]["deviceLabel"], "cam-b");
    assert_eq!(sb.stats().await["files_created"], 1);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 not yet complete"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn a_move_alone_creates_no_take_and_waits() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "lonely.move", &bytes(1, 1_000));
    cap.backfill(0);
    assert_eq!(sb.stats().await["files_created"], 0);
    assert!(sb.takes().await.is_empty());
    let status = cap.status();
    assert_eq!(status["counts"]["waiting"], 1, "{status}");
    assert_eq!(status["latest"][0]["stem"], "lonely");

    // Its video arrives: one take with both files.
    cap.write("cam-a", "lonely.mp4", &bytes(2, 5_000));
    cap.backfill(0);
    let takes = sb.takes().await;
    assert_eq!(takes.len(), 1);
    assert_eq!(takes[0]["sources"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_wrong_key_exits_3_and_never_shows_the_key() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "a.mp4", &bytes(1, 1_000));
    let secret = "wrong-key-5f2c9a7e1b";
    let out = cap
        .cmd(&["backfill", "--no-progress"])
        .env("MOVE_API_KEY", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    let all = show(&out);
    assert!(!all.contains(secret), "the key leaked:\n{all}");
    assert!(all.contains("rejected"), "{all}");
    assert!(
        all.contains("$MOVE_API_KEY"),
        "says where the key came from:\n{all}"
    );
    let state = cap.state_bytes();
    assert!(!state.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let out = cap
        .cmd(&["check"])
        .env("MOVE_API_KEY", secret)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(!show(&out).contains(secret));
}

#[tokio::test]
async fn a_bad_config_exits_2_naming_the_key_and_line() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write_config("\n[upload]\nconcurency = 3\n");
    let out = cap.run(&["backfill"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("concurency"), "{err}");
    let line = std::fs::read_to_string(&cap.config)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("concurency"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("line {line}")),
        "names line {line}: {err}"
    );
    assert!(err.contains(&cap.config.display().to_string()), "{err}");

    cap.write_config("\n[service]\nshutdown_grace_secs = -1\n");
    let out = cap.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shutdown_grace_secs"),
        "{}",
        show(&out)
    );
}

#[tokio::test]
async fn an_empty_file_fails_its_recording_and_the_run_goes_on() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "empty.mp4", b"");
    cap.write("cam-b", "good.mp4", &bytes(1, 10_000));
    let out = cap.backfill(1);
    assert_eq!(sb.takes().await.len(), 1, "{}", show(&out));
    let status = cap.status();
    assert_eq!(status["counts"]["failed"], 1, "{status}");
    let failed = status["latest"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "failed")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("empty"),
        "{failed}"
    );
}

#[tokio::test]
async fn a_touched_file_is_not_sent_again_but_new_bytes_make_a_new_take() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let path = cap.write("cam-a", "a.mp4", &bytes(1, 10_000));
    cap.backfill(0);
    crate::capture::set_age(&path, std::time::Duration::from_secs(1800));
    cap.backfill(0);
    assert_eq!(
        sb.stats().await["files_created"],
        1,
        "a touch re-sent nothing"
    );
    std::fs::write(&path, bytes(2, 12_000)).unwrap();
    crate::capture::set_age(&path, std::time::Duration::from_secs(600));
    cap.backfill(0);
    let takes = sb.takes().await;
    assert_eq!(takes.len(), 2);
    let newest = &takes[0];
    assert_eq!(
        sb.blob(newest["sources"][0]["file"]["id"].as_str().unwrap()),
        bytes(2, 12_000)
    );
}

#[tokio::test]
async fn partial_and_hidden_files_are_never_uploaded() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    for name in [
        "a.mp4.part",
        ".b.mp4",
        "c.mp4.tmp",
        "d.mp4.crdownload",
        "e.mp4~",
        "notes.txt",
    ] {
        cap.write("cam-a", name, &bytes(1, 1_000));
    }
    cap.backfill(0);
    assert_eq!(sb.stats().await["files_created"], 0);
}

#[tokio::test]
async fn check_reports_what_it_found() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let out = cap.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("$MOVE_API_KEY") && text.contains("writable") && text.contains("answers"),
        "{text}"
    );
}
