//! The admin endpoints: read or replace the injected faults, and read the request counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::App;
use super::faults::Faults;

/// Counters tests read through `GET /admin/stats`.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub graphql_requests: AtomicU64,
    pub files_created: AtomicU64,
    pub uploads_completed: AtomicU64,
    pub uploads_rejected: AtomicU64,
    pub takes_created: AtomicU64,
    /// `listTakes` requests served (pages of takes read).
    pub takes_listed: AtomicU64,
    pub faults_injected: AtomicU64,
    pub jobs_created: AtomicU64,
    pub volumes_created: AtomicU64,
    /// Presigned GETs that served a file's bytes (uploads and job outputs).
    pub files_downloaded: AtomicU64,
}

/// A point-in-time copy of [`Stats`], as served.
#[derive(Debug, Serialize)]
struct StatsSnapshot {
    graphql_requests: u64,
    files_created: u64,
    uploads_completed: u64,
    uploads_rejected: u64,
    takes_created: u64,
    takes_listed: u64,
    faults_injected: u64,
    jobs_created: u64,
    volumes_created: u64,
    files_downloaded: u64,
}

impl Stats {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> StatsSnapshot {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            graphql_requests: read(&self.graphql_requests),
            files_created: read(&self.files_created),
            uploads_completed: read(&self.uploads_completed),
            uploads_rejected: read(&self.uploads_rejected),
            takes_created: read(&self.takes_created),
            takes_listed: read(&self.takes_listed),
            faults_injected: read(&self.faults_injected),
            jobs_created: read(&self.jobs_created),
            volumes_created: read(&self.volumes_created),
            files_downloaded: read(&self.files_downloaded),
        }
    }
}

/// `GET /admin/faults`: the faults in force.
pub(crate) async fn get_faults(State(app): State<Arc<App>>) -> Json<Faults> {
    Json(app.faults.current())
}

/// `POST /admin/faults`: replaces the faults (missing keys take their defaults) and reseeds the RNG.
pub(crate) async fn post_faults(
    State(app): State<Arc<App>>,
    Json(faults): Json<Faults>,
) -> Response {
    if let Err(e) = faults.validate() {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": e })),
        )
            .into_response();
    }
    tracing::info!(?faults, "sandbox: faults replaced");
    app.faults.replace(faults.clone());
    Json(faults).into_response()
}

/// The body of `POST /admin/key`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewKey {
    api_key: String,
}

/// `POST /admin/key`: from now on only `api_key` is accepted (the old key is answered 401, as
/// a key revoked in Move's console is).
pub(crate) async fn post_key(State(app): State<Arc<App>>, Json(new): Json<NewKey>) -> Response {
    if new.api_key.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "api_key must not be empty" })),
        )
            .into_response();
    }
    *app.api_key.write().unwrap_or_else(|p| p.into_inner()) = new.api_key;
    tracing::info!("sandbox: API key replaced");
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /admin/stats`: the request counters.
pub(crate) async fn get_stats(State(app): State<Arc<App>>) -> Response {
    Json(app.stats.snapshot()).into_response()
}
