//! The operator's views of a running service: `/metrics` scraped during and after ingesting,
//! `/healthz` and the webhook while the API is down, `/api/status` against `status --json`,
//! the journald priority prefix, and the status page in a real browser.

use std::fs::File;
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, set_age};
use crate::util::Sandbox;

const DEADLINE: Duration = Duration::from_secs(30);

/// A capture setup whose config turns the metrics server on (a free port) with `extra` appended.
fn capture(sb: &Sandbox, extra: &str) -> Capture {
    capture_unhealthy_after(sb, 1, extra)
}

fn capture_unhealthy_after(sb: &Sandbox, secs: u64, extra: &str) -> Capture {
    let cap = Capture::new(sb);
    let text = format!(
        "[api]\nendpoint = \"{}\"\n\n[[watch]]\npath = \"{}\"\n\n[pairing]\nsettle_secs = 1\nmove_wait_secs = 1\n\n\
         [state]\ndir = \"{}\"\n\n[upload]\nconcurrency = 2\n\n[retry]\nmax_attempts = 1000\nbase_ms = 50\ncap_secs = 1\n\n\
         [log]\nlevel = \"debug\"\nformat = \"json\"\n\n[metrics]\nlisten = \"127.0.0.1:0\"\nunhealthy_after_secs = {secs}\n{extra}\n",
        cap.endpoint,
        cap.watch.display(),
        cap.state.display(),
    );
    std::fs::write(&cap.config, text).unwrap();
    cap
}

/// `move-ingest run` with its HTTP server; killed on drop.
pub(crate) struct Daemon {
    pub(crate) child: Child,
    log: PathBuf,
    pub(crate) base: String,
    http: reqwest::Client,
}

impl Daemon {
    pub(crate) async fn start(cap: &Capture) -> Daemon {
        let log = cap.root.path().join("run.log");
        let child = cap
            .cmd(&["run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut d = Daemon {
            child,
            log,
            base: String::new(),
            http: reqwest::Client::new(),
        };
        d.base = until("the metrics server to listen", || async {
            d.log_text().lines().find_map(|l| {
                let v: Value = serde_json::from_str(l).ok()?;
                Some(format!("http://{}", v["listen"].as_str()?))
            })
        })
        .await;
        until("the service to be ready", || async {
            d.log_text()
                .contains("watching for recordings")
                .then_some(())
        })
        .await;
        d
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `/healthz`: its status and body, on a connection of its own (a pooled one may have been
    /// closed by a service that was paused or restarted meanwhile).
    pub(crate) async fn healthz(&self) -> (u16, String) {
        let r = reqwest::get(format!("{}/healthz", self.base))
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Fails the test if the service has exited.
    pub(crate) fn assert_alive(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the service exited; log:\n{}",
            self.log_text()
        );
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// One sample of `/metrics`, e.g. `move_ingest_recordings{state="done"}`.
    pub(crate) async fn metric(&self, series: &str) -> f64 {
        let (status, text) = self.get("/metrics").await;
        assert_eq!(status, 200, "{text}");
        sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one series in Prometheus text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(series)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crate::run::until_within(what, DEADLINE, check).await
}

/// A webhook receiver on 127.0.0.1 that refuses its first POST (HTTP 500), then takes them all.
pub(crate) struct Receiver {
    pub(crate) url: String,
    got: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        use axum::routing::post;
        let got: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (g, s) = (got.clone(), seen.clone());
        let app = axum::Router::new().route(
            "/hook",
            post(move |body: String| async move {
                if s.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                g.lock().unwrap().push(body);
                axum::http::StatusCode::NO_CONTENT
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got }
    }

    /// Waits for a message with this `event` and returns it.
    pub(crate) async fn event(&self, event: &str) -> Value {
        until(&format!("a webhook `{event}`"), || async {
            self.got.lock().unwrap().iter().find_map(|b| {
                let v: Value = serde_json::from_str(b).ok()?;
                (v["event"] == event).then_some(v)
            })
        })
        .await
    }

    fn bodies(&self) -> String {
        self.got.lock().unwrap().join("\n")
    }
}

#[tokio::test]
async fn metrics_count_takes_bytes_and_states_during_and_after_ingesting() {
    let sb = Sandbox::start();
    // Slow uploads, so that a scrape lands while the first recording is in flight.
    sb.set_faults(json!({"upload_bytes_per_sec": 1_000_000}))
        .await;
    let cap = capture(&sb, "");
    let d = Daemon::start(&cap).await;
    assert_eq!(d.metric("move_ingest_takes_created_total").await, 0.0);
    assert_eq!(
        d.metric("move_ingest_build_info{version=\"0.1.0\"}").await,
        1.0
    );
    cap.write("cam-a", "one.mp4", &bytes(1, 2_500_000));
    until("the recording to be in flight", || async {
        (d.metric("move_ingest_recordings{state=\"queued\"}").await == 1.0).then_some(())
    })
    .await;
    assert_eq!(d.metric("move_ingest_takes_created_total").await, 0.0);
    assert_eq!(
        d.metric("move_ingest_recordings{state=\"done\"}").await,
        0.0
    );
    let (_, page) = d.get("/").await;
    assert!(page.contains("cam-a") && page.contains("one"), "{page}");

    // The .move first: it waits for its video, so the pair holds however slow the machine is.
    cap.write("cam-b", "two.move", &bytes(3, 300_000));
    cap.write("cam-b", "two.mp4", &bytes(2, 700_000));
    until("both takes", || async {
        (d.metric("move_ingest_takes_created_total").await == 2.0).then_some(())
    })
    .await;
    assert_eq!(
        d.metric("move_ingest_recordings{state=\"done\"}").await,
        2.0
    );
    assert_eq!(
        d.metric("move_ingest_recordings{state=\"queued\"}").await,
        0.0
    );
    assert_eq!(
        d.metric("move_ingest_uploaded_bytes_total").await,
        3_500_000.0
    );
    assert_eq!(d.metric("move_ingest_upload_seconds_count").await, 3.0);
    assert_eq!(
        d.metric("move_ingest_oldest_pending_age_seconds").await,
        0.0
    );
    assert!(d.metric("move_ingest_last_take_timestamp_seconds").await > 1.7e9);
    // The latest takes show the API's thumbnails, fetched by the daemon and served from it.
    let thumb = until("a thumbnail on the page", || async {
        let (_, page) = d.get("/").await;
        let at = page.find("<img src=\"/thumbnail/")?;
        let rest = &page[at + "<img src=\"".len()..];
        Some(rest[..rest.find('"')?].to_string())
    })
    .await;
    let r = d
        .http
        .get(format!("{}{thumb}", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<svg"));
    assert_eq!(d.get("/thumbnail/take-unknown").await.0, 404);
    let watch = format!(
        "move_ingest_watch_free_bytes{{path=\"{}\"}}",
        cap.watch.display()
    );
    assert!(d.metric(&watch).await > 0.0);
    let (status, health) = d.get("/healthz").await;
    assert_eq!((status, health.as_str()), (200, "ingesting\n"));
    // `/api/status` is exactly `status --json`.
    let (status, api) = d.get("/api/status").await;
    assert_eq!(status, 200);
    let api: Value = serde_json::from_str(&api).unwrap();
    assert_eq!(api, cap.status());
    assert_eq!(api["counts"]["done"], 2);
}

#[tokio::test]
async fn while_the_api_is_down_the_oldest_pending_age_rises_healthz_fails_and_the_webhook_hears_it()
{
    let sb = Sandbox::start();
    let hook = Receiver::start().await;
    let cap = capture(
        &sb,
        &format!(
            "\n[notify]\nwebhook = \"{}\"\nsummary_every_secs = 2\n",
            hook.url
        ),
    );
    sb.set_faults(json!({"p_5xx": 1.0})).await;
    let d = Daemon::start(&cap).await;
    cap.write("cam-a", "stuck.mp4", &bytes(4, 100_000));
    let first = until("a pending age", || async {
        let age = d.metric("move_ingest_oldest_pending_age_seconds").await;
        (age > 0.0).then_some(age)
    })
    .await;
    let later = until("the age to rise", || async {
        let age = d.metric("move_ingest_oldest_pending_age_seconds").await;
        (age >= first + 1.0).then_some(age)
    })
    .await;
    assert!(later > first);
    assert!(
        d.metric("move_ingest_api_errors_total{kind=\"server\"}")
            .await
            >= 1.0
    );
    let (status, reason) = until("/healthz to fail", || async {
        let (status, body) = d.get("/healthz").await;
        (status == 503).then_some((status, body))
    })
    .await;
    assert_eq!(status, 503);
    assert!(reason.contains("unreachable"), "{reason}");
    let paused = hook.event("paused").await;
    assert!(paused["reason"].as_str().unwrap().contains("unreachable"));
    let (_, page) = d.get("/").await;
    assert!(page.contains("Paused") && page.contains("stuck"), "{page}");

    sb.set_faults(json!({})).await;
    until("the take", || async {
        (d.metric("move_ingest_takes_created_total").await == 1.0).then_some(())
    })
    .await;
    assert_eq!(
        d.metric("move_ingest_oldest_pending_age_seconds").await,
        0.0
    );
    until("/healthz to recover", || async {
        (d.get("/healthz").await.0 == 200).then_some(())
    })
    .await;
    hook.event("resumed").await;
    let summary = hook.event("summary").await;
    assert!(summary["recordings"].is_object(), "{summary}");
    assert!(
        !hook.bodies().contains(&sb.key),
        "the key reached the webhook"
    );
}

#[tokio::test]
async fn a_recording_that_outlasts_its_retries_is_retrying_in_the_metrics_the_page_and_api_status()
{
    let sb = Sandbox::start();
    let cap = capture_unhealthy_after(&sb, 600, "");
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("max_attempts = 1000", "max_attempts = 2"),
    )
    .unwrap();
    sb.set_faults(json!({"p_5xx": 1.0})).await;
    let d = Daemon::start(&cap).await;
    cap.write("cam-a", "stuck.mp4", &bytes(4, 10_000));
    until("the recording to be retrying", || async {
        (d.metric("move_ingest_recordings{state=\"retrying\"}").await == 1.0).then_some(())
    })
    .await;
    assert_eq!(
        d.metric("move_ingest_recordings{state=\"failed\"}").await,
        0.0
    );
    let (_, page) = d.get("/").await;
    assert!(
        page.contains("Retrying after a transient error") && page.contains("stuck"),
        "{page}"
    );
    let (_, api) = d.get("/api/status").await;
    let api: Value = serde_json::from_str(&api).unwrap();
    let row = &api["latest"][0];
    assert_eq!(row["state"], "retrying", "{api}");
    assert!(row["next_attempt"].is_string(), "{api}");

    sb.set_faults(json!({})).await;
    until("the take", || async {
        (d.metric("move_ingest_takes_created_total").await == 1.0).then_some(())
    })
    .await;
    assert_eq!(
        d.metric("move_ingest_recordings{state=\"retrying\"}").await,
        0.0
    );
}

/// Every `move_ingest_recordings{state=...}` sample, by state.
fn recordings_by_state(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("move_ingest_recordings{state=\"")?;
            let (state, value) = rest.split_once("\"} ")?;
            Some((state.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn a_video_waiting_for_its_move_is_one_waiting_in_status_api_status_and_the_metrics() {
    let sb = Sandbox::start();
    let cap = capture(&sb, "");
    // A video alone waits this long for its `.move`: longer than the test.
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("move_wait_secs = 1", "move_wait_secs = 600"),
    )
    .unwrap();
    let d = Daemon::start(&cap).await;
    // One recording done (its `.move` first, so it never waits for one)...
    cap.write("cam-a", "one.move", &bytes(1, 3_000));
    cap.write("cam-a", "one.mp4", &bytes(2, 20_000));
    until("the first take", || async {
        (d.metric("move_ingest_takes_created_total").await == 1.0).then_some(())
    })
    .await;
    // ...and a fresh video whose `.move` is expected: the service holds it while it waits.
    cap.write_fresh("cam-b", "two.mp4", &bytes(3, 20_000));
    let status = until("status to show the waiting video", || async {
        let status = cap.status();
        (status["counts"]["waiting"] == 1).then_some(status)
    })
    .await;
    assert_eq!(status["total"], 2, "{status}");
    assert_eq!(status["counts"]["done"], 1, "{status}");

    let out = cap.run(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 recordings: 1 waiting, "), "{text}");

    let (code, api) = d.get("/api/status").await;
    assert_eq!(code, 200, "{api}");
    let api: Value = serde_json::from_str(&api).unwrap();
    assert_eq!(api["counts"]["waiting"], 1, "{api}");
    assert_eq!(api["total"], 2, "{api}");
    assert_eq!(api, cap.status(), "/api/status is `status --json`");

    let (code, metrics) = d.get("/metrics").await;
    assert_eq!(code, 200, "{metrics}");
    let by_state = recordings_by_state(&metrics);
    let waiting = by_state.iter().find(|(s, _)| s == "waiting");
    assert_eq!(waiting.map(|(_, n)| *n), Some(1.0), "{metrics}");
    let total: f64 = by_state.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 2.0, "{metrics}");

    // The `.move` comes: the pair is ingested and nothing waits any more, in every view.
    cap.write("cam-b", "two.move", &bytes(4, 3_000));
    until("the second take", || async {
        (d.metric("move_ingest_takes_created_total").await == 2.0).then_some(())
    })
    .await;
    until("no waiting video in /metrics", || async {
        (d.metric("move_ingest_recordings{state=\"waiting\"}").await == 0.0).then_some(())
    })
    .await;
    let status = cap.status();
    assert_eq!(
        (&status["counts"]["waiting"], &status["total"]),
        (&json!(0), &json!(2)),
        "{status}"
    );
    let (_, api) = d.get("/api/status").await;
    let api: Value = serde_json::from_str(&api).unwrap();
    assert_eq!(api["total"], 2, "{api}");
}

#[tokio::test]
async fn a_permanent_failure_is_posted_to_the_webhook_after_a_retry_without_the_key() {
    let sb = Sandbox::start();
    let hook = Receiver::start().await;
    let cap = capture(&sb, &format!("\n[notify]\nwebhook = \"{}\"\n", hook.url));
    let d = Daemon::start(&cap).await;
    let empty = cap.write("cam-a", "empty.mp4", b"");
    set_age(&empty, Duration::from_secs(3600));
    let failed = hook.event("recording_failed").await;
    assert_eq!(failed["stem"], "empty");
    assert_eq!(failed["device"], "cam-a");
    assert!(failed["reason"].as_str().unwrap().contains("is empty"));
    assert!(failed["what_to_do"].as_str().unwrap().contains("retry"));
    assert!(failed["host"].is_string());
    assert!(!hook.bodies().contains(&sb.key));
    assert_eq!(
        d.metric("move_ingest_recordings{state=\"failed\"}").await,
        1.0
    );
    let (_, page) = d.get("/").await;
    assert!(page.contains("What to do"), "{page}");
}

#[tokio::test]
async fn under_systemd_a_warning_reaches_the_journal_with_priority_4() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    std::fs::remove_dir(&cap.watch).unwrap();
    let log = cap.root.path().join("journal-stream.log");
    let stderr = File::create(&log).unwrap();
    let meta = stderr.metadata().unwrap();
    let mut child = cap
        .cmd(&["run"])
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let text = until("the service to be ready", || async {
        let t = std::fs::read_to_string(&log).unwrap_or_default();
        t.contains("watching for recordings").then_some(t)
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let warning = text
        .lines()
        .find(|l| l.contains("does not exist"))
        .unwrap_or_else(|| panic!("no warning in\n{text}"));
    assert!(warning.starts_with("<4>"), "{warning}");
    for line in text.lines() {
        assert!(
            line.len() > 3 && line.starts_with('<') && line.as_bytes()[2] == b'>',
            "every line has a priority: {line}"
        );
        assert!(
            !line.contains("2026-") && !line.contains(" INFO "),
            "no own timestamp or level: {line}"
        );
    }
    let ready = text.lines().find(|l| l.contains("watching for recordings"));
    assert!(ready.is_some_and(|l| l.starts_with("<6>")), "{text}");
}

/// Headless Chromium: `$MOVE_INGEST_CHROMIUM` (set by CI once it installed it: then it must
/// be there), else `chromium` or `chromium-browser` on PATH when it can be found.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOVE_INGEST_CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "MOVE_INGEST_CHROMIUM={} is not a file",
            path.display()
        );
        return Some(path);
    }
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_string_lossy()
            .split(':')
            .map(|dir| PathBuf::from(dir).join(name))
            .find(|p| p.is_file())
    })
}

#[tokio::test]
async fn the_status_page_in_a_real_browser_shows_every_state() {
    let Some(browser) = chromium() else {
        crate::skip(
            "the_status_page_in_a_real_browser_shows_every_state: no chromium on PATH (apt-get install chromium)",
        );
        return;
    };
    let sb = Sandbox::start();
    let cap = capture_unhealthy_after(&sb, 600, "");
    let d = Daemon::start(&cap).await;
    // Done: four takes.
    cap.write("cam-a", "warmup-01.mp4", &bytes(10, 400_000));
    cap.write("cam-b", "warmup-02.move", &bytes(12, 50_000));
    cap.write("cam-b", "warmup-02.mp4", &bytes(11, 300_000));
    cap.write("cam-c", "walk-cycle.mp4", &bytes(16, 200_000));
    cap.write("cam-d", "t-pose.mp4", &bytes(17, 200_000));
    until("four takes with their thumbnails", || async {
        let (_, page) = d.get("/").await;
        (page.matches("<img src=\"/thumbnail/").count() == 4).then_some(())
    })
    .await;
    // Failed: an empty file.
    cap.write("cam-c", "empty-take.mp4", b"");
    // Uploading: a throttled upload of a bigger file.
    sb.set_faults(json!({"upload_bytes_per_sec": 400_000}))
        .await;
    cap.write("cam-a", "dance-03.mp4", &bytes(13, 20_000_000));
    until("the upload to be under way", || async {
        let (_, page) = d.get("/").await;
        page.contains("dance-03.mp4 · ").then_some(())
    })
    .await;
    // Retrying: the API answers 503 from now on, while the throttled PUT goes on.
    sb.set_faults(json!({"upload_bytes_per_sec": 400_000, "p_5xx": 1.0}))
        .await;
    cap.write("cam-d", "jump-04.mp4", &bytes(14, 500_000));
    cap.write("cam-d", "jump-05.mp4", &bytes(15, 500_000));
    cap.write("cam-b", "spin-06.mp4", &bytes(18, 500_000));
    until("a retry, a failure and an upload on the page", || async {
        let (_, page) = d.get("/").await;
        (page.contains("Retrying after a transient error")
            && page.contains("Failed: needs a person")
            && page.contains("jump-04")
            && page.contains("dance-03.mp4 · "))
        .then_some(())
    })
    .await;
    let profile = tempfile::tempdir().unwrap();
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("status-page.png");
    let _ = std::fs::remove_file(&shot);
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1920,1080",
    ];
    let out = std::process::Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("{}/", d.base))
        .output()
        .unwrap();
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); chromium said:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    // The DOM the browser built holds every section.
    let dom = std::process::Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("{}/", d.base))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    for text in [
        "Uploading",
        "Retrying after a transient error",
        "Failed: needs a person",
        "What to do",
        "Latest takes",
        "Free space",
        "warmup-02",
    ] {
        assert!(dom.contains(text), "the browser's page lacks {text:?}");
    }
    eprintln!("screenshot of the status page: {}", shot.display());
}

/// Every series name in a Prometheus exposition (histograms give `_bucket`, `_sum`, `_count`).
fn exported_names() -> std::collections::BTreeSet<String> {
    use move_ingest::report::snapshot::{FirstSeen, WatchSpace, from_state};
    let mut snap = from_state(&Default::default(), &FirstSeen::default());
    snap.watches = vec![WatchSpace {
        path: "/srv/captures".into(),
        free_bytes: Some(1),
        total_bytes: Some(2),
    }];
    let text = move_ingest::observe::metrics::Metrics::new()
        .render(&snap)
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_dashboard_and_the_alert_rules_use_only_metrics_the_daemon_exports() {
    let exported = exported_names();
    assert!(
        exported.contains("move_ingest_takes_created_total"),
        "{exported:?}"
    );
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contrib");
    let files = [
        "grafana/move-ingest-dashboard.json",
        "prometheus/move-ingest-alerts.yml",
    ];
    for file in files {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        let mut used = 0;
        for (i, _) in text.match_indices("move_ingest_") {
            let name: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            used += 1;
            assert!(
                exported.contains(&name),
                "{file} uses {name}, which the daemon does not export ({exported:?})"
            );
        }
        assert!(used >= 4, "{file} uses no metric at all?");
    }
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/{}", files[0])).unwrap())
            .expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    // A fleet: the Machine variable selects several (or All), the fleet overview row comes
    // first, and every selector of every panel narrows to the selected machines.
    let vars = dashboard["templating"]["list"].as_array().unwrap();
    let instance = vars
        .iter()
        .find(|v| v["name"] == "instance")
        .expect("an instance variable");
    assert_eq!(instance["multi"], true);
    assert_eq!(instance["includeAll"], true);
    assert_eq!(panels[0]["type"], "row");
    assert_eq!(panels[0]["title"], "Fleet overview");
    let mut selectors = 0;
    for panel in panels {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            for (i, _) in expr.match_indices("move_ingest_") {
                let rest = &expr[i..];
                let name_end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let selector = rest[name_end..]
                    .strip_prefix('{')
                    .and_then(|s| s.split_once('}'))
                    .map(|(labels, _)| labels);
                assert!(
                    selector.is_some_and(|l| l.contains(r#"instance=~"$instance""#)),
                    "panel {:?}: {expr} does not filter by instance",
                    panel["title"]
                );
                selectors += 1;
            }
        }
    }
    assert!(selectors >= 20, "{selectors}");
    let rules = std::fs::read_to_string(format!("{root}/{}", files[1])).unwrap();
    for alert in [
        "MoveIngestRecordingPendingOverAnHour",
        "MoveIngestRecordingsFailed",
        "MoveIngestNoTakeForADay",
        "MoveIngestWatchPathLowSpace",
        "MoveIngestMachineSilent",
    ] {
        assert!(rules.contains(&format!("alert: {alert}")), "{alert}");
    }
    // Per machine: every summary names it.
    let summaries = rules.matches("summary: \"{{ $labels.instance }}: ").count();
    assert_eq!(summaries, rules.matches("alert: ").count(), "{rules}");
}

#[tokio::test]
async fn a_rejected_key_stops_run_and_the_webhook_hears_why_without_the_key() {
    let sb = Sandbox::start();
    let hook = Receiver::start().await;
    let cap = capture(&sb, &format!("\n[notify]\nwebhook = \"{}\"\n", hook.url));
    cap.write("cam-a", "take.mp4", &bytes(5, 10_000));
    let wrong = "wrong-key-7f3a9c";
    let mut cmd = cap.cmd(&["run"]);
    cmd.env("MOVE_API_KEY", wrong).stdin(Stdio::null());
    // The receiver answers from this runtime while the daemon runs: wait for it off-thread.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", crate::capture::show(&out));
    let paused = hook.event("paused").await;
    assert!(
        paused["reason"]
            .as_str()
            .unwrap()
            .contains("rejected the API key"),
        "{paused}"
    );
    assert!(
        !hook.bodies().contains(wrong),
        "the key reached the webhook"
    );
}
