//! Move's multicam quickstart from a shell, against the sandbox: `files upload`, `volumes
//! create/show/list`, `takes create --volume`, `jobs create --actors --rig`, `lenses`, `rigs`;
//! the API's field names in JSON, usage errors before any request, the API's refusals named.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, show};
use crate::util::Sandbox;

const LENS: &str = "goprohero10-fhd";

/// Runs the binary and asserts its exit code.
fn run(c: &Capture, args: &[&str], code: i32) -> Output {
    let out = c.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{}", show(&out));
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn json_of(c: &Capture, args: &[&str]) -> Value {
    let out = run(c, args, 0);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", show(&out)))
}

/// Writes `name` with some bytes and uploads it with `files upload`; returns the file id.
fn upload(c: &Capture, name: &str, seed: u64) -> String {
    let path = c.root.path().join(name);
    std::fs::write(&path, bytes(seed, 20_000)).unwrap();
    let id = stdout(&run(c, &["files", "upload", path.to_str().unwrap()], 0));
    assert!(id.starts_with("file-"), "{id}");
    id
}

/// `--source` values for two cameras.
fn sources(a: &str, b: &str) -> [String; 2] {
    [
        format!("cam-1:{a}:mp4:{LENS}"),
        format!("cam-2:{b}:MP4:{LENS}"),
    ]
}

#[tokio::test]
async fn the_multicam_quickstart_by_hand() {
    let sb = Sandbox::start_with(&[
        "--volume-queue-ms",
        "300",
        "--volume-run-ms",
        "900",
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
    ]);
    let c = Capture::new(&sb);

    // 1. The calibration video of each camera.
    let calib = sources(&upload(&c, "calib-1.mp4", 1), &upload(&c, "calib-2.mp4", 2));

    // 2. The volume.
    let volume = stdout(&run(
        &c,
        &[
            "volumes",
            "create",
            "--source",
            &calib[0],
            "--source",
            &calib[1],
            "--human-height",
            "1.80",
            "--area",
            "normal",
            "--sync",
            "timecode",
            "--name",
            "stage-a",
            "--metadata",
            r#"{"stage":"a"}"#,
        ],
        0,
    ));
    assert!(
        volume.starts_with("volume-"),
        "prints the id alone: {volume}"
    );
    assert_eq!(sb.stats().await["volumes_created"], 1);

    // 3. Upload the action videos meanwhile; a take on an unfinished volume is refused by the API.
    let action = sources(&upload(&c, "act-1.mp4", 3), &upload(&c, "act-2.mp4", 4));
    let take_args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "takes",
            "create",
            "--volume",
            &volume,
            "--source",
            &action[0],
            "--source",
            &action[1],
            "--sync",
            "clap:1-2.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let early = take_args(&[]);
    let early: Vec<&str> = early.iter().map(String::as_str).collect();
    let out = run(&c, &early, 4);
    assert!(
        stderr(&out).contains("a multi-cam take needs a FINISHED volume"),
        "the API's reason: {}",
        show(&out)
    );

    // Wait with `volumes show` until FINISHED.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let shown = loop {
        let shown = json_of(&c, &["volumes", "show", &volume, "--json"]);
        let state = shown["state"].as_str().unwrap_or_else(|| panic!("{shown}"));
        if seen.last().map(String::as_str) != Some(state) {
            seen.push(state.to_string());
        }
        if state == "FINISHED" {
            break shown;
        }
        assert!(Instant::now() < deadline, "not FINISHED in 30 s: {seen:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        seen.iter()
            .all(|s| ["NOT_STARTED", "RUNNING", "FINISHED"].contains(&s.as_str())),
        "{seen:?}"
    );
    assert_eq!(shown["id"], volume.as_str());
    assert_eq!(shown["name"], "stage-a");
    assert_eq!(shown["metadata"], json!({"stage": "a"}), "metadata decoded");
    assert_eq!(shown["areaType"], "NORMAL");
    assert_eq!(shown["humanHeight"], 1.8);
    assert_eq!(
        shown["progress"],
        json!({"state": "FINISHED", "percentageComplete": 100})
    );
    assert_eq!(shown["sources"][0]["deviceLabel"], "cam-1");
    assert_eq!(shown["sources"][1]["cameraSettings"], json!({"lens": LENS}));
    assert_eq!(shown["sources"][1]["format"], "MP4");
    assert!(shown["sources"][0]["fileId"].as_str().is_some(), "{shown}");
    let text = stdout(&run(&c, &["volumes", "show", &volume], 0));
    assert!(text.contains("state:    FINISHED 100%"), "{text}");
    assert!(text.contains(&format!("(lens {LENS})")), "{text}");
    assert!(
        text.contains("takes create --volume"),
        "says what is next: {text}"
    );

    // 4. The multicam take.
    let record = json!({"move_ingest": {"recording_id": "stage-a/act"}});
    let args = take_args(&["--name", "act", "--metadata", &record.to_string(), "--json"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let take = json_of(&c, &args);
    let take_id = take["id"].as_str().unwrap().to_string();
    assert_eq!(take["takeType"], "MULTI_CAM");
    assert_eq!(take["volume"]["id"], volume.as_str());
    assert_eq!(
        take["syncMethod"]["clapWindow"],
        json!({"startTime": 1.0, "endTime": 2.5})
    );
    assert_eq!(take["metadata"], record, "the daemon's record is kept");
    assert_eq!(take["name"], "act");
    let labels: Vec<&str> = take["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["deviceLabel"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["cam-1", "cam-2"]);
    assert_eq!(take["sources"][0]["cameraSettings"]["lens"], LENS);

    // 5. The multicam job.
    let job = json_of(
        &c,
        &[
            "jobs", "create", &take_id, "--actors", "1", "--rig", "move_mo", "--json",
        ],
    );
    assert_eq!(job["take"]["id"], take_id.as_str());
    assert_eq!(job["rig"], json!({"name": "move_mo"}));
    assert_eq!(job["inputs"]["numberOfActors"], 1);
    let job_id = job["id"].as_str().unwrap().to_string();
    let text = stdout(&run(&c, &["jobs", "show", &job_id], 0));
    assert!(
        text.contains("rig:      move_mo") && text.contains("actors:   1"),
        "{text}"
    );
    // Without the flags, a multicam take still gets createMultiCamJob (the sandbox refuses
    // createSingleCamJob for it), with the API's default rig.
    let job = json_of(&c, &["jobs", "create", &take_id, "--json"]);
    assert_eq!(job["rig"]["name"], "move_mo", "{job}");
    assert_eq!(sb.stats().await["jobs_created"], 2);

    // A single-camera take refuses the multicam flags, before anything is created.
    let video = sb.uploaded_file("mp4", b"single").await;
    let single = sb
        .create_take("cam-9", &[(&video, "MP4")], Value::Null)
        .await;
    let single = single["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(&c, &["jobs", "create", &single, "--actors", "2"], 2);
    assert!(
        stderr(&out).contains("is a single-camera take"),
        "{}",
        show(&out)
    );
    assert_eq!(sb.stats().await["jobs_created"], 2);
    let job = json_of(&c, &["jobs", "create", &single, "--json"]);
    assert_eq!(job["rig"], Value::Null, "a single-camera job: {job}");
    assert_eq!(sb.stats().await["jobs_created"], 3);

    // The volume in the list.
    let listed = json_of(&c, &["volumes", "list", "--json"]);
    assert_eq!(listed["volumes"][0]["id"], volume.as_str());
    assert_eq!(listed["volumes"][0]["state"], "FINISHED");
    assert_eq!(listed["next_token"], Value::Null);
    let table = stdout(&run(&c, &["volumes", "list"], 0));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("VOLUME"), "{table}");
    assert!(
        lines[1].starts_with(&volume)
            && lines[1].contains("FINISHED")
            && lines[1].ends_with("stage-a"),
        "{table}"
    );
}

#[tokio::test]
async fn volumes_list_pages_by_token_and_all() {
    let sb = Sandbox::start_with(&["--volume-queue-ms", "0", "--volume-run-ms", "0"]);
    let c = Capture::new(&sb);
    let mut made = Vec::new();
    for i in 0..3u64 {
        let a = sb.uploaded_file("mp4", format!("a{i}").as_bytes()).await;
        let b = sb.uploaded_file("mp4", format!("b{i}").as_bytes()).await;
        let [s1, s2] = sources(&a, &b);
        let name = format!("v{i}");
        made.push(stdout(&run(
            &c,
            &[
                "volumes",
                "create",
                "--source",
                &s1,
                "--source",
                &s2,
                "--human-height",
                "1.7",
                "--area",
                "large",
                "--sync",
                "none",
                "--name",
                &name,
            ],
            0,
        )));
    }
    let first = json_of(&c, &["volumes", "list", "--limit", "2", "--json"]);
    let token = first["next_token"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = json_of(
        &c,
        &[
            "volumes",
            "list",
            "--limit",
            "2",
            "--next-token",
            &token,
            "--json",
        ],
    );
    let ids = |v: &Value| -> Vec<String> {
        v["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut paged = ids(&first);
    paged.extend(ids(&second));
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();
    assert_eq!(paged, newest_first, "no overlap, no gap");
    assert_eq!(first["volumes"][0]["areaType"], "LARGE");
    let all = json_of(&c, &["volumes", "list", "--limit", "1", "--all", "--json"]);
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all["next_token"], Value::Null);
    let table = stdout(&run(&c, &["volumes", "list", "--limit", "2"], 0));
    assert!(
        table.contains("next page:") && table.contains("volumes list --limit 2 --next-token"),
        "{table}"
    );
}

#[tokio::test]
async fn lenses_and_rigs_list_what_the_api_knows() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let lenses = stdout(&run(&c, &["lenses"], 0));
    let lenses: Vec<&str> = lenses.lines().collect();
    assert!(lenses.contains(&LENS), "{lenses:?}");
    assert_eq!(lenses.len(), 6, "{lenses:?}");
    let json = json_of(&c, &["lenses", "--json"]);
    assert_eq!(json["lenses"][0], json!({"lens": lenses[0]}));
    assert_eq!(json["lenses"].as_array().unwrap().len(), lenses.len());

    let rigs = stdout(&run(&c, &["rigs"], 0));
    assert_eq!(rigs.lines().collect::<Vec<_>>(), ["move_mo", "move_one"]);
    let json = json_of(&c, &["rigs", "--json"]);
    assert_eq!(
        json,
        json!({"rigs": [{"name": "move_mo"}, {"name": "move_one"}]})
    );

    let out = c
        .cmd(&["lenses"])
        .env("MOVE_API_KEY", "wrong-key-1234567890")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(!show(&out).contains("wrong-key-1234567890"));
}

#[tokio::test]
async fn bad_arguments_exit_2_before_any_request() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let two = sources("file-1", "file-2");
    let vol = |extra: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = ["volumes", "create", "--human-height", "1.8"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let with_two = |mut args: Vec<String>| -> Vec<String> {
        for s in &two {
            args.push("--source".into());
            args.push(s.clone());
        }
        args
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vol(&["--source", "cam-1:file-1:mp4:x", "--sync", "timecode"]),
            "1 camera given",
        ),
        (
            vol(&[
                "--source",
                "cam-1:file-1:mp4",
                "--source",
                "cam-2:file-2:mp4",
                "--sync",
                "none",
            ]),
            "--source `cam-1:file-1:mp4`: not four parts",
        ),
        (
            vol(&[
                "--source",
                "cam-1:file-1:mp4:l",
                "--source",
                "cam-1:file-2:mp4:l",
                "--sync",
                "none",
            ]),
            "`cam-1` is given twice",
        ),
        (
            vol(&[
                "--source",
                "cam-1:file-1:move:l",
                "--source",
                "cam-2:file-2:mp4:l",
                "--sync",
                "none",
            ]),
            "not a .move sidecar",
        ),
        (with_two(vol(&["--sync", "gps"])), "--sync `gps`"),
        (
            with_two(vol(&["--sync", "clap:4-2"])),
            "START must be before END",
        ),
        (
            with_two(vol(&["--sync", "none", "--metadata", "[1]"])),
            "--metadata must be a JSON object",
        ),
        (with_two(vol(&[])), "--sync"),
        (
            with_two(
                [
                    "volumes",
                    "create",
                    "--human-height",
                    "180",
                    "--sync",
                    "none",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ),
            "centimetres? give metres: 1.80",
        ),
        (
            with_two(vec![
                "volumes".into(),
                "create".into(),
                "--human-height".into(),
                "1.8".into(),
                "--sync".into(),
                "none".into(),
                "--area".into(),
                "huge".into(),
            ]),
            "--area",
        ),
        (
            vec![
                "takes".into(),
                "create".into(),
                "--volume".into(),
                "volume-1".into(),
                "--source".into(),
                two[0].clone(),
                "--sync".into(),
                "timecode".into(),
            ],
            "1 camera given",
        ),
        (
            with_two(vec![
                "takes".into(),
                "create".into(),
                "--volume".into(),
                "volume-1".into(),
                "--sync".into(),
                "clap:x".into(),
            ]),
            "--sync `clap:x`",
        ),
        (
            with_two(vec![
                "takes".into(),
                "create".into(),
                "--volume".into(),
                "volume-1".into(),
            ]),
            "--sync",
        ),
        (
            vec![
                "takes".into(),
                "create".into(),
                "--source".into(),
                two[0].clone(),
            ],
            "looks like a lens",
        ),
        (
            with_two(vec![
                "takes".into(),
                "create".into(),
                "--sync".into(),
                "none".into(),
            ]),
            "--volume",
        ),
        (
            vec![
                "jobs".into(),
                "create".into(),
                "take-x".into(),
                "--actors".into(),
                "0".into(),
            ],
            "--actors",
        ),
        (
            vec![
                "jobs".into(),
                "create".into(),
                "take-x".into(),
                "--rig".into(),
                " ".into(),
            ],
            "--rig is empty",
        ),
        (
            vec![
                "volumes".into(),
                "list".into(),
                "--next-token".into(),
                "page-2".into(),
            ],
            "--next-token",
        ),
    ];
    for (args, said) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&c, &args, 2);
        assert!(
            stderr(&out).contains(said),
            "{args:?} should say {said}: {}",
            show(&out)
        );
    }
    assert_eq!(sb.stats().await["graphql_requests"], 0, "nothing was sent");
}

#[tokio::test]
async fn the_apis_refusals_exit_4_with_its_message() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let a = sb.uploaded_file("mp4", b"calib a").await;
    let b = sb.uploaded_file("mp4", b"calib b").await;
    let out = run(
        &c,
        &[
            "volumes",
            "create",
            "--source",
            &format!("cam-1:{a}:mp4:fisheye-9000"),
            "--source",
            &format!("cam-2:{b}:mp4:{LENS}"),
            "--human-height",
            "1.8",
            "--sync",
            "timecode",
        ],
        4,
    );
    assert!(
        stderr(&out).contains("Unknown lens 'fisheye-9000'"),
        "the API's message: {}",
        show(&out)
    );
    assert_eq!(sb.stats().await["volumes_created"], 0);

    let out = run(&c, &["volumes", "show", "volume-missing"], 4);
    assert!(
        stderr(&out).contains("volume volume-missing not found"),
        "{}",
        show(&out)
    );
    let [s1, s2] = sources(&a, &b);
    let out = run(
        &c,
        &[
            "takes",
            "create",
            "--volume",
            "volume-missing",
            "--source",
            &s1,
            "--source",
            &s2,
            "--sync",
            "none",
        ],
        4,
    );
    assert!(stderr(&out).contains("volume-missing"), "{}", show(&out));
    let out = run(
        &c,
        &[
            "jobs",
            "create",
            "take-missing",
            "--actors",
            "1",
            "--rig",
            "move_mo",
        ],
        4,
    );
    assert!(
        stderr(&out).contains("take take-missing not found"),
        "{}",
        show(&out)
    );
    assert_eq!(sb.stats().await["jobs_created"], 0);
    assert_eq!(sb.stats().await["takes_created"], 0);
}

#[tokio::test]
async fn a_lost_answer_to_volumes_create_says_how_to_look_before_creating_again() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let a = sb.uploaded_file("mp4", b"calib a").await;
    let b = sb.uploaded_file("mp4", b"calib b").await;
    let [s1, s2] = sources(&a, &b);
    sb.set_faults(json!({"p_drop": 1.0, "drop_only": "createVolumeWithHuman"}))
        .await;
    let out = c.run(&[
        "volumes",
        "create",
        "--source",
        &s1,
        "--source",
        &s2,
        "--human-height",
        "1.8",
        "--sync",
        "none",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", show(&out));
    let said = stderr(&out);
    assert!(
        said.contains("may have been created") && said.contains("move-ingest volumes list"),
        "{said}"
    );
    sb.set_faults(json!({})).await;
    let listed = json_of(&c, &["volumes", "list", "--json"]);
    assert_eq!(
        listed["volumes"].as_array().unwrap().len(),
        1,
        "the volume was made: {listed}"
    );
}
