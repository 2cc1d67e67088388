//! The take step: `TakeRequested` is recorded before the request; an unanswered request
//! is settled by finding the take by its recording id before anything is sent again.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::classify::{Next, Tries, retry};
use super::{Fatal, Ingest, Outcome, auth};
use crate::api::{ApiError, SourceInput, Take};
use crate::config::template::{Vars, render_json};
use crate::model::recording::FailureKind;
use crate::model::recording::{Event, Recording, Role, Step};
use crate::observe::monitor::Doing;

/// What `createSingleCamTake` is sent for one recording.
struct TakeRequest {
    sources: Vec<SourceInput>,
    name: String,
    metadata: Value,
}

/// How far before the first request reconciliation looks (clock skew between us and the API).
const RECONCILE_MARGIN: Duration = Duration::from_secs(600);
const RECONCILE_PAGE: u32 = 50;
const RECONCILE_MAX_PAGES: u32 = 200;

impl Ingest {
    /// Creates the take, or adopts the one an earlier unanswered request made.
    pub(super) async fn create_take(&self, id: &str) -> Result<Outcome, Fatal> {
        let Some(rec) = self.recording(id)? else {
            return Ok(Outcome::Deferred {
                reason: format!("unknown recording {id}"),
            });
        };
        if let Some(since) = rec.take_requested_ms {
            match self.find_take(&rec, since).await? {
                Ok(Some(take)) => return self.adopt(&rec, take).await,
                Ok(None) => {}
                Err(e) => return self.cannot_look(&rec, e).await,
            }
        }
        let Some(request) = self.take_request(&rec) else {
            return Ok(Outcome::Deferred {
                reason: "its video is not uploaded yet".into(),
            });
        };
        self.monitor.step(id, Doing::CreatingTake);
        self.want_job(&rec).await?;
        let at_ms = now_ms();
        self.store
            .record(id, Event::TakeRequested { at_ms })
            .await?;
        let since = rec.take_requested_ms.unwrap_or(at_ms).min(at_ms);
        self.request_take(&rec, &request, since).await
    }

    /// Asks for the take until it is answered, found, or the classifier gives up.
    async fn request_take(
        &self,
        rec: &Recording,
        request: &TakeRequest,
        since: i64,
    ) -> Result<Outcome, Fatal> {
        let mut tries = Tries::default();
        loop {
            let answer = self
                .api
                .create_single_cam_take(&request.sources, &request.name, &request.metadata)
                .await;
            let err = match answer {
                Ok(take) => return self.created(rec, take).await,
                Err(e) => auth(e)?,
            };
            let (kind, reason) = match tries.next(&err, &self.policy) {
                Next::Retry { wait } => {
                    let attempt = tries.retries();
                    crate::observe::monitor::Monitor::retrying_here(
                        attempt,
                        &err.to_string(),
                        wait,
                    );
                    tracing::warn!(rec = %rec.id, attempt, wait_ms = wait.as_millis() as u64, "{err}; will retry");
                    tokio::time::sleep(wait).await;
                    if err.is_ambiguous() {
                        match self.find_take(rec, since).await? {
                            Ok(Some(take)) => return self.adopt(rec, take).await,
                            Ok(None) => {}
                            Err(e) => return self.cannot_look(rec, e).await,
                        }
                    }
                    continue;
                }
                Next::Later { reason } => {
                    let wait_at_least = err.retry_after();
                    let later = self.later(rec, Step::CreateTake, reason, true, wait_at_least);
                    return later.await;
                }
                Next::Fail { kind, reason } => (kind, reason),
                Next::Defer { reason } | Next::Gone { reason } => (FailureKind::Refused, reason),
                Next::NewUrl => (FailureKind::Refused, err.to_string()),
            };
            return self.fail(rec, Step::CreateTake, kind, reason).await;
        }
    }

    /// The sources, name and metadata of the recording's take; `None` until its video is uploaded.
    fn take_request(&self, rec: &Recording) -> Option<TakeRequest> {
        let (video, video_up) = (rec.seen(Role::Video)?, rec.upload(Role::Video)?);
        let mut sources = vec![SourceInput {
            device_label: rec.device.clone(),
            file_id: video_up.file_id.clone(),
            format: video.kind.source_format(),
        }];
        if let (Some(side), Some(up)) = (rec.seen(Role::Sidecar), rec.upload(Role::Sidecar)) {
            sources.push(SourceInput {
                device_label: rec.device.clone(),
                file_id: up.file_id.clone(),
                format: side.kind.source_format(),
            });
        }
        let subdir = crate::detect::scan::subdir(&self.cfg.watch, &rec.dir);
        let vars = Vars {
            device_label: &rec.device,
            stem: &rec.stem,
            hostname: &self.hostname,
            file_name: &video.facts.name,
            subdir: &subdir,
            // A single-camera take: no rig.
            rig: "",
        };
        Some(TakeRequest {
            sources,
            name: self.cfg.take.name.render(&vars),
            metadata: self.metadata(rec, &vars),
        })
    }

    /// Records the take the API answered with.
    async fn created(&self, rec: &Recording, take: Take) -> Result<Outcome, Fatal> {
        tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, take = %take.id, "take created");
        self.take_made(rec, take.id, false).await
    }

    async fn adopt(&self, rec: &Recording, take: Take) -> Result<Outcome, Fatal> {
        tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, take = %take.id, "found the take an unanswered request created; adopting it");
        self.take_made(rec, take.id, true).await
    }

    /// Records the take (a grouped step: the next commit takes it to disk) and counts it in
    /// the metrics once it is there.
    async fn take_made(
        &self,
        rec: &Recording,
        take_id: String,
        adopted: bool,
    ) -> Result<Outcome, Fatal> {
        let ev = Event::TakeCreated {
            take_id: take_id.clone(),
            adopted,
        };
        let committed = self.store.record_grouped(&rec.id, ev).await?;
        let monitor = self.monitor.clone();
        let id = rec.id.clone();
        tokio::spawn(async move {
            match committed.wait().await {
                Ok(()) => monitor.take_created(),
                Err(e) => tracing::error!(rec = %id, "the take made was not kept: {e}"),
            }
        });
        Ok(Outcome::Done { take_id })
    }

    /// An earlier request may have made the take, and the API cannot be asked whether it did:
    /// the recording waits and looks again later. Asking for the take again now could make a
    /// second one, and a take cannot be deleted.
    async fn cannot_look(&self, rec: &Recording, e: ApiError) -> Result<Outcome, Fatal> {
        let reason = format!(
            "cannot look for the take an earlier request may have made ({e}); the take is not asked for again until it can"
        );
        let wait_at_least = e.retry_after();
        self.later(rec, Step::CreateTake, reason, true, wait_at_least)
            .await
    }

    /// Looks for a take whose metadata names this recording, newest first, back to `since_ms`;
    /// `Err` when `listTakes` keeps failing (after its quick retries).
    async fn find_take(
        &self,
        rec: &Recording,
        since_ms: i64,
    ) -> Result<Result<Option<Take>, ApiError>, Fatal> {
        let horizon = since_ms - RECONCILE_MARGIN.as_millis() as i64;
        let mut after: Option<String> = None;
        for _ in 0..RECONCILE_MAX_PAGES {
            let cursor = after.clone();
            let page = retry(&self.policy, "listTakes", || {
                self.api.list_takes(RECONCILE_PAGE, cursor.as_deref(), true)
            })
            .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => {
                    let e: ApiError = auth(e)?;
                    tracing::warn!(rec = %rec.id, "cannot look for an earlier take: {e}");
                    return Ok(Err(e));
                }
            };
            let mut older = false;
            for take in page.items.into_iter().flatten() {
                if take.recording_id().as_deref() == Some(rec.id.as_str()) {
                    return Ok(Ok(Some(take)));
                }
                older |= created_ms(&take).is_some_and(|t| t < horizon);
            }
            match page.after {
                Some(next) if !older => after = Some(next),
                _ => return Ok(Ok(None)),
            }
        }
        Ok(Ok(None))
    }

    /// The take's metadata: `[take.metadata]` filled in, plus move-ingest's own record.
    fn metadata(&self, rec: &Recording, vars: &Vars<'_>) -> Value {
        let mut meta = match render_json(&Value::Object(self.cfg.take.metadata.clone()), vars) {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let files: Vec<Value> = [Role::Video, Role::Sidecar]
            .into_iter()
            .filter_map(|role| {
                let (seen, up) = (rec.seen(role)?, rec.upload(role)?);
                Some(json!({
                    "role": role,
                    "name": seen.facts.name,
                    "size": up.facts.size,
                    "sha256": up.sha256,
                    "file_id": up.file_id,
                }))
            })
            .collect();
        meta.insert(
            "move_ingest".into(),
            json!({
                "recording_id": rec.id,
                "host": self.hostname,
                "device_label": rec.device,
                "stem": rec.stem,
                "files": files,
                "version": env!("CARGO_PKG_VERSION"),
            }),
        );
        Value::Object(meta)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(super) fn created_ms(take: &Take) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(take.created.trim_end_matches('Z')).ok()?;
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(created: &str) -> Take {
        Take {
            id: "take-1".into(),
            created: created.into(),
            name: None,
            metadata: None,
            take_type: None,
            sources: None,
        }
    }

    #[test]
    fn creation_times_parse_with_and_without_fractions() {
        let t = created_ms(&take("2026-11-28T15:17:10.229626Z")).unwrap();
        assert_eq!(t, 1_795_879_030_229);
        assert_eq!(
            created_ms(&take("2026-11-28T15:17:10Z")),
            Some(1_795_879_030_000)
        );
        assert_eq!(created_ms(&take("yesterday")), None);
    }
}
