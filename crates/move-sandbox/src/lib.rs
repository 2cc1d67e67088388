//! A local Move-compatible API: GraphQL on /ugc/graphql and a presigned-URL upload endpoint.
//!
//! [`serve`] runs it on a listener the caller binds (127.0.0.1 in `move-ingest sandbox`);
//! everything it creates is kept under [`Options::data_dir`], so a restart keeps files, takes,
//! volumes and jobs.

mod admin;
mod catalog;
mod execute;
mod faults;
mod graphql;
mod jobs;
mod multicam;
mod presign;
mod project;
mod receive;
mod request;
mod resolvers;
mod storage;
mod store;
mod takes;
mod thumbnail;
mod views;
mod volumes;

/// The storage's ceiling for one PUT (S3's); move-ingest checks that its own equals it.
pub use storage::MAX_PUT_BYTES;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;
use axum::Router;
use axum::routing::{get, post, put};

pub use faults::Faults;
pub use jobs::{JobSettings, output_bytes};
pub use store::DataDirInUse;
pub use volumes::VolumeSettings;

use admin::Stats;
use faults::FaultState;
use store::Store;

/// The sandbox's own SDL: the subset of the Move UGC API schema it serves, same names and types.
pub const SCHEMA_SDL: &str = include_str!("schema.graphql");

/// How long in-flight requests may take to finish once shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What the sandbox needs to run.
#[derive(Clone)]
pub struct Options {
    /// Where files, uploaded bytes and takes are kept (created if missing).
    pub data_dir: PathBuf,
    /// The key the `Authorization` header must carry, verbatim.
    pub api_key: String,
    /// How long a presigned URL stays valid.
    pub url_ttl: Duration,
    /// Faults injected from the start (replaceable through `POST /admin/faults`).
    pub faults: Faults,
    /// How jobs behave from the start (replaceable through `POST /admin/jobs`).
    pub jobs: JobSettings,
    /// How volumes behave from the start (replaceable through `POST /admin/volumes`).
    pub volumes: VolumeSettings,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("data_dir", &self.data_dir)
            .field("api_key", &"<redacted>")
            .field("url_ttl", &self.url_ttl)
            .field("faults", &self.faults)
            .field("jobs", &self.jobs)
            .field("volumes", &self.volumes)
            .finish()
    }
}

/// Everything a request handler shares.
pub(crate) struct App {
    pub store: Store,
    /// The key requests must carry; `POST /admin/key` replaces it (a key revoked at run time).
    pub api_key: std::sync::RwLock<String>,
    /// `http://127.0.0.1:PORT`, the origin presigned URLs point at.
    pub base: String,
    pub url_ttl: Duration,
    pub faults: FaultState,
    pub stats: Stats,
    pub jobs: jobs::Jobs,
    pub volumes: jobs::SettingsState<VolumeSettings>,
    pub schema: Valid<Schema>,
}

/// Serves the sandbox on `listener` until `shutdown` completes, then lets in-flight requests
/// finish for a few seconds.
pub async fn serve(
    listener: tokio::net::TcpListener,
    opts: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_when_ready(listener, opts, shutdown, || Ok(())).await
}

/// [`serve`], calling `ready` once the data dir is open and locked, before the first request
/// is answered (the binary announces its address there, so a refused data dir never looks
/// like a started sandbox).
pub async fn serve_when_ready(
    listener: tokio::net::TcpListener,
    opts: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let addr = listener
        .local_addr()
        .context("cannot read the sandbox listener's address")?;
    let app = Arc::new(open_app(opts, format!("http://{addr}"))?);
    ready()?;
    let (fired_tx, fired_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = fired_tx.send(());
    };
    let server = axum::serve(listener, router(app))
        .with_graceful_shutdown(signal)
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result.context("the sandbox server stopped"),
        _ = fired_rx => {}
    }
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(result) => result.context("the sandbox server stopped"),
        Err(_) => {
            tracing::warn!("sandbox: requests still running after shutdown grace; stopping anyway");
            Ok(())
        }
    }
}

fn open_app(opts: Options, base: String) -> anyhow::Result<App> {
    opts.faults
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid sandbox faults: {e}"))?;
    let schema = Schema::parse_and_validate(SCHEMA_SDL, "sandbox/schema.graphql")
        .map_err(|e| anyhow::anyhow!("the sandbox schema is invalid: {}", e.errors))?;
    let store = Store::open(&opts.data_dir).with_context(|| {
        format!(
            "cannot open the sandbox data dir {}",
            opts.data_dir.display()
        )
    })?;
    opts.jobs
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid sandbox job settings: {e}"))?;
    let jobs = jobs::Jobs::open(&opts.data_dir, opts.jobs).with_context(|| {
        format!(
            "cannot open the sandbox jobs in {}",
            opts.data_dir.display()
        )
    })?;
    opts.volumes
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid sandbox volume settings: {e}"))?;
    Ok(App {
        store,
        api_key: std::sync::RwLock::new(opts.api_key),
        base,
        url_ttl: opts.url_ttl,
        faults: FaultState::new(opts.faults),
        stats: Stats::default(),
        jobs,
        volumes: jobs::SettingsState::new(opts.volumes),
        schema,
    })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ugc/graphql", post(graphql::handle))
        .route(
            "/storage/{file_id}",
            put(storage::handle_put).get(storage::handle_get),
        )
        .route(
            "/admin/faults",
            get(admin::get_faults).post(admin::post_faults),
        )
        .route("/admin/stats", get(admin::get_stats))
        .route("/admin/key", post(admin::post_key))
        .route("/thumbnails/{name}", get(thumbnail::handle))
        .route(
            "/admin/jobs",
            get(jobs::get_settings).post(jobs::post_settings),
        )
        .route(
            "/admin/volumes",
            get(volumes::get_settings).post(volumes::post_settings),
        )
        .with_state(app)
}
