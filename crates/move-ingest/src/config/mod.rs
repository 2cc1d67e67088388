//! The config file: parsed raw with serde (unknown keys rejected, errors with line numbers,
//! `raw`), then validated into the `Config` the program uses; and the API key, resolved but
//! never shown (`key`).

mod after_take;
mod coordination;
mod error;
mod job;
pub(crate) mod job_input;
mod key;
mod multicam;
mod observe;
mod raw;
pub(crate) mod schedule;
mod secret;
pub(crate) mod template;

pub use after_take::{AfterTakeAction, AfterTakeConfig};
pub use coordination::{CoordinationConfig, PG_PASSWORD_CREDENTIAL, resolve_pg_password};
pub use error::UsageError;
pub use job::JobConfig;
pub use key::{ApiKey, ResolvedKey, resolve_key};
pub use multicam::{
    ApiQuestions, AreaType, Asked, Grouping, MulticamConfig, MulticamJobConfig, RigDevice,
    SyncMethod, VolumeSource,
};
pub use observe::{MetricsConfig, NotifyConfig};
pub use secret::{
    METRICS_TOKEN_CREDENTIAL, ResolvedSecret, Secret, WEBHOOK_SECRET_CREDENTIAL,
    resolve_metrics_token, resolve_webhook_secret,
};

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::template::Template;

/// Where the config is read from when neither `--config` nor `$MOVE_INGEST_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/move-ingest/config.toml";
/// The production API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://api.move.ai/ugc/graphql";

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub api: ApiConfig,
    pub watch: Vec<WatchConfig>,
    pub pairing: PairingConfig,
    pub take: TakeConfig,
    pub state: StateConfig,
    pub upload: UploadConfig,
    pub retry: RetryConfig,
    pub log: LogConfig,
    pub service: ServiceConfig,
    /// `[after_take]`: keep, move or delete a recording's files once its take is safe.
    pub after_take: AfterTakeConfig,
    /// `[metrics]`: the HTTP server of `run` (absent = off).
    pub metrics: Option<MetricsConfig>,
    /// `[notify]`: the webhook (absent = off).
    pub notify: Option<NotifyConfig>,
    /// `[job]`: a processing job per take; `None` when the table is absent (no jobs).
    pub job: Option<JobConfig>,
    /// `[[multicam]]`: the rigs of cameras whose recordings become multicam takes (empty: none).
    pub multicam: Vec<MulticamConfig>,
    /// `[coordination]`: the shared database of a rig over several machines (`None`: rigs are
    /// local to this machine).
    pub coordination: Option<CoordinationConfig>,
}

/// `[api]`: where the Move API is and where its key is read from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub endpoint: Endpoint,
    pub key_file: Option<PathBuf>,
    pub connect_timeout_secs: u64,
    pub request_timeout_secs: u64,
    /// An upload that makes no progress for this long is abandoned and retried.
    pub stall_timeout_secs: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            endpoint: Endpoint(DEFAULT_ENDPOINT.to_string()),
            key_file: None,
            connect_timeout_secs: 10,
            request_timeout_secs: 30,
            stall_timeout_secs: 60,
        }
    }
}

/// The GraphQL endpoint: https, or plain http on a loopback address (the sandbox).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Endpoint(pub String);

impl TryFrom<String> for Endpoint {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let url = reqwest::Url::parse(&s).map_err(|e| format!("`{s}` is not a URL: {e}"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(Endpoint(s)),
            "http" if loopback => Ok(Endpoint(s)),
            _ => Err(format!(
                "`{s}` must be https (plain http is allowed only on a loopback address such as the sandbox)"
            )),
        }
    }
}

/// One `[[watch]]` entry: a capture folder.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub path: PathBuf,
    /// Where the device label of a recording comes from.
    pub device_label: DeviceLabel,
    /// The safety-net rescan of this folder while `run` watches it.
    pub rescan_secs: u64,
    /// How many folders deep below the device folder recordings are found (0: only files
    /// directly in it).
    pub max_depth: usize,
    /// Follow symbolic links (to files and folders); off, each one is skipped and reported.
    pub follow_symlinks: bool,
    /// Warn when the filesystem holding `path` has less than this share free (0: never).
    pub min_free_percent: u8,
}

/// `watch.max_depth` when not set.
pub const DEFAULT_MAX_DEPTH: usize = 8;
/// `watch.min_free_percent` when not set.
pub const DEFAULT_MIN_FREE_PERCENT: u8 = 10;

/// `device_label`: the first folder below the watch path (`"from-dir"`), or one fixed label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceLabel {
    /// `<path>/<device>/<file>`: the folder names the device.
    FromDir,
    /// `<path>/<file>`: every recording gets this label.
    Fixed(String),
}

impl DeviceLabel {
    /// The config's word for [`DeviceLabel::FromDir`].
    pub const FROM_DIR: &str = "from-dir";

    /// Reads the config value; `None` for an empty label or one with a '/'.
    pub(super) fn parse(s: &str) -> Option<DeviceLabel> {
        match s {
            DeviceLabel::FROM_DIR => Some(DeviceLabel::FromDir),
            s if s.trim().is_empty() || s.contains('/') => None,
            s => Some(DeviceLabel::Fixed(s.to_string())),
        }
    }
}

impl fmt::Display for DeviceLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceLabel::FromDir => f.write_str(DeviceLabel::FROM_DIR),
            DeviceLabel::Fixed(label) => f.write_str(label),
        }
    }
}

impl WatchConfig {
    /// The fixed device label, or `None` when labels come from the first folder below `path`.
    pub fn fixed_label(&self) -> Option<&str> {
        match &self.device_label {
            DeviceLabel::FromDir => None,
            DeviceLabel::Fixed(label) => Some(label),
        }
    }
}

/// `[pairing]`: when a file counts as complete and how long a video waits for its `.move`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PairingConfig {
    pub settle_secs: u64,
    pub move_wait_secs: u64,
    pub require_move: bool,
    /// `run`: a writer closing the file shortens its settle wait to a second's confirmation.
    /// Off by default: a recorder that closes and reopens its file could be taken between writes.
    pub trust_close: bool,
}

impl Default for PairingConfig {
    fn default() -> Self {
        PairingConfig {
            settle_secs: 5,
            move_wait_secs: 60,
            require_move: false,
            trust_close: false,
        }
    }
}

/// `[take]`: the name and metadata each take gets, with placeholders filled per recording.
#[derive(Debug, Clone)]
pub struct TakeConfig {
    pub name: Template,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// `[state]`: where the state lives.
#[derive(Debug, Clone)]
pub struct StateConfig {
    pub dir: PathBuf,
}

/// `[upload]`: how much runs at once and how fast.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// Recordings processed at once (API calls and uploads).
    pub concurrency: usize,
    /// Total upload rate cap in bytes per second; 0 means no cap.
    pub max_bytes_per_sec: u64,
    /// The bandwidth timetable (rclone's `--bwlimit` syntax) on top of `max_bytes_per_sec`.
    pub schedule: Option<crate::config::schedule::Schedule>,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            concurrency: 4,
            max_bytes_per_sec: 0,
            schedule: None,
        }
    }
}

/// `[retry]`: the one retry policy for transient failures.
#[derive(Debug, Clone)]
pub struct RetryConfig {
    pub max_attempts: u32,
    pub base_ms: u64,
    pub cap_secs: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 10,
            base_ms: 500,
            cap_secs: 60,
        }
    }
}

/// `[log]`: level and format of the log lines on stderr.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_string(),
            format: LogFormat::Text,
        }
    }
}

/// One line per event for people (`text`) or for log shippers (`json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `[service]`: how `run` behaves as a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// On SIGTERM, how long in-flight uploads may take to finish.
    pub shutdown_grace_secs: u64,
    /// For tests and diagnosis: filesystem events that may wait for the loop; when they
    /// overflow, one full rescan replaces them.
    pub event_channel_size: usize,
    /// For tests and diagnosis: ignore filesystem events (as on a network mount whose remote
    /// writes inotify never reports), so that only rescans find files.
    pub ignore_events: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            shutdown_grace_secs: 20,
            event_channel_size: 4096,
            ignore_events: false,
        }
    }
}

/// Which file to read: `--config`/`$MOVE_INGEST_CONFIG` (clap merges both), else the default.
pub fn resolve_path(cli: Option<&Path>) -> PathBuf {
    cli.map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH))
}

impl Config {
    /// Reads and validates the config file; every error names the file, and the key and line where known.
    pub fn load(cli: Option<&Path>) -> Result<Config, UsageError> {
        let path = resolve_path(cli);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            UsageError::new(format!(
                "cannot read the config file {}: {e}; pass --config PATH or set $MOVE_INGEST_CONFIG (config.example.toml documents every key)",
                path.display()
            ))
        })?;
        Config::parse(&path, &text)
    }
}
