//! The sandbox behaves like the Move UGC API and its storage: round trips, refusals, faults, restarts.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::Sandbox;

const TAKE_QUERY: &str = "query($id: ID!) { getTake(takeId: $id) {
    id name metadata takeType created __typename
    sources { deviceLabel format file { id type } }
    videoFile { id presignedUrl }
    additionalFiles { key format file { id } }
    client { id } } }";

/// Sends raw bytes on a fresh connection to the sandbox and returns everything it answers.
async fn raw_http(sandbox: &Sandbox, request: &[u8]) -> String {
    let addr = sandbox.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    let _ = read.await.expect("the sandbox did not answer in time");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The path and query of a presigned URL, for raw requests.
fn path_of(url: &str) -> &str {
    let rest = url.trim_start_matches("http://");
    &rest[rest.find('/').unwrap()..]
}

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
async fn awsjson_sent_as_an_object_is_refused() {
    let sandbox = Sandbox::start();
    let query = "mutation($m: AWSJSON) { createFile(type: \"mp4\", metadata: $m) { id } }";
    let answer = sandbox.gql(query, json!({ "m": { "site": "a" } })).await;
    assert_eq!(answer["data"], Value::Null);
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Variable 'm' has an invalid value"),
        "{message}"
    );
    assert_eq!(sandbox.stats().await["files_created"], 0);
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
async fn put_with_content_type_is_signature_mismatch() {
    let sandbox = Sandbox::start();
    let (_id, url) = sandbox.create_file("mp4").await;
    let response = sandbox
        .http
        .put(&url)
        .header("Content-Type", "video/mp4")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>SignatureDoesNotMatch</Code>")
    );
}

#[tokio::test]
async fn chunked_put_is_not_implemented() {
    let sandbox = Sandbox::start();
    let (_id, url) = sandbox.create_file("mp4").await;
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>("a"), Ok("b")]);
    let response = sandbox
        .http
        .put(&url)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 501);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("<Code>NotImplemented</Code>") && text.contains("Transfer-Encoding"),
        "{text}"
    );
}

#[tokio::test]
async fn put_without_content_length_is_411_and_refusals_come_before_the_body() {
    let sandbox = Sandbox::start();
    let (_id, url) = sandbox.create_file("mp4").await;
    let no_length = format!("PUT {} HTTP/1.1\r\nHost: x\r\n\r\n", path_of(&url));
    assert!(
        raw_http(&sandbox, no_length.as_bytes())
            .await
            .starts_with("HTTP/1.1 411")
    );
    // A huge announced body that never comes: the 403 must arrive anyway.
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\nContent-MD5: abc\r\n\r\n",
        path_of(&url)
    );
    let answer = raw_http(&sandbox, head.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 403") && answer.contains("SignatureDoesNotMatch"),
        "{answer}"
    );
}

#[tokio::test]
async fn short_body_is_incomplete_and_not_stored() {
    let sandbox = Sandbox::start();
    let (id, url) = sandbox.create_file("mp4").await;
    let addr = sandbox.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b",
        path_of(&url)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("IncompleteBody"),
        "{answer}"
    );
    assert!(!sandbox.data.path().join("blobs").join(&id).exists());
    let answer = sandbox
        .create_take("cam", &[(&id, "MP4")], Value::Null)
        .await;
    assert_eq!(answer["errors"][0]["errorType"], "BadRequestError");
}

#[tokio::test]
async fn expired_url_is_access_denied() {
    let sandbox = Sandbox::start_with(&["--url-ttl-secs", "1"]);
    let (_id, url) = sandbox.create_file("mp4").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = sandbox.put(&url, b"late").await;
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"),
        "{text}"
    );
}

#[tokio::test]
async fn dropped_answer_still_creates_the_file() {
    let sandbox = Sandbox::start();
    sandbox
        .set_faults(json!({ "seed": 1, "p_drop": 1.0 }))
        .await;
    let result = sandbox
        .try_gql("mutation { createFile(type: \"mp4\") { id } }", json!({}))
        .await;
    assert!(result.is_err(), "the answer should be lost, got {result:?}");
    // Queries are never dropped.
    assert_eq!(
        sandbox.gql("{ client { id } }", json!({})).await["data"]["client"]["id"],
        "client-sandbox"
    );
    let stats = sandbox.stats().await;
    assert_eq!(stats["files_created"], 1, "{stats}");
    assert_eq!(stats["faults_injected"], 1, "{stats}");
}

#[tokio::test]
async fn injected_429_and_5xx() {
    let sandbox = Sandbox::start();
    sandbox
        .set_faults(json!({ "p_429": 1.0, "retry_after_secs": 3 }))
        .await;
    let body = json!({ "query": "{ client { id } }" });
    let response = sandbox
        .http
        .post(&sandbox.url)
        .header("Authorization", &sandbox.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    sandbox.set_faults(json!({ "p_5xx": 1.0 })).await;
    let response = sandbox
        .http
        .post(&sandbox.url)
        .header("Authorization", &sandbox.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let url = format!(
        "{}/storage/file-x?AWSAccessKeyId=SANDBOXKEYID&Expires=1&Signature=x",
        sandbox.base
    );
    let response = sandbox.put(&url, b"x").await;
    assert_eq!(response.status(), 500);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>InternalError</Code>")
    );
    assert_eq!(sandbox.stats().await["faults_injected"], 3);
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
