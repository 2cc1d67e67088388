//! The upload step: each file of a recording gets a fresh `createFile`, one PUT, and a
//! recorded `Uploaded` only once the storage accepted it and the file held still.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::classify::{Next, Tries, retry};
use super::{Fatal, Ingest, Outcome, auth};
use crate::model::facts::{Facts, Seen};
use crate::model::recording::FailureKind;
use crate::model::recording::{Event, Recording, Role, Step};
use crate::observe::monitor::Doing;
use crate::store::Pending;
use crate::upload::{MAX_PUT_BYTES, Sent};

/// How long a file that vanished is given before it counts as deleted: a device folder being
/// removed (`rm -rf`) or a drive going away loses its files one by one, the folder last, and
/// such a recording waits for its folder instead of being marked gone.
const VANISH_GRACE: Duration = Duration::from_millis(500);

impl Ingest {
    /// Uploads every file of the recording that has no valid upload yet.
    /// `None` means all files are uploaded; `Some` is why the recording stops here.
    pub(super) async fn upload_files(&self, rec: &Recording) -> Result<Option<Outcome>, Fatal> {
        // Each `Uploaded` step is written while the next file is sent; all are written (or
        // their failure returned) before the recording is read again.
        let mut written = Vec::new();
        let outcome = self.upload_each(rec, &mut written).await;
        for step in written {
            step.written().await?;
        }
        outcome
    }

    async fn upload_each(
        &self,
        rec: &Recording,
        written: &mut Vec<Pending>,
    ) -> Result<Option<Outcome>, Fatal> {
        for role in [Role::Video, Role::Sidecar] {
            let Some(seen) = rec.seen(role) else { continue };
            if role == Role::Sidecar && self.skips_sidecar(rec) {
                continue;
            }
            let now = match self.current(rec, role, seen).await? {
                Ok(Some(now)) => now,
                Ok(None) => continue,
                Err(stopped) => return Ok(Some(stopped)),
            };
            if let Some(outcome) = self.upload_one(rec, role, &now, written).await? {
                return Ok(Some(outcome));
            }
        }
        Ok(None)
    }

    /// The file of `role` as it is on disk now, if it needs sending: an upload of another
    /// version is discarded, and new facts are recorded; `Err` is why the recording stops.
    async fn current(
        &self,
        rec: &Recording,
        role: Role,
        seen: &Seen,
    ) -> Result<Result<Option<Seen>, Outcome>, Fatal> {
        let path = rec.dir.join(&seen.facts.name);
        let mut stat = Facts::stat(&path);
        if matches!(&stat, Err(e) if e.kind() == std::io::ErrorKind::NotFound)
            && self.place_lost(rec).is_none()
        {
            tokio::time::sleep(VANISH_GRACE).await;
            stat = Facts::stat(&path);
        }
        let now = match stat {
            Ok(f) => f,
            // Its watch path or device folder went with it (unmounted, deleted): it waits.
            Err(_) if let Some(reason) = self.place_lost(rec) => {
                return self
                    .later(rec, Step::Upload, reason, false, None)
                    .await
                    .map(Err);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let reason = format!("{} was deleted before its upload", path.display());
                return self.gone(rec, reason).await.map(Err);
            }
            Err(e) => {
                let reason = format!("cannot read {}: {e}", path.display());
                let kind = FailureKind::Unreadable;
                return self.fail(rec, Step::Upload, kind, reason).await.map(Err);
            }
        };
        if let Some(up) = rec.upload(role) {
            if up.facts.same_version(&now) {
                return Ok(Ok(None));
            }
            let reason = format!("{} changed after its upload", path.display());
            self.store
                .record(&rec.id, Event::UploadDiscarded { role, reason })
                .await?;
        }
        let now = Seen {
            kind: seen.kind,
            facts: now,
        };
        if !now.facts.same_version(&seen.facts) {
            if now.facts.age(SystemTime::now()).as_secs() < self.cfg.pairing.settle_secs {
                return Ok(Err(Outcome::Deferred {
                    reason: format!("{} is still being written", path.display()),
                }));
            }
            if now.facts.size < seen.facts.size {
                tracing::warn!(rec = %rec.id, "{} was truncated before its upload", path.display());
            }
            let mut fresh = rec.clone();
            *fresh.seen_mut(role) = Some(now.clone());
            self.store
                .record(&rec.id, Event::discovered(&fresh.files()))
                .await?;
        }
        Ok(Ok(Some(now)))
    }

    /// Uploads one file. The classifier decides after each failed PUT: a new URL, the same
    /// URL again after a delay, or the end of this recording's turn (deferred, gone, failed).
    async fn upload_one(
        &self,
        rec: &Recording,
        role: Role,
        seen: &Seen,
        written: &mut Vec<Pending>,
    ) -> Result<Option<Outcome>, Fatal> {
        let path = rec.dir.join(&seen.facts.name);
        if let Some((kind, reason)) = unsendable(&path, seen.facts.size) {
            return self.fail(rec, Step::Upload, kind, reason).await.map(Some);
        }
        let mut tries = Tries::default();
        let mut url = None;
        loop {
            let (file_id, put_url) = match url.take() {
                Some(created) => created,
                None => match self.create_file(rec, role, seen, &path).await? {
                    Ok(created) => created,
                    Err(stopped) => return Ok(Some(stopped)),
                },
            };
            tracing::debug!(rec = %rec.id, file = %seen.facts.name, retries = tries.retries(), "uploading");
            let progress = self
                .monitor
                .uploading(&rec.id, &seen.facts.name, seen.facts.size);
            let began = std::time::Instant::now();
            let put = self
                .uploader
                .put_with_progress(&put_url, &path, &seen.facts, progress);
            let err = match put.await {
                Ok(sent) => {
                    self.monitor.uploaded(sent.bytes, began.elapsed());
                    written.push(self.uploaded(rec, role, seen, file_id, sent)?);
                    return Ok(None);
                }
                Err(e) => e,
            };
            self.monitor.storage_error(&err);
            // Cut off by its watch path or device folder going (unmounted, deleted): it waits.
            if matches!(err, crate::upload::UploadError::Read { .. })
                && let Some(reason) = self.place_lost(rec)
            {
                let later = self.later(rec, Step::Upload, reason, false, None);
                return later.await.map(Some);
            }
            match tries.next(&err, &self.policy) {
                Next::NewUrl => {
                    tracing::warn!(rec = %rec.id, file = %seen.facts.name, "{err}; asking for a new upload URL");
                }
                Next::Retry { wait } => {
                    let attempt = tries.retries();
                    tracing::warn!(rec = %rec.id, file = %seen.facts.name, attempt, wait_ms = wait.as_millis() as u64, "{err}; will retry");
                    super::classify::wait_for_retry(&tries, &err, wait).await;
                    url = Some((file_id, put_url));
                }
                Next::Defer { reason } => {
                    tracing::warn!(rec = %rec.id, "{reason}");
                    return Ok(Some(Outcome::Deferred { reason }));
                }
                Next::Gone { reason } => return self.gone(rec, reason).await.map(Some),
                Next::Later { reason } => {
                    let reason = format!("{}: {reason}", path.display());
                    let later = self.later(rec, Step::Upload, reason, false, None);
                    return later.await.map(Some);
                }
                Next::Fail { kind, reason } => {
                    let reason = format!("{}: {reason}", path.display());
                    return self.fail(rec, Step::Upload, kind, reason).await.map(Some);
                }
            }
        }
    }

    /// A fresh `createFile` for one file, recorded: its id and upload URL, or why the
    /// recording stops.
    async fn create_file(
        &self,
        rec: &Recording,
        role: Role,
        seen: &Seen,
        path: &Path,
    ) -> Result<Result<(String, String), Outcome>, Fatal> {
        let meta = json!({"recording_id": rec.id, "device_label": rec.device, "stem": rec.stem});
        let kind = seen.kind.api_type();
        self.monitor.step(&rec.id, Doing::CreatingFile);
        let created = retry(&self.policy, "createFile", || {
            self.api.create_file(kind, &seen.facts.name, &meta)
        })
        .await;
        let file = match created {
            Ok(f) => f,
            Err(e) => {
                let e = auth(e)?;
                let reason = format!("{}: {e}", path.display());
                if e.is_transient() {
                    let later = self.later(rec, Step::CreateFile, reason, true, e.retry_after());
                    return later.await.map(Err);
                }
                let kind = FailureKind::Refused;
                return self
                    .fail(rec, Step::CreateFile, kind, reason)
                    .await
                    .map(Err);
            }
        };
        let Some(url) = file.presigned_url else {
            let reason = "createFile answered without a presignedUrl".to_string();
            let kind = FailureKind::Refused;
            return self
                .fail(rec, Step::CreateFile, kind, reason)
                .await
                .map(Err);
        };
        let ev = Event::FileCreated {
            role,
            file_id: file.id.clone(),
        };
        // Read by nothing before the file's `Uploaded` step (awaited, and written after it):
        // the PUT need not wait for the writer.
        self.store.record_unawaited(&rec.id, ev)?;
        Ok(Ok((file.id, url)))
    }

    /// Records an accepted upload (written once the returned step resolves).
    fn uploaded(
        &self,
        rec: &Recording,
        role: Role,
        seen: &Seen,
        file_id: String,
        sent: Sent,
    ) -> Result<Pending, Fatal> {
        tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, file = %seen.facts.name, bytes = sent.bytes, sha256 = %sent.sha256, file_id = %file_id, "uploaded");
        let ev = Event::Uploaded {
            role,
            file_id,
            facts: seen.facts.clone(),
            sha256: sent.sha256,
        };
        Ok(self.store.record_pending(&rec.id, ev)?)
    }
}

/// Why a file of `size` bytes cannot be sent at all, if it cannot.
pub(super) fn unsendable(path: &Path, size: u64) -> Option<(FailureKind, String)> {
    if size == 0 {
        let reason = format!("{} is empty (0 bytes)", path.display());
        return Some((FailureKind::Empty, reason));
    }
    (size > MAX_PUT_BYTES).then(|| {
        let reason = format!(
            "{} is {size} bytes, over the 5 GiB that one upload can carry; split the recording",
            path.display()
        );
        (FailureKind::TooBig, reason)
    })
}
