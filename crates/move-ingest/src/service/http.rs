//! The one small HTTP server of `run` (`[metrics] listen`): `/metrics` for Prometheus, `/` the
//! status page, `/api/status` the JSON of `status --json`, `/healthz` 200 or 503 with the reason,
//! and `/thumbnail/{take}` the API's thumbnails, fetched and held by the daemon (the screen showing
//! the page may have no way out).
//!
//! With a bearer token (`[metrics] bearer_token_file` or the systemd credential `metrics-token`)
//! every path but `/healthz` answers 401 without `Authorization: Bearer <token>`; the token is
//! compared in constant time. Without one, a listen address off loopback is warned about.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

use crate::api;
use crate::config::Config;
use crate::config::MetricsConfig;
use crate::config::{ResolvedSecret, UsageError};
use crate::observe::monitor::{Health, Monitor};
use crate::report::snapshot::StateView;
use crate::service::page::{self, Page};

/// Thumbnails held at most (the page shows the latest nine takes).
const THUMBS: usize = 12;
/// A thumbnail larger than this is not held.
const THUMB_MAX_BYTES: usize = 2 << 20;
/// How often the latest takes are looked at: at once when a take was created (checked every
/// `THUMB_TICK`), else every `THUMB_EVERY`; a take whose thumbnail the API does not have yet is
/// asked again after `THUMB_RETRY`.
const THUMB_TICK: Duration = Duration::from_secs(2);
const THUMB_EVERY: Duration = Duration::from_secs(60);
const THUMB_RETRY: Duration = Duration::from_secs(600);

/// What the handlers read.
pub struct Web {
    pub cfg: Arc<Config>,
    pub monitor: Arc<Monitor>,
    pub view: Arc<dyn StateView>,
    pub api: api::Client,
    pub host: String,
    thumbs: Mutex<Thumbs>,
    /// What `Authorization: Bearer` must carry: the SHA-256 of the token (equal lengths for
    /// the constant-time comparison), and where the token was read from.
    token: Option<([u8; 32], String)>,
}

#[derive(Default)]
struct Thumbs {
    held: HashMap<String, (String, bytes::Bytes)>,
    tried: HashMap<String, Instant>,
}

impl Web {
    /// The server's state.
    pub fn new(
        cfg: Arc<Config>,
        monitor: Arc<Monitor>,
        view: Arc<dyn StateView>,
        api: api::Client,
        host: String,
    ) -> Web {
        Web {
            cfg,
            monitor,
            view,
            api,
            host,
            thumbs: Mutex::default(),
            token: None,
        }
    }

    /// Asks every request but `/healthz` for this bearer token.
    pub fn with_token(mut self, token: Option<ResolvedSecret>) -> Web {
        self.token = token.map(|t| (Sha256::digest(t.secret.expose()).into(), t.source));
        self
    }

    fn thumbs(&self) -> std::sync::MutexGuard<'_, Thumbs> {
        self.thumbs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Binds `metrics.listen`; a busy or foreign address is a config error (exit 2) named as such.
pub async fn bind(cfg: &MetricsConfig) -> anyhow::Result<TcpListener> {
    TcpListener::bind(cfg.listen).await.map_err(|e| {
        anyhow::Error::new(UsageError::new(format!(
            "cannot listen on {} (metrics.listen): {e}; pick a free port or an address of this machine",
            cfg.listen
        )))
    })
}

/// Serves until the task is aborted; also keeps the thumbnails of the latest takes.
pub fn spawn(listener: TcpListener, web: Arc<Web>) -> tokio::task::JoinHandle<()> {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(
        listen = %addr,
        "serving /metrics, / (status page), /api/status and /healthz"
    );
    let loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
    match &web.token {
        Some((_, source)) => tracing::info!(
            token = %source,
            "/, /api/status, /metrics and /thumbnail/ ask for the bearer token; /healthz is open"
        ),
        None if !loopback => tracing::warn!(
            listen = %addr,
            "the status server listens beyond this machine without a bearer token: anyone who can reach {addr} reads every recording's name and path, each failure and its reason, and the metrics (/, /api/status, /metrics); set [metrics] bearer_token_file (or the systemd credential {}), or listen on 127.0.0.1",
            crate::config::METRICS_TOKEN_CREDENTIAL
        ),
        None => {}
    }
    tokio::spawn(fetch_thumbnails(web.clone()));
    let guarded = Router::new()
        .route("/", get(status_page))
        .route("/metrics", get(metrics))
        .route("/api/status", get(api_status))
        .route("/thumbnail/{take}", get(thumbnail))
        .route_layer(middleware::from_fn_with_state(web.clone(), require_token));
    let app = Router::new()
        .route("/healthz", get(healthz))
        .merge(guarded)
        .with_state(web);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .await
            .context("the metrics server stopped")
        {
            tracing::error!("{e:#}");
        }
    })
}

type Shared = State<Arc<Web>>;

/// Lets a request through when no token is set or when it carries the token; else 401 with
/// `WWW-Authenticate: Bearer` (RFC 6750), saying nothing of the token.
async fn require_token(State(web): Shared, request: Request, next: Next) -> Response {
    let Some((expected, _)) = &web.token else {
        return next.run(request).await;
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim());
    let challenge = match presented {
        None => "Bearer realm=\"move-ingest\"",
        Some(token) => {
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if bool::from(digest.ct_eq(expected)) {
                return next.run(request).await;
            }
            "Bearer realm=\"move-ingest\", error=\"invalid_token\""
        }
    };
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        "this status server asks for a bearer token: Authorization: Bearer <token> ([metrics] bearer_token_file, docs/monitoring.md)\n",
    )
        .into_response()
}

async fn metrics(State(web): Shared) -> Response {
    let snap = web.view.snapshot(
        &web.cfg.watch,
        &web.monitor.first_seen,
        &web.monitor.waiting(),
    );
    match web.monitor.metrics.render(&snap) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

async fn api_status(State(web): Shared) -> Response {
    let mut out = web.view.status_json(&web.cfg, &web.monitor.waiting());
    // This process knows its pause first-hand (a read-only disk may refuse `pause.json`).
    crate::report::status::add_paused(&mut out, web.monitor.state_paused().as_ref());
    axum::Json(out).into_response()
}

async fn healthz(State(web): Shared) -> Response {
    match web.monitor.health(SystemTime::now()) {
        Health::Ingesting => (StatusCode::OK, "ingesting\n".to_string()).into_response(),
        Health::Paused(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("paused: {reason}\n"),
        )
            .into_response(),
    }
}

async fn status_page(State(web): Shared) -> Response {
    let snap = web.view.snapshot(
        &web.cfg.watch,
        &web.monitor.first_seen,
        &web.monitor.waiting(),
    );
    let active = web.monitor.active();
    let ids: Vec<&str> = active.iter().map(|(id, _)| id.as_str()).collect();
    let rows = web.view.rows(&ids);
    let active: Vec<_> = active.into_iter().map(|(_, a)| a).zip(rows).collect();
    let thumbs: Vec<String> = web.thumbs().held.keys().cloned().collect();
    let health = web.monitor.health(snap.taken);
    let api_down = web.monitor.api_down();
    let coordination_down = web.monitor.coordination_down();
    let html = page::render(&Page {
        host: &web.host,
        health: &health,
        api_down: api_down.as_ref(),
        coordination_down: coordination_down.as_ref(),
        snap: &snap,
        active: &active,
        thumbs: &thumbs,
    });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

async fn thumbnail(State(web): Shared, Path(take): Path<String>) -> Response {
    match web.thumbs().held.get(&take) {
        Some((kind, bytes)) => (
            [
                (header::CONTENT_TYPE, kind.clone()),
                (header::CACHE_CONTROL, "max-age=3600".to_string()),
            ],
            bytes.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no thumbnail for this take\n").into_response(),
    }
}

/// Asks the API for the thumbnails of the latest takes that have none held yet.
async fn fetch_thumbnails(web: Arc<Web>) {
    let mut tick = tokio::time::interval(THUMB_TICK);
    let mut seen_takes = None;
    let mut looked = Instant::now();
    loop {
        tick.tick().await;
        let takes = web.monitor.metrics.takes_created.get();
        if seen_takes == Some(takes) && looked.elapsed() < THUMB_EVERY {
            continue;
        }
        (seen_takes, looked) = (Some(takes), Instant::now());
        let snap = web.view.snapshot(&[], &web.monitor.first_seen, &[]);
        let wanted: Vec<String> = snap
            .latest_takes
            .iter()
            .filter_map(|r| r.take_id.clone())
            .take(9)
            .collect();
        for take in &wanted {
            let due = {
                let t = web.thumbs();
                !t.held.contains_key(take)
                    && t.tried
                        .get(take)
                        .is_none_or(|at| at.elapsed() >= THUMB_RETRY)
            };
            if !due {
                continue;
            }
            web.thumbs().tried.insert(take.clone(), Instant::now());
            match fetch_one(&web.api, take).await {
                Ok(Some(image)) => {
                    web.thumbs().held.insert(take.clone(), image);
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(take = %take, "no thumbnail: {e}"),
            }
        }
        let mut t = web.thumbs();
        t.held.retain(|k, _| wanted.contains(k));
        t.tried.retain(|k, _| wanted.contains(k));
        while t.held.len() > THUMBS {
            let Some(k) = t.held.keys().next().cloned() else {
                break;
            };
            t.held.remove(&k);
        }
    }
}

async fn fetch_one(
    api: &api::Client,
    take: &str,
) -> anyhow::Result<Option<(String, bytes::Bytes)>> {
    let Some(url) = api.take_thumbnail_url(take).await? else {
        return Ok(None);
    };
    let resp = api
        .http()
        .get(&url)
        .timeout(Duration::from_secs(20))
        .send()
        .await?
        .error_for_status()?;
    let kind = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("image/jpeg")
        .to_string();
    if !kind.starts_with("image/") {
        anyhow::bail!("the thumbnail URL answered {kind}, not an image");
    }
    let bytes = resp.bytes().await?;
    if bytes.len() > THUMB_MAX_BYTES {
        anyhow::bail!("the thumbnail is {} bytes, over the limit", bytes.len());
    }
    Ok(Some((kind, bytes)))
}
