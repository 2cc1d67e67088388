//! What is happening right now, for the operator's views: the recordings in flight (their step,
//! upload progress, a pending retry), whether the API answers, why ingestion stopped, and the
//! metrics counters. The stages report here; `/`, `/metrics`, `/healthz` and the webhook read it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::api::ApiError;
use crate::config::Config;
use crate::detect::pairing::WaitingVideo;
use crate::detect::presence::MissingPath;
use crate::model::recording::{FailureKind, Recording, Step};
use crate::observe::metrics::Metrics;
use crate::observe::webhook::Notifier;
use crate::report::snapshot::FirstSeen;
use crate::upload::UploadError;

tokio::task_local! {
    /// The recording the current task works on, so that deep retries can say whose they are.
    static CURRENT: (Arc<Monitor>, String);
}

/// The live state and the counters.
pub struct Monitor {
    pub metrics: Metrics,
    pub first_seen: FirstSeen,
    live: Mutex<Live>,
    notifier: Option<Notifier>,
    unhealthy_after: Duration,
    /// Whether the state writer is paused on a full or read-only disk.
    state_pause: Option<Arc<crate::store::Pause>>,
    /// `[coordination]`: whether the shared database answers.
    coordination: super::coordination::CoordinationHealth,
}

#[derive(Default)]
struct Live {
    active: HashMap<String, Active>,
    api_down: Option<ApiDown>,
    stopped: Option<String>,
    /// The videos the service holds while they wait for their `.move` (not in the state yet).
    waiting: Vec<WaitingVideo>,
    /// Watch paths and device folders that are missing, and those seen as mount points.
    missing_paths: Vec<MissingPath>,
    mount_points: Vec<std::path::PathBuf>,
}

/// The API has not answered since `since`; the latest error.
#[derive(Debug, Clone)]
pub struct ApiDown {
    pub since: SystemTime,
    pub error: String,
}

/// What a worker is doing for a recording now (shown on the status page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    Starting,
    CreatingFile,
    Uploading,
    LookingForTake,
    CreatingTake,
    CreatingJob,
    DownloadingOutput,
}

impl Doing {
    /// The words the page shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Doing::Starting => "starting",
            Doing::CreatingFile => "creating file",
            Doing::Uploading => "uploading",
            Doing::LookingForTake => "looking for its take on the API",
            Doing::CreatingTake => "creating take",
            Doing::CreatingJob => "creating job",
            Doing::DownloadingOutput => "downloading job output",
        }
    }
}

impl std::fmt::Display for Doing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recording a worker is on.
#[derive(Debug, Clone)]
pub struct Active {
    pub step: Doing,
    /// The file being uploaded, with its bytes sent and its size.
    pub file: Option<String>,
    pub sent: Arc<AtomicU64>,
    pub total: u64,
    /// A transient error and when the next attempt is due.
    pub retry: Option<Retrying>,
    pub since: SystemTime,
}

/// A transient failure that will be tried again.
#[derive(Debug, Clone)]
pub struct Retrying {
    pub attempt: u32,
    pub error: String,
    pub next_at: SystemTime,
}

/// Whether ingestion can go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ingesting,
    /// Ingestion is held up; the reason says why and what to do.
    Paused(String),
}

impl Monitor {
    /// A monitor for `cfg`; starts the webhook sender when `[notify]` is set (needs a runtime).
    /// A webhook secret that cannot be read is a usage error naming its file.
    pub fn new(cfg: &Config, hostname: &str) -> Result<Monitor, crate::config::UsageError> {
        let metrics = match cfg.coordination {
            Some(_) => Metrics::new().with_coordination(),
            None => Metrics::new(),
        };
        Ok(Monitor {
            metrics,
            first_seen: FirstSeen::default(),
            live: Mutex::new(Live::default()),
            notifier: cfg
                .notify
                .as_ref()
                .map(|n| Notifier::start(n, &cfg.path, hostname))
                .transpose()?,
            unhealthy_after: Duration::from_secs(
                cfg.metrics.as_ref().map_or(600, |m| m.unhealthy_after_secs),
            ),
            state_pause: None,
            coordination: Default::default(),
        })
    }

    /// Reads the state writer's pause (a full or read-only state disk) into `health`.
    pub fn with_state_pause(mut self, pause: Arc<crate::store::Pause>) -> Monitor {
        self.state_pause = Some(pause);
        self
    }

    /// The state writer's pause, if it is paused now.
    pub fn state_paused(&self) -> Option<crate::store::Paused> {
        self.state_pause.as_ref().and_then(|p| p.now())
    }

    fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `work` on recording `id`: it shows as in flight until `work` ends.
    pub async fn scope<T>(self: &Arc<Self>, id: &str, work: impl Future<Output = T>) -> T {
        struct Leave<'a>(&'a Monitor, &'a str);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.live().active.remove(self.1);
            }
        }
        self.step(id, Doing::Starting);
        let _leave = Leave(self, id);
        CURRENT.scope((self.clone(), id.to_string()), work).await
    }

    /// Recording `id` is now at `step` (no file in progress, no retry pending).
    pub fn step(&self, id: &str, step: Doing) {
        let mut live = self.live();
        let a = live.active.entry(id.to_string()).or_insert_with(|| Active {
            step,
            file: None,
            sent: Arc::default(),
            total: 0,
            retry: None,
            since: SystemTime::now(),
        });
        a.step = step;
        a.file = None;
        a.retry = None;
    }

    /// Recording `id` starts sending `file` (`total` bytes); the counter it returns is its progress.
    pub fn uploading(&self, id: &str, file: &str, total: u64) -> Arc<AtomicU64> {
        self.step(id, Doing::Uploading);
        let sent = Arc::new(AtomicU64::new(0));
        if let Some(a) = self.live().active.get_mut(id) {
            a.file = Some(file.to_string());
            a.sent = sent.clone();
            a.total = total;
        }
        sent
    }

    /// The current task's recording waits `wait` before another attempt after `error`.
    pub fn retrying_here(attempt: u32, error: &str, wait: Duration) {
        let _ = CURRENT.try_with(|(m, id)| {
            if let Some(a) = m.live().active.get_mut(id) {
                a.retry = Some(Retrying {
                    attempt,
                    error: error.to_string(),
                    next_at: SystemTime::now() + wait,
                });
            }
        });
    }

    /// One API call ended: counts errors, and tracks whether the API answers at all.
    pub fn api_result(&self, err: Option<&ApiError>) {
        let Some(e) = err else {
            self.live().api_down = None;
            return;
        };
        let kind = match e {
            ApiError::Auth { .. } => "auth",
            ApiError::Transport { .. } => "transport",
            ApiError::Status { status: 429, .. } => "throttled",
            ApiError::Status { status, .. } if *status >= 500 => "server",
            ApiError::Status { .. } => "refused",
            ApiError::GraphQl { .. } if e.is_transient() => "throttled",
            ApiError::GraphQl { .. } => "graphql",
            ApiError::Decode { .. } => "decode",
        };
        self.metrics.api_error(kind);
        // Unreachable: no answer, or an answer saying the service is down. Anything else answered.
        let down = matches!(e, ApiError::Transport { .. })
            || matches!(e, ApiError::Status { status, .. } if *status >= 500);
        if down {
            self.mark_down(e.to_string());
        } else {
            self.live().api_down = None;
        }
    }

    /// A storage PUT failed; one that got no answer (or a 5xx) counts as the API unreachable.
    pub fn storage_error(&self, e: &UploadError) {
        let transient = matches!(
            crate::retry::Failure::cause(e),
            crate::retry::Cause::Transient { .. }
        );
        self.metrics.api_error(match e {
            UploadError::UrlExpired | UploadError::UrlRejected { .. } => "storage_url",
            _ if transient => "storage_transient",
            _ => "storage_refused",
        });
        if transient {
            self.mark_down(format!("upload: {e}"));
        }
    }

    /// The API (or its storage) gave no usable answer; `since` is kept from the first one.
    fn mark_down(&self, error: String) {
        let mut live = self.live();
        match &mut live.api_down {
            Some(d) => d.error = error,
            None => {
                live.api_down = Some(ApiDown {
                    since: SystemTime::now(),
                    error,
                })
            }
        }
    }

    /// A whole file was accepted by the storage.
    pub fn uploaded(&self, bytes: u64, took: Duration) {
        self.live().api_down = None;
        self.metrics.uploaded_bytes.inc_by(bytes);
        self.metrics.upload_seconds.observe(took.as_secs_f64());
    }

    /// A take was created (or adopted).
    pub fn take_created(&self) {
        self.metrics.takes_created.inc();
    }

    /// A recording failed for good: the webhook hears of it.
    pub fn failed(&self, rec: &Recording, step: Step, kind: FailureKind, reason: &str) {
        if let Some(n) = &self.notifier {
            n.send(
                "recording_failed",
                serde_json::json!({
                    "recording_id": rec.id,
                    "device": rec.device,
                    "stem": rec.stem,
                    "dir": rec.dir,
                    "step": step.as_str(),
                    "kind": kind,
                    "reason": reason,
                    "what_to_do": crate::report::hint::hint(kind),
                }),
            );
        }
    }

    /// Ingestion stopped for a reason a person must fix (rejected key, unwritable state).
    pub fn stopped(&self, reason: &str) {
        self.live().stopped = Some(reason.to_string());
    }

    /// Whether ingestion goes on, as of `now`.
    pub fn health(&self, now: SystemTime) -> Health {
        let live = self.live();
        if let Some(reason) = &live.stopped {
            return Health::Paused(reason.clone());
        }
        if let Some(p) = self.state_paused() {
            return Health::Paused(p.describe());
        }
        if !live.missing_paths.is_empty() {
            let what: Vec<String> = live.missing_paths.iter().map(|m| m.describe()).collect();
            return Health::Paused(format!("watch path missing: {}", what.join("; ")));
        }
        if let Some(d) = &live.api_down {
            let down = now.duration_since(d.since).unwrap_or_default();
            if down >= self.unhealthy_after {
                return Health::Paused(format!(
                    "the Move API has been unreachable for {} (over metrics.unhealthy_after_secs = {}); latest error: {}; check the network and https://api.move.ai; uploads resume by themselves",
                    crate::report::snapshot::ago(now, d.since),
                    self.unhealthy_after.as_secs(),
                    d.error
                ));
            }
        }
        if let Some(reason) = self.coordination.unhealthy(now, self.unhealthy_after) {
            return Health::Paused(reason);
        }
        Health::Ingesting
    }

    /// Whether the coordination database answered (`down`: its latest error).
    pub fn coordination(&self, up: bool, down: Option<String>) {
        self.metrics.coordination_up.set(i64::from(up));
        self.coordination.note(up, down);
    }

    /// Since when the coordination database has not answered, if it does not.
    pub fn coordination_down(&self) -> Option<ApiDown> {
        self.coordination.down()
    }

    /// Since when the API has not answered, if it does not.
    pub fn api_down(&self) -> Option<ApiDown> {
        self.live().api_down.clone()
    }

    /// The recordings in flight, by id.
    pub fn active(&self) -> Vec<(String, Active)> {
        let mut v: Vec<(String, Active)> = self
            .live()
            .active
            .iter()
            .map(|(k, a)| (k.clone(), a.clone()))
            .collect();
        v.sort_by_key(|(_, a)| a.since);
        v
    }

    /// The service holds these videos while they wait for their `.move` (as it publishes them
    /// in `waiting.json` for `status`).
    pub fn set_waiting(&self, videos: Vec<WaitingVideo>) {
        self.live().waiting = videos;
    }

    /// The videos waiting for their `.move`, counted as waiting by every view.
    pub fn waiting(&self) -> Vec<WaitingVideo> {
        self.live().waiting.clone()
    }

    /// The service publishes which watch paths and device folders are missing, and which
    /// were seen as mount points (a worker whose file vanished asks whether its place went).
    pub fn set_places(&self, missing: Vec<MissingPath>, mount_points: Vec<std::path::PathBuf>) {
        let mut live = self.live();
        live.missing_paths = missing;
        live.mount_points = mount_points;
    }

    /// The watch paths and device folders that are missing now.
    pub fn missing_paths(&self) -> Vec<MissingPath> {
        self.live().missing_paths.clone()
    }

    /// The watch paths and device folders seen as mount points.
    pub fn mount_points(&self) -> Vec<std::path::PathBuf> {
        self.live().mount_points.clone()
    }

    /// The webhook, when configured.
    pub fn notifier(&self) -> Option<&Notifier> {
        self.notifier.as_ref()
    }
}

/// Bytes sent so far of an in-flight file.
pub fn sent(a: &Active) -> u64 {
    a.sent.load(Ordering::Relaxed).min(a.total)
}

/// The API client reports every call's outcome here.
impl crate::api::Report for Monitor {
    fn api_result(&self, err: Option<&ApiError>) {
        Monitor::api_result(self, err);
    }
}
