//! `[notify] webhook`: a JSON POST when a recording fails for good, when ingestion pauses or
//! resumes, and a summary once a day. Sent by one background task from a bounded queue, retried
//! with backoff; ingestion never waits for it (a full queue drops the message, with a warning).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::observe::monitor::{Health, Monitor};
use crate::report::snapshot::StateView;
use crate::retry::Policy;

/// Messages waiting to be sent; more are dropped (with a warning) rather than block anything.
const QUEUE: usize = 256;
/// Attempts per message.
const ATTEMPTS: u32 = 6;

/// The sending side: cheap to call from anywhere, never waits.
pub struct Notifier {
    tx: mpsc::Sender<Value>,
    host: String,
    /// Messages queued and not yet delivered or given up on.
    pending: Arc<AtomicUsize>,
}

impl Notifier {
    /// Starts the sender task (within a Tokio runtime).
    pub fn start(cfg: &crate::config::NotifyConfig, hostname: &str) -> Notifier {
        let (tx, rx) = mpsc::channel(QUEUE);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("move-ingest/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let pending = Arc::new(AtomicUsize::new(0));
        tokio::spawn(deliver(http, cfg.webhook.clone(), rx, pending.clone()));
        Notifier {
            tx,
            host: hostname.to_string(),
            pending,
        }
    }

    /// Queues `event` with its fields; drops it (with a warning) when the queue is full.
    pub fn send(&self, event: &str, fields: Value) {
        let mut body = json!({
            "event": event,
            "host": self.host,
            "time": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            "version": env!("CARGO_PKG_VERSION"),
        });
        if let (Some(b), Value::Object(f)) = (body.as_object_mut(), fields) {
            b.extend(f);
        }
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.tx.try_send(body).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(
                event,
                "the webhook queue is full (the receiver is down or slow); this notification is dropped"
            );
        }
    }

    /// Waits (at most `within`) until every queued message is delivered or given up on; used
    /// before the process exits so that its last word reaches the receiver.
    pub async fn flush(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.pending.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How a message that did not get through is tried again: the one retry policy (exponential
/// backoff with full jitter), from 1 s up to a minute, `ATTEMPTS` times in all.
fn policy() -> Policy {
    Policy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(60),
        max_attempts: ATTEMPTS,
    }
}

/// Posts each message, retrying with the webhook's [`policy`].
async fn deliver(
    http: reqwest::Client,
    url: String,
    mut rx: mpsc::Receiver<Value>,
    pending: Arc<AtomicUsize>,
) {
    while let Some(body) = rx.recv().await {
        let event = body["event"].as_str().unwrap_or_default().to_string();
        let policy = policy();
        for attempt in 1.. {
            let error = match http.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => format!("HTTP {}", r.status()),
                Err(e) => crate::api::error_chain(&e),
            };
            if !policy.allows(attempt) {
                tracing::warn!(
                    event,
                    attempts = attempt,
                    "the webhook did not take this notification: {error}; giving up on it"
                );
                break;
            }
            let wait = policy.delay(attempt, None);
            tracing::debug!(event, attempt, "webhook: {error}; will retry");
            tokio::time::sleep(wait).await;
        }
        pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The service's watcher: every second it checks health and logs (and posts) a pause or a
/// resume; it posts the summary every `notify.summary_every_secs`. Runs until aborted.
pub async fn supervise(monitor: Arc<Monitor>, view: Arc<dyn StateView>, cfg: Arc<Config>) {
    let every = cfg
        .notify
        .as_ref()
        .map_or(crate::config::NotifyConfig::DEFAULT_SUMMARY_SECS, |n| {
            n.summary_every_secs
        });
    let mut next_summary = tokio::time::Instant::now() + Duration::from_secs(every);
    let mut last = Health::Ingesting;
    let mut paused_at = SystemTime::now();
    let mut since_summary = (0u64, 0u64);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = SystemTime::now();
        let health = monitor.health(now);
        if health != last {
            match &health {
                Health::Paused(reason) => {
                    paused_at = now;
                    tracing::warn!("ingestion paused: {reason}");
                    if let Some(n) = monitor.notifier() {
                        n.send("paused", json!({ "reason": reason }));
                    }
                }
                Health::Ingesting => {
                    let secs = now.duration_since(paused_at).unwrap_or_default().as_secs();
                    tracing::info!(paused_secs = secs, "ingestion resumed");
                    if let Some(n) = monitor.notifier() {
                        n.send("resumed", json!({ "paused_secs": secs }));
                    }
                }
            }
            last = health;
        }
        if tokio::time::Instant::now() >= next_summary {
            next_summary += Duration::from_secs(every);
            if let Some(n) = monitor.notifier() {
                let takes = monitor.metrics.takes_created.get();
                let bytes = monitor.metrics.uploaded_bytes.get();
                let snap = view.snapshot(&cfg.watch, &monitor.first_seen, &monitor.waiting());
                let counts: serde_json::Map<String, Value> = snap
                    .counts
                    .iter()
                    .map(|(s, c)| (s.to_string(), json!(c)))
                    .collect();
                n.send(
                    "summary",
                    json!({
                        "period_secs": every,
                        "takes_created": takes - since_summary.0,
                        "uploaded_bytes": bytes - since_summary.1,
                        "recordings": counts,
                        "oldest_pending_age_secs": snap.oldest_pending_age_secs().round(),
                        "failed": snap.failed.iter().map(|r| json!({
                            "recording_id": r.id, "device": r.device, "stem": r.stem,
                            "reason": r.failure.as_ref().map(|f| &f.1),
                        })).collect::<Vec<_>>(),
                        "watch_free_bytes": snap.watches.iter().map(|w| json!({
                            "path": w.path, "free_bytes": w.free_bytes,
                        })).collect::<Vec<_>>(),
                    }),
                );
                since_summary = (takes, bytes);
            }
        }
    }
}
