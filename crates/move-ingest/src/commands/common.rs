//! What every ingesting command does first: config, logging, key, state, pipeline.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::config::UsageError;
use crate::config::{Config, resolve_key};
use crate::ingest::Ingest;
use crate::store::{Opened, Store};
use crate::upload::Report;

/// Loads the config and starts logging as it says.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Arc<Config>> {
    let cfg = Config::load(path)?;
    crate::observe::logging::init(&cfg.log);
    Ok(Arc::new(cfg))
}

/// A watch path that does not exist (or is not a folder) is a config error (exit 2): a
/// backfill of it would find nothing and look like success.
pub fn require_watch_paths(cfg: &Config) -> Result<(), UsageError> {
    for w in &cfg.watch {
        match std::fs::metadata(&w.path) {
            Ok(md) if md.is_dir() => {}
            Ok(_) => {
                return Err(UsageError::new(format!(
                    "watch path {} is not a folder; fix [[watch]] path in {}",
                    w.path.display(),
                    cfg.path.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(UsageError::new(format!(
                    "watch path {} does not exist; create it or fix [[watch]] path in {}",
                    w.path.display(),
                    cfg.path.display()
                )));
            }
            // Unreadable: the scan reports it as a folder it could not read (exit 1).
            Err(_) => {}
        }
    }
    Ok(())
}

/// Opens (and locks) the state; a locked, unusable or damaged state dir is a usage error (exit 2).
pub fn open_store(cfg: &Config) -> anyhow::Result<(Arc<Store>, Opened)> {
    let (store, opened) =
        Store::open(&cfg.state.dir).map_err(|e| UsageError::new(e.to_string()))?;
    tracing::info!(
        state = %store.path().display(),
        unfinished = opened.unfinished,
        imported_journal_recordings = opened.imported.as_ref().map(|i| i.recordings),
        "state opened"
    );
    Ok((Arc::new(store), opened))
}

/// The whole pipeline, ready to ingest, reporting every upload to `watch`.
pub fn pipeline(cfg: Arc<Config>, watch: Arc<dyn Report>) -> anyhow::Result<Arc<Ingest>> {
    let key = resolve_key(&cfg.api)?;
    let (store, _) = open_store(&cfg)?;
    let mut ingest = Ingest::new(cfg, key, store).context("cannot set up the HTTP client")?;
    ingest.watch_uploads(watch);
    Ok(Arc::new(ingest))
}

/// An API error as a command reports it: a rejected key exits 3 (naming where the key was
/// read from), anything else 4.
pub fn api_error(e: crate::api::ApiError) -> anyhow::Error {
    match e {
        crate::api::ApiError::Auth {
            status, key_source, ..
        } => crate::api::AuthError {
            status,
            source_desc: key_source,
        }
        .into(),
        other => other.into(),
    }
}

/// The API client from the config and the key, for the commands that only talk to the API.
pub fn api_client(config: Option<&Path>) -> anyhow::Result<crate::api::Client> {
    let cfg = Config::load(config)?;
    crate::observe::logging::init(&cfg.log);
    let key = resolve_key(&cfg.api)?;
    let http = crate::api::http_client(&cfg.api).context("cannot set up the HTTP client")?;
    Ok(crate::api::Client::new(http, &cfg.api, key))
}

/// A failed creation whose answer may have been lost: says where to look before asking again,
/// so that nothing is made twice; otherwise as [`api_error`].
pub fn create_error(e: crate::api::ApiError, what: &str, look: &str) -> anyhow::Error {
    if e.is_ambiguous() {
        return anyhow::Error::new(e).context(format!(
            "the {what} may have been created even though no answer came; `{look}` shows it before you create another"
        ));
    }
    api_error(e)
}
