//! A rig in `run`: calibration, volume, takes and jobs; a missing camera; one camera alone
//! then `retry`; a recording while the volume runs; `group = "folder"`; a FAILED volume.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rig_calibrates_once_then_makes_one_multicam_take_per_recording() {
    let sb = sandbox(1_500, 0.0);
    let cap = Capture::new(&sb);
    let out = cap.root.path().join("animations");
    rig_config(
        &cap,
        &format!(
            "{CALIBRATE}[multicam.job]\noutputs = [\"MAIN_FBX\"]\nactors = 2\nrig = \"move_mo\"\n\
             download_to = \"{}\"\n\n[job]\noutputs = [\"MAIN_FBX\"]\npoll_secs = 0.1\npoll_cap_secs = 0.4\n",
            out.display()
        ),
    );
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    // A `.move` beside a rig video is not a source; a single camera beside the rig works as today.
    cap.write("cam-1", "act-01.move", b"sidecar");
    cap.write("solo", "alone.mp4", &bytes(99, 3_000));
    let run = Run::start(&cap).await;
    // The single camera is never held up by the rig.
    run.until("the single camera's take", || async {
        let takes = sb.takes().await;
        takes
            .iter()
            .any(|t| t["takeType"] == "SINGLE_CAM")
            .then_some(())
    })
    .await;
    run.until("the multicam take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    // A recording made after the volume finished gets its take at once.
    record(&cap, &CAMS, "act-02", Duration::from_secs(1_000));
    run.until("the second multicam take", || async {
        (take_stems(&sb).await == ["act-01", "act-02"]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let vols = volumes(&sb).await;
    assert_eq!(vols.len(), 1, "exactly one volume: {vols:?}");
    assert_eq!(vols[0]["state"], "FINISHED");
    assert_eq!(stat(&sb, "volumes_created").await, 1);
    assert_eq!(
        stat(&sb, "takes_created").await,
        3,
        "two multicam, one single"
    );
    let takes = multicam_takes(&sb).await;
    for t in &takes {
        let meta = metadata(t);
        assert_eq!(meta["site"], "studio-a", "[take.metadata] is sent");
        assert_eq!(meta["move_ingest"]["rig"], "stage-a");
        assert_eq!(meta["move_ingest"]["volume_id"], vols[0]["id"]);
        let files = meta["move_ingest"]["files"].as_array().unwrap();
        assert_eq!(files.len(), 3, "{meta}");
        assert!(
            files
                .iter()
                .all(|f| f["sha256"].as_str().unwrap().len() == 64)
        );
        let stem = meta["move_ingest"]["stem"].as_str().unwrap();
        assert_eq!(t["name"], format!("stage-a {stem}"));
        let sources = t["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 3, "one video per camera, no .move: {t}");
        assert!(sources.iter().all(|s| s["format"] == "MP4"));
    }
    // Each camera's video was uploaded once (9), the single camera's once, no .move.
    assert_eq!(stat(&sb, "files_created").await, 10);
    assert!(run.log().contains("is not a source of a multicam take"));
    let history = cap.run(&["history", "stage-a/act-01"]);
    let text = String::from_utf8_lossy(&history.stdout);
    assert!(text.contains("multicam take created"), "{text}");
    // One multicam job per multicam take (and the single camera's own job), outputs downloaded
    // to <download_to>/<rig>/<stem>/.
    run.until("the multicam jobs' outputs", || async {
        let a = out.join("stage-a/act-01/MAIN_FBX.fbx").exists();
        let b = out.join("stage-a/act-02/MAIN_FBX.fbx").exists();
        (a && b).then_some(())
    })
    .await;
    let jobs = all_jobs(&sb).await;
    let multicam: Vec<&Value> = jobs
        .iter()
        .filter(|j| j["take"]["takeType"] == "MULTI_CAM")
        .collect();
    assert_eq!(multicam.len(), 2, "one job per multicam take: {jobs:?}");
    for j in &multicam {
        assert_eq!(j["rig"]["name"], "move_mo", "{j}");
        assert_eq!(j["inputs"]["numberOfActors"], 2, "{j}");
    }
    let mut job_takes: Vec<&str> = multicam
        .iter()
        .map(|j| j["take"]["id"].as_str().unwrap())
        .collect();
    job_takes.sort();
    job_takes.dedup();
    assert_eq!(job_takes.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_that_never_records_gives_a_two_camera_take_after_wait_secs() {
    let sb = sandbox(0, 0.0);
    let volume = finished_volume(&sb).await;
    let cap = Capture::new(&sb);
    rig_config(&cap, &format!("volume = \"{volume}\"\n"));
    record(
        &cap,
        &["cam-1", "cam-2"],
        "act-01",
        Duration::from_secs(1_000),
    );
    let run = Run::start(&cap).await;
    run.until("the two-camera take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    let takes = multicam_takes(&sb).await;
    let meta = metadata(&takes[0]);
    assert_eq!(meta["move_ingest"]["missing"], json!(["cam-3"]), "{meta}");
    assert_eq!(
        meta["move_ingest"]["volume_id"],
        volume.as_str(),
        "the pinned volume"
    );
    assert_eq!(takes[0]["sources"].as_array().unwrap().len(), 2);
    rig_done(&run, &cap, "stage-a/act-01").await;
    let rigs = rig_status(&cap);
    let r = &rigs["stage-a/act-01"];
    assert_eq!(r["state"], "done", "{r}");
    assert_eq!(r["missing"], json!(["cam-3"]));
    assert!(
        run.log()
            .contains("made without the cameras that never recorded")
    );
    assert_eq!(stat(&sb, "volumes_created").await, 1, "only the pinned one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_camera_alone_fails_with_what_to_do_and_retry_looks_again() {
    let sb = sandbox(0, 0.0);
    let volume = finished_volume(&sb).await;
    let cap = Capture::new(&sb);
    rig_config(&cap, &format!("volume = \"{volume}\"\n"));
    record(&cap, &["cam-2"], "act-01", Duration::from_secs(1_000));
    let run = Run::start(&cap).await;
    let r = run
        .until("the rig recording to fail", || async {
            let rigs = rig_status(&cap);
            rigs.get("stage-a/act-01")
                .filter(|r| r["state"] == "failed")
                .cloned()
        })
        .await;
    let reason = r["error"].as_str().unwrap();
    assert!(
        reason.contains("missing: cam-1, cam-3") && reason.contains("retry"),
        "{reason}"
    );
    assert!(multicam_takes(&sb).await.is_empty());
    drop(run);
    // The other cameras' videos turn up; `retry` puts the rig recording back.
    record(
        &cap,
        &["cam-1", "cam-3"],
        "act-01",
        Duration::from_secs(1_000),
    );
    let out = cap.run(&["retry", "stage-a/act-01"]);
    assert!(out.status.success(), "{}", crate::capture::show(&out));
    let run = Run::start(&cap).await;
    run.until("the take after retry", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_made_while_the_volume_runs_waits_then_gets_its_take() {
    let sb = sandbox(4_000, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let run = Run::start(&cap).await;
    run.until("the recording to wait for its volume", || async {
        let rigs = rig_status(&cap);
        let waiting = rigs
            .get("stage-a/act-01")
            .is_some_and(|r| r["state"] == "waiting_for_volume");
        let calibrating = rigs
            .get("stage-a/calib-01")
            .is_some_and(|r| r["state"] == "calibrating");
        (waiting && calibrating).then_some(())
    })
    .await;
    assert!(
        multicam_takes(&sb).await.is_empty(),
        "no take before the volume finished"
    );
    run.until("the take once the volume finished", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    rig_done(&run, &cap, "stage-a/act-01").await;
    let rigs = rig_status(&cap);
    assert_eq!(rigs["stage-a/calib-01"]["state"], "calibrated");
    assert_eq!(rigs["stage-a/calib-01"]["volume"]["state"], "FINISHED");
    let text = String::from_utf8_lossy(&cap.run(&["status"]).stdout).into_owned();
    assert!(text.contains("stage-a/act-01  done"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_folder_finds_a_recording_as_one_folder_of_videos_named_by_camera() {
    let sb = sandbox(500, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, &format!("group = \"folder\"\n{CALIBRATE}"));
    for (stem, age) in [("calib-01", 3_000), ("act-01", 2_000)] {
        for (i, cam) in CAMS.iter().enumerate() {
            let p = cap.write(
                &format!("day1/{stem}"),
                &format!("{cam}.mp4"),
                &bytes(700 + i as u64 + age, 3_000 + i),
            );
            set_age(&p, Duration::from_secs(age));
        }
    }
    let run = Run::start(&cap).await;
    run.until("the multicam take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    assert_eq!(volumes(&sb).await.len(), 1);
    rig_done(&run, &cap, "stage-a/day1/act-01").await;
    let rigs = rig_status(&cap);
    assert_eq!(rigs["stage-a/day1/act-01"]["state"], "done", "{rigs:?}");
    let takes = multicam_takes(&sb).await;
    let mut labels: Vec<&str> = takes[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["deviceLabel"].as_str().unwrap())
        .collect();
    labels.sort();
    assert_eq!(labels, CAMS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_volume_is_shown_and_its_recordings_keep_waiting() {
    let sb = sandbox(300, 1.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let run = Run::start(&cap).await;
    let r = run
        .until("the calibration to fail", || async {
            rig_status(&cap)
                .get("stage-a/calib-01")
                .filter(|r| r["state"] == "failed")
                .cloned()
        })
        .await;
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("record a new calibration"),
        "{r}"
    );
    assert_eq!(r["volume"]["state"], "FAILED");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rig_status(&cap)["stage-a/act-01"]["state"],
        "waiting_for_volume"
    );
    assert!(multicam_takes(&sb).await.is_empty());
    assert_eq!(
        stat(&sb, "volumes_created").await,
        1,
        "a FAILED volume is not asked for again by itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_take_acts_on_every_camera_file_once_the_multicam_take_is_safe() {
    let sb = sandbox(0, 0.0);
    let volume = finished_volume(&sb).await;
    let cap = Capture::new(&sb);
    rig_config(
        &cap,
        &format!("volume = \"{volume}\"\n\n[after_take]\naction = \"delete\"\n"),
    );
    let files = record(&cap, &CAMS, "act-01", Duration::from_secs(1_000));
    let run = Run::start(&cap).await;
    rig_done(&run, &cap, "stage-a/act-01").await;
    run.until("every camera's video deleted", || async {
        files.iter().all(|f| !f.exists()).then_some(())
    })
    .await;
    assert_eq!(take_stems(&sb).await, ["act-01"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_take_acts_on_a_calibration_once_its_volume_is_finished() {
    let sb = sandbox(1_000, 0.0);
    let cap = Capture::new(&sb);
    rig_config(
        &cap,
        &format!("{CALIBRATE}\n[after_take]\naction = \"delete\"\n"),
    );
    let calib = record(&cap, &CAMS, "calib-01", Duration::from_secs(1_000));
    let run = Run::start(&cap).await;
    run.until("the calibration's videos deleted", || async {
        calib.iter().all(|f| !f.exists()).then_some(())
    })
    .await;
    let rigs = rig_status(&cap);
    assert_eq!(
        rigs["stage-a/calib-01"]["volume"]["state"], "FINISHED",
        "deleted only once FINISHED"
    );
}
