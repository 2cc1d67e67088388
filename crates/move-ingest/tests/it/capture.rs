//! A capture machine in a temp dir: watch folder, state dir, config, and the real binary run against a sandbox.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tempfile::TempDir;

use crate::util::Sandbox;

/// A watch folder, a state dir and a config pointing at a sandbox.
pub struct Capture {
    pub root: TempDir,
    pub watch: PathBuf,
    pub state: PathBuf,
    pub config: PathBuf,
    pub endpoint: String,
    pub key: String,
}

impl Capture {
    /// A capture setup for `sb` with the default test config.
    pub fn new(sb: &Sandbox) -> Capture {
        Capture::with_config(sb, "")
    }

    /// A capture setup whose config gets `extra` appended (more tables, e.g. `[take.metadata]`).
    pub fn with_config(sb: &Sandbox, extra: &str) -> Capture {
        let root = tempfile::tempdir().unwrap();
        let watch = root.path().join("captures");
        let state = root.path().join("state");
        std::fs::create_dir_all(&watch).unwrap();
        let c = Capture {
            config: root.path().join("config.toml"),
            watch,
            state,
            endpoint: sb.url.clone(),
            key: sb.key.clone(),
            root,
        };
        c.write_config(extra);
        c
    }

    /// Rewrites the config with `extra` appended to the base.
    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "[api]\nendpoint = \"{}\"\n\n[[watch]]\npath = \"{}\"\ndevice_label = \"from-dir\"\n\n[pairing]\nsettle_secs = 2\nmove_wait_secs = 2\n\n[state]\ndir = \"{}\"\n\n[retry]\nbase_ms = 50\ncap_secs = 2\n\n[log]\nlevel = \"debug\"\n{extra}\n",
            self.endpoint,
            self.watch.display(),
            self.state.display()
        );
        std::fs::write(&self.config, text).unwrap();
    }

    /// Writes a complete (old enough) file `<watch>/<device>/<name>`.
    pub fn write(&self, device: &str, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.write_fresh(device, name, bytes);
        set_age(&path, Duration::from_secs(3600));
        path
    }

    /// Writes a file with a current mtime (still "being written" for a backfill).
    pub fn write_fresh(&self, device: &str, name: &str, bytes: &[u8]) -> PathBuf {
        let dir = self.watch.join(device);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The binary with `--config` and the key in the environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_move-ingest"));
        cmd.arg("--config").arg(&self.config).args(args);
        cmd.env("MOVE_API_KEY", &self.key)
            .env_remove("RUST_LOG")
            .env_remove("MOVE_INGEST_CONFIG");
        cmd.env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("STATE_DIRECTORY");
        cmd
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs `backfill`, asserting it exits with `code`.
    pub fn backfill(&self, code: i32) -> Output {
        let out = self.run(&["backfill", "--no-progress"]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "backfill exit\n{}",
            show(&out)
        );
        out
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> Value {
        let out = self.run(&["status", "--json"]);
        assert!(out.status.success(), "status failed\n{}", show(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every byte the state dir holds (the database, its WAL, the lock), for "never in the state" checks.
    pub fn state_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&self.state)
            .into_iter()
            .flatten()
            .flatten()
        {
            all.extend(std::fs::read(entry.path()).unwrap_or_default());
        }
        all
    }

    /// The names of the steps of the newest recording `device/stem` (empty if there is none yet).
    pub fn steps(&self, device: &str, stem: &str) -> Vec<String> {
        let Ok(Some(reader)) = move_ingest::store::query::Reader::open(&self.state) else {
            return Vec::new();
        };
        let Some(rec) = reader
            .named(device, stem)
            .ok()
            .and_then(|r| r.into_iter().last())
        else {
            return Vec::new();
        };
        let steps = reader.steps(&rec.id).unwrap_or_default();
        steps
            .iter()
            .map(|s| match &s.event {
                Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
                other => other.as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }
    /// The names of the steps of the newest recording of the file at `path` (its folder is the device).
    pub fn steps_of(&self, path: &Path) -> Vec<String> {
        let device = path
            .parent()
            .and_then(|d| d.file_name())
            .unwrap_or_default();
        let stem = path.file_stem().unwrap_or_default();
        self.steps(&device.to_string_lossy(), &stem.to_string_lossy())
    }
}

/// Sets a file's mtime `age` in the past.
pub fn set_age(path: &Path, age: Duration) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

/// Stdout and stderr of a run, for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut v = vec![0u8; len];
    rng.fill(&mut v);
    v
}

/// The take's metadata, parsed from its AWSJSON string.
pub fn metadata(take: &Value) -> Value {
    serde_json::from_str(take["metadata"].as_str().unwrap_or("null")).unwrap()
}
