//! A rig camera's video the state does not know (a lost or new state dir): if a volume or
//! multicam take of its rig recording already holds it (move-ingest's record names the
//! camera's file, and the local file's SHA-256 matches), its upload is adopted instead of
//! sent again; the rig recording then finds the volume or take itself (`look_first`).
//! `find_camera_file` tells (also for `reconcile`), `record_camera_upload` records.

use std::path::Path;

use serde_json::Value;

use super::RigMember;
use crate::api::ApiError;
use crate::ingest::classify::retry;
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::facts::{Facts, Found, Seen};
use crate::model::id::RecordingId;
use crate::model::recording::{Event, Recording, Role};
use crate::model::rig::key;

/// What holds a record of move-ingest's: a volume or a multicam take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Volume,
    Take,
}

/// move-ingest's record on one volume or multicam take of the account.
#[derive(Debug, Clone)]
pub(in crate::ingest) struct RigRecord {
    holder: Holder,
    /// The volume's or take's id.
    id: String,
    record: Value,
}

/// A rig camera's video that a volume or take of its rig recording holds (same name, size
/// and SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFile {
    /// The rig recording, `RIG/GROUP`.
    pub rig_recording: String,
    pub holder: Holder,
    /// The volume's or take's id.
    pub holder_id: String,
    pub file_id: String,
    pub sha256: String,
    /// The local video as hashed.
    pub facts: Facts,
}

/// What the API holds of a rig camera's video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraFile {
    /// A volume or take of its rig recording holds this very file.
    Held(HeldFile),
    /// Volumes or takes of its rig recording exist, but none holds this file (or other bytes,
    /// or the local file could not be read or hashed).
    NotHeld,
    /// No volume or take of its rig recording exists.
    NoRecording,
    /// The account's volumes and takes could not be read: the reason.
    Unknown(String),
}

impl Ingest {
    /// Adopts the upload of an unknown rig camera's video when the API holds it; anything
    /// that cannot be told now leaves it to be uploaded as usual (costs an upload, never a
    /// second volume or take). Returns whether the API may hold a volume or take of its rig
    /// recording (then the rig recording looks for it before asking: `look_first`).
    pub(super) async fn adopt_camera_file(
        &self,
        rec: &Recording,
        m: &RigMember,
    ) -> Result<bool, Fatal> {
        let Some(video) = rec.seen(Role::Video) else {
            return Ok(true);
        };
        match self.find_camera_file(&rec.dir, video, m).await? {
            CameraFile::Held(held) => {
                self.record_camera_upload(&rec.id, &held).await?;
                Ok(true)
            }
            CameraFile::NoRecording => Ok(false),
            CameraFile::NotHeld => Ok(true),
            CameraFile::Unknown(e) => {
                tracing::warn!(rec = %rec.id, "cannot read the account's volumes and takes to adopt this video's upload ({e}); it is uploaded, and its rig recording looks for them before asking");
                Ok(true)
            }
        }
    }

    /// Whether a volume or take of its rig recording holds this rig camera's video (`video`
    /// in `dir`): move-ingest's records (read once per process) name the camera's file by
    /// device label, name and size, and the local file's SHA-256 matches. Nothing is recorded.
    pub async fn find_camera_file(
        &self,
        dir: &Path,
        video: &Seen,
        m: &RigMember,
    ) -> Result<CameraFile, Fatal> {
        let records = match self.rig_records().await? {
            Ok(r) => r,
            Err(e) => return Ok(CameraFile::Unknown(e.to_string())),
        };
        let want = key(&m.rig, &m.group);
        // A time-grouped video names no recording before it joins: any of its rig's.
        let ours: Vec<&RigRecord> = records
            .iter()
            .filter(|r| match m.by_time {
                true => r.record.get("rig").and_then(Value::as_str) == Some(m.rig.as_str()),
                false => {
                    r.record.get("rig_recording").and_then(Value::as_str) == Some(want.as_str())
                }
            })
            .collect();
        if ours.is_empty() {
            return Ok(CameraFile::NoRecording);
        }
        let file = ours.iter().find_map(|r| {
            let f = r.record.get("files")?.as_array()?.iter().find(|f| {
                f.get("device_label").and_then(Value::as_str) == Some(m.camera.as_str())
                    && f.get("name").and_then(Value::as_str) == Some(video.facts.name.as_str())
                    && f.get("size").and_then(Value::as_u64) == Some(video.facts.size)
            })?;
            Some((*r, f))
        });
        let Some((holder, file)) = file else {
            return Ok(CameraFile::NotHeld);
        };
        let text = |k: &str| file.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(file_id), Some(sha256)) = (text("file_id"), text("sha256")) else {
            return Ok(CameraFile::NotHeld);
        };
        let path = dir.join(&video.facts.name);
        let Ok(now) = Facts::stat(&path) else {
            return Ok(CameraFile::NotHeld);
        };
        Ok(
            match crate::ingest::adopt::hash_unchanged(path, now.clone()).await {
                Ok(hash) if hash == sha256 => CameraFile::Held(HeldFile {
                    rig_recording: text_of(&holder.record, "rig_recording").unwrap_or(want),
                    holder: holder.holder,
                    holder_id: holder.id.clone(),
                    file_id,
                    sha256,
                    facts: now,
                }),
                _ => CameraFile::NotHeld,
            },
        )
    }

    /// Records the adopted upload of a rig camera's video that `held` says is on the API:
    /// nothing is sent.
    pub(super) async fn record_camera_upload(
        &self,
        id: &RecordingId,
        held: &HeldFile,
    ) -> Result<(), Fatal> {
        tracing::info!(rec = %id, rig_recording = %held.rig_recording, file = %held.file_id, "this video is already on the API in its rig recording's volume or take (same SHA-256): its upload is adopted, nothing sent");
        let ev = Event::Uploaded {
            role: Role::Video,
            file_id: held.file_id.clone(),
            facts: held.facts.clone(),
            sha256: held.sha256.clone(),
        };
        self.store.record(&id.clone(), ev).await?;
        Ok(())
    }

    /// `reconcile`: records a rig camera's video the state does not know (`known`: a
    /// recording of it found unknown earlier, or a `.move` waiting for it) as `run` and
    /// `backfill` would: discovered as unknown, its upload adopted (`held`). They then join it
    /// to its rig recording, which finds the volume or take on the API. Returns its id.
    pub async fn adopt_camera_found(
        &self,
        known: Option<&Recording>,
        found: &Found,
        held: &HeldFile,
    ) -> Result<RecordingId, Fatal> {
        let id = known.map_or_else(RecordingId::new, |r| r.id.clone());
        let same_files = known.is_some_and(|r| {
            r.look_for_take && r.video == found.video && r.sidecar == found.sidecar
        });
        if !same_files {
            self.store
                .record(&id, Event::discovered_unknown(found))
                .await?;
        }
        self.record_camera_upload(&id, held).await?;
        Ok(id)
    }

    /// Whether the API may hold a volume or take of this rig recording from before this
    /// process (a lost state dir): asked before its first request, from the records read
    /// once per process; when they cannot be read, it may.
    pub(super) async fn api_may_hold(&self, rig_recording: &str) -> Result<bool, Fatal> {
        Ok(match self.rig_records().await? {
            Ok(records) => records.iter().any(|r| {
                r.record.get("rig_recording").and_then(Value::as_str) == Some(rig_recording)
            }),
            Err(_) => true,
        })
    }

    /// The rig recording (key, group, name) of `rig` whose volume or take on the API holds
    /// the uploaded file `file_id` (by move-ingest's records, read once per process).
    pub(super) async fn held_in(
        &self,
        rig: &str,
        file_id: &str,
    ) -> Result<Option<(String, String, String)>, Fatal> {
        let Ok(records) = self.rig_records().await? else {
            return Ok(None);
        };
        Ok(records.iter().find_map(|r| {
            let rec = &r.record;
            let files = rec.get("files")?.as_array()?;
            let holds = files
                .iter()
                .any(|f| f.get("file_id").and_then(Value::as_str) == Some(file_id));
            (holds && text_of(rec, "rig").as_deref() == Some(rig)).then_some((
                text_of(rec, "rig_recording")?,
                text_of(rec, "group")?,
                text_of(rec, "stem")?,
            ))
        }))
    }

    /// move-ingest's records on every volume and multicam take of the account (read once).
    async fn rig_records(&self) -> Result<Result<Vec<RigRecord>, ApiError>, Fatal> {
        let mut cache = self.rig_records.lock().await;
        if let Some(r) = &*cache {
            return Ok(Ok(r.clone()));
        }
        let volumes = retry(&self.policy, "listVolumes", || self.api.all_volumes(100)).await;
        let volumes = match volumes {
            Ok(v) => v,
            Err(e) => return Ok(Err(auth(e)?)),
        };
        let mut out: Vec<RigRecord> = volumes
            .iter()
            .filter_map(|v| {
                Some(RigRecord {
                    holder: Holder::Volume,
                    id: v.id.clone(),
                    record: v.metadata_value().get("move_ingest")?.clone(),
                })
            })
            .collect();
        let mut after: Option<String> = None;
        loop {
            let cursor = after.clone();
            let page = retry(&self.policy, "listTakes", || {
                self.api.list_takes(100, cursor.as_deref(), true)
            })
            .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => return Ok(Err(auth(e)?)),
            };
            for take in page.items.iter().flatten() {
                if let Some(r) = take.metadata_value().get("move_ingest")
                    && r.get("rig_recording").is_some()
                {
                    out.push(RigRecord {
                        holder: Holder::Take,
                        id: take.id.clone(),
                        record: r.clone(),
                    });
                }
            }
            match page.after {
                Some(next) if after.as_deref() != Some(next.as_str()) => after = Some(next),
                _ => break,
            }
        }
        *cache = Some(out.clone());
        Ok(Ok(out))
    }
}

/// A text field of move-ingest's record.
fn text_of(record: &Value, field: &str) -> Option<String> {
    record
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
}
