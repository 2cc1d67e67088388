//! The config file: parsed raw with serde (unknown keys rejected, errors with line numbers),
//! then validated into the `Config` the program uses; and the API key, resolved but never shown.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub api: Api,
    pub watch: Vec<Watch>,
    pub pairing: Pairing,
    pub take: Take,
    pub state: State,
    pub upload: Upload,
    pub retry: Retry,
    pub log: Log,
    pub service: Service,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    api: Api,
    #[serde(default)]
    watch: Vec<Watch>,
    #[serde(default)]
    pairing: Pairing,
    #[serde(default)]
    take: RawTake,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    upload: Upload,
    #[serde(default)]
    retry: Retry,
    #[serde(default)]
    log: Log,
    #[serde(default)]
    service: Service,
}

/// `[api]`: where the Move API is and where its key is read from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Api {
    pub endpoint: Endpoint,
    pub key_file: Option<PathBuf>,
    pub connect_timeout_secs: u64,
    pub request_timeout_secs: u64,
    /// An upload that makes no progress for this long is abandoned and retried.
    pub stall_timeout_secs: u64,
}

impl Default for Api {
    fn default() -> Self {
        Api {
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    pub path: PathBuf,
    /// `"from-dir"`: the first folder below `path` names the device; anything else is a fixed label.
    #[serde(default = "from_dir")]
    pub device_label: String,
    /// The safety-net rescan of this folder while `run` watches it.
    #[serde(default = "default_rescan")]
    pub rescan_secs: u64,
}

fn from_dir() -> String {
    "from-dir".to_string()
}
fn default_rescan() -> u64 {
    300
}

impl Watch {
    /// The fixed device label, or `None` when labels come from the first folder below `path`.
    pub fn fixed_label(&self) -> Option<&str> {
        (self.device_label != "from-dir").then_some(self.device_label.as_str())
    }
}

/// `[pairing]`: when a file counts as complete and how long a video waits for its `.move`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pairing {
    pub settle_secs: u64,
    pub move_wait_secs: u64,
    pub require_move: bool,
}

impl Default for Pairing {
    fn default() -> Self {
        Pairing {
            settle_secs: 5,
            move_wait_secs: 60,
            require_move: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTake {
    name: String,
    metadata: toml::Table,
}

impl Default for RawTake {
    fn default() -> Self {
        RawTake {
            name: "{device_label} {stem}".to_string(),
            metadata: toml::Table::new(),
        }
    }
}

/// `[take]`: the name and metadata each take gets, with placeholders filled per recording.
#[derive(Debug, Clone)]
pub struct Take {
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
pub struct State {
    pub dir: PathBuf,
}

/// `[upload]`: how much runs at once and how fast.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Upload {
    /// Recordings processed at once (API calls and uploads).
    pub concurrency: usize,
    /// Total upload rate cap in bytes per second; 0 means no cap.
    pub max_bytes_per_sec: u64,
}

impl Default for Upload {
    fn default() -> Self {
        Upload {
            concurrency: 4,
            max_bytes_per_sec: 0,
        }
    }
}

/// `[retry]`: the one retry policy for transient failures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retry {
    pub max_attempts: u32,
    pub base_ms: u64,
    pub cap_secs: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_attempts: 10,
            base_ms: 500,
            cap_secs: 60,
        }
    }
}

/// `[log]`: level and format of the log lines on stderr.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub level: String,
    pub format: LogFormat,
}

impl Default for Log {
    fn default() -> Self {
        Log {
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
pub struct Service {
    /// On SIGTERM, how long in-flight uploads may take to finish.
    pub shutdown_grace_secs: u64,
}

impl Default for Service {
    fn default() -> Self {
        Service {
            shutdown_grace_secs: 20,
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
        let at = |key: &str| match line_of(text, key) {
            Some(n) => format!("`{key}` (line {n})"),
            None => format!("`{key}`"),
        };
        if raw.watch.is_empty() {
            return Err(bad(
                "no [[watch]] entry: add one with `path = \"/srv/captures\"`".into(),
            ));
        }
        for w in &raw.watch {
            if !w.path.is_absolute() {
                return Err(bad(format!(
                    "{} must be an absolute path, got {}",
                    at("path"),
                    w.path.display()
                )));
            }
            if w.device_label.trim().is_empty() || w.device_label.contains('/') {
                return Err(bad(format!(
                    "{} must be \"from-dir\" or a label without '/'",
                    at("device_label")
                )));
            }
            if w.rescan_secs == 0 {
                return Err(bad(format!("{} must be at least 1", at("rescan_secs"))));
            }
        }
        if raw.upload.concurrency == 0 || raw.upload.concurrency > 64 {
            return Err(bad(format!(
                "{} must be between 1 and 64",
                at("concurrency")
            )));
        }
        if raw.retry.max_attempts == 0 {
            return Err(bad(format!("{} must be at least 1", at("max_attempts"))));
        }
        tracing_subscriber::EnvFilter::try_new(&raw.log.level)
            .map_err(|e| bad(format!("{} is not a log filter: {e}", at("level"))))?;
        let name =
            Template::parse(&raw.take.name).map_err(|e| bad(format!("{}: {e}", at("name"))))?;
        let metadata =
            metadata_json(&raw.take.metadata).map_err(|e| bad(format!("[take.metadata] {e}")))?;
        let dir = match raw.state.dir {
            Some(dir) => dir,
            None => match std::env::var_os("STATE_DIRECTORY") {
                // systemd may pass several, colon-separated; the first is ours.
                Some(v) => PathBuf::from(v.to_string_lossy().split(':').next().unwrap_or_default()),
                None => PathBuf::from("/var/lib/move-ingest"),
            },
        };
        Ok(Config {
            path: path.to_path_buf(),
            api: raw.api,
            watch: raw.watch,
            pairing: raw.pairing,
            take: Take { name, metadata },
            state: State { dir },
            upload: raw.upload,
            retry: raw.retry,
            log: raw.log,
            service: raw.service,
        })
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

/// The first line (1-based) on which `key` is assigned, for error messages.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
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
pub fn resolve_key(api: &Api) -> Result<ResolvedKey, UsageError> {
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
