//! What only the Move API can say about `[[multicam]]` rigs, asked by the real binary of the
//! sandbox: an unknown lens or processing rig, a pinned volume that does not exist, is not
//! FINISHED or does not cover the devices are each an error naming the key, its line and the
//! config file (exit 2), all reported together; `backfill` stops on them before any upload;
//! `run` waits for an API that does not answer, and stops once it answers that the rig is wrong.

use std::time::Duration;

use serde_json::json;

use crate::capture::{Capture, bytes, show};
use crate::run::Service;
use crate::util::Sandbox;

const LENS: &str = "goprohero10-fhd";

/// A rig of `devices` with `keys` (lens, volume or calibration, job).
fn rig(name: &str, devices: &[&str], keys: &str) -> String {
    let devices: Vec<String> = devices.iter().map(|d| format!("\"{d}\"")).collect();
    format!(
        "\n[[multicam]]\nname = \"{name}\"\ndevices = [{}]\n{keys}",
        devices.join(", ")
    )
}

/// The 1-based line of the config that starts with `start`, the `n`th such (from 0).
fn line_of(c: &Capture, start: &str, n: usize) -> usize {
    let text = std::fs::read_to_string(&c.config).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with(start))
        .nth(n)
        .unwrap_or_else(|| panic!("no line {n} starting with {start:?} in\n{text}"))
        .0
        + 1
}

/// `check` exits 2; its stderr is returned.
fn check_refused(c: &Capture) -> String {
    let out = c.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn says(text: &str, what: &[String]) {
    for w in what {
        assert!(text.contains(w.as_str()), "does not say {w:?}:\n{text}");
    }
}

/// A volume made with `volumes create` from two uploaded videos, cameras `cam-1` and `cam-2`.
async fn volume(sb: &Sandbox, c: &Capture, lens: &str) -> String {
    let mut args = vec!["volumes".to_string(), "create".to_string()];
    for (i, label) in ["cam-1", "cam-2"].iter().enumerate() {
        let file = sb.uploaded_file("mp4", &bytes(i as u64 + 40, 2_000)).await;
        args.extend(["--source".into(), format!("{label}:{file}:mp4:{lens}")]);
    }
    args.extend(["--human-height", "1.8", "--sync", "timecode"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = c.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn check_names_every_wrong_answer_of_the_api_together() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    c.write_config(&format!(
        "{}{}",
        rig(
            "stage-a",
            &["cam-1", "cam-2"],
            "lens = { cam-1 = \"goprohero10-fhd\", cam-2 = \"gopro-typo\" }\ncalibration = \"calib*\"\nhuman_height_m = 1.8\n[multicam.job]\nrig = \"move_moo\"\n"
        ),
        rig(
            "stage-b",
            &["cam-3", "cam-4"],
            &format!("lens = \"{LENS}\"\nvolume = \"volume-nope\"\n")
        ),
    ));
    let before = sb.stats().await;
    let err = check_refused(&c);
    let file = c.config.display().to_string();
    says(
        &err,
        &[
            format!(
                "`multicam.lens.cam-2` (line {}) in {file}",
                line_of(&c, "lens = {", 0)
            ),
            "the Move API knows no lens `gopro-typo`; `move-ingest lenses` lists them".into(),
            format!(
                "`multicam.job.rig` (line {}) in {file}",
                line_of(&c, "rig = \"move_moo\"", 0)
            ),
            "knows no processing rig `move_moo` (it knows move_mo, move_one)".into(),
            format!(
                "`multicam.volume` (line {}) in {file}",
                line_of(&c, "volume = ", 0)
            ),
            "the Move API has no volume `volume-nope`".into(),
        ],
    );
    assert!(
        !err.contains("`multicam.lens.cam-1`"),
        "a known lens: {err}"
    );
    assert!(!err.contains(&c.key), "the key never shows");
    let after = sb.stats().await;
    // account, listCameraSettings, listRigs, one getVolume.
    assert_eq!(
        after["graphql_requests"].as_u64().unwrap() - before["graphql_requests"].as_u64().unwrap(),
        4,
        "one question of each kind"
    );
}

#[tokio::test]
async fn a_pinned_volume_not_finished_is_refused() {
    let sb = Sandbox::start_with(&["--volume-queue-ms", "0", "--volume-run-ms", "600000"]);
    let c = Capture::new(&sb);
    let running = volume(&sb, &c, LENS).await;
    c.write_config(&rig(
        "stage-a",
        &["cam-1", "cam-2"],
        &format!("lens = \"{LENS}\"\nvolume = \"{running}\"\n"),
    ));
    let err = check_refused(&c);
    says(
        &err,
        &[
            format!(
                "`multicam.volume` (line {}) in {}",
                line_of(&c, "volume = ", 0),
                c.config.display()
            ),
            format!("volume `{running}` is RUNNING"),
            "not FINISHED".into(),
        ],
    );
}

#[tokio::test]
async fn a_finished_volume_must_cover_the_devices_and_a_right_rig_passes() {
    let sb = Sandbox::start_with(&["--volume-queue-ms", "0", "--volume-run-ms", "0"]);
    let c = Capture::new(&sb);
    let done = volume(&sb, &c, LENS).await;
    // A device the volume has no camera for, and a lens other than the volume's.
    c.write_config(&rig(
        "stage-a",
        &["cam-1", "cam-2", "cam-3"],
        &format!(
            "lens = {{ cam-1 = \"{LENS}\", cam-2 = \"goprohero10-4k\", cam-3 = \"{LENS}\" }}\nvolume = \"{done}\"\n"
        ),
    ));
    let err = check_refused(&c);
    says(
        &err,
        &[
            format!(
                "`multicam.volume` (line {}) in {}",
                line_of(&c, "volume = ", 0),
                c.config.display()
            ),
            format!("volume `{done}` does not cover the rig's devices"),
            "has no camera cam-3".into(),
            format!("cam-2 films with {LENS} in the volume, with goprohero10-4k in the rig"),
        ],
    );

    // The same volume with the rig it was calibrated for, and a processing rig the API knows.
    c.write_config(&rig(
        "stage-a",
        &["cam-1", "cam-2"],
        &format!("lens = \"{LENS}\"\nvolume = \"{done}\"\n[multicam.job]\nrig = \"move_one\"\n"),
    ));
    let out = c.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    says(
        &stdout,
        &[
            format!("multicam: rig \"stage-a\": the Move API knows lens {LENS}"),
            "processing rig move_one".into(),
            format!("volume {done} FINISHED with every device"),
            "all good".into(),
        ],
    );
}

#[tokio::test]
async fn backfill_with_an_unknown_lens_exits_2_before_any_upload() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    c.write_config(&rig(
        "stage-a",
        &["cam-1", "cam-2"],
        "lens = \"gopro-typo\"\ncalibration = \"calib*\"\nhuman_height_m = 1.8\n",
    ));
    c.write("cam-1", "act-01.mp4", &bytes(1, 5_000));
    c.write("cam-2", "act-01.mp4", &bytes(2, 5_000));
    c.write("cam-9", "solo.mp4", &bytes(3, 5_000));
    let out = c.backfill(2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    says(
        &stderr,
        &[
            format!(
                "`multicam.lens` (line {}) in {}",
                line_of(&c, "lens = ", 0),
                c.config.display()
            ),
            "knows no lens `gopro-typo`".into(),
        ],
    );
    let stats = sb.stats().await;
    assert_eq!(
        (
            stats["files_created"].as_u64(),
            stats["takes_created"].as_u64()
        ),
        (Some(0), Some(0)),
        "nothing uploaded: {stats}"
    );
}

#[tokio::test]
async fn run_waits_for_an_api_that_does_not_answer_then_stops_on_its_wrong_answer() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    c.write_config(&rig(
        "stage-a",
        &["cam-1", "cam-2"],
        "lens = \"gopro-typo\"\ncalibration = \"calib*\"\nhuman_height_m = 1.8\n",
    ));
    // The API does not answer: the service starts anyway and says the checks wait.
    sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    let mut svc = Service::start(&c).await;
    assert!(
        svc.log().contains("the rig checks wait for the Move API"),
        "{}",
        svc.log()
    );
    assert_eq!(svc.exit_within(Duration::from_millis(500)).await, None);
    // It answers: the lens is unknown, and the run stops with exit 2 naming it.
    sb.set_faults(json!({})).await;
    let status = svc.exit_within(crate::run::DEADLINE).await;
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{}", svc.log());
    assert!(
        svc.log().contains("knows no lens `gopro-typo`"),
        "{}",
        svc.log()
    );

    // With the API up from the start, the run does not start at all.
    let out = c.run(&["run"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`multicam.lens` (line"),
        "{}",
        show(&out)
    );
}
