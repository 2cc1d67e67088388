//! The config as written: serde types that keep where each checked value stands
//! (`toml::Spanned`), validated into the `*Config` types; every error names the key and its line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{
    ApiConfig, Config, DeviceLabel, LogConfig, LogFormat, PairingConfig, RetryConfig,
    ServiceConfig, StateConfig, TakeConfig, UploadConfig, WatchConfig,
};
use crate::config::UsageError;
use crate::config::template::Template;

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
    #[serde(default)]
    after_take: super::after_take::RawAfterTake,
    #[serde(default)]
    metrics: Option<super::MetricsConfig>,
    #[serde(default)]
    notify: Option<super::NotifyConfig>,
    #[serde(default)]
    job: Option<super::job::RawJob>,
    #[serde(default, deserialize_with = "super::multicam::deserialize_rigs")]
    multicam: Vec<super::multicam::RawRig>,
    #[serde(default)]
    coordination: Option<super::coordination::RawCoordination>,
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
    #[serde(default = "default_max_depth")]
    max_depth: Spanned<usize>,
    #[serde(default)]
    follow_symlinks: bool,
    #[serde(default = "default_min_free")]
    min_free_percent: Spanned<u8>,
}

fn from_dir() -> Spanned<String> {
    Spanned::new(0..0, DeviceLabel::FROM_DIR.to_string())
}
fn default_rescan() -> Spanned<u64> {
    Spanned::new(0..0, 300)
}
fn default_max_depth() -> Spanned<usize> {
    Spanned::new(0..0, super::DEFAULT_MAX_DEPTH)
}
fn default_min_free() -> Spanned<u8> {
    Spanned::new(0..0, super::DEFAULT_MIN_FREE_PERCENT)
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    dir: Option<PathBuf>,
}

/// `[upload]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawUpload {
    concurrency: Spanned<usize>,
    max_bytes_per_sec: u64,
    schedule: Option<Spanned<String>>,
}

impl Default for RawUpload {
    fn default() -> Self {
        let d = UploadConfig::default();
        RawUpload {
            concurrency: Spanned::new(0..0, d.concurrency),
            max_bytes_per_sec: d.max_bytes_per_sec,
            schedule: None,
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

impl Config {
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
        if let Some(m) = &raw.metrics {
            m.validate().map_err(|e| bad(format!("[metrics] {e}")))?;
        }
        if let Some(n) = &raw.notify {
            n.validate().map_err(|e| bad(format!("[notify] {e}")))?;
        }
        let job = raw.job.map(|j| j.validate(&at)).transpose().map_err(bad)?;
        let mut multicam = super::multicam::validate_all(raw.multicam, &watch, &at).map_err(bad)?;
        // `[multicam.job]` has no poll times of its own: it polls as `[job]` does when set.
        if let Some(j) = &job {
            for mj in multicam.iter_mut().filter_map(|r| r.job.as_mut()) {
                (mj.job.poll, mj.job.poll_cap) = (j.poll, j.poll_cap);
            }
        }
        let after_take = raw
            .after_take
            .validate(&at)
            .map_err(|e| bad(format!("[after_take] {e}")))?;
        let coordination = raw
            .coordination
            .map(|c| c.validate())
            .transpose()
            .map_err(|e| bad(format!("[coordination] {e}")))?;
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
            after_take,
            metrics: raw.metrics,
            notify: raw.notify,
            job,
            multicam,
            coordination,
        })
    }
}

/// The deepest `watch.max_depth` accepted (a bound on followed symlink loops, too).
const MAX_DEPTH_LIMIT: usize = 64;

/// Names a key and its line, given the span of its value.
pub(super) type At<'a> = dyn Fn(&str, std::ops::Range<usize>) -> String + 'a;

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
        if *self.max_depth.get_ref() > MAX_DEPTH_LIMIT {
            return Err(format!(
                "{} must be at most {MAX_DEPTH_LIMIT}",
                at("max_depth", self.max_depth.span())
            ));
        }
        if *self.min_free_percent.get_ref() > 100 {
            return Err(format!(
                "{} must be a percentage between 0 and 100",
                at("min_free_percent", self.min_free_percent.span())
            ));
        }
        Ok(WatchConfig {
            path: self.path.into_inner(),
            device_label,
            rescan_secs: self.rescan_secs.into_inner(),
            max_depth: self.max_depth.into_inner(),
            follow_symlinks: self.follow_symlinks,
            min_free_percent: self.min_free_percent.into_inner(),
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
        let schedule = match &self.schedule {
            None => None,
            Some(s) => Some(
                crate::config::schedule::Schedule::parse(s.get_ref())
                    .map_err(|e| format!("{}: {e}", at("schedule", s.span())))?,
            ),
        };
        Ok(UploadConfig {
            concurrency: self.concurrency.into_inner(),
            max_bytes_per_sec: self.max_bytes_per_sec,
            schedule,
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
        check_log_level(self.level.get_ref())
            .map_err(|e| format!("{} {e}", at("level", self.level.span())))?;
        Ok(LogConfig {
            level: self.level.into_inner(),
            format: self.format,
        })
    }
}

/// The log levels a bare `log.level` (or a bare part of a filter) may name.
const LOG_LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// A level (`debug`) or a filter (`info,hyper=debug`) whose bare parts are levels: a bare word
/// that is not a level (`infoo`) would otherwise be taken as a module name and log nothing new.
fn check_log_level(level: &str) -> Result<(), String> {
    let expected = "must be one of trace, debug, info, warn, error, off, or a filter such as \"info,hyper=debug\"";
    for part in level.split(',').map(str::trim) {
        if !part.contains('=') && !LOG_LEVELS.contains(&part.to_ascii_lowercase().as_str()) {
            return Err(format!("{expected}; got \"{level}\""));
        }
    }
    tracing_subscriber::EnvFilter::try_new(level)
        .map(|_| ())
        .map_err(|e| format!("is not a log filter: {e}"))
}

/// `$STATE_DIRECTORY` (systemd's StateDirectory=), else /var/lib/move-ingest.
fn default_state_dir() -> PathBuf {
    match std::env::var_os("STATE_DIRECTORY") {
        // systemd may pass several, colon-separated; the first is ours.
        Some(v) => PathBuf::from(v.to_string_lossy().split(':').next().unwrap_or_default()),
        None => PathBuf::from("/var/lib/move-ingest"),
    }
}

/// Converts a metadata table (`[take.metadata]`, `[job.metadata]`) to JSON, checking every
/// string's placeholders.
pub(super) fn metadata_json(
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
