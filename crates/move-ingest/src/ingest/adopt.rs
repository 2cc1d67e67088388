//! Adoption: a recording the state does not know (a lost or new state dir) may already have
//! its take on the API. The record move-ingest writes on each take (`move_ingest`: device
//! label, stem, each file's name, size and SHA-256) is the key: candidates come from the take
//! index (`listTakes`, paged at most once per start and only when needed) by device label and
//! stem, are matched by file names and sizes, and are confirmed by hashing the local files;
//! a take that names the same files but holds other bytes is never adopted. The host a take
//! names is never read, so a re-imaged machine with a new hostname adopts its takes too.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::classify::retry;
use super::{Fatal, Ingest, Outcome, auth};
use crate::api::Take;
use crate::model::facts::{Facts, Found, Seen};
use crate::model::id::RecordingId;
use crate::model::recording::FailureKind;
use crate::model::recording::{Event, Recording, Role, Step};
use crate::observe::monitor::Doing;
use crate::retry::{Cause, Failure};
use crate::store::{IndexedTake, StoreError, TakeFile};
use crate::upload::sha256_file;

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
pub(super) enum IndexState {
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

/// How many recordings this process adopted, and how many it could not check (for summaries).
#[derive(Debug, Default)]
pub struct Adoptions {
    pub adopted: AtomicU64,
    pub unknown: AtomicU64,
}

/// What the API holds for a recording the state does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// This take holds exactly the local files (names, sizes and SHA-256 match).
    Take(Adoptable),
    /// No take of the account holds these files: the recording is uploaded as usual.
    None,
    /// It cannot be told now (the API could not be paged, or a file changed while it was
    /// hashed); nothing is uploaded for it until it can. `why` says which.
    Unknown { reason: String, why: Unsure },
}

/// Why a recording's take could not be looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsure {
    /// The API did not answer (`listTakes` failed for a transient reason): it waits, retrying.
    ApiDown,
    /// The API refused `listTakes` for a reason another attempt would not change.
    Refused,
    /// A file changed or could not be read while it was hashed, or the state disk could not
    /// take the index (full or read-only, `run` pauses): looked for again at a later pass.
    Changed,
}

/// A take to adopt: its files' SHA-256 matched the local files'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoptable {
    pub take_id: String,
    /// The take's files (the video, and the `.move` if the take has one).
    pub files: Vec<TakeFile>,
    /// A local `.move` that is not part of the take (it arrived after its take was created).
    pub late_sidecar: Option<Facts>,
}

impl Ingest {
    /// Looks for the take that already holds `found` (a complete recording the state does not
    /// know): pages `listTakes` into the index first if this process has not yet.
    pub async fn existing_take(&self, found: &Found) -> Result<Existing, Fatal> {
        if let Err((reason, why)) = self.take_index_ready().await? {
            return Ok(Existing::Unknown { reason, why });
        }
        let candidates = self.store.indexed_takes(&found.device, &found.stem)?;
        let mut hashes: HashMap<Role, String> = HashMap::new();
        for take in candidates {
            let Some(late_sidecar) = same_names_and_sizes(&take, found) else {
                continue;
            };
            match self.same_bytes(&take, found, &mut hashes).await {
                Ok(true) => {
                    return Ok(Existing::Take(Adoptable {
                        take_id: take.take_id,
                        files: take.files,
                        late_sidecar,
                    }));
                }
                Ok(false) => {
                    tracing::info!(device = %found.device, stem = %found.stem, take = %take.take_id, "a take names these files but holds other bytes: not adopted");
                }
                Err(reason) => {
                    return Ok(Existing::Unknown {
                        reason,
                        why: Unsure::Changed,
                    });
                }
            }
        }
        Ok(Existing::None)
    }

    /// Records `found` as a recording whose take is `take` (adopted: nothing is uploaded or
    /// created), equivalent to one that uploaded these files and created the take: its uploads
    /// answer "already done?" for these very files. `known` is the recording to complete (a
    /// `.move` waiting for its video, or one found unknown earlier), else a new one is made.
    /// Returns the recording's id.
    pub async fn adopt_existing(
        &self,
        known: Option<&Recording>,
        found: &Found,
        take: &Adoptable,
    ) -> Result<RecordingId, Fatal> {
        let id = known.map_or_else(RecordingId::new, |r| r.id.clone());
        let same_files =
            known.is_some_and(|r| r.video == found.video && r.sidecar == found.sidecar);
        if !same_files {
            self.store.record(&id, Event::discovered(found)).await?;
        }
        for file in &take.files {
            let Some(seen) = seen(found, file.role) else {
                continue;
            };
            let ev = Event::Uploaded {
                role: file.role,
                file_id: file.file_id.clone(),
                facts: seen.facts.clone(),
                sha256: file.sha256.clone(),
            };
            self.store.record(&id, ev).await?;
        }
        let ev = Event::TakeCreated {
            take_id: take.take_id.clone(),
            adopted: true,
        };
        self.store.record(&id, ev).await?;
        if let Some(facts) = &take.late_sidecar {
            let ev = Event::LateSidecar {
                facts: facts.clone(),
            };
            self.store.record(&id, ev).await?;
        }
        self.adoptions.adopted.fetch_add(1, Ordering::Relaxed);
        tracing::info!(rec = %id, device = %found.device, stem = %found.stem, take = %take.take_id, "the take of this recording is already on the API (same files, same SHA-256): adopted, nothing sent");
        Ok(id)
    }

    /// For a recording the state knew nothing of, before anything of it is uploaded: adopts
    /// its take if the API has it (`Done`), or leaves it for a later pass when that cannot be
    /// told now (`Deferred`); `None`: upload it as usual.
    pub(super) async fn look_for_take(&self, rec: &Recording) -> Result<Option<Outcome>, Fatal> {
        let untouched = rec.take_requested_ms.is_none()
            && rec.video_upload.is_none()
            && rec.sidecar_upload.is_none();
        if !rec.look_for_take || !untouched || rec.video.is_none() {
            return Ok(None);
        }
        // The files as they are now; one that cannot be read is the upload's to report.
        let mut found = rec.files();
        for role in [Role::Video, Role::Sidecar] {
            let slot = match role {
                Role::Video => &mut found.video,
                Role::Sidecar => &mut found.sidecar,
            };
            if let Some(seen) = slot {
                let path = rec.dir.join(&seen.facts.name);
                match Facts::stat(&path) {
                    // A file that can never be sent (empty, over 5 GiB) never had a take:
                    // its upload fails it for good, with the reason, without asking the API.
                    Ok(now) if super::files::unsendable(&path, now.size).is_some() => {
                        return Ok(None);
                    }
                    Ok(now) => seen.facts = now,
                    Err(_) => return Ok(None),
                }
            }
        }
        self.monitor.step(&rec.id, Doing::LookingForTake);
        match self.existing_take(&found).await? {
            Existing::None => Ok(None),
            Existing::Take(take) => {
                self.adopt_existing(Some(rec), &found, &take).await?;
                self.after_take(&rec.id).await?;
                Ok(Some(Outcome::Done {
                    take_id: take.take_id,
                }))
            }
            Existing::Unknown { reason, why } => {
                self.adoptions.unknown.fetch_add(1, Ordering::Relaxed);
                Ok(Some(match why {
                    // An outage: the recording waits as `retrying`, as after any step's.
                    Unsure::ApiDown => {
                        self.later(rec, Step::LookForTake, reason, true, None)
                            .await?
                    }
                    Unsure::Refused => {
                        let kind = FailureKind::TakesUnlisted;
                        self.fail(rec, Step::LookForTake, kind, reason).await?
                    }
                    Unsure::Changed => Outcome::Deferred { reason },
                }))
            }
        }
    }

    /// The take index is usable: paged by this process (now, if it was not), or why not.
    async fn take_index_ready(&self) -> Result<Result<(), (String, Unsure)>, Fatal> {
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

    /// Pages every take of the account into the index; returns how many carry move-ingest's record.
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
            if let Err(e) = self.index_write(writer.put(&indexed))? {
                return Ok(Err(e));
            }
            match page.after {
                Some(next) => after = Some(next),
                None => break,
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

    /// Whether the local files hold the bytes the take's record names (each file hashed once).
    /// `Err` when a file changed or could not be read while it was hashed.
    async fn same_bytes(
        &self,
        take: &IndexedTake,
        found: &Found,
        hashes: &mut HashMap<Role, String>,
    ) -> Result<bool, String> {
        for file in &take.files {
            let Some(seen) = seen(found, file.role) else {
                return Ok(false);
            };
            let hash = match hashes.get(&file.role) {
                Some(h) => h.clone(),
                None => {
                    let h =
                        hash_unchanged(found.path(&seen.facts.name), seen.facts.clone()).await?;
                    hashes.insert(file.role, h.clone());
                    h
                }
            };
            if hash != file.sha256 {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The local file of `role`.
fn seen(found: &Found, role: Role) -> Option<&Seen> {
    match role {
        Role::Video => found.video.as_ref(),
        Role::Sidecar => found.sidecar.as_ref(),
    }
}

/// Whether the take's files are the local files by name and size: the video, and the `.move`
/// if the take has one. A local `.move` the take does not have arrived after its take was
/// created: `Some(Some(its facts))`. `None`: not this recording's take.
fn same_names_and_sizes(take: &IndexedTake, found: &Found) -> Option<Option<Facts>> {
    let same = |f: &TakeFile, s: &Seen| f.name == s.facts.name && f.size == s.facts.size;
    let video = take.file(Role::Video)?;
    if !same(video, found.video.as_ref()?) {
        return None;
    }
    match (take.file(Role::Sidecar), &found.sidecar) {
        (Some(f), Some(s)) if same(f, s) => Some(None),
        (Some(_), _) => None,
        (None, Some(s)) => Some(Some(s.facts.clone())),
        (None, None) => Some(None),
    }
}

/// The SHA-256 of a file, read where it is (no upload); `Err` if it could not be read or
/// changed while it was read (its facts are checked again after).
pub(super) async fn hash_unchanged(
    path: std::path::PathBuf,
    facts: Facts,
) -> Result<String, String> {
    let read = move || -> Result<String, String> {
        let describe = |p: &Path, e: std::io::Error| format!("cannot read {}: {e}", p.display());
        let hash = sha256_file(&path).map_err(|e| describe(&path, e))?;
        let now = Facts::stat(&path).map_err(|e| describe(&path, e))?;
        if !now.same_version(&facts) {
            return Err(format!(
                "{} changed while it was compared with its take",
                path.display()
            ));
        }
        Ok(hash)
    };
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| format!("hashing stopped: {e}"))?
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
        created_ms: super::take::created_ms(take).unwrap_or(0),
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
