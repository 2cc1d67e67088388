//! What a file found on disk means for the journal: a new recording, one to resume,
//! a touched file (same bytes), new bytes (a new recording), or a late `.move`.

use super::files::discovered;
use super::{Fatal, Ingest};
use crate::scan::Found;
use crate::state::{Event, Phase, Recording, Role, Seen};
use crate::upload::sha256_file;

/// Which files of a find are complete (held still long enough).
#[derive(Debug, Clone, Copy)]
pub struct Completeness {
    pub video: bool,
    pub sidecar: bool,
}

impl Ingest {
    /// Journals what `found` means and returns the recording to process, if any.
    pub async fn consider(
        &self,
        found: &Found,
        done: Completeness,
    ) -> Result<Option<String>, Fatal> {
        let latest = {
            let state = self.ledger.state();
            let v = found.video.as_ref().map(|s| &s.facts);
            let m = found.sidecar.as_ref().map(|s| &s.facts);
            if state.done_and_unchanged(&found.dir, &found.stem, v, m) {
                return Ok(None);
            }
            state.latest(&found.dir, &found.stem).cloned()
        };
        let video = found.video.as_ref().map(|s| Seen {
            kind: s.kind,
            facts: s.facts.clone(),
        });
        let sidecar = found.sidecar.as_ref().map(|s| Seen {
            kind: s.kind,
            facts: s.facts.clone(),
        });
        let ready = video.is_some() && done.video && (sidecar.is_none() || done.sidecar);
        let Some(rec) = latest else {
            if ready || (video.is_none() && sidecar.is_some() && done.sidecar) {
                return self.discover(found, video, sidecar).await;
            }
            return Ok(None);
        };
        match rec.phase() {
            Phase::Waiting => {
                if ready {
                    let ev = Event::Discovered {
                        dir: rec.dir.clone(),
                        device: rec.device.clone(),
                        stem: rec.stem.clone(),
                        video,
                        sidecar,
                    };
                    self.ledger.record(&rec.id, ev).await?;
                    return Ok(Some(rec.id));
                }
                Ok(None)
            }
            Phase::Queued | Phase::Uploading | Phase::TakeRequested => {
                if ready
                    && rec.take_requested_ms.is_none()
                    && rec.sidecar.is_none()
                    && sidecar.is_some()
                {
                    // The .move appeared before anything of the take was asked for: it joins.
                    let mut joined = rec.clone();
                    joined.sidecar = sidecar;
                    self.ledger.record(&rec.id, discovered(&joined)).await?;
                }
                Ok((ready || rec.phase() == Phase::TakeRequested).then_some(rec.id))
            }
            Phase::Done => {
                self.after_done(&rec, found, video, sidecar, ready, done)
                    .await
            }
            Phase::Failed | Phase::Gone => {
                let changed = changed(rec.seen(Role::Video), video.as_ref())
                    || changed(rec.seen(Role::Sidecar), sidecar.as_ref());
                if ready && changed {
                    return self.discover(found, video, sidecar).await;
                }
                Ok(None)
            }
        }
    }

    /// A recording whose take exists: a touch is noted, new bytes are a new recording,
    /// a `.move` that was not part of the take is reported as late.
    async fn after_done(
        &self,
        rec: &Recording,
        found: &Found,
        video: Option<Seen>,
        sidecar: Option<Seen>,
        ready: bool,
        done: Completeness,
    ) -> Result<Option<String>, Fatal> {
        if !ready {
            return Ok(None);
        }
        for (role, now) in [(Role::Video, &video), (Role::Sidecar, &sidecar)] {
            let (Some(now), Some(up)) = (now, rec.upload(role)) else {
                continue;
            };
            if up.facts.same_version(&now.facts) {
                continue;
            }
            let path = rec.dir.join(&now.facts.name);
            let hash = tokio::task::spawn_blocking(move || sha256_file(&path))
                .await
                .ok()
                .and_then(Result::ok);
            if hash.as_deref() == Some(up.sha256.as_str()) {
                tracing::info!(rec = %rec.id, file = %now.facts.name, "file touched, same bytes: nothing to send");
                self.ledger
                    .record(
                        &rec.id,
                        Event::Touched {
                            role,
                            facts: now.facts.clone(),
                        },
                    )
                    .await?;
            } else {
                tracing::info!(rec = %rec.id, file = %now.facts.name, "new bytes under a name that has a take: a new recording");
                return self.discover(found, video.clone(), sidecar.clone()).await;
            }
        }
        if let (Some(side), None) = (&sidecar, rec.upload(Role::Sidecar))
            && done.sidecar
            && rec.late_sidecar.as_ref() != Some(&side.facts)
        {
            tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, take = ?rec.take_id, "{} arrived after its take was created; it is not added (no second take is made)", side.facts.name);
            self.ledger
                .record(
                    &rec.id,
                    Event::LateSidecar {
                        facts: side.facts.clone(),
                    },
                )
                .await?;
        }
        Ok(None)
    }

    async fn discover(
        &self,
        found: &Found,
        video: Option<Seen>,
        sidecar: Option<Seen>,
    ) -> Result<Option<String>, Fatal> {
        let id = format!("rec-{}", uuid::Uuid::new_v4());
        let waiting = video.is_none();
        let ev = Event::Discovered {
            dir: found.dir.clone(),
            device: found.device.clone(),
            stem: found.stem.clone(),
            video,
            sidecar,
        };
        self.ledger.record(&id, ev).await?;
        if waiting {
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
