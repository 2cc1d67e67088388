//! The `Store`'s lookups: one recording, and the index questions the service and `backfill` ask.

use std::path::Path;

use super::recent::lock_recent;
use super::{Store, StoreError, rows};
use crate::model::id::RecordingId;
use crate::model::recording::{Phase, Recording};

impl Store {
    /// One recording by id (a recording the writer has just written is not read back).
    pub fn recording(&self, id: &str) -> Result<Option<Recording>, StoreError> {
        if let Some(r) = lock_recent(&self.recent).get(id) {
            return Ok(Some(r.1.clone()));
        }
        rows::by_id(&self.reader().conn, id).map_err(StoreError::sql("read", &self.path))
    }

    /// The newest recording for a folder and stem (an index lookup).
    pub fn latest(&self, dir: &Path, stem: &str) -> Result<Option<Recording>, StoreError> {
        rows::latest(&self.reader().conn, dir, stem).map_err(StoreError::sql("read", &self.path))
    }

    /// Whether the newest recording for a folder and stem is done with exactly these file
    /// versions (see `rows::done_unchanged`): one index lookup, no recording parsed.
    pub fn done_unchanged(
        &self,
        dir: &Path,
        stem: &str,
        video: Option<&crate::model::facts::Facts>,
        sidecar: Option<&crate::model::facts::Facts>,
    ) -> Result<bool, StoreError> {
        rows::done_unchanged(&self.reader().conn, dir, stem, video, sidecar)
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The newest recording that uploaded a file with this name, size and SHA-256 (an index
    /// lookup): "is this file already done?" when its folder or inode no longer tell.
    pub fn by_content(
        &self,
        name: &str,
        size: u64,
        sha256: &str,
    ) -> Result<Option<Recording>, StoreError> {
        rows::by_content(&self.reader().conn, name, size, sha256)
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The recordings an earlier run left mid-way (queued, uploading, take requested,
    /// retrying), to resume.
    pub fn unfinished(&self) -> Result<Vec<RecordingId>, StoreError> {
        let reader = self.reader();
        let conn = &reader.conn;
        let mut ids = Vec::new();
        for phase in Phase::IN_FLIGHT {
            ids.extend(
                rows::ids_in_phase(conn, phase.as_str())
                    .map_err(StoreError::sql("read", &self.path))?,
            );
        }
        Ok(ids)
    }

    /// The recordings whose `[after_take]` step is still to run or finish (see
    /// `rows::after_take_due`), oldest first.
    pub fn after_take_due(&self, every_take: bool) -> Result<Vec<RecordingId>, StoreError> {
        rows::after_take_due(&self.reader().conn, every_take)
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The recordings whose processing job is wanted and not ended, with the time of each
    /// one's next poll (`None`: not asked for yet), soonest first (see `rows::jobs_active`).
    pub fn jobs_active(&self) -> Result<Vec<(RecordingId, Option<i64>)>, StoreError> {
        rows::jobs_active(&self.reader().conn).map_err(StoreError::sql("read", &self.path))
    }

    /// The newest recording whose take is `take_id`.
    pub fn by_take(&self, take_id: &str) -> Result<Option<Recording>, StoreError> {
        rows::by_take(&self.reader().conn, take_id).map_err(StoreError::sql("read", &self.path))
    }

    /// The failed recordings, oldest first.
    pub fn failed(&self) -> Result<Vec<RecordingId>, StoreError> {
        rows::ids_in_phase(&self.reader().conn, Phase::Failed.as_str())
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The recordings waiting after a transient failure, oldest first.
    pub fn retrying(&self) -> Result<Vec<RecordingId>, StoreError> {
        rows::ids_in_phase(&self.reader().conn, Phase::Retrying.as_str())
            .map_err(StoreError::sql("read", &self.path))
    }

    /// How many recordings are in `phase` (an index count).
    pub fn count(&self, phase: Phase) -> Result<u64, StoreError> {
        self.reader().count(phase)
    }
}
