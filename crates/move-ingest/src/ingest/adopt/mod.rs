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

mod index;

use super::{Fatal, Ingest, Outcome};
use crate::model::facts::{Facts, Found, Seen};
use crate::model::id::RecordingId;
use crate::model::recording::FailureKind;
use crate::model::recording::{Event, Recording, Role, Step};
use crate::observe::monitor::Doing;
use crate::store::{IndexedTake, TakeFile};
use crate::upload::sha256_file;
pub(in crate::ingest) use index::IndexState;

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
