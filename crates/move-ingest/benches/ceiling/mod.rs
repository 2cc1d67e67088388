//! The API's ceiling for small recordings, measured in the same run as move-ingest: a minimal
//! client that makes the requests move-ingest makes for each new recording (`createFile` and a
//! PUT for each file, then `createSingleCamTake`), with the same documents and the same number
//! of recordings at once, and nothing else: no state, no hashing, no scan, no retries.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use move_ingest::api::documents::{CREATE_FILE, CREATE_SINGLE_CAM_TAKE};
use serde_json::{Value, json};

/// One recording: its device label and its files (`.mp4`, then `.move` if there is one).
struct Recording {
    device: String,
    stem: String,
    files: Vec<PathBuf>,
}

/// Sends every recording under `root` (`<root>/<device>/<stem>.mp4|.move`), `concurrency` at a
/// time; returns how many and the seconds it took.
pub fn run(endpoint: &str, key: &str, root: &Path, concurrency: usize) -> (usize, f64) {
    let recordings = recordings(root);
    let n = recordings.len();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let started = Instant::now();
    runtime.block_on(send_all(endpoint, key, recordings, concurrency));
    (n, started.elapsed().as_secs_f64())
}

fn recordings(root: &Path) -> Vec<Recording> {
    let mut out = Vec::new();
    let mut devices: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("read the recordings' root")
        .flatten()
        .map(|e| e.path())
        .collect();
    devices.sort();
    for dir in devices {
        let device = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut videos: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("read a device folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "mp4"))
            .collect();
        videos.sort();
        for video in videos {
            let sidecar = video.with_extension("move");
            let stem = video
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let mut files = vec![video];
            if sidecar.exists() {
                files.push(sidecar);
            }
            out.push(Recording {
                device: device.clone(),
                stem,
                files,
            });
        }
    }
    out
}

async fn send_all(endpoint: &str, key: &str, recordings: Vec<Recording>, concurrency: usize) {
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("an HTTP client");
    let queue = Arc::new(std::sync::Mutex::new(recordings));
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (http, queue) = (http.clone(), queue.clone());
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        workers.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().expect("the queue").pop();
                let Some(rec) = next else { return };
                send(&http, &endpoint, &key, &rec).await;
            }
        }));
    }
    for w in workers {
        w.await.expect("a ceiling worker");
    }
}

async fn send(http: &reqwest::Client, endpoint: &str, key: &str, rec: &Recording) {
    let mut sources = Vec::new();
    for path in &rec.files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (kind, format) = if name.ends_with(".move") {
            ("move", "MOVE")
        } else {
            ("mp4", "MP4")
        };
        let vars = json!({"type": kind, "name": name, "metadata": "{}"});
        let file = gql(http, endpoint, key, CREATE_FILE, vars).await;
        let file = &file["createFile"];
        let bytes = tokio::fs::read(path).await.expect("read a file");
        let url = file["presignedUrl"].as_str().expect("a presigned URL");
        let put = http.put(url).body(bytes).send().await.expect("the PUT");
        assert!(put.status().is_success(), "PUT answered {}", put.status());
        sources.push(json!({"deviceLabel": rec.device, "fileId": file["id"], "format": format}));
    }
    let vars = json!({"sources": sources, "name": rec.stem, "metadata": "{}"});
    gql(http, endpoint, key, CREATE_SINGLE_CAM_TAKE, vars).await;
}

async fn gql(http: &reqwest::Client, endpoint: &str, key: &str, query: &str, vars: Value) -> Value {
    let query = move_ingest::api::documents::with_fragments(query);
    let answer: Value = http
        .post(endpoint)
        .header(reqwest::header::AUTHORIZATION, key)
        .json(&json!({"query": query, "variables": vars}))
        .send()
        .await
        .expect("a GraphQL request")
        .json()
        .await
        .expect("a GraphQL answer");
    assert!(answer["errors"].is_null(), "the API refused: {answer}");
    answer["data"].clone()
}
