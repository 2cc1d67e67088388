//! The sandbox's storage endpoint refuses and stores uploads like Move's S3 storage.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::Sandbox;

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
    // Over S3's 5 GiB single-PUT limit.
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: x\r\nContent-Length: 6000000000\r\n\r\n",
        path_of(&url)
    );
    let answer = raw_http(&sandbox, head.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("EntityTooLarge"),
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
async fn throttled_upload_takes_size_over_rate() {
    let sandbox = Sandbox::start_with(&["--upload-bytes-per-sec", "200000"]);
    let (id, url) = sandbox.create_file("mp4").await;
    let started = std::time::Instant::now();
    assert_eq!(sandbox.put(&url, &vec![7u8; 300_000]).await.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(sandbox.blob(&id).len(), 300_000);
}

#[tokio::test]
async fn a_second_put_overwrites_and_answers_an_etag() {
    let sandbox = Sandbox::start();
    let (id, url) = sandbox.create_file("mp4").await;
    for body in [b"first version".as_slice(), b"second".as_slice()] {
        let response = sandbox.put(&url, body).await;
        assert_eq!(response.status(), 200);
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && etag.len() > 34, "{etag}");
        assert_eq!(sandbox.blob(&id), body);
    }
    assert_eq!(sandbox.stats().await["uploads_completed"], 2);
}
