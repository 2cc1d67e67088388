//! `move-ingest jobs list/show/create` against the sandbox: the API's field names in JSON,
//! paging by token, usage errors before any request, a missing job named.

use serde_json::{Value, json};

use crate::capture::{Capture, show};
use crate::util::Sandbox;

/// A take of one uploaded mp4 on `sb`; returns its id.
async fn a_take(sb: &Sandbox, label: &str) -> String {
    let video = sb.uploaded_file("mp4", b"video bytes").await;
    let answer = sb.create_take(label, &[(&video, "MP4")], Value::Null).await;
    answer["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string()
}

/// Runs the binary, asserts it exits 0, and returns its stdout.
fn ok(c: &Capture, args: &[&str]) -> String {
    let out = c.run(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}\n{}", show(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn json_of(c: &Capture, args: &[&str]) -> Value {
    let text = ok(c, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"))
}

#[tokio::test]
async fn create_show_and_list_jobs_with_the_apis_field_names() {
    let sb = Sandbox::start_with(&["--job-queue-ms", "0", "--job-run-ms", "0"]);
    let c = Capture::new(&sb);
    let take = a_take(&sb, "cam-a").await;
    let other = a_take(&sb, "cam-b").await;

    let created = json_of(
        &c,
        &[
            "jobs",
            "create",
            &take,
            "--output",
            "main_fbx",
            "--output",
            "RENDER_VIDEO",
            "--option",
            "trackFingers=true",
            "--option",
            "mocapModel=s2",
            "--json",
        ],
    );
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("job-"), "{created}");
    assert_eq!(created["take"]["id"], take.as_str());
    let options = &created["inputs"]["options"];
    assert_eq!(options["trackFingers"], true, "{created}");
    assert_eq!(options["mocapModel"], "S2", "{created}");
    assert_eq!(
        options["floorPlane"],
        Value::Null,
        "unset options are not sent"
    );
    assert_eq!(sb.stats().await["jobs_created"], 1);

    let shown = json_of(&c, &["jobs", "show", &id, "--json"]);
    assert_eq!(
        shown["progress"],
        json!({"state": "FINISHED", "percentageComplete": 100})
    );
    assert_eq!(
        shown["metadata"],
        json!({}),
        "metadata decoded from its AWSJSON string"
    );
    let keys: Vec<&str> = shown["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["MAIN_FBX", "RENDER_VIDEO"], "{shown}");
    assert!(
        shown["outputs"][0]["file"]["presignedUrl"]
            .as_str()
            .is_some(),
        "{shown}"
    );

    let text = ok(&c, &["jobs", "show", &id]);
    assert!(text.contains("FINISHED 100%"), "{text}");
    assert!(
        text.contains("MAIN_FBX (fbx)") && text.contains("trackFingers=true"),
        "{text}"
    );

    for _ in 0..2 {
        let printed = ok(&c, &["jobs", "create", &take]);
        assert!(
            printed.trim().starts_with("job-"),
            "prints the id alone: {printed}"
        );
    }
    ok(&c, &["jobs", "create", &other]);

    let first = json_of(
        &c,
        &["jobs", "list", "--take", &take, "--limit", "2", "--json"],
    );
    let token = first["next_token"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = json_of(
        &c,
        &[
            "jobs",
            "list",
            "--take",
            &take,
            "--limit",
            "2",
            "--next-token",
            &token,
            "--json",
        ],
    );
    assert_eq!(second["next_token"], Value::Null);
    let ids: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|page| page["jobs"].as_array().unwrap())
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "three jobs of this take: {ids:?}");
    assert_eq!(ids[2], id, "newest first, the first job last");
    assert!(
        [&first, &second]
            .iter()
            .flat_map(|page| page["jobs"].as_array().unwrap())
            .all(|j| j["take"]["id"] == take.as_str())
    );

    let table = ok(&c, &["jobs", "list", "--limit", "2"]);
    assert!(table.starts_with("JOB"), "{table}");
    assert!(
        table.contains("next page:") && table.contains("--next-token"),
        "{table}"
    );
    let all = json_of(&c, &["jobs", "list", "--json"]);
    assert_eq!(all["jobs"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn bad_flags_exit_2_before_any_request() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let cases: [(&[&str], &str); 6] = [
        (
            &["jobs", "create", "take-x", "--output", "MAIN_OBJ"],
            "MAIN_OBJ",
        ),
        (
            &["jobs", "create", "take-x", "--option", "trackToes=true"],
            "trackToes",
        ),
        (
            &["jobs", "create", "take-x", "--option", "trackFingers=maybe"],
            "true or false",
        ),
        (
            &["jobs", "create", "take-x", "--option", "trackFingers"],
            "KEY=VALUE",
        ),
        (&["jobs", "list", "--limit", "0"], "--limit"),
        (&["jobs", "list", "--next-token", "page-2"], "--next-token"),
    ];
    for (args, named) in cases {
        let out = c.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(named),
            "{args:?} should name {named}: {stderr}"
        );
    }
    assert_eq!(sb.stats().await["graphql_requests"], 0, "nothing was sent");
}

#[tokio::test]
async fn a_missing_job_or_take_exits_4_named_and_a_wrong_key_exits_3() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let out = c.run(&["jobs", "show", "job-missing"]);
    assert_eq!(out.status.code(), Some(4), "an API refusal\n{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("job job-missing not found"), "{stderr}");

    let out = c.run(&["jobs", "create", "take-missing", "--output", "MAIN_FBX"]);
    assert_eq!(out.status.code(), Some(4), "an API refusal\n{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("take-missing"),
        "{}",
        show(&out)
    );
    assert_eq!(sb.stats().await["jobs_created"], 0);

    let out = c
        .cmd(&["jobs", "list"])
        .env("MOVE_API_KEY", "wrong-key-1234")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(!show(&out).contains("wrong-key-1234"));
}

#[tokio::test]
async fn a_wrong_output_name_is_refused_at_start_naming_the_key_and_line() {
    let sb = Sandbox::start();
    let c = Capture::with_config(
        &sb,
        "\n[job]\noutputs = [\"MAIN_FBX\", \"MAIN_OBJ\"]\noptions = { trackFingers = true }\n",
    );
    let text = std::fs::read_to_string(&c.config).unwrap();
    let line = text.lines().position(|l| l.starts_with("outputs")).unwrap() + 1;
    for args in [&["check"][..], &["backfill", "--no-progress"], &["run"]] {
        let out = c.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("`job.outputs` (line {line})")) && stderr.contains("MAIN_OBJ"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(
        sb.stats().await["graphql_requests"],
        0,
        "refused before any request"
    );

    c.write_config("\n[job]\noutputs = [\"MAIN_FBX\"]\n");
    let text = ok(&c, &["check"]);
    assert!(
        text.contains("jobs: [job] is valid (outputs: MAIN_FBX)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_lost_answer_to_create_says_how_to_look_before_creating_again() {
    let sb = Sandbox::start();
    let c = Capture::new(&sb);
    let take = a_take(&sb, "cam-a").await;
    sb.set_faults(json!({ "p_drop": 1.0 })).await;
    let out = c.run(&["jobs", "create", &take]);
    assert!(!out.status.success(), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("may have been created")
            && stderr.contains(&format!("jobs list --take {take}")),
        "{stderr}"
    );
    sb.set_faults(json!({})).await;
    let listed = json_of(&c, &["jobs", "list", "--take", &take, "--json"]);
    assert_eq!(
        listed["jobs"].as_array().unwrap().len(),
        1,
        "the job was made: {listed}"
    );
}
