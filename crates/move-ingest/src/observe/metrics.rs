//! The Prometheus metrics of `run`: counters the stages bump as they work (since the process
//! started) and gauges filled from a `Snapshot` at each scrape, encoded by `prometheus-client`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::report::snapshot::Snapshot;

/// The `kind` values of `move_ingest_api_errors_total`.
pub const ERROR_KINDS: [&str; 10] = [
    "auth",
    "transport",
    "throttled",
    "server",
    "refused",
    "graphql",
    "decode",
    "storage_url",
    "storage_transient",
    "storage_refused",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

/// The `kind` label of `move_ingest_api_errors_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: &'static str,
}

/// The labels of `move_ingest_rig_recordings` and `move_ingest_volumes`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RigLabel {
    rig: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PathLabel {
    path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

/// The registry and every metric in it.
pub struct Metrics {
    registry: Registry,
    /// Takes created by this process (adopted ones included).
    pub takes_created: Counter,
    /// Bytes the storage accepted (whole files only).
    pub uploaded_bytes: Counter,
    /// Seconds one whole-file upload took (its successful attempt).
    pub upload_seconds: Histogram,
    /// API and storage errors by kind.
    pub api_errors: Family<KindLabel, Counter>,
    recordings: Family<StateLabel, Gauge>,
    oldest_pending: Gauge<f64, AtomicU64>,
    last_take: Gauge<f64, AtomicU64>,
    free_bytes: Family<PathLabel, Gauge>,
    size_bytes: Family<PathLabel, Gauge>,
    path_up: Family<PathLabel, Gauge>,
    build_info: Family<VersionLabel, Gauge>,
    rig_recordings: Family<RigLabel, Gauge>,
    volumes: Family<RigLabel, Gauge>,
    /// `[coordination]`: 1 while the shared database answers, else 0 (registered only then).
    pub coordination_up: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry holding every metric, all at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let m = Metrics {
            takes_created: Counter::default(),
            uploaded_bytes: Counter::default(),
            upload_seconds: Histogram::new([
                0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
            ]),
            api_errors: Family::default(),
            recordings: Family::default(),
            oldest_pending: Gauge::default(),
            last_take: Gauge::default(),
            free_bytes: Family::default(),
            size_bytes: Family::default(),
            path_up: Family::default(),
            build_info: Family::default(),
            rig_recordings: Family::default(),
            volumes: Family::default(),
            coordination_up: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "move_ingest_recordings",
            "Recordings in the state, by state",
            m.recordings.clone(),
        );
        registry.register(
            "move_ingest_takes_created",
            "Takes created since the process started",
            m.takes_created.clone(),
        );
        registry.register(
            "move_ingest_uploaded_bytes",
            "Bytes uploaded (accepted whole files) since the process started",
            m.uploaded_bytes.clone(),
        );
        registry.register(
            "move_ingest_upload_seconds",
            "Time one whole-file upload took",
            m.upload_seconds.clone(),
        );
        registry.register(
            "move_ingest_api_errors",
            "Errors from the Move API and its storage since the process started, by kind",
            m.api_errors.clone(),
        );
        registry.register(
            "move_ingest_oldest_pending_age_seconds",
            "Age of the oldest recording not yet done (0 when none)",
            m.oldest_pending.clone(),
        );
        registry.register(
            "move_ingest_last_take_timestamp_seconds",
            "Unix time of the latest take (0 when none)",
            m.last_take.clone(),
        );
        registry.register(
            "move_ingest_watch_free_bytes",
            "Free bytes on the file system of each watch path",
            m.free_bytes.clone(),
        );
        registry.register(
            "move_ingest_watch_size_bytes",
            "Size in bytes of the file system of each watch path",
            m.size_bytes.clone(),
        );
        registry.register(
            "move_ingest_watch_path_up",
            "1 while a watch path or device folder is there, 0 while it is missing (a drive or share not mounted, a folder deleted)",
            m.path_up.clone(),
        );
        registry.register(
            "move_ingest_build_info",
            "Always 1; the version label names the running build",
            m.build_info.clone(),
        );
        registry.register(
            "move_ingest_rig_recordings",
            "Rig recordings in the state, by rig and state",
            m.rig_recordings.clone(),
        );
        registry.register(
            "move_ingest_volumes",
            "Volumes of the rigs' calibrations, by rig and the API's state",
            m.volumes.clone(),
        );
        // Every kind starts at 0, so that rates and alerts see the series before the first error.
        for kind in ERROR_KINDS {
            m.api_errors.get_or_create(&KindLabel { kind }).inc_by(0);
        }
        m.build_info
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        Metrics { registry, ..m }
    }

    /// Adds `move_ingest_coordination_up` (a machine of a rig over several machines).
    pub fn with_coordination(mut self) -> Metrics {
        self.registry.register(
            "move_ingest_coordination_up",
            "1 while the coordination database of the rigs answers, else 0 (rig recordings wait)",
            self.coordination_up.clone(),
        );
        self
    }

    /// The rig gauges: every state of every rig with a recording (zeros too), and volumes.
    fn set_rigs(&self, snap: &Snapshot) {
        use crate::model::rig::RigState;
        let view = &snap.rigs;
        let mut rigs: Vec<&str> = view.by_state.iter().map(|(r, _, _)| r.as_str()).collect();
        rigs.dedup();
        for rig in rigs {
            for st in RigState::ALL {
                let n = view
                    .by_state
                    .iter()
                    .find(|(r, s, _)| r == rig && s == st.as_str())
                    .map_or(0, |(_, _, n)| *n);
                let label = RigLabel {
                    rig: rig.to_string(),
                    state: st.as_str().to_string(),
                };
                self.rig_recordings
                    .get_or_create(&label)
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        self.volumes.clear();
        for (rig, state, n) in &view.volumes {
            let label = RigLabel {
                rig: rig.clone(),
                state: state.clone(),
            };
            self.volumes
                .get_or_create(&label)
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
    }

    /// Counts one error of `kind`.
    pub fn api_error(&self, kind: &'static str) {
        self.api_errors.get_or_create(&KindLabel { kind }).inc();
    }

    /// Sets `move_ingest_watch_path_up` of a watch path or device folder.
    pub fn set_path_up(&self, path: &std::path::Path, up: bool) {
        let label = PathLabel {
            path: path.display().to_string(),
        };
        self.path_up.get_or_create(&label).set(i64::from(up));
    }

    /// Sets the gauges from `snap`, then encodes everything as Prometheus (OpenMetrics) text.
    pub fn render(&self, snap: &Snapshot) -> Result<String, std::fmt::Error> {
        for (state, n) in &snap.counts {
            self.recordings
                .get_or_create(&StateLabel { state })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        self.set_rigs(snap);
        self.oldest_pending.set(snap.oldest_pending_age_secs());
        self.last_take.set(snap.last_take_unix().unwrap_or(0.0));
        for w in &snap.watches {
            let label = PathLabel {
                path: w.path.display().to_string(),
            };
            for (family, value) in [
                (&self.free_bytes, w.free_bytes),
                (&self.size_bytes, w.total_bytes),
            ] {
                match value {
                    Some(b) => {
                        family
                            .get_or_create(&label)
                            .set(i64::try_from(b).unwrap_or(i64::MAX));
                    }
                    None => {
                        family.remove(&label);
                    }
                }
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
