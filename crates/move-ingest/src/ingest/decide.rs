//! What a file found on disk means for the state: a new recording, one to resume,
//! a touched file (same bytes), new bytes (a new recording), or a late `.move`.

use super::{Fatal, Ingest};
use crate::model::facts::Completeness;
use crate::model::facts::{Found, Seen};
use crate::model::id::RecordingId;
use crate::model::recording::{Event, Phase, Recording, Role};
use crate::upload::sha256_file;

impl Ingest {
    /// Records what `found` means and returns the recording to process, if any.
    pub async fn consider(
        &self,
        found: &Found,
        done: Completeness,
    ) -> Result<Option<RecordingId>, Fatal> {
        let latest = self.store.latest(&found.dir, &found.stem)?;
        if let Some(rec) = &latest {
            let v = found.video.as_ref().map(|s| &s.facts);
            let m = found.sidecar.as_ref().map(|s| &s.facts);
            if rec.done_and_unchanged(v, m) {
                return Ok(None);
            }
        }
        let ready = done.ready(found);
        let Some(rec) = latest else {
            let move_alone = found.video.is_none() && found.sidecar.is_some() && done.sidecar;
            if ready || move_alone {
                return self.discover_unknown(found).await;
            }
            return Ok(None);
        };
        match rec.phase() {
            Phase::Waiting if ready => {
                let mut files = rec.files();
                (files.video, files.sidecar) = (found.video.clone(), found.sidecar.clone());
                self.store
                    .record(&rec.id, Event::discovered(&files))
                    .await?;
                Ok(Some(rec.id))
            }
            // A rig camera's video that is uploaded: its rig recording carries on.
            Phase::Waiting | Phase::Grouped => Ok(None),
            Phase::Queued | Phase::Uploading | Phase::TakeRequested | Phase::Retrying => {
                self.while_in_flight(&rec, found, ready).await
            }
            Phase::Done if ready => self.after_done(&rec, found, done).await,
            Phase::Done => Ok(None),
            Phase::Failed | Phase::Gone => {
                let changed = changed(rec.seen(Role::Video), found.video.as_ref())
                    || changed(rec.seen(Role::Sidecar), found.sidecar.as_ref());
                if ready && changed {
                    return self.discover(found).await;
                }
                Ok(None)
            }
        }
    }

    /// A recording a worker has (or will have): a `.move` that appears before anything of the
    /// take was asked for joins it.
    async fn while_in_flight(
        &self,
        rec: &Recording,
        found: &Found,
        ready: bool,
    ) -> Result<Option<RecordingId>, Fatal> {
        if ready
            && rec.take_requested_ms.is_none()
            && rec.sidecar.is_none()
            && found.sidecar.is_some()
        {
            let mut joined = rec.files();
            joined.sidecar = found.sidecar.clone();
            self.store
                .record(&rec.id, Event::discovered(&joined))
                .await?;
        }
        Ok((ready || rec.phase() == Phase::TakeRequested).then(|| rec.id.clone()))
    }

    /// A recording whose take exists: a touch is noted, new bytes are a new recording,
    /// a `.move` that was not part of the take is reported as late.
    async fn after_done(
        &self,
        rec: &Recording,
        found: &Found,
        done: Completeness,
    ) -> Result<Option<RecordingId>, Fatal> {
        for (role, now) in [(Role::Video, &found.video), (Role::Sidecar, &found.sidecar)] {
            let Some(now) = now else { continue };
            if !self.touched_or_same(rec, role, now).await? {
                tracing::info!(rec = %rec.id, file = %now.facts.name, "new bytes under a name that has a take: a new recording");
                return self.discover(found).await;
            }
        }
        if let (Some(side), None) = (&found.sidecar, rec.upload(Role::Sidecar))
            && done.sidecar
            && rec.late_sidecar.as_ref() != Some(&side.facts)
        {
            tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, take = ?rec.take_id, "{} arrived after its take was created; it is not added (no second take is made)", side.facts.name);
            let ev = Event::LateSidecar {
                facts: side.facts.clone(),
            };
            self.store.record(&rec.id, ev).await?;
        }
        Ok(None)
    }

    /// False when `now` holds other bytes than the upload of `role`; a file that was only
    /// touched (same bytes, new facts) is recorded as such.
    async fn touched_or_same(
        &self,
        rec: &Recording,
        role: Role,
        now: &Seen,
    ) -> Result<bool, Fatal> {
        let Some(up) = rec.upload(role) else {
            return Ok(true);
        };
        if up.facts.same_version(&now.facts) {
            return Ok(true);
        }
        let path = rec.dir.join(&now.facts.name);
        let hash = tokio::task::spawn_blocking(move || sha256_file(&path))
            .await
            .ok()
            .and_then(Result::ok);
        if hash.as_deref() != Some(up.sha256.as_str()) {
            return Ok(false);
        }
        tracing::info!(rec = %rec.id, file = %now.facts.name, "file touched, same bytes: nothing to send");
        let ev = Event::Touched {
            role,
            facts: now.facts.clone(),
        };
        self.store.record(&rec.id, ev).await?;
        Ok(true)
    }

    /// Records a recording for a folder and stem the state knew nothing of: before anything
    /// of it is uploaded, its worker looks for its take on the API (adoption), if a file of it
    /// is older than the state (an earlier state may have sent it); a newer one is new.
    async fn discover_unknown(&self, found: &Found) -> Result<Option<RecordingId>, Fatal> {
        let since_ns = i128::from(self.store.watching_since_ms()) * 1_000_000;
        let predates = [&found.video, &found.sidecar]
            .into_iter()
            .flatten()
            .any(|s| i128::from(s.facts.mtime_ns) < since_ns);
        if !predates {
            return self.discover(found).await;
        }
        self.discover_as(found, Event::discovered_unknown(found))
            .await
    }

    /// Records a new recording for `found`; returns it when it has a video to upload.
    async fn discover(&self, found: &Found) -> Result<Option<RecordingId>, Fatal> {
        self.discover_as(found, Event::discovered(found)).await
    }

    async fn discover_as(&self, found: &Found, ev: Event) -> Result<Option<RecordingId>, Fatal> {
        let id = RecordingId::new();
        self.store.record(&id, ev).await?;
        if found.video.is_none() {
            tracing::info!(rec = %id, device = %found.device, stem = %found.stem, "a .move without its video: waiting for the video");
            return Ok(None);
        }
        tracing::info!(rec = %id, device = %found.device, stem = %found.stem, "discovered");
        Ok(Some(id))
    }
}

fn changed(before: Option<&Seen>, now: Option<&Seen>) -> bool {
    match (before, now) {
        (Some(b), Some(n)) => !b.facts.same_version(&n.facts),
        (None, None) => false,
        _ => true,
    }
}
