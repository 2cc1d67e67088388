//! `[notify] webhook`: a JSON POST when a recording fails for good, when ingestion pauses or
//! resumes, and a summary once a day. Sent by one background task from a bounded queue, retried
//! with backoff; ingestion never waits for it (a full queue drops the message, with a warning).
//!
//! With a secret (`[notify] secret_file` or the systemd credential `webhook-secret`) each POST is
//! signed per Standard Webhooks (the scheme of Svix and of Move's own webhooks): `webhook-id`
//! (one per message, the same on its retries), `webhook-timestamp` (Unix seconds of the attempt)
//! and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::config::{Config, Secret, UsageError};
use crate::observe::monitor::{Health, Monitor};
use crate::report::snapshot::StateView;
use crate::retry::Policy;

/// Messages waiting to be sent; more are dropped (with a warning) rather than block anything.
const QUEUE: usize = 256;
/// Attempts per message.
const ATTEMPTS: u32 = 6;

/// Signs a message with the secret's key; shows nothing of it.
#[derive(Clone)]
pub struct Signer(Hmac<Sha256>);

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

impl Signer {
    /// A signer with the decoded key of `secret` (any length is a valid HMAC key).
    pub fn new(secret: &Secret) -> Result<Signer, UsageError> {
        Hmac::<Sha256>::new_from_slice(secret.expose())
            .map(Signer)
            .map_err(|e| UsageError::new(format!("the webhook secret cannot key HMAC-SHA256: {e}")))
    }

    /// `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    pub fn signature(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(tag)
        )
    }
}

/// One message as it is posted, the same bytes on every attempt.
struct Message {
    /// `webhook-id`: `msg_` and a random UUID.
    id: String,
    event: String,
    body: Vec<u8>,
}

/// The sending side: cheap to call from anywhere, never waits.
pub struct Notifier {
    tx: mpsc::Sender<Message>,
    host: String,
    /// Messages queued and not yet delivered or given up on.
    pending: Arc<AtomicUsize>,
}

impl Notifier {
    /// Starts the sender task (within a Tokio runtime), signing with the secret when there is
    /// one (an unreadable or malformed secret is a usage error naming its file); says once in
    /// the log whether the POSTs are signed.
    pub fn start(
        cfg: &crate::config::NotifyConfig,
        config: &std::path::Path,
        hostname: &str,
    ) -> Result<Notifier, UsageError> {
        let signer = match crate::config::resolve_webhook_secret(cfg, config)? {
            Some(resolved) => {
                tracing::info!(
                    secret = %resolved.source,
                    "webhook: every POST is signed (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)"
                );
                Some(Signer::new(&resolved.secret)?)
            }
            None => {
                tracing::info!(
                    "webhook: POSTs are unsigned (no [notify] secret_file, no systemd credential {}); a receiver cannot tell them from anyone's",
                    crate::config::WEBHOOK_SECRET_CREDENTIAL
                );
                None
            }
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("move-ingest/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let pending = Arc::new(AtomicUsize::new(0));
        tokio::spawn(deliver(
            http,
            cfg.webhook.clone(),
            signer,
            rx,
            pending.clone(),
        ));
        Ok(Notifier {
            tx,
            host: hostname.to_string(),
            pending,
        })
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
        let message = Message {
            id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            event: event.to_string(),
            body: body.to_string().into_bytes(),
        };
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.tx.try_send(message).is_err() {
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

/// Posts each message, retrying with the webhook's [`policy`]; with a signer, each attempt is
/// signed anew (its timestamp is the attempt's) under the message's one id.
async fn deliver(
    http: reqwest::Client,
    url: String,
    signer: Option<Signer>,
    mut rx: mpsc::Receiver<Message>,
    pending: Arc<AtomicUsize>,
) {
    while let Some(Message { id, event, body }) = rx.recv().await {
        let policy = policy();
        for attempt in 1.. {
            let mut post = http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(signer) = &signer {
                let timestamp = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                post = post
                    .header("webhook-id", &id)
                    .header("webhook-timestamp", timestamp.to_string())
                    .header("webhook-signature", signer.signature(&id, timestamp, &body));
            }
            let error = match post.send().await {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference implementations.
    #[test]
    fn the_signature_matches_the_reference_example() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD\n").unwrap();
        let cfg = crate::config::NotifyConfig {
            webhook: "http://127.0.0.1:1/hook".into(),
            summary_every_secs: 60,
            secret_file: Some(file),
        };
        let secret = crate::config::resolve_webhook_secret(&cfg, std::path::Path::new("/c.toml"))
            .unwrap()
            .unwrap();
        let signer = Signer::new(&secret.secret).unwrap();
        assert_eq!(
            signer.signature(
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1_649_367_553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        assert_eq!(format!("{signer:?}"), "Signer(***)");
    }
}
