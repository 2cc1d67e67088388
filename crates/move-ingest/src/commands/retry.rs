//! `move-ingest retry`: put failed (or retrying) recordings back in the queue, also while the
//! service runs: then the request is left in the state and the service takes it up. While a
//! `backfill` holds the state dir, `retry` is refused (exit 2) as before.

use std::path::Path;
use std::time::{Duration, Instant};

use super::common;
use crate::cli::RetryArgs;
use crate::commands::exit::Exit;
use crate::config::UsageError;
use crate::model::id::RecordingId;
use crate::model::recording::{Event, Phase, Recording};
use crate::store::query::Reader;
use crate::store::{Store, StoreError, requests};

/// How long `retry` waits to see the running service take its request up.
const TAKEN_UP_WITHIN: Duration = Duration::from_secs(10);

/// Runs the `retry` command: directly when no other process holds the state dir, else
/// through a request the running service takes up within seconds.
pub async fn run(config: Option<&Path>, args: RetryArgs) -> anyhow::Result<Exit> {
    let cfg = common::load_config(config)?;
    let usage = |e: StoreError| UsageError::new(e.to_string());
    match Store::open(&cfg.state.dir) {
        Ok((store, _)) => requeue_here(&store, &args).await,
        Err(StoreError::Locked { pid, .. }) if requests::service_holds(&cfg.state.dir) => {
            ask_the_service(&cfg.state.dir, &args, &pid).await
        }
        Err(e) => Err(usage(e).into()),
    }
}

/// The one recording asked for, checked: it must be failed or retrying.
fn checked(id: &str, rec: Option<Recording>) -> Result<RecordingId, UsageError> {
    match rec {
        Some(r) if r.phase().is_retriable() => Ok(r.id),
        Some(r) => Err(UsageError::new(format!(
            "recording {id} is {}, not failed or retrying",
            r.phase().as_str()
        ))),
        None => Err(UsageError::new(format!(
            "no recording {id} in the state (see `move-ingest status --failed`)"
        ))),
    }
}

/// No service runs: the recordings are put back now; the next `run` or `backfill` takes them.
async fn requeue_here(store: &Store, args: &RetryArgs) -> anyhow::Result<Exit> {
    let usage = |e: StoreError| UsageError::new(e.to_string());
    let rigs = requeue_rigs(store, args.recording.as_deref())?;
    if args.recording.is_some() && rigs > 0 {
        crate::outln!(
            "{rigs} rig recording(s) put back; the next `run` looks at its cameras again"
        )?;
        return Ok(Exit::Ok);
    }
    let ids: Vec<RecordingId> = match &args.recording {
        Some(id) => vec![checked(id, store.recording(id).map_err(usage)?)?],
        None => {
            let mut ids = store.failed().map_err(usage)?;
            ids.extend(store.retrying().map_err(usage)?);
            ids
        }
    };
    for id in &ids {
        store.record(id, Event::Requeued).await.map_err(usage)?;
    }
    crate::outln!(
        "{} recording(s) put back in the queue; the next `run` or `backfill` takes them up",
        ids.len()
    )?;
    Ok(Exit::Ok)
}

/// Puts failed rig recordings back (`key`: that one, if it is a rig recording); returns how
/// many. A rig recording asked for by key that has not failed is a usage error.
fn requeue_rigs(store: &Store, key: Option<&str>) -> Result<usize, UsageError> {
    use crate::model::rig::{RigEvent, RigState};
    let usage = |e: StoreError| UsageError::new(e.to_string());
    if let Some(key) = key
        && let Some(r) = store.rig_recording(key).map_err(usage)?
        && r.state() != RigState::Failed
    {
        return Err(UsageError::new(format!(
            "rig recording {key} is {}, not failed",
            r.state().as_str()
        )));
    }
    let mut n = 0;
    for r in store.rig_recordings(false).map_err(usage)? {
        if r.state() == RigState::Failed && key.is_none_or(|k| k == r.key) {
            let at_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            store
                .rig_record(&r, &RigEvent::Requeued { at_ms })
                .map_err(usage)?;
            n += 1;
        }
    }
    Ok(n)
}

/// A service holds the state dir: the request is left in the state, and `retry` waits a few
/// seconds to see it taken up.
async fn ask_the_service(dir: &Path, args: &RetryArgs, pid: &str) -> anyhow::Result<Exit> {
    let usage = |e: StoreError| UsageError::new(e.to_string());
    let reader = Reader::open(dir)
        .map_err(usage)?
        .ok_or_else(|| UsageError::new("the state holds no recordings yet"))?;
    let count = match &args.recording {
        Some(id) if reader.rig_recording(id).map_err(usage)?.is_some() => 1,
        Some(id) => {
            checked(id, reader.recording(id).map_err(usage)?)?;
            1
        }
        None => {
            let mut n = 0;
            for phase in Phase::RETRIABLE {
                n += reader.count(phase).map_err(usage)?;
            }
            n
        }
    };
    drop(reader);
    let request = requests::ask_retry(dir, args.recording.as_deref()).map_err(usage)?;
    let start = Instant::now();
    while start.elapsed() < TAKEN_UP_WITHIN {
        if !requests::waiting(dir, request).map_err(usage)? {
            crate::outln!(
                "{count} recording(s) put back in the queue by the running service{pid}"
            )?;
            return Ok(Exit::Ok);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    crate::outln!(
        "the retry of {count} recording(s) is recorded in the state; the running service{pid} has not taken it up within {} s (it does at its next turn, or at its next start)",
        TAKEN_UP_WITHIN.as_secs()
    )?;
    Ok(Exit::Ok)
}
