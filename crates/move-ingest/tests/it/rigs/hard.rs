//! A rig through a crash loop with dropped answers, an emptied state dir, `backfill`, and
//! the operator's views (`/metrics`, `/api/status`, the page).

use std::time::{Duration, Instant};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_with_dropped_answers_makes_one_volume_and_one_take_per_recording() {
    let sb = sandbox_with(
        300,
        0.0,
        &[
            "--latency-ms",
            "30",
            "--fault-seed",
            "11",
            "--fault-drop",
            "0.3",
        ],
    );
    let cap = Capture::new(&sb);
    rig_config(
        &cap,
        &format!("{CALIBRATE}[multicam.job]\noutputs = [\"MAIN_FBX\"]\nrig = \"move_mo\"\n"),
    );
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    record(&cap, &CAMS, "act-02", Duration::from_secs(1_000));
    let mut rng = fastrand::Rng::with_seed(22);
    for _ in 0..8 {
        let mut child = cap
            .cmd(&["run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(300..2_500)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let run = Run::start(&cap).await;
    run.until("every take", || async {
        (take_stems(&sb).await == ["act-01", "act-02"]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    sb.set_faults(json!({})).await;
    assert_eq!(volumes(&sb).await.len(), 1, "exactly one volume");
    assert_eq!(
        take_stems(&sb).await,
        ["act-01", "act-02"],
        "one take per recording"
    );
    assert_eq!(
        sb.takes().await.len(),
        2,
        "no single-camera take for a rig camera"
    );
    run.until("one job per take", || async {
        (all_jobs(&sb).await.len() == 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let jobs = all_jobs(&sb).await;
    let mut takes: Vec<&str> = jobs
        .iter()
        .map(|j| j["take"]["id"].as_str().unwrap())
        .collect();
    takes.sort();
    takes.dedup();
    assert_eq!(
        (jobs.len(), takes.len()),
        (2, 2),
        "exactly one job per take: {jobs:?}"
    );
    let stats = sb.stats().await;
    assert!(stats["faults_injected"].as_u64().unwrap() > 0, "{stats}");
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_waits_for_the_volume_it_created_then_makes_the_takes_and_exits() {
    let sb = sandbox(1_500, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    cap.write("solo", "alone.mp4", &bytes(99, 3_000));
    let dry = cap.run(&["backfill", "--dry-run"]);
    let text = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        text.contains("camera cam-2 of rig recording stage-a/act-01 (its multicam take")
            && text.contains("of rig recording stage-a/calib-01 (its calibration's volume"),
        "{text}"
    );
    assert_eq!(
        stat(&sb, "files_created").await,
        0,
        "a dry run sends nothing"
    );
    let out = cap.backfill(0);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(take_stems(&sb).await, ["act-01"], "{log}");
    assert_eq!(stat(&sb, "volumes_created").await, 1);
    assert_eq!(
        stat(&sb, "takes_created").await,
        2,
        "the multicam take and the single camera's"
    );
    assert!(
        log.contains("RUNNING") || log.contains("FINISHED"),
        "the volume's progress: {log}"
    );
    // Nothing more on a second pass.
    cap.backfill(0);
    assert_eq!(stat(&sb, "volumes_created").await, 1);
    assert_eq!(stat(&sb, "takes_created").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_state_dir_adopts_the_volume_and_takes_and_sends_nothing_again() {
    let sb = sandbox(300, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let run = Run::start(&cap).await;
    run.until("the multicam take", || async {
        (take_stems(&sb).await == ["act-01"]).then_some(())
    })
    .await;
    drop(run);
    let files = stat(&sb, "files_created").await;
    std::fs::remove_dir_all(&cap.state).unwrap();
    let run = Run::start(&cap).await;
    run.until("both rig recordings adopted", || async {
        let rigs = rig_status(&cap);
        let done = rigs
            .get("stage-a/act-01")
            .is_some_and(|r| r["state"] == "done")
            && rigs
                .get("stage-a/calib-01")
                .is_some_and(|r| r["state"] == "calibrated");
        done.then_some(())
    })
    .await;
    assert_eq!(
        stat(&sb, "volumes_created").await,
        1,
        "the volume is adopted"
    );
    assert_eq!(stat(&sb, "takes_created").await, 1, "the take is adopted");
    assert_eq!(
        stat(&sb, "files_created").await,
        files,
        "every upload is adopted"
    );
    assert!(run.log().contains("adopting it, nothing sent"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_views_show_rigs_metrics_api_status_and_the_page() {
    let sb = sandbox(3_000, 0.0);
    let cap = Capture::new(&sb);
    rig_config_with(
        &cap,
        "format = \"json\"\n",
        &format!("{CALIBRATE}\n[metrics]\nlisten = \"127.0.0.1:0\"\n"),
    );
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    let d = crate::monitoring::Daemon::start(&cap).await;
    let get = |path: &'static str| {
        let url = format!("{}{path}", d.base);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let start = Instant::now();
    loop {
        let metrics = get("/metrics").await;
        let waiting = metrics
            .contains("move_ingest_rig_recordings{rig=\"stage-a\",state=\"waiting_for_volume\"} 1");
        if waiting && metrics.contains("move_ingest_volumes{rig=\"stage-a\"") {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no rig metrics:\n{metrics}\n{}",
            d.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let api: Value = serde_json::from_str(&get("/api/status").await).unwrap();
    let keys: Vec<&str> = api["rigs"]
        .as_array()
        .unwrap_or_else(|| panic!("{api}"))
        .iter()
        .map(|r| r["rig_recording"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["stage-a/act-01", "stage-a/calib-01"], "{api}");
    let page = get("/").await;
    assert!(
        page.contains("Rigs") && page.contains("waiting for volume"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_adopts_rig_cameras_videos_after_an_emptied_state_dir_then_backfill_sends_nothing()
 {
    let sb = sandbox(300, 0.0);
    let cap = Capture::new(&sb);
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "calib-01", Duration::from_secs(3_000));
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    cap.backfill(0);
    assert_eq!(take_stems(&sb).await, ["act-01"]);
    let counts = || async {
        (
            stat(&sb, "files_created").await,
            stat(&sb, "takes_created").await,
            stat(&sb, "volumes_created").await,
        )
    };
    let before = counts().await;
    assert_eq!(
        (before.1, before.2),
        (1, 1),
        "one multicam take, one volume"
    );
    std::fs::remove_dir_all(&cap.state).unwrap();

    let out = cap.run(&["reconcile", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::capture::show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&report["adopt"], &report["upload"], &report["unknown"]),
        (&json!(6), &json!(0), &json!(0)),
        "{report}"
    );
    for r in report["recordings"].as_array().unwrap() {
        assert_eq!(r["action"], "adopt", "{report}");
        let reason = r["reason"].as_str().unwrap();
        let stem = r["stem"].as_str().unwrap();
        let holder = match stem {
            "calib-01" => "its volume",
            _ => "its multicam take",
        };
        assert!(
            reason.contains(&format!("rig recording stage-a/{stem}")) && reason.contains(holder),
            "{report}"
        );
    }
    assert_eq!(counts().await, before, "a dry run sends nothing");

    let out = cap.run(&["reconcile"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", crate::capture::show(&out));
    assert!(text.contains("reconcile: 6 adopted"), "{text}");
    assert!(text.contains("adopted cam-2/act-01"), "{text}");
    assert_eq!(counts().await, before, "reconcile sends nothing");

    let out = cap.backfill(0);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        counts().await,
        before,
        "backfill sends nothing: no new files, takes or volumes\n{log}"
    );
    let rigs = rig_status(&cap);
    assert_eq!(rigs["stage-a/act-01"]["state"], "done", "{rigs:?}");
    assert_eq!(rigs["stage-a/calib-01"]["state"], "calibrated", "{rigs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_right_after_the_joins_loses_no_camera_and_makes_one_take() {
    let sb = sandbox(0, 0.0);
    let volume = finished_volume(&sb).await;
    let cap = Capture::new(&sb);
    // No calibration recorded, so no volume yet: the rig recordings wait once joined.
    rig_config(&cap, CALIBRATE);
    record(&cap, &CAMS, "act-01", Duration::from_secs(2_000));
    record(&cap, &CAMS, "act-02", Duration::from_secs(1_000));
    let run = Run::start(&cap).await;
    // A join is logged only once it is committed: killed right after the sixth.
    run.until("every camera to join", || async {
        (run.log().matches("joined its rig recording").count() == 6).then_some(())
    })
    .await;
    drop(run); // SIGKILL
    let files = stat(&sb, "files_created").await;
    let rigs = rig_status(&cap);
    for key in ["stage-a/act-01", "stage-a/act-02"] {
        assert_eq!(
            rigs.get(key).map(|r| r["cameras"].clone()),
            Some(json!(CAMS)),
            "every camera is still in its rig recording after the crash: {rigs:?}"
        );
    }
    rig_config(&cap, &format!("volume = \"{volume}\"\n"));
    let run = Run::start(&cap).await;
    run.until("both takes", || async {
        (take_stems(&sb).await == ["act-01", "act-02"]).then_some(())
    })
    .await;
    rig_done(&run, &cap, "stage-a/act-02").await;
    assert_eq!(
        sb.takes().await.len(),
        2,
        "one take per recording, no other"
    );
    for take in multicam_takes(&sb).await {
        assert_eq!(take["sources"].as_array().map(Vec::len), Some(3), "{take}");
    }
    assert_eq!(
        stat(&sb, "files_created").await,
        files,
        "nothing uploaded again"
    );
}
