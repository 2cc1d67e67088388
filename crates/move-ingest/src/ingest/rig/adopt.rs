//! A rig camera's video the state does not know (a lost or new state dir): if a volume or
//! multicam take of its rig recording already holds it (move-ingest's record names the
//! camera's file, and the local file's SHA-256 matches), its upload is adopted instead of
//! sent again; the rig recording then finds the volume or take itself (`look_first`).

use serde_json::Value;

use super::RigMember;
use crate::api::ApiError;
use crate::ingest::classify::retry;
use crate::ingest::{Fatal, Ingest, auth};
use crate::model::facts::Facts;
use crate::model::recording::{Event, Recording, Role};
use crate::model::rig::key;

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
        let records = match self.rig_records().await? {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(rec = %rec.id, "cannot read the account's volumes and takes to adopt this video's upload ({e}); it is uploaded, and its rig recording looks for them before asking");
                return Ok(true);
            }
        };
        let want = key(&m.rig, &m.group);
        let ours: Vec<&Value> = records
            .iter()
            .filter(|r| r.get("rig_recording").and_then(Value::as_str) == Some(want.as_str()))
            .collect();
        if ours.is_empty() {
            return Ok(false);
        }
        let file = ours
            .iter()
            .filter_map(|r| r.get("files")?.as_array())
            .flatten()
            .find(|f| {
                f.get("device_label").and_then(Value::as_str) == Some(m.camera.as_str())
                    && f.get("name").and_then(Value::as_str) == Some(video.facts.name.as_str())
                    && f.get("size").and_then(Value::as_u64) == Some(video.facts.size)
            });
        let Some(file) = file else {
            return Ok(true);
        };
        let text = |k: &str| file.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(file_id), Some(sha256)) = (text("file_id"), text("sha256")) else {
            return Ok(true);
        };
        let path = rec.dir.join(&video.facts.name);
        let Ok(now) = Facts::stat(&path) else {
            return Ok(true);
        };
        match crate::ingest::adopt::hash_unchanged(path, now.clone()).await {
            Ok(hash) if hash == sha256 => {
                tracing::info!(rec = %rec.id, rig_recording = %want, camera = %m.camera, file = %file_id, "this video is already on the API in its rig recording's volume or take (same SHA-256): its upload is adopted, nothing sent");
                let ev = Event::Uploaded {
                    role: Role::Video,
                    file_id,
                    facts: now,
                    sha256,
                };
                self.store.record(&rec.id, ev).await?;
            }
            _ => {}
        }
        Ok(true)
    }

    /// Whether the API may hold a volume or take of this rig recording from before this
    /// process (a lost state dir): asked before its first request, from the records read
    /// once per process; when they cannot be read, it may.
    pub(super) async fn api_may_hold(&self, rig_recording: &str) -> Result<bool, Fatal> {
        Ok(match self.rig_records().await? {
            Ok(records) => records
                .iter()
                .any(|r| r.get("rig_recording").and_then(Value::as_str) == Some(rig_recording)),
            Err(_) => true,
        })
    }

    /// move-ingest's records on every volume and multicam take of the account (read once).
    async fn rig_records(&self) -> Result<Result<Vec<Value>, ApiError>, Fatal> {
        let mut cache = self.rig_records.lock().await;
        if let Some(r) = &*cache {
            return Ok(Ok(r.clone()));
        }
        let volumes = retry(&self.policy, "listVolumes", || self.api.all_volumes(100)).await;
        let volumes = match volumes {
            Ok(v) => v,
            Err(e) => return Ok(Err(auth(e)?)),
        };
        let mut out: Vec<Value> = volumes
            .iter()
            .filter_map(|v| v.metadata_value().get("move_ingest").cloned())
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
                    out.push(r.clone());
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
