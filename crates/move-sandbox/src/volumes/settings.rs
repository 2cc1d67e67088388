//! How sandbox volumes behave: how long they wait and run, and how many fail.
//!
//! Set with `move-sandbox --volume-*` flags and replaced at run time with `POST /admin/volumes`;
//! a volume keeps the timing it was created with, so its state only ever moves forward.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::jobs::Fate;

/// The volume behaviour in force; `POST /admin/volumes` replaces it (missing keys take their
/// defaults).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeSettings {
    /// How long a new volume stays NOT_STARTED, in milliseconds.
    pub queue_ms: u64,
    /// How long it then stays RUNNING before FINISHED, in milliseconds.
    pub run_ms: u64,
    /// Probability (0..1) that a new volume FAILS halfway through its run instead of finishing.
    pub p_fail: f64,
    /// The reason a failed volume gives (in its metadata under `failure_reason`).
    pub fail_reason: String,
    /// Seed of the RNG that draws which volumes fail, so a run can be repeated.
    pub seed: u64,
}

impl Default for VolumeSettings {
    fn default() -> Self {
        VolumeSettings {
            queue_ms: 1000,
            run_ms: 3000,
            p_fail: 0.0,
            fail_reason: "the human was not seen by two cameras at once (sandbox --volume-fail)"
                .into(),
            seed: 0,
        }
    }
}

impl VolumeSettings {
    /// Checks the failure probability.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.p_fail) {
            return Err(format!(
                "p_fail must be a probability between 0 and 1, got {}",
                self.p_fail
            ));
        }
        Ok(())
    }
}

impl Fate for VolumeSettings {
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

/// `GET /admin/volumes`: the volume settings in force.
pub(crate) async fn get_settings(State(app): State<Arc<App>>) -> Json<VolumeSettings> {
    Json(app.volumes.current())
}

/// `POST /admin/volumes`: replaces the volume settings for volumes created from now on, and
/// reseeds.
pub(crate) async fn post_settings(
    State(app): State<Arc<App>>,
    Json(settings): Json<VolumeSettings>,
) -> Response {
    if let Err(e) = settings.validate() {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": e })),
        )
            .into_response();
    }
    tracing::info!(?settings, "sandbox: volume settings replaced");
    app.volumes.replace(settings.clone());
    Json(settings).into_response()
}
