//! How sandbox jobs behave: how long they wait and run, how many fail, how big their outputs are.
//!
//! Set with `move-sandbox --job-*` flags and replaced at run time with `POST /admin/jobs`; a job
//! keeps the timing it was created with, so its state only ever moves forward.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::App;

/// The job behaviour in force; `POST /admin/jobs` replaces it (missing keys take their defaults).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// How long a new job stays NOT_STARTED, in milliseconds.
    pub queue_ms: u64,
    /// How long it then stays RUNNING (its percentage growing) before FINISHED, in milliseconds.
    pub run_ms: u64,
    /// Probability (0..1) that a new job FAILS halfway through its run instead of finishing.
    pub p_fail: f64,
    /// The reason a failed job gives (in its metadata under `failure_reason`).
    pub fail_reason: String,
    /// Seed of the RNG that draws which jobs fail, so a run can be repeated.
    pub seed: u64,
    /// The approximate size of each output file, in bytes (each output adds up to 1 KiB more).
    pub output_bytes: u64,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            queue_ms: 1000,
            run_ms: 5000,
            p_fail: 0.0,
            fail_reason: "no person could be tracked in the video (sandbox --job-fail)".into(),
            seed: 0,
            output_bytes: 64 << 10,
        }
    }
}

/// The most output bytes a job may be configured to produce per output (64 MiB).
const MAX_OUTPUT_BYTES: u64 = 64 << 20;

impl JobSettings {
    /// Checks the failure probability and the output size.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.p_fail) {
            return Err(format!(
                "p_fail must be a probability between 0 and 1, got {}",
                self.p_fail
            ));
        }
        if self.output_bytes > MAX_OUTPUT_BYTES {
            return Err(format!(
                "output_bytes must be at most {MAX_OUTPUT_BYTES}, got {}",
                self.output_bytes
            ));
        }
        Ok(())
    }
}

/// Settings that draw, per new record, whether it fails: jobs' and volumes'.
pub(crate) trait Fate: Clone {
    /// Seed of the RNG that draws failures.
    fn seed(&self) -> u64;
    /// Probability (0..1) that a new record fails.
    fn p_fail(&self) -> f64;
    /// The reason a failed record gives.
    fn fail_reason(&self) -> &str;
}

impl Fate for JobSettings {
    fn seed(&self) -> u64 {
        self.seed
    }
    fn p_fail(&self) -> f64 {
        self.p_fail
    }
    fn fail_reason(&self) -> &str {
        &self.fail_reason
    }
}

/// The live settings and the seeded RNG that draws failures.
pub(crate) struct SettingsState<T> {
    inner: Mutex<(T, fastrand::Rng)>,
}

impl<T: Fate> SettingsState<T> {
    pub(crate) fn new(settings: T) -> Self {
        let rng = fastrand::Rng::with_seed(settings.seed());
        SettingsState {
            inner: Mutex::new((settings, rng)),
        }
    }

    pub(crate) fn current(&self) -> T {
        self.lock().0.clone()
    }

    /// Replaces the settings for records created from now on, and reseeds.
    pub(crate) fn replace(&self, settings: T) {
        let rng = fastrand::Rng::with_seed(settings.seed());
        *self.lock() = (settings, rng);
    }

    /// The settings for a new record, and its failure reason if it is drawn to fail.
    pub(crate) fn draw(&self) -> (T, Option<String>) {
        let mut guard = self.lock();
        let (settings, rng) = &mut *guard;
        let fails = settings.p_fail() > 0.0 && rng.f64() < settings.p_fail();
        let reason = fails.then(|| settings.fail_reason().to_string());
        (settings.clone(), reason)
    }

    fn lock(&self) -> MutexGuard<'_, (T, fastrand::Rng)> {
        // The pair is replaced whole, so a panic elsewhere cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `GET /admin/jobs`: the job settings in force.
pub(crate) async fn get_settings(State(app): State<Arc<App>>) -> Json<JobSettings> {
    Json(app.jobs.settings.current())
}

/// `POST /admin/jobs`: replaces the job settings for jobs created from now on, and reseeds.
pub(crate) async fn post_settings(
    State(app): State<Arc<App>>,
    Json(settings): Json<JobSettings>,
) -> Response {
    if let Err(e) = settings.validate() {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": e })),
        )
            .into_response();
    }
    tracing::info!(?settings, "sandbox: job settings replaced");
    app.jobs.settings.replace(settings.clone());
    Json(settings).into_response()
}
