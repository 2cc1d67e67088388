//! Shared fixtures: a real `move-sandbox` child process on 127.0.0.1 and async helpers to talk to it.
//!
//! Used by this crate's tests and by move-ingest's (`#[path]`-included there), so that both
//! drive the same binary the same way.
//!
//! Convention: reqwest is built without its "blocking" feature, so every helper that does
//! HTTP is `async` and tests are `#[tokio::test]`. Starting and stopping the sandbox is
//! synchronous (`Sandbox::start`, `restart`, `Drop`), so it works from any test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

/// How long the sandbox may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `move-sandbox --port 0`, killed (and waited for) on drop.
pub struct Sandbox {
    /// The GraphQL endpoint, `http://127.0.0.1:PORT/ugc/graphql`.
    pub url: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The API key it accepts.
    pub key: String,
    /// Its data dir (files, blobs, takes); removed after the process is killed.
    pub data: TempDir,
    /// A plain HTTP client.
    pub http: reqwest::Client,
    args: Vec<String>,
    child: Child,
}

impl Sandbox {
    /// Starts a sandbox with a fresh data dir and a random key.
    pub fn start() -> Sandbox {
        Sandbox::start_with(&[])
    }

    /// Starts a sandbox with extra command-line flags, e.g. `&["--url-ttl-secs", "1"]`.
    pub fn start_with(args: &[&str]) -> Sandbox {
        let data = tempfile::tempdir().expect("cannot create a temp dir");
        let key = format!("test-key-{:016x}", fastrand::u64(..));
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (child, url) = spawn(data.path(), &key, &args, 0);
        let base = url.trim_end_matches("/ugc/graphql").to_string();
        Sandbox {
            url,
            base,
            key,
            data,
            http: reqwest::Client::new(),
            args,
            child,
        }
    }

    /// Stops the process and starts it again on the same data dir, key and flags (new port).
    pub fn restart(&mut self) {
        stop(&mut self.child);
        let (child, url) = spawn(self.data.path(), &self.key, &self.args, 0);
        self.child = child;
        self.base = url.trim_end_matches("/ugc/graphql").to_string();
        self.url = url;
    }

    /// Kills the process: its port is closed (connections refused) until `start_again`.
    pub fn kill(&mut self) {
        stop(&mut self.child);
    }

    /// Starts the process again on the same port, data dir, key and flags (after `kill`).
    pub fn start_again(&mut self) {
        stop(&mut self.child);
        let port: u16 = self
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the base URL ends with the port");
        let (child, url) = spawn(self.data.path(), &self.key, &self.args, port);
        assert_eq!(url, self.url, "the sandbox came back on another address");
        self.child = child;
    }

    /// From now on only `key` is accepted (`POST /admin/key`): the old one is answered 401.
    pub async fn set_key(&mut self, key: &str) {
        let url = format!("{}/admin/key", self.base);
        let response = self
            .http
            .post(url)
            .json(&json!({ "api_key": key }))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "key refused: {}",
            response.text().await.unwrap()
        );
        self.key = key.to_string();
    }

    /// Sends SIGTERM and waits (up to 10 s) for the process to exit; returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("cannot run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("cannot wait for the sandbox") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the sandbox did not stop within 10 s of SIGTERM");
    }

    /// Posts a GraphQL request with the right key; panics on a transport error.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.try_gql(query, variables)
            .await
            .expect("GraphQL request failed")
    }

    /// Posts a GraphQL request with the right key; returns transport errors.
    pub async fn try_gql(&self, query: &str, variables: Value) -> reqwest::Result<Value> {
        let body = json!({ "query": query, "variables": variables });
        let response = self
            .http
            .post(&self.url)
            .header("Authorization", &self.key)
            .json(&body)
            .send()
            .await?;
        response.json().await
    }

    /// The counters of `GET /admin/stats`.
    pub async fn stats(&self) -> Value {
        let url = format!("{}/admin/stats", self.base);
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Replaces the injected faults (`POST /admin/faults`), e.g. `json!({"p_drop": 1.0})`.
    pub async fn set_faults(&self, faults: Value) {
        let url = format!("{}/admin/faults", self.base);
        let response = self.http.post(url).json(&faults).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "faults refused: {}",
            response.text().await.unwrap()
        );
    }

    /// Replaces how new jobs behave (`POST /admin/jobs`), e.g. `json!({"queue_ms": 0, "run_ms": 0})`.
    pub async fn set_jobs(&self, settings: Value) {
        let url = format!("{}/admin/jobs", self.base);
        let response = self.http.post(url).json(&settings).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "job settings refused: {}",
            response.text().await.unwrap()
        );
    }

    /// Every take, newest first, read through `listTakes` pages of `page` takes.
    pub async fn takes_paged(&self, page: u32) -> Vec<Value> {
        let query =
            "query($first: Int, $after: AWSJSON) { listTakes(first: $first, after: $after) {
            items { id name metadata created takeType sources { deviceLabel format file { id } } }
            after } }";
        let mut takes = Vec::new();
        let mut after = Value::Null;
        loop {
            let answer = self
                .gql(query, json!({ "first": page, "after": after }))
                .await;
            let list = &answer["data"]["listTakes"];
            takes.extend(
                list["items"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{answer}"))
                    .iter()
                    .cloned(),
            );
            after = list["after"].clone();
            if after.is_null() {
                return takes;
            }
        }
    }

    /// Every take, newest first.
    pub async fn takes(&self) -> Vec<Value> {
        self.takes_paged(100).await
    }

    /// The bytes an upload stored for `file_id`.
    pub fn blob(&self, file_id: &str) -> Vec<u8> {
        std::fs::read(self.data.path().join("blobs").join(file_id)).unwrap()
    }

    /// `createFile(type)`: returns (file id, presigned upload URL).
    pub async fn create_file(&self, file_type: &str) -> (String, String) {
        let query = "mutation($t: String!) { createFile(type: $t) { id presignedUrl } }";
        let answer = self.gql(query, json!({ "t": file_type })).await;
        let file = &answer["data"]["createFile"];
        let id = file["id"].as_str().unwrap_or_else(|| panic!("{answer}"));
        (
            id.to_string(),
            file["presignedUrl"].as_str().unwrap().to_string(),
        )
    }

    /// PUTs `bytes` to a presigned URL the way move-ingest must: the URL untouched, no extra headers.
    pub async fn put(&self, url: &str, bytes: &[u8]) -> reqwest::Response {
        self.http
            .put(url)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Creates a file of `file_type`, uploads `bytes` to it, and returns its id.
    pub async fn uploaded_file(&self, file_type: &str, bytes: &[u8]) -> String {
        let (id, url) = self.create_file(file_type).await;
        let response = self.put(&url, bytes).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        id
    }

    /// `createSingleCamTake` from `(file id, format)` sources sharing `label`; returns the whole answer.
    pub async fn create_take(
        &self,
        label: &str,
        sources: &[(&str, &str)],
        metadata: Value,
    ) -> Value {
        let sources: Vec<Value> = sources
            .iter()
            .map(|(id, format)| json!({ "deviceLabel": label, "fileId": id, "format": format }))
            .collect();
        let query = "mutation($s: [SourceInput!], $m: AWSJSON, $n: String) {
            createSingleCamTake(sources: $s, metadata: $m, name: $n) { id name metadata } }";
        let name = format!("{label} take");
        self.gql(query, json!({ "s": sources, "m": metadata, "n": name }))
            .await
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Spawns the binary on `port` (0: any free one) and reads its first stdout line to learn the
/// GraphQL URL.
fn spawn(data: &Path, key: &str, args: &[String], port: u16) -> (Child, String) {
    let port = port.to_string();
    let mut child = Command::new(sandbox_bin())
        .args(["--port", &port, "--api-key", key, "--data"])
        .arg(PathBuf::from(data))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot start move-sandbox");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        let _ = lines.read_line(&mut first);
        let _ = tx.send(first);
        // Keep draining so later prints never hit a closed pipe.
        let _ = std::io::copy(&mut lines, &mut std::io::sink());
    });
    let first = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
    let Some(url) = first.trim().strip_prefix("sandbox listening on ") else {
        stop(&mut child);
        panic!("the sandbox did not announce its address; first line: {first:?}");
    };
    (child, url.to_string())
}

/// The `move-sandbox` binary: cargo names it for this crate's tests; move-ingest's tests find
/// it beside their own test binary (`target/<profile>/deps/..`), where a workspace-wide
/// `cargo test` has built it.
pub fn sandbox_bin() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_move-sandbox") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("cannot find the test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let bin = profile_dir.join("move-sandbox");
    assert!(
        bin.exists(),
        "{} is missing: run the tests from the workspace root (`cargo test --all-targets`), \
         or build it first with `cargo build -p move-sandbox`",
        bin.display()
    );
    bin
}
