//! The sandbox behaves like the Move UGC API: round trips, refusals, faults, restarts.

mod faults;
mod jobs;
mod multicam;
mod storage;

use serde_json::{Value, json};

use crate::util::Sandbox;

const TAKE_QUERY: &str = "query($id: ID!) { getTake(takeId: $id) {
    id name metadata takeType created __typename
    sources { deviceLabel format file { id type } }
    videoFile { id presignedUrl }
    additionalFiles { key format file { id } }
    client { id } } }";

#[tokio::test]
async fn round_trip_files_take_and_pages() {
    let sandbox = Sandbox::start();
    let video = b"not really an mp4".repeat(1000);
    let sidecar = b"move data".to_vec();
    let video_id = sandbox.uploaded_file("mp4", &video).await;
    let move_id = sandbox.uploaded_file(".move", &sidecar).await;
    assert_eq!(sandbox.blob(&video_id), video);
    assert_eq!(sandbox.blob(&move_id), sidecar);

    let created = sandbox
        .create_take(
            "cam-a",
            &[(&video_id, "MP4"), (&move_id, "MOVE")],
            json!("{\"site\":\"a\"}"),
        )
        .await;
    let take_id = created["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    assert!(take_id.starts_with("take-"));

    let take = &sandbox.gql(TAKE_QUERY, json!({ "id": take_id })).await["data"]["getTake"];
    assert_eq!(
        take["metadata"], "{\"site\":\"a\"}",
        "AWSJSON answers are JSON strings"
    );
    assert_eq!(take["takeType"], "SINGLE_CAM");
    assert_eq!(take["__typename"], "Take");
    assert_eq!(
        take["sources"][0],
        json!({"deviceLabel": "cam-a", "format": "MP4", "file": {"id": video_id, "type": "mp4"}})
    );
    assert_eq!(take["videoFile"]["id"], video_id.as_str());
    assert_eq!(
        take["additionalFiles"],
        json!([{"key": "MOVE", "format": "MOVE", "file": {"id": move_id}}])
    );
    assert_eq!(take["client"], json!({"id": "client-sandbox"}));
    let download = take["videoFile"]["presignedUrl"].as_str().unwrap();
    let downloaded = sandbox
        .http
        .get(download)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(downloaded.as_ref(), video.as_slice());

    for label in ["cam-b", "cam-c"] {
        let id = sandbox.uploaded_file("mov", b"mov bytes").await;
        sandbox
            .create_take(label, &[(&id, "MOV")], Value::Null)
            .await;
    }
    let paged = sandbox.takes_paged(2).await;
    let names: Vec<&str> = paged.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["cam-c take", "cam-b take", "cam-a take"],
        "newest first, across pages"
    );
    assert_eq!(sandbox.takes().await, paged);

    let asc = sandbox
        .gql(
            "{ listTakes(sortDirection: ASC, first: 1) { items { name } first after } }",
            json!({}),
        )
        .await;
    assert_eq!(
        asc["data"]["listTakes"],
        json!({"items": [{"name": "cam-a take"}], "first": 1, "after": "{\"offset\":1}"})
    );
}

#[tokio::test]
async fn wrong_key_is_401() {
    let sandbox = Sandbox::start();
    let body = json!({ "query": "{ client { id } }" });
    let response = sandbox
        .http
        .post(&sandbox.url)
        .header("Authorization", "Bearer nope")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["errors"][0]["errorType"], "UnauthorizedException");
}

#[tokio::test]
async fn unknown_field_is_a_validation_error() {
    let sandbox = Sandbox::start();
    let answer = sandbox.gql("{ client { id colour } }", json!({})).await;
    assert_eq!(answer["data"], Value::Null);
    let error = &answer["errors"][0];
    assert_eq!(error["errorType"], "ValidationError");
    assert!(
        error["message"].as_str().unwrap().contains("colour"),
        "{error}"
    );
    assert_eq!(error["locations"][0]["line"], 1);
}

#[tokio::test]
async fn awsjson_variables_are_taken_as_strings_holding_json_or_as_json_values() {
    let sandbox = Sandbox::start();
    let query = "mutation($m: AWSJSON) { createFile(type: \"mp4\", metadata: $m) { metadata } }";
    let as_value = sandbox.gql(query, json!({ "m": { "site": "a" } })).await;
    assert_eq!(
        as_value["data"]["createFile"]["metadata"], "{\"site\":\"a\"}",
        "{as_value}"
    );
    let as_string = sandbox.gql(query, json!({ "m": "{\"site\":\"a\"}" })).await;
    assert_eq!(as_string["data"], as_value["data"]);
    let not_json = sandbox.gql(query, json!({ "m": "{site: a}" })).await;
    assert_eq!(not_json["data"], Value::Null);
    let message = not_json["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Variable 'm' has an invalid value"),
        "{message}"
    );
    assert_eq!(sandbox.stats().await["files_created"], 2);
}

#[tokio::test]
async fn list_takes_pages_with_the_cursor_given_back_decoded_as_the_python_sdk_does() {
    let sandbox = Sandbox::start();
    for label in ["cam-a", "cam-b", "cam-c"] {
        let id = sandbox.uploaded_file("mp4", b"video").await;
        sandbox
            .create_take(label, &[(&id, "MP4")], Value::Null)
            .await;
    }
    let query = "query($first: Int, $after: AWSJSON, $sortDirection: SortDirection) {
        listTakes(first: $first, after: $after, sortDirection: $sortDirection) { items { name } after } }";
    let first = sandbox
        .gql(query, json!({ "first": 2, "sortDirection": "ASC" }))
        .await;
    let page = &first["data"]["listTakes"];
    assert_eq!(
        page["items"],
        json!([{"name": "cam-a take"}, {"name": "cam-b take"}])
    );
    let cursor: Value = serde_json::from_str(page["after"].as_str().unwrap()).unwrap();
    let second = sandbox
        .gql(
            query,
            json!({ "first": 2, "after": cursor, "sortDirection": "ASC" }),
        )
        .await;
    assert_eq!(
        second["data"]["listTakes"],
        json!({"items": [{"name": "cam-c take"}], "after": null}),
        "{second}"
    );
}

#[tokio::test]
async fn client_metadata_and_portal_are_filled_as_the_api_does() {
    let sandbox = Sandbox::start();
    let answer = sandbox
        .gql("{ client { id name created metadata portal } }", json!({}))
        .await;
    let client = &answer["data"]["client"];
    assert_eq!(client["metadata"], "{}", "{answer}");
    assert_eq!(client["portal"], format!("{}/portal", sandbox.base));
    let take_metadata = sandbox
        .gql(
            "mutation { createFile(type: \"mp4\") { metadata } }",
            json!({}),
        )
        .await;
    assert_eq!(take_metadata["data"]["createFile"]["metadata"], "{}");
}

#[test]
fn a_second_sandbox_on_the_same_data_dir_is_refused_with_exit_2() {
    let first = Sandbox::start();
    let out = std::process::Command::new(crate::util::sandbox_bin())
        .args(["--port", "0", "--data"])
        .arg(first.data.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is in use by another move-sandbox (pid "),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it must not announce an address");
}

#[test]
fn a_taken_port_is_exit_2_with_the_port_0_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::util::sandbox_bin())
        .args(["--port", &port, "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Address already in use"), "{stderr}");
    assert!(stderr.contains("pass --port 0"), "{stderr}");
}

#[tokio::test]
async fn unknown_take_is_move_not_found() {
    let sandbox = Sandbox::start();
    let answer = sandbox
        .gql("{ getTake(takeId: \"take-nope\") { id } }", json!({}))
        .await;
    assert_eq!(answer["data"], Value::Null);
    assert_eq!(answer["errors"][0]["errorType"], "MoveNotFoundError");
    assert_eq!(answer["errors"][0]["path"], json!(["getTake"]));
}

#[tokio::test]
async fn take_with_a_file_never_uploaded_is_refused() {
    let sandbox = Sandbox::start();
    let (file_id, _url) = sandbox.create_file("mp4").await;
    let answer = sandbox
        .create_take("cam", &[(&file_id, "MP4")], Value::Null)
        .await;
    let error = &answer["errors"][0];
    assert_eq!(error["errorType"], "BadRequestError");
    assert!(
        error["message"].as_str().unwrap().contains(&file_id),
        "{error}"
    );
    assert_eq!(sandbox.stats().await["takes_created"], 0);
}

#[tokio::test]
async fn restart_keeps_files_takes_and_uploads() {
    let mut sandbox = Sandbox::start();
    let id = sandbox.uploaded_file("mp4", b"kept").await;
    sandbox
        .create_take("cam", &[(&id, "MP4")], json!("{}"))
        .await;
    let before = sandbox.takes().await;
    assert_eq!(before.len(), 1);
    sandbox.restart();
    assert_eq!(sandbox.takes().await, before);
    assert_eq!(sandbox.blob(&id), b"kept");
    let again = sandbox
        .create_take("cam", &[(&id, "MP4")], Value::Null)
        .await;
    assert!(
        again["data"]["createSingleCamTake"]["id"].is_string(),
        "{again}"
    );
    assert_eq!(
        sandbox.stats().await["uploads_completed"],
        0,
        "counters restart from zero"
    );
}

#[tokio::test]
async fn killed_and_started_again_it_refuses_connections_then_answers_on_the_same_port() {
    let mut sandbox = Sandbox::start();
    let id = sandbox.uploaded_file("mp4", b"kept").await;
    let url = sandbox.url.clone();
    sandbox.kill();
    // A fresh client: a pooled connection would fail otherwise (cut, not refused).
    let refused = reqwest::Client::new().post(&url).body("{}").send().await;
    assert!(
        refused.as_ref().is_err_and(|e| e.is_connect()),
        "{refused:?}"
    );
    sandbox.start_again();
    assert_eq!(sandbox.url, url);
    assert_eq!(sandbox.blob(&id), b"kept");
    let answer = sandbox.gql("{ client { id } }", json!({})).await;
    assert!(answer["data"]["client"]["id"].is_string(), "{answer}");
}

#[tokio::test]
async fn a_key_replaced_at_run_time_makes_the_old_one_401() {
    let mut sandbox = Sandbox::start();
    let old = sandbox.key.clone();
    sandbox.set_key("test-key-new").await;
    let with_old = sandbox
        .http
        .post(&sandbox.url)
        .header("Authorization", &old)
        .json(&json!({ "query": "{ client { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(with_old.status(), 401);
    let answer = sandbox.gql("{ client { id } }", json!({})).await;
    assert!(answer["data"]["client"]["id"].is_string(), "{answer}");
}

#[tokio::test]
async fn take_rules_name_the_offending_source() {
    let sandbox = Sandbox::start();
    let bad_type = sandbox
        .gql("mutation { createFile(type: \"wav\") { id } }", json!({}))
        .await;
    assert_eq!(
        bad_type["errors"][0]["errorType"], "BadRequestError",
        "{bad_type}"
    );
    let video = sandbox.uploaded_file("mp4", b"v").await;
    let other = sandbox.uploaded_file("mov", b"w").await;
    let sidecar = sandbox.uploaded_file("move", b"m").await;
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[(&video, "MOV")], video.as_str()),
        (&[(&video, "MP4"), (&other, "MOV")], "exactly one video"),
        (&[(&sidecar, "MOVE")], "exactly one video"),
    ];
    for (sources, expected) in cases {
        let answer = sandbox.create_take("cam", sources, Value::Null).await;
        let message = answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"));
        assert!(message.contains(expected), "{message}");
    }
    let query = "mutation($s: [SourceInput!]) { createSingleCamTake(sources: $s) { id } }";
    let two_labels = json!([{"deviceLabel": "a", "fileId": video, "format": "MP4"},
                            {"deviceLabel": "b", "fileId": sidecar, "format": "MOVE"}]);
    let answer = sandbox.gql(query, json!({ "s": two_labels })).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deviceLabel"),
        "{answer}"
    );
    assert_eq!(sandbox.stats().await["takes_created"], 0);
}

#[tokio::test]
async fn update_take_replaces_given_fields_and_get_file_reads_back() {
    let sandbox = Sandbox::start();
    let id = sandbox.uploaded_file("mp4", b"bytes").await;
    let created = sandbox
        .create_take("cam", &[(&id, "MP4")], json!("{\"a\":1}"))
        .await;
    let take_id = created["data"]["createSingleCamTake"]["id"]
        .as_str()
        .unwrap();
    let query = "mutation($id: String!, $m: AWSJSON) { updateTake(id: $id, metadata: $m) { name metadata } }";
    let updated = sandbox
        .gql(query, json!({ "id": take_id, "m": "{\"a\": 2}" }))
        .await;
    assert_eq!(
        updated["data"]["updateTake"],
        json!({"name": "cam take", "metadata": "{\"a\":2}"})
    );
    let file = sandbox
        .gql(
            "query($f: ID!) { getFile(fileId: $f) { id type presignedUrl } }",
            json!({ "f": id }),
        )
        .await;
    assert_eq!(file["data"]["getFile"]["type"], "mp4");
    assert!(
        file["data"]["getFile"]["presignedUrl"]
            .as_str()
            .unwrap()
            .starts_with(&sandbox.base)
    );
}

#[tokio::test]
async fn sigterm_stops_the_sandbox_with_exit_0() {
    let mut sandbox = Sandbox::start();
    assert_eq!(
        sandbox.gql("{ client { name } }", json!({})).await["data"]["client"]["name"],
        "sandbox"
    );
    assert_eq!(sandbox.terminate(), Some(0));
}
