//! `files upload` and `takes ...` against the sandbox: the takes guide, from a shell.

use std::process::{Output, Stdio};

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, show};
use crate::util::Sandbox;

/// Runs the binary and asserts its exit code.
fn run(cap: &Capture, args: &[&str], code: i32) -> Output {
    let out = cap.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{}", show(&out));
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(out)))
}

/// `n` takes made straight on the sandbox, oldest first; returns their ids in creation order.
async fn takes_on(sb: &Sandbox, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let file = sb
            .uploaded_file("mp4", format!("video {i}").as_bytes())
            .await;
        let answer = sb
            .create_take(&format!("cam-{i}"), &[(&file, "MP4")], json!("{\"n\":1}"))
            .await;
        ids.push(
            answer["data"]["createSingleCamTake"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids
}

fn ids(list: &Value) -> Vec<String> {
    list["takes"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_take_created_by_hand_from_two_uploaded_files_holds_their_bytes_and_metadata() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let video = bytes(1, 300_000);
    let sidecar = bytes(2, 4_000);
    let video_path = cap.root.path().join("clip.MP4");
    let sidecar_path = cap.root.path().join("clip.move");
    std::fs::write(&video_path, &video).unwrap();
    std::fs::write(&sidecar_path, &sidecar).unwrap();

    let up = run(
        &cap,
        &["files", "upload", video_path.to_str().unwrap(), "--json"],
        0,
    );
    let up = json_of(&up);
    assert_eq!(up["type"], "mp4");
    assert_eq!(up["name"], "clip.MP4");
    assert_eq!(up["size"], 300_000);
    assert_eq!(up["sha256"].as_str().unwrap().len(), 64);
    let video_id = up["id"].as_str().unwrap().to_string();
    let sidecar_id = stdout(&run(
        &cap,
        &[
            "files",
            "upload",
            sidecar_path.to_str().unwrap(),
            "--name",
            "side",
        ],
        0,
    ));
    assert!(sidecar_id.starts_with("file-"), "{sidecar_id}");
    assert_eq!(sb.blob(&video_id), video);
    assert_eq!(sb.blob(&sidecar_id), sidecar);

    let v = format!("cam-a:{video_id}:mp4");
    let m = format!("cam-a:{sidecar_id}:MOVE");
    let out = run(
        &cap,
        &[
            "takes",
            "create",
            "--source",
            &v,
            "--source",
            &m,
            "--name",
            "by hand",
            "--metadata",
            r#"{"foo":"bar","n":[1,2]}"#,
            "--json",
        ],
        0,
    );
    let take = json_of(&out);
    assert_eq!(
        take["metadata"],
        json!({"foo": "bar", "n": [1, 2]}),
        "metadata is a JSON value"
    );
    assert_eq!(take["name"], "by hand");
    assert_eq!(
        take["sources"],
        json!([{"deviceLabel": "cam-a", "fileId": video_id, "format": "MP4"},
               {"deviceLabel": "cam-a", "fileId": sidecar_id, "format": "MOVE"}])
    );
    let on_api = sb.takes().await;
    assert_eq!(on_api.len(), 1);
    assert_eq!(on_api[0]["id"], take["id"]);
    assert_eq!(metadata(&on_api[0]), json!({"foo": "bar", "n": [1, 2]}));
    let sources = on_api[0]["sources"].as_array().unwrap();
    assert_eq!(sb.blob(sources[0]["file"]["id"].as_str().unwrap()), video);
    assert_eq!(sb.blob(sources[1]["file"]["id"].as_str().unwrap()), sidecar);
}

#[tokio::test]
async fn takes_list_pages_ten_at_a_time_newest_first_without_overlap_or_gap() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let created = takes_on(&sb, 12).await;
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let first = json_of(&run(&cap, &["takes", "list", "--json"], 0));
    assert_eq!(
        ids(&first),
        newest_first[..10],
        "the default page is 10, newest first"
    );
    assert_eq!(
        first["takes"][0]["metadata"],
        json!({"n": 1}),
        "metadata is a JSON value"
    );
    assert!(
        first["takes"][0].get("sources").is_none(),
        "not expanded: {first}"
    );
    let token = first["next_token"]
        .as_str()
        .expect("a next token")
        .to_string();
    let second = json_of(&run(
        &cap,
        &["takes", "list", "--json", "--next-token", &token],
        0,
    ));
    assert_eq!(
        ids(&second),
        newest_first[10..],
        "the rest, no overlap, no gap"
    );
    assert_eq!(second["next_token"], Value::Null);

    let asc = json_of(&run(
        &cap,
        &["takes", "list", "--json", "--sort", "asc", "--limit", "3"],
        0,
    ));
    assert_eq!(ids(&asc), created[..3], "oldest first");

    let all = json_of(&run(
        &cap,
        &["takes", "list", "--json", "--all", "--limit", "5"],
        0,
    ));
    assert_eq!(ids(&all), newest_first);
    assert_eq!(all["next_token"], Value::Null);

    let expanded = json_of(&run(
        &cap,
        &[
            "takes",
            "list",
            "--json",
            "--limit",
            "1",
            "--expand",
            "sources,client",
        ],
        0,
    ));
    let on_api = sb.takes().await;
    let file_id = on_api[0]["sources"][0]["file"]["id"].clone();
    assert_eq!(
        expanded["takes"][0]["sources"],
        json!([{"deviceLabel": "cam-11", "fileId": file_id, "format": "MP4"}])
    );
    assert_eq!(
        expanded["takes"][0]["client"],
        json!({"id": "client-sandbox", "name": "sandbox"})
    );
}

#[tokio::test]
async fn the_table_ends_with_the_command_that_shows_the_next_page() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let created = takes_on(&sb, 3).await;
    let out = stdout(&run(
        &cap,
        &["takes", "list", "--limit", "2", "--expand", "sources"],
        0,
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("TAKE") && lines[0].contains("SOURCES"),
        "{out}"
    );
    assert!(
        lines[1].starts_with(&created[2]) && lines[1].contains("MP4"),
        "{out}"
    );
    assert!(lines[1].contains("n=1"), "metadata abbreviated: {out}");
    let next = lines
        .iter()
        .find_map(|l| l.strip_prefix("next page:  "))
        .unwrap_or_else(|| panic!("no next page command: {out}"));
    let words: Vec<String> = shell_words(next);
    assert_eq!(words[0], "move-ingest");
    let args: Vec<&str> = words[3..].iter().map(String::as_str).collect();
    assert_eq!(&words[1..3], ["--config", cap.config.to_str().unwrap()]);
    let page = stdout(&run(&cap, &args, 0));
    assert!(
        page.lines().nth(1).unwrap().starts_with(&created[0]),
        "{page}"
    );
    assert!(!page.contains("next page"), "{page}");
}

/// Splits a command line quoted with single quotes, as `takes list` prints it.
fn shell_words(line: &str) -> Vec<String> {
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s\\n' {line}")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn show_and_update_round_trip_and_keep_the_ingest_record() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let file = sb.uploaded_file("mp4", b"video").await;
    let record = json!({"recording_id": "rec-1", "host": "h"});
    let created = sb
        .create_take(
            "cam-a",
            &[(&file, "MP4")],
            json!(json!({"site": "a", "move_ingest": record}).to_string()),
        )
        .await;
    let id = created["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let shown = json_of(&run(
        &cap,
        &["takes", "show", &id, "--json", "--expand", "sources"],
        0,
    ));
    assert_eq!(
        shown["metadata"],
        json!({"site": "a", "move_ingest": record})
    );
    assert_eq!(shown["sources"][0]["fileId"], file.as_str());

    run(
        &cap,
        &["takes", "update", &id, "--metadata", r#"{"a":1}"#],
        0,
    );
    let shown = json_of(&run(&cap, &["takes", "show", &id, "--json"], 0));
    assert_eq!(
        shown["metadata"],
        json!({"a": 1, "move_ingest": record}),
        "the record is kept"
    );

    let updated = json_of(&run(
        &cap,
        &[
            "takes", "update", &id, "--set", "b=2", "--set", "c=x y", "--name", "renamed", "--json",
        ],
        0,
    ));
    assert_eq!(
        updated["metadata"],
        json!({"a": 1, "b": 2, "c": "x y", "move_ingest": record})
    );
    assert_eq!(updated["name"], "renamed");

    run(
        &cap,
        &[
            "takes",
            "update",
            &id,
            "--metadata",
            "{}",
            "--drop-ingest-record",
        ],
        0,
    );
    let shown = json_of(&run(&cap, &["takes", "show", &id, "--json"], 0));
    assert_eq!(shown["metadata"], json!({}));
    assert_eq!(shown["name"], "renamed");
}

#[tokio::test]
async fn bad_arguments_exit_2_naming_the_argument_before_any_request() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "takes",
                "create",
                "--source",
                "cam:file-1:mp4",
                "--metadata",
                "{nope",
            ],
            "--metadata is not valid JSON",
        ),
        (
            &["takes", "create", "--source", "cam-file-1-mp4"],
            "--source `cam-file-1-mp4`",
        ),
        (
            &["takes", "create", "--source", "cam:file-1:mkv"],
            "the format `mkv` is not one of",
        ),
        (
            &["takes", "create", "--source", "cam:file-1:move"],
            "no video among the sources",
        ),
        (
            &["takes", "update", "take-x", "--metadata", "[1]"],
            "--metadata must be a JSON object",
        ),
        (
            &["takes", "update", "take-x", "--metadata", "null"],
            "got null",
        ),
        (
            &["takes", "update", "take-x", "--metadata", "\"s\""],
            "got a string",
        ),
        (
            &["takes", "update", "take-x", "--set", "novalue"],
            "expected KEY=VALUE",
        ),
    ];
    for (args, said) in cases {
        let out = run(&cap, args, 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
    assert_eq!(
        sb.stats().await["graphql_requests"],
        0,
        "no request was sent"
    );
}

#[tokio::test]
async fn an_unknown_take_id_exits_4_and_names_the_id() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    for args in [
        &["takes", "show", "take-missing"][..],
        &["takes", "update", "take-missing", "--name", "x"][..],
        &["takes", "update", "take-missing", "--metadata", "{}"][..],
    ] {
        let out = run(&cap, args, 4);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("take take-missing not found"), "{stderr}");
    }
}

#[tokio::test]
async fn a_command_whose_reader_goes_away_exits_0_quietly() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    takes_on(&sb, 3).await;
    let mut child = cap
        .cmd(&["takes", "list", "--all", "--limit", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("error"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_rejected_key_exits_3_for_takes_and_files_without_showing_the_key() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let video = cap.root.path().join("v.mp4");
    std::fs::write(&video, b"video").unwrap();
    for args in [
        &["takes", "list"][..],
        &["takes", "show", "take-x"][..],
        &["files", "upload", video.to_str().unwrap()][..],
    ] {
        let out = cap
            .cmd(args)
            .env("MOVE_API_KEY", "wrong-key-1234567890")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}\n{}", show(&out));
        let all = format!("{}{}", show(&out), "");
        assert!(all.contains("rejected the API key"), "{all}");
        assert!(
            !all.contains("wrong-key-1234567890"),
            "the key must never show: {all}"
        );
    }
}
