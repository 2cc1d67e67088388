//! The upload step: each file of a recording gets a fresh `createFile`, one PUT, and a
//! journaled `Uploaded` only once the storage accepted it and the file held still.

use std::time::SystemTime;

use serde_json::json;

use super::{Fatal, Ingest, Outcome, auth};
use crate::retry::Transient;
use crate::scan::Facts;
use crate::state::{Event, Recording, Role, Seen};
use crate::upload::{MAX_PUT_BYTES, UploadError};

impl Ingest {
    /// Uploads every file of the recording that has no valid upload yet.
    /// `None` means all files are uploaded; `Some` is why the recording stops here.
    pub(super) async fn upload_files(&self, rec: &Recording) -> Result<Option<Outcome>, Fatal> {
        for role in [Role::Video, Role::Sidecar] {
            let Some(seen) = rec.seen(role) else { continue };
            let path = rec.dir.join(&seen.facts.name);
            let now = match Facts::stat(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let reason = format!("{} was deleted before its upload", path.display());
                    tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, "{reason}; leaving the queue");
                    self.ledger
                        .record(
                            &rec.id,
                            Event::Vanished {
                                reason: reason.clone(),
                            },
                        )
                        .await?;
                    return Ok(Some(Outcome::Gone { reason }));
                }
                Err(e) => {
                    return self
                        .fail(
                            rec,
                            "upload",
                            format!("cannot read {}: {e}", path.display()),
                        )
                        .await
                        .map(Some);
                }
            };
            if let Some(up) = rec.upload(role) {
                if up.facts.same_version(&now) {
                    continue;
                }
                let reason = format!("{} changed after its upload", path.display());
                self.ledger
                    .record(&rec.id, Event::UploadDiscarded { role, reason })
                    .await?;
            }
            if !now.same_version(&seen.facts) {
                if now.age(SystemTime::now()).as_secs() < self.cfg.pairing.settle_secs {
                    return Ok(Some(Outcome::Deferred {
                        reason: format!("{} is still being written", path.display()),
                    }));
                }
                if now.size < seen.facts.size {
                    tracing::warn!(rec = %rec.id, "{} was truncated before its upload", path.display());
                }
                let mut fresh = rec.clone();
                *seen_mut(&mut fresh, role) = Some(Seen {
                    kind: seen.kind,
                    facts: now.clone(),
                });
                self.ledger.record(&rec.id, discovered(&fresh)).await?;
            }
            let seen = Seen {
                kind: seen.kind,
                facts: now,
            };
            if let Some(outcome) = self.upload_one(rec, role, &seen).await? {
                return Ok(Some(outcome));
            }
        }
        Ok(None)
    }

    /// Uploads one file: new URLs for rejected or expired ones, the same URL again for transient faults.
    async fn upload_one(
        &self,
        rec: &Recording,
        role: Role,
        seen: &Seen,
    ) -> Result<Option<Outcome>, Fatal> {
        let path = rec.dir.join(&seen.facts.name);
        let size = seen.facts.size;
        if size == 0 {
            return self
                .fail(
                    rec,
                    "upload",
                    format!("{} is empty (0 bytes)", path.display()),
                )
                .await
                .map(Some);
        }
        if size > MAX_PUT_BYTES {
            let msg = format!(
                "{} is {size} bytes, over the 5 GiB that one upload can carry; split the recording",
                path.display()
            );
            return self.fail(rec, "upload", msg).await.map(Some);
        }
        let mut attempt = 0;
        'new_url: loop {
            let meta =
                json!({"recording_id": rec.id, "device_label": rec.device, "stem": rec.stem});
            let kind = seen.kind.api_type();
            let created = crate::retry::retry(&self.policy, "createFile", || {
                self.api.create_file(kind, &seen.facts.name, &meta)
            })
            .await;
            let file = match created {
                Ok(f) => f,
                Err(e) => {
                    let e = auth(e)?;
                    return self
                        .fail(rec, "create file", format!("{}: {e}", path.display()))
                        .await
                        .map(Some);
                }
            };
            let Some(url) = file.presigned_url.clone() else {
                return self
                    .fail(
                        rec,
                        "create file",
                        "createFile answered without a presignedUrl".into(),
                    )
                    .await
                    .map(Some);
            };
            self.ledger
                .record(
                    &rec.id,
                    Event::FileCreated {
                        role,
                        file_id: file.id.clone(),
                    },
                )
                .await?;
            loop {
                attempt += 1;
                tracing::debug!(rec = %rec.id, file = %seen.facts.name, attempt, "uploading");
                let err = match self.uploader.put(&url, &path, &seen.facts).await {
                    Ok(sent) => {
                        tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, file = %seen.facts.name, bytes = sent.bytes, sha256 = %sent.sha256, file_id = %file.id, "uploaded");
                        let facts = seen.facts.clone();
                        let ev = Event::Uploaded {
                            role,
                            file_id: file.id.clone(),
                            facts,
                            sha256: sent.sha256,
                        };
                        self.ledger.record(&rec.id, ev).await?;
                        return Ok(None);
                    }
                    Err(e) => e,
                };
                if !self.policy.allows(attempt) {
                    return self
                        .fail(
                            rec,
                            "upload",
                            format!(
                                "{}: {err} (gave up after {attempt} attempts)",
                                path.display()
                            ),
                        )
                        .await
                        .map(Some);
                }
                match err {
                    UploadError::UrlRejected { .. } | UploadError::UrlExpired => {
                        tracing::warn!(rec = %rec.id, file = %seen.facts.name, "{err}; asking for a new upload URL");
                        continue 'new_url;
                    }
                    UploadError::Changed { .. } => {
                        tracing::warn!(rec = %rec.id, "{err}");
                        return Ok(Some(Outcome::Deferred {
                            reason: err.to_string(),
                        }));
                    }
                    UploadError::Read { ref source, .. }
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        self.ledger
                            .record(
                                &rec.id,
                                Event::Vanished {
                                    reason: err.to_string(),
                                },
                            )
                            .await?;
                        return Ok(Some(Outcome::Gone {
                            reason: err.to_string(),
                        }));
                    }
                    ref e if e.is_transient() => {
                        let wait = self.policy.delay(attempt, e.retry_after());
                        tracing::warn!(rec = %rec.id, file = %seen.facts.name, attempt, wait_ms = wait.as_millis() as u64, "{err}; will retry");
                        tokio::time::sleep(wait).await;
                    }
                    _ => {
                        return self
                            .fail(rec, "upload", format!("{}: {err}", path.display()))
                            .await
                            .map(Some);
                    }
                }
            }
        }
    }
}

fn seen_mut(rec: &mut Recording, role: Role) -> &mut Option<Seen> {
    match role {
        Role::Video => &mut rec.video,
        Role::Sidecar => &mut rec.sidecar,
    }
}

/// The `Discovered` step that records a recording's current files.
pub(super) fn discovered(rec: &Recording) -> Event {
    Event::Discovered {
        dir: rec.dir.clone(),
        device: rec.device.clone(),
        stem: rec.stem.clone(),
        video: rec.video.clone(),
        sidecar: rec.sidecar.clone(),
    }
}
