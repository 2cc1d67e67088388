//! Rigs (issue 22): a rig camera's video joins its rig recording once uploaded (`join`), and
//! the rig follower (`run`) forms each rig recording (`wait_secs`), makes a calibration's
//! volume and follows it (`volume`), and makes each other recording's multicam take on the
//! newest finished volume (`take`): each request durable before it is sent, an unanswered one
//! settled by move-ingest's record on the API before anything is sent again.

mod adopt;
mod beside;
mod join;
mod mirror;
mod shared;
mod take;
mod time;
mod volume;

use std::time::{Duration, SystemTime};

use super::{Fatal, Ingest};
use crate::config::Grouping;
use crate::detect::rig::{Formation, form};
use crate::detect::rig_time::too_few;
use crate::model::rig::{RigEvent, RigFailure, RigRecording, RigState};
pub(in crate::ingest) use adopt::RigRecord;
pub use adopt::{CameraFile, Holder};
use beside::earliest;
pub use join::RigMember;
pub(in crate::ingest) use shared::SharedMemo;

/// How long the rig follower sleeps when nothing is due (a camera joining wakes it sooner).
const IDLE_WAIT: Duration = Duration::from_secs(60);
/// After a transient failure of a rig step, how long until it is tried again.
const RETRY_WAIT_MS: i64 = 2_000;

/// What one turn did for one rig recording: when it wants the next turn (`None`: only when
/// something changes).
type Next = Option<i64>;

impl Ingest {
    /// Follows every rig recording that has not ended (`run` only): forms them, makes volumes
    /// and takes, polls volumes. Returns only on a fatal error.
    pub async fn follow_rigs(&self) -> Fatal {
        let renewal = self.keep_claims();
        let _stop = AbortOnDrop(renewal);
        loop {
            let wait = match self.rigs_due().await {
                Ok(wait) => wait,
                Err(fatal) => return fatal,
            };
            let _ = tokio::time::timeout(wait, self.rigs_wake.notified()).await;
        }
    }

    /// One turn: every unfinished rig recording once, calibrations first (a volume that just
    /// finished serves the recordings after it in the same turn); returns how long until the
    /// next is due.
    pub async fn rigs_due(&self) -> Result<Duration, Fatal> {
        if let Some(c) = self.coordinator() {
            self.shared_turn(c).await?;
        }
        let mut recs = self.store.rig_recordings(true)?;
        recs.sort_by_key(|r| (!r.calibration, r.recorded_ms()));
        let others = recs.split_off(recs.partition_point(|r| r.calibration));
        let calibrations = self.advance_side_by_side(recs).await?;
        let next = earliest(calibrations, self.advance_side_by_side(others).await?);
        let now = now_ms();
        // With `[coordination]`, other machines act too: the shared rows are read again soon.
        let idle = match self.coordinator() {
            Some(_) => shared::SHARED_IDLE,
            None => IDLE_WAIT,
        };
        Ok(next.map_or(idle, |at| {
            Duration::from_millis(at.saturating_sub(now).max(0) as u64).min(idle)
        }))
    }

    /// `backfill`: takes every rig recording as far as it goes, waiting for the cameras
    /// (`wait_secs`) and for the volumes it created to finish (their progress is logged), then
    /// returns those that were open when it began and failed (key, reason); a recording still
    /// waiting for a volume that nothing makes is left waiting.
    pub async fn finish_rigs(&self) -> Result<Vec<(String, String)>, Fatal> {
        let began: Vec<String> = self
            .store
            .rig_recordings(true)?
            .into_iter()
            .map(|r| r.key)
            .collect();
        loop {
            let wait = self.rigs_due().await?;
            let open = self.store.rig_recordings(true)?;
            let moving = open.iter().any(|r| {
                matches!(
                    r.state(),
                    RigState::Collecting | RigState::Calibrating | RigState::TakeRequested
                )
            });
            if !moving {
                let waiting = open.len();
                if waiting > 0 {
                    tracing::warn!(
                        waiting,
                        "rig recordings wait for a FINISHED volume of their rig (a calibration recording, or `volume`); `run` makes their takes once one exists"
                    );
                }
                return self.failed_of(&began);
            }
            let wait = wait.min(Duration::from_secs(1));
            let _ = tokio::time::timeout(wait, self.rigs_wake.notified()).await;
        }
    }

    /// Which of the rig recordings `keys` failed, with why.
    fn failed_of(&self, keys: &[String]) -> Result<Vec<(String, String)>, Fatal> {
        let mut out = Vec::new();
        for key in keys {
            if let Some(rec) = self.store.rig_recording(key)?
                && let Some(f) = rec.failure
            {
                out.push((rec.key, f.reason));
            }
        }
        Ok(out)
    }

    /// Takes one rig recording as far as it goes now: on this machine alone, or (with
    /// `[coordination]`) as the shared rows decide.
    async fn advance_rig(&self, rec: RigRecording) -> Result<Next, Fatal> {
        match self.coordinator() {
            Some(c) => self.advance_shared(c, rec).await,
            None => self.advance_local(rec).await,
        }
    }

    /// Takes one rig recording as far as it goes now, as this machine sees it.
    async fn advance_local(&self, rec: RigRecording) -> Result<Next, Fatal> {
        let Some(rig) = self.cfg.multicam.iter().find(|r| r.name == rec.rig) else {
            tracing::warn!(rig_recording = %rec.key, "its rig is no longer in the config; left as it is");
            return Ok(None);
        };
        match rec.state() {
            RigState::Collecting => {
                let present: Vec<&str> = rec.cameras.keys().map(String::as_str).collect();
                let first = rec.first_ms.unwrap_or_else(now_ms);
                match form(rig, &present, first, now_ms()) {
                    Formation::Wait { until_ms } => Ok(Some(until_ms)),
                    Formation::Complete => {
                        let rec = self.rig_step(&rec, RigEvent::Formed { missing: vec![] })?;
                        tracing::info!(rig_recording = %rec.key, cameras = rec.cameras.len(), "every camera's video is uploaded");
                        Box::pin(self.advance_local(rec)).await
                    }
                    Formation::Partial { missing } => {
                        tracing::warn!(rig_recording = %rec.key, missing = %missing.join(", "), "wait_secs passed: made without the cameras that never recorded");
                        let rec = self.rig_step(&rec, RigEvent::Formed { missing })?;
                        Box::pin(self.advance_local(rec)).await
                    }
                    Formation::TooFew { reason } => {
                        let reason = match rig.group {
                            Grouping::Time { clock_tolerance_ms } => {
                                too_few(rig, &rec, clock_tolerance_ms)
                            }
                            _ => reason,
                        };
                        self.rig_fail(&rec, "group", RigFailure::TooFewCameras, reason)?;
                        Ok(None)
                    }
                }
            }
            RigState::Calibrating => self.advance_volume(rig, rec).await,
            RigState::WaitingForVolume | RigState::TakeRequested => {
                self.advance_take(rig, rec).await
            }
            RigState::Calibrated | RigState::Done | RigState::Failed => Ok(None),
        }
    }

    /// Writes one step of a rig recording durably; returns the recording as it now is.
    fn rig_step(&self, rec: &RigRecording, ev: RigEvent) -> Result<RigRecording, Fatal> {
        Ok(self.store.rig_record(rec, &ev)?)
    }

    /// Stops a rig recording with a reason that says what to do; `retry` puts it back.
    fn rig_fail(
        &self,
        rec: &RigRecording,
        step: &str,
        kind: RigFailure,
        reason: String,
    ) -> Result<RigRecording, Fatal> {
        tracing::error!(rig_recording = %rec.key, step, ?kind, "rig recording failed: {reason}");
        self.rig_step(
            rec,
            RigEvent::Failed {
                step: step.into(),
                reason,
                kind,
            },
        )
    }

    /// Puts failed rig recordings back (`key` one, `None` every one); returns their keys.
    pub fn requeue_rigs(&self, key: Option<&str>) -> Result<Vec<String>, Fatal> {
        let mut out = Vec::new();
        for rec in self.store.rig_recordings(false)? {
            if rec.state() == RigState::Failed && key.is_none_or(|k| k == rec.key) {
                self.rig_step(&rec, RigEvent::Requeued { at_ms: now_ms() })?;
                out.push(rec.key);
            }
        }
        self.rigs_wake.notify_one();
        Ok(out)
    }
}

/// Ends a background task when dropped.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.abort();
        }
    }
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
