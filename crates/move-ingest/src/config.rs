//! The config file: parsed raw with serde (unknown keys rejected, errors with line numbers),
//! then validated into the `Config` the program uses; and the API key, resolved but never shown.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::UsageError;
use crate::template::Template;

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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    api: ApiConfig,
    #[serde(default)]
    watch: Vec<RawWatch>,
    #[serde(default)]
    pairing: PairingConfig,
    #[serde(default)]
    take: RawTake,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    upload: RawUpload,
    #[serde(default)]
    retry: RawRetry,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    service: ServiceConfig,
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
}

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
    fn parse(s: &str) -> Option<DeviceLabel> {
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

/// `[[watch]]` as written, with where each checked value stands.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatch {
    path: Spanned<PathBuf>,
    #[serde(default = "from_dir")]
    device_label: Spanned<String>,
    #[serde(default = "default_rescan")]
    rescan_secs: Spanned<u64>,
}

fn from_dir() -> Spanned<String> {
    Spanned::new(0..0, DeviceLabel::FROM_DIR.to_string())
}
fn default_rescan() -> Spanned<u64> {
    Spanned::new(0..0, 300)
}

/// `[pairing]`: when a file counts as complete and how long a video waits for its `.move`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PairingConfig {
    pub settle_secs: u64,
    pub move_wait_secs: u64,
    pub require_move: bool,
}

impl Default for PairingConfig {
    fn default() -> Self {
        PairingConfig {
            settle_secs: 5,
            move_wait_secs: 60,
            require_move: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTake {
    name: Spanned<String>,
    metadata: toml::Table,
}

impl Default for RawTake {
    fn default() -> Self {
        RawTake {
            name: Spanned::new(0..0, "{device_label} {stem}".to_string()),
            metadata: toml::Table::new(),
        }
    }
}

/// `[take]`: the name and metadata each take gets, with placeholders filled per recording.
#[derive(Debug, Clone)]
pub struct TakeConfig {
    pub name: Template,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    dir: Option<PathBuf>,
}

/// `[state]`: where the journal lives.
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
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            concurrency: 4,
            max_bytes_per_sec: 0,
        }
    }
}

/// `[upload]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawUpload {
    concurrency: Spanned<usize>,
    max_bytes_per_sec: u64,
}

impl Default for RawUpload {
    fn default() -> Self {
        let d = UploadConfig::default();
        RawUpload {
            concurrency: Spanned::new(0..0, d.concurrency),
            max_bytes_per_sec: d.max_bytes_per_sec,
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

/// `[retry]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRetry {
    max_attempts: Spanned<u32>,
    base_ms: u64,
    cap_secs: u64,
}

impl Default for RawRetry {
    fn default() -> Self {
        let d = RetryConfig::default();
        RawRetry {
            max_attempts: Spanned::new(0..0, d.max_attempts),
            base_ms: d.base_ms,
            cap_secs: d.cap_secs,
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

/// `[log]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLog {
    level: Spanned<String>,
    format: LogFormat,
}

impl Default for RawLog {
    fn default() -> Self {
        let d = LogConfig::default();
        RawLog {
            level: Spanned::new(0..0, d.level),
            format: d.format,
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

    /// Parses config text as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, UsageError> {
        let bad =
            |msg: String| UsageError::new(format!("invalid config {}: {msg}", path.display()));
        let raw: Raw =
            toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_string()))?;
        let at = |key: &str, span: std::ops::Range<usize>| match line_at(text, span) {
            Some(n) => format!("`{key}` (line {n})"),
            None => format!("`{key}`"),
        };
        if raw.watch.is_empty() {
            return Err(bad(
                "no [[watch]] entry: add one with `path = \"/srv/captures\"`".into(),
            ));
        }
        let watch = raw
            .watch
            .into_iter()
            .map(|w| w.validate(&at))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let upload = raw.upload.validate(&at).map_err(bad)?;
        let retry = raw.retry.validate(&at).map_err(bad)?;
        let log = raw.log.validate(&at).map_err(bad)?;
        let name = Template::parse(raw.take.name.get_ref())
            .map_err(|e| bad(format!("{}: {e}", at("name", raw.take.name.span()))))?;
        let metadata =
            metadata_json(&raw.take.metadata).map_err(|e| bad(format!("[take.metadata] {e}")))?;
        Ok(Config {
            path: path.to_path_buf(),
            api: raw.api,
            watch,
            pairing: raw.pairing,
            take: TakeConfig { name, metadata },
            state: StateConfig {
                dir: raw.state.dir.unwrap_or_else(default_state_dir),
            },
            upload,
            retry,
            log,
            service: raw.service,
        })
    }
}

/// Names a key and its line, given the span of its value.
type At<'a> = dyn Fn(&str, std::ops::Range<usize>) -> String + 'a;

impl RawWatch {
    fn validate(self, at: &At<'_>) -> Result<WatchConfig, String> {
        if !self.path.get_ref().is_absolute() {
            return Err(format!(
                "{} must be an absolute path, got {}",
                at("path", self.path.span()),
                self.path.get_ref().display()
            ));
        }
        let Some(device_label) = DeviceLabel::parse(self.device_label.get_ref()) else {
            return Err(format!(
                "{} must be \"{}\" or a label without '/'",
                at("device_label", self.device_label.span()),
                DeviceLabel::FROM_DIR
            ));
        };
        if *self.rescan_secs.get_ref() == 0 {
            return Err(format!(
                "{} must be at least 1",
                at("rescan_secs", self.rescan_secs.span())
            ));
        }
        Ok(WatchConfig {
            path: self.path.into_inner(),
            device_label,
            rescan_secs: self.rescan_secs.into_inner(),
        })
    }
}

impl RawUpload {
    fn validate(self, at: &At<'_>) -> Result<UploadConfig, String> {
        if !(1..=64).contains(self.concurrency.get_ref()) {
            return Err(format!(
                "{} must be between 1 and 64",
                at("concurrency", self.concurrency.span())
            ));
        }
        Ok(UploadConfig {
            concurrency: self.concurrency.into_inner(),
            max_bytes_per_sec: self.max_bytes_per_sec,
        })
    }
}

impl RawRetry {
    fn validate(self, at: &At<'_>) -> Result<RetryConfig, String> {
        if *self.max_attempts.get_ref() == 0 {
            return Err(format!(
                "{} must be at least 1",
                at("max_attempts", self.max_attempts.span())
            ));
        }
        Ok(RetryConfig {
            max_attempts: self.max_attempts.into_inner(),
            base_ms: self.base_ms,
            cap_secs: self.cap_secs,
        })
    }
}

impl RawLog {
    fn validate(self, at: &At<'_>) -> Result<LogConfig, String> {
        tracing_subscriber::EnvFilter::try_new(self.level.get_ref()).map_err(|e| {
            format!(
                "{} is not a log filter: {e}",
                at("level", self.level.span())
            )
        })?;
        Ok(LogConfig {
            level: self.level.into_inner(),
            format: self.format,
        })
    }
}

/// `$STATE_DIRECTORY` (systemd's StateDirectory=), else /var/lib/move-ingest.
fn default_state_dir() -> PathBuf {
    match std::env::var_os("STATE_DIRECTORY") {
        // systemd may pass several, colon-separated; the first is ours.
        Some(v) => PathBuf::from(v.to_string_lossy().split(':').next().unwrap_or_default()),
        None => PathBuf::from("/var/lib/move-ingest"),
    }
}

/// Converts the `[take.metadata]` table to JSON, checking every string's placeholders.
fn metadata_json(
    table: &toml::Table,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let value =
        serde_json::to_value(table).map_err(|e| format!("cannot be expressed as JSON: {e}"))?;
    fn check(key: &str, v: &serde_json::Value) -> Result<(), String> {
        match v {
            serde_json::Value::String(s) => Template::parse(s)
                .map(|_| ())
                .map_err(|e| format!("`{key}`: {e}")),
            serde_json::Value::Array(a) => a.iter().try_for_each(|v| check(key, v)),
            serde_json::Value::Object(o) => o.iter().try_for_each(|(k, v)| check(k, v)),
            _ => Ok(()),
        }
    }
    check("metadata", &value)?;
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("move_ingest") {
                return Err("`move_ingest` is reserved for move-ingest's own record".into());
            }
            Ok(map)
        }
        _ => Err("must be a table".into()),
    }
}

/// The line (1-based) on which a value spanning `span` stands; `None` for a default.
fn line_at(text: &str, span: std::ops::Range<usize>) -> Option<usize> {
    if span.is_empty() {
        return None;
    }
    let before = text.get(..span.start)?;
    Some(before.matches('\n').count() + 1)
}

/// The Move API key. Its `Debug` prints `***`; it has no `Display`, so it cannot end up in a message.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The key and where it came from (for messages; never the key itself).
#[derive(Debug, Clone)]
pub struct ResolvedKey {
    pub key: ApiKey,
    pub source: String,
}

/// Finds the key: `$MOVE_API_KEY`, else `api.key_file`, else `$CREDENTIALS_DIRECTORY/move-api-key`.
pub fn resolve_key(api: &ApiConfig) -> Result<ResolvedKey, UsageError> {
    if let Some(v) = std::env::var_os("MOVE_API_KEY") {
        let key = v.to_string_lossy().trim().to_string();
        if key.is_empty() {
            return Err(UsageError::new(
                "$MOVE_API_KEY is set but empty; unset it or put the key in it",
            ));
        }
        return Ok(ResolvedKey {
            key: ApiKey(key),
            source: "$MOVE_API_KEY".into(),
        });
    }
    if let Some(file) = &api.key_file {
        return read_key_file(file, "api.key_file");
    }
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let file = Path::new(&dir).join("move-api-key");
        return read_key_file(&file, "$CREDENTIALS_DIRECTORY");
    }
    Err(UsageError::new(
        "no Move API key: set $MOVE_API_KEY, or api.key_file in the config, or run under systemd with LoadCredential=move-api-key:...",
    ))
}

fn read_key_file(file: &Path, via: &str) -> Result<ResolvedKey, UsageError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        UsageError::new(format!(
            "cannot read the API key file {} (from {via}): {e}",
            file.display()
        ))
    })?;
    let key = text.lines().next().unwrap_or_default().trim().to_string();
    if key.is_empty() {
        return Err(UsageError::new(format!(
            "the API key file {} (from {via}) is empty; its first line must hold the key",
            file.display()
        )));
    }
    Ok(ResolvedKey {
        key: ApiKey(key),
        source: format!("key file {}", file.display()),
    })
}
