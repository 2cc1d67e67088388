//! `group = "time"` (issue 25): card dumps, each camera's files named as the camera names
//! them and every mtime the copy's, grouped by when the files say they were recorded
//! (`moov/mvhd`, or a timecode track with `sync = "timecode"`).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use move_ingest::detect::mp4::write::Mp4Spec;

use super::*;
use crate::capture::show;

/// 2026-03-01 10:00:00 UTC: the first calibration.
const T0: i64 = 1_772_359_200_000;
/// How far each camera's clock is off (ms): up to 2 s apart.
const CLOCK: [i64; 3] = [0, 1_500, -500];

/// The rig grouping by time, calibrating from each camera's `calib/` folder.
fn time_rig(cap: &Capture, extra: &str) {
    rig_config(
        cap,
        &format!("group = \"time\"\ncalibration = \"calib/*\"\nhuman_height_m = 1.8\n{extra}"),
    );
}

/// A camera's own name for its `n`th file.
fn native(cam: usize, n: usize) -> String {
    match cam {
        0 => format!("GX01{:04}.MP4", 123 + n),
        1 => format!("C{:04}.MP4", 42 + n),
        _ => format!("A001_C{:03}_0301AB.mov", 3 + n),
    }
}

/// Writes camera `cam`'s file `rel` (below its folder) recorded at `start_ms` (its own clock
/// added) for `secs`; alternately `mvhd` version 0 and 1, `moov` first for the third camera.
fn shoot(cap: &Capture, cam: usize, rel: &str, start_ms: i64, secs: u64) -> PathBuf {
    let mut spec = Mp4Spec::new(
        start_ms + CLOCK[cam],
        secs * 1000,
        start_ms as u64 + cam as u64,
    );
    spec.version = (cam % 2) as u8;
    spec.moov_first = cam == 2;
    let path = cap.watch.join(CAMS[cam]).join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, spec.bytes()).unwrap();
    set_age(&path, Duration::from_secs(3_600));
    path
}

/// Gives every file below `dir` the same mtime (a card copied in one go).
fn same_mtime(dir: &Path, when: SystemTime) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            same_mtime(&path, when);
        } else {
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(when).unwrap();
        }
    }
}

/// The file names of each multicam take, as its `move_ingest` record lists them.
async fn take_files(sb: &Sandbox) -> Vec<BTreeSet<String>> {
    let mut out: Vec<BTreeSet<String>> = multicam_takes(sb)
        .await
        .iter()
        .map(|t| {
            metadata(t)["move_ingest"]["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    format!(
                        "{}/{}",
                        f["device_label"].as_str().unwrap(),
                        f["name"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_dumps_make_one_volume_and_one_take_per_recording_and_fail_only_the_stray() {
    let sb = sandbox(1_000, 0.0);
    let cap = Capture::new(&sb);
    time_rig(&cap, "");
    for cam in 0..3 {
        shoot(&cap, cam, &format!("calib/{}", native(cam, 900)), T0, 20);
    }
    let mut want = Vec::new();
    for n in 0..12 {
        let start = T0 + 600_000 + n as i64 * 120_000;
        // Recording 5: the third camera missed it (and its numbering did not move on).
        let cams: Vec<usize> = if n == 5 { vec![0, 1] } else { vec![0, 1, 2] };
        let mut files = BTreeSet::new();
        for cam in cams {
            let name = native(cam, n);
            shoot(&cap, cam, &name, start, 60);
            files.insert(format!("{}/{name}", CAMS[cam]));
        }
        want.push(files);
    }
    want.sort();
    // A stray clip, long after the rest: nothing overlaps it.
    shoot(&cap, 1, "C0999.MP4", T0 + 7_200_000, 8);
    same_mtime(&cap.watch, SystemTime::now() - Duration::from_secs(3_600));

    let out = cap.backfill(1);
    let said = show(&out);
    assert_eq!(stat(&sb, "volumes_created").await, 1, "{said}");
    let volume = &volumes(&sb).await[0];
    let calib: BTreeSet<String> = metadata(volume)["move_ingest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(calib, (0..3).map(|c| native(c, 900)).collect(), "{said}");
    assert_eq!(
        take_files(&sb).await,
        want,
        "one take per recording, each camera's own file"
    );
    assert_eq!(
        stat(&sb, "takes_created").await,
        12,
        "no single-camera take: {said}"
    );
    for take in multicam_takes(&sb).await {
        let stem = metadata(&take)["move_ingest"]["stem"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            stem.len() == 15 && stem.starts_with("20260301-1") && stem.as_bytes()[8] == b'-',
            "named by its start, YYYYMMDD-HHMMSS UTC: {stem}"
        );
        assert_eq!(take["name"], format!("stage-a {stem}"));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("failed") && stdout.contains("cam-2/C0999.MP4") && stdout.contains("stray"),
        "the stray, named, and why: {said}"
    );
    let rigs = rig_status(&cap);
    let failed: Vec<&Value> = rigs.values().filter(|r| r["state"] == "failed").collect();
    assert_eq!(failed.len(), 1, "only the stray failed: {rigs:?}");
    assert_eq!(failed[0]["files"][0]["name"], "C0999.MP4");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("clock_tolerance_secs")
    );
    let two = rigs
        .values()
        .find(|r| r["missing"] == json!(["cam-3"]))
        .unwrap();
    assert_eq!(
        two["state"], "done",
        "the recording one camera missed: {two}"
    );
    let history = cap.run(&["history", two["rig_recording"].as_str().unwrap()]);
    let history = String::from_utf8_lossy(&history.stdout).into_owned();
    assert!(
        history.contains(&format!("cam-1/{}", native(0, 5)))
            && history.contains(&format!("cam-2/{}", native(1, 5))),
        "history lists every camera's own file: {history}"
    );

    // A second backfill sends nothing (the stray stays failed in `status` until `retry`).
    let (files, takes) = (
        stat(&sb, "files_created").await,
        stat(&sb, "takes_created").await,
    );
    let again = cap.backfill(0);
    let again = show(&again);
    assert!(again.contains("nothing new"), "{again}");
    assert_eq!(stat(&sb, "files_created").await, files);
    assert_eq!(stat(&sb, "takes_created").await, takes);
    assert_eq!(stat(&sb, "volumes_created").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_file_fails_named_and_its_recording_is_taken_without_it() {
    let sb = sandbox(200, 0.0);
    let cap = Capture::new(&sb);
    let volume = finished_volume(&sb).await;
    rig_config(&cap, &format!("group = \"time\"\nvolume = \"{volume}\"\n"));
    // Capture software that names every camera's file after the take: the take keeps it.
    for cam in 0..3 {
        shoot(&cap, cam, "act-01.mp4", T0, 30);
    }
    let cut = cap.watch.join("cam-1/act-01.mp4");
    let bytes = std::fs::read(&cut).unwrap();
    // `moov` comes last: a copy that stopped early leaves it cut short.
    std::fs::write(&cut, &bytes[..bytes.len() - 40]).unwrap();
    set_age(&cut, Duration::from_secs(3_600));
    let out = cap.backfill(1);
    let said = show(&out);
    assert_eq!(take_stems(&sb).await, ["act-01"], "{said}");
    assert_eq!(
        take_files(&sb).await,
        [BTreeSet::from([
            "cam-2/act-01.mp4".to_string(),
            "cam-3/act-01.mp4".to_string()
        ])]
    );
    let status = cap.status();
    let text = status.to_string();
    assert!(
        text.contains("cam-1/act-01.mp4") && text.contains("cut short"),
        "the truncated file, named, and why: {text}"
    );
    assert_eq!(
        stat(&sb, "files_created").await,
        3 + 2,
        "the volume's and two cameras'"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timecode_track_groups_cameras_whose_clocks_disagree() {
    let sb = sandbox(200, 0.0);
    let cap = Capture::new(&sb);
    let volume = finished_volume(&sb).await;
    rig_config(&cap, &format!("group = \"time\"\nvolume = \"{volume}\"\n"));
    let tod = (T0 % 86_400_000) as u32;
    for (cam, (mvhd_off, timecode)) in [(0, true), (40_000, true), (0, false)]
        .into_iter()
        .enumerate()
    {
        let mut spec = Mp4Spec::new(T0 + mvhd_off, 20_000, 70 + cam as u64);
        spec.timecode_ms = timecode.then_some(tod);
        cap.write(CAMS[cam], &native(cam, 0), &spec.bytes());
    }
    let out = cap.backfill(0);
    assert_eq!(
        take_files(&sb).await.first().map(BTreeSet::len),
        Some(3),
        "the second camera's clock is 40 s off, its timecode is right: {}",
        show(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_state_dir_adopts_time_grouped_takes_and_sends_nothing_again() {
    let sb = sandbox(200, 0.0);
    let cap = Capture::new(&sb);
    let volume = finished_volume(&sb).await;
    rig_config(&cap, &format!("group = \"time\"\nvolume = \"{volume}\"\n"));
    for n in 0..2 {
        for cam in 0..3 {
            shoot(&cap, cam, &native(cam, n), T0 + n as i64 * 300_000, 30);
        }
    }
    cap.backfill(0);
    let files = stat(&sb, "files_created").await;
    let before = take_files(&sb).await;
    assert_eq!(before.len(), 2);
    std::fs::remove_dir_all(&cap.state).unwrap();
    let out = cap.backfill(0);
    assert_eq!(stat(&sb, "files_created").await, files, "{}", show(&out));
    assert_eq!(take_files(&sb).await, before, "no take made twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_with_two_videos_of_one_recording_gives_the_one_that_overlaps_most() {
    let sb = sandbox(200, 0.0);
    let cap = Capture::new(&sb);
    let volume = finished_volume(&sb).await;
    rig_config(&cap, &format!("group = \"time\"\nvolume = \"{volume}\"\n"));
    for cam in 0..3 {
        let mut spec = Mp4Spec::new(T0 + CLOCK[cam], 60_000, 80 + cam as u64);
        // Bigger than the clip: the clip is likely uploaded (and placed) first, then gives way.
        spec.media_bytes = 3_000_000;
        cap.write(CAMS[cam], &native(cam, 1), &spec.bytes());
    }
    // The second camera stopped and started again: a 10 s clip inside the same recording.
    shoot(&cap, 1, &native(1, 0), T0 + 2_000, 10);
    let out = cap.backfill(1);
    let said = show(&out);
    let want: BTreeSet<String> = (0..3)
        .map(|cam| format!("{}/{}", CAMS[cam], native(cam, 1)))
        .collect();
    assert_eq!(take_files(&sb).await, [want], "{said}");
    assert!(
        said.contains(&format!("cam-2/{}", native(1, 0))),
        "the short clip goes on alone: {said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_groups_card_dumps_as_they_are_copied_and_a_stray_holds_nothing_up() {
    let sb = sandbox(200, 0.0);
    let cap = Capture::new(&sb);
    let volume = finished_volume(&sb).await;
    rig_config(&cap, &format!("group = \"time\"\nvolume = \"{volume}\"\n"));
    let run = Run::start(&cap).await;
    shoot(&cap, 1, "C0999.MP4", T0 - 3_600_000, 8);
    for n in 0..2 {
        for cam in 0..3 {
            shoot(&cap, cam, &native(cam, n), T0 + n as i64 * 300_000, 30);
        }
    }
    run.until("both takes", || async {
        (take_files(&sb).await.len() == 2).then_some(())
    })
    .await;
    run.until("the stray to fail", || async {
        let rigs = rig_status(&cap);
        rigs.values()
            .find(|r| r["state"] == "failed")
            .map(|r| r["error"].as_str().unwrap_or("").to_string())
    })
    .await
    .contains("cam-2/C0999.MP4")
    .then_some(())
    .expect("the stray is named");
    assert_eq!(
        take_files(&sb)
            .await
            .iter()
            .map(BTreeSet::len)
            .collect::<Vec<_>>(),
        [3, 3]
    );
}
