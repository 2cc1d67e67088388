//! The take index: the account's takes that carry move-ingest's record, paged from
//! `listTakes` (newest first) into the state at most once per start and only when a recording
//! the state does not know, and older than the state, needs it; a paging after a complete one
//! stops at the newest take already indexed. Lookups are then answered from the state database.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::Unsure;
use crate::api::Take;
use crate::ingest::classify::retry;
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::recording::Role;
use crate::retry::{Cause, Failure};
use crate::store::{IndexedTake, StoreError, TakeFile};

/// Takes asked for per `listTakes` page (the most the API serves).
const INDEX_PAGE: u32 = 100;
/// Attempts per `listTakes` page at most (fewer if `retry.max_attempts` says so): the paging
/// runs in a worker (one upload slot, the others wait for the index); when it fails, the
/// recording is deferred and the paging tried again later, rather than hold the slot for
/// the whole retry budget.
const INDEX_ATTEMPTS: u32 = 3;
/// After a paging failed, recordings that need the index wait this long before it is tried again.
const INDEX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Where this process's take index stands.
#[derive(Debug, Default)]
pub(in crate::ingest) enum IndexState {
    /// Not needed yet: nothing was paged.
    #[default]
    NotBuilt,
    /// Paged in full by this process: lookups are answered from the state database.
    Built,
    /// The last paging failed; tried again after `INDEX_RETRY_AFTER`.
    Failed {
        at: Instant,
        reason: String,
        why: Unsure,
    },
}

impl Ingest {
    /// The take index is usable: paged by this process (now, if it was not), or why not.
    pub(super) async fn take_index_ready(&self) -> Result<Result<(), (String, Unsure)>, Fatal> {
        let mut state = self.take_index.lock().await;
        match &*state {
            IndexState::Built => return Ok(Ok(())),
            // Only an outage is remembered: a refusal is asked again at once when a person
            // retries the recording after fixing its cause.
            IndexState::Failed { at, reason, why }
                if *why == Unsure::ApiDown && at.elapsed() < INDEX_RETRY_AFTER =>
            {
                return Ok(Err((reason.clone(), *why)));
            }
            _ => {}
        }
        let started = Instant::now();
        match self.page_takes().await? {
            Ok(n) => {
                tracing::info!(
                    takes = n,
                    ms = started.elapsed().as_millis() as u64,
                    "the state does not know some recordings: indexed the account's takes to adopt those already on the API"
                );
                *state = IndexState::Built;
                Ok(Ok(()))
            }
            Err((reason, why)) => {
                let then = match why {
                    Unsure::Refused => {
                        "it is not uploaded until they can be read; once the cause is fixed, `move-ingest retry` looks again"
                    }
                    _ => "it is not uploaded until they can be read (looked for again by itself)",
                };
                let reason = format!(
                    "cannot read the account's takes to look for this recording's take ({reason}); {then}"
                );
                tracing::warn!("{reason}");
                *state = IndexState::Failed {
                    at: Instant::now(),
                    reason: reason.clone(),
                    why,
                };
                Ok(Err((reason, why)))
            }
        }
    }

    /// Pages the account's takes into the index, newest first: all of them, or after a
    /// complete paging only those down to a take already indexed; returns how many carry
    /// move-ingest's record.
    async fn page_takes(&self) -> Result<Result<usize, (String, Unsure)>, Fatal> {
        let build = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let store = self.store.clone();
        let writer = tokio::task::spawn_blocking(move || store.take_index_writer(build)).await;
        // A state that cannot be written stops the work as any step would (not "unknown"); in
        // `run` a full or read-only disk leaves the index for the next pass instead.
        let mut writer = match writer {
            Ok(w) => match self.index_write(w)? {
                Ok(w) => w,
                Err(e) => return Ok(Err(e)),
            },
            Err(e) => return Ok(Err((e.to_string(), Unsure::ApiDown))),
        };
        let mut policy = self.policy.clone();
        policy.max_attempts = policy.max_attempts.min(INDEX_ATTEMPTS);
        let (mut after, mut n) = (None::<String>, 0);
        loop {
            let cursor = after.clone();
            let page = retry(&policy, "listTakes", || {
                self.api.list_takes(INDEX_PAGE, cursor.as_deref(), true)
            })
            .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => {
                    let e = auth(e)?;
                    let why = match e.cause() {
                        Cause::Permanent => Unsure::Refused,
                        _ => Unsure::ApiDown,
                    };
                    return Ok(Err((e.to_string(), why)));
                }
            };
            let indexed: Vec<IndexedTake> =
                page.items.iter().flatten().filter_map(indexed).collect();
            n += indexed.len();
            let reached = match self.index_write(writer.put(&indexed))? {
                Ok(reached) => reached,
                Err(e) => return Ok(Err(e)),
            };
            match page.after {
                // Newest first: below a take already indexed, the index holds every take.
                Some(next) if !reached => after = Some(next),
                _ => break,
            }
        }
        if let Err(e) = self.index_write(writer.finish())? {
            return Ok(Err(e));
        }
        Ok(Ok(n))
    }

    /// A write to the take index: while a full or read-only disk pauses `run`, its failure is a
    /// reason to look again at the next pass (the index is a cache of the API), not a stop.
    fn index_write<T>(
        &self,
        written: Result<T, StoreError>,
    ) -> Result<Result<T, (String, Unsure)>, Fatal> {
        match written {
            Ok(v) => Ok(Ok(v)),
            Err(e) => match e.disk_cause() {
                Some(cause) if self.store.pause().enabled() => {
                    Ok(Err((format!("{}: {e}", cause.reason()), Unsure::Changed)))
                }
                _ => Err(Fatal::Store(e)),
            },
        }
    }
}

/// The index entry of a take that carries move-ingest's record with a video; `None` for others.
fn indexed(take: &Take) -> Option<IndexedTake> {
    let meta = take.metadata_value();
    let record = meta.get("move_ingest")?;
    let text = |v: &Value, key: &str| v.get(key)?.as_str().map(str::to_string);
    let files: Vec<TakeFile> = record
        .get("files")?
        .as_array()?
        .iter()
        .filter_map(|f| serde_json::from_value(f.clone()).ok())
        .collect();
    files.iter().any(|f| f.role == Role::Video).then_some(())?;
    Some(IndexedTake {
        take_id: take.id.clone(),
        device_label: text(record, "device_label")?,
        stem: text(record, "stem")?,
        files,
        created_ms: crate::ingest::take::created_ms(take).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(meta: Value) -> Take {
        Take {
            id: "take-1".into(),
            created: "2026-11-28T15:17:10Z".into(),
            name: None,
            metadata: Some(meta.to_string()),
            take_type: None,
            sources: None,
        }
    }

    fn file(role: &str, name: &str, size: u64) -> Value {
        serde_json::json!({"role": role, "name": name, "size": size, "sha256": "ab", "file_id": "f"})
    }

    #[test]
    fn a_take_is_indexed_by_its_record_and_never_by_its_host() {
        let t = take(serde_json::json!({"move_ingest": {
            "device_label": "cam-a", "stem": "take01", "host": "old-name",
            "files": [file("video", "take01.mp4", 10), file("sidecar", "take01.move", 2)]}}));
        let i = indexed(&t).unwrap();
        assert_eq!(
            (i.device_label.as_str(), i.stem.as_str()),
            ("cam-a", "take01")
        );
        assert_eq!(i.files.len(), 2);
        assert_eq!(i.file(Role::Sidecar).unwrap().name, "take01.move");
        // Without a record, or without a video in it, a take is not one of ours.
        assert_eq!(indexed(&take(serde_json::json!({"site": "x"}))), None);
        let no_video = take(serde_json::json!({"move_ingest": {
            "device_label": "cam-a", "stem": "take01", "files": [file("sidecar", "take01.move", 2)]}}));
        assert_eq!(indexed(&no_video), None);
    }
}
