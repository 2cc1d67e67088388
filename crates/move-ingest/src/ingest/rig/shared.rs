//! A rig over several machines (issue 26): with `[coordination]`, each turn of a rig recording
//! first records this node's cameras in the shared rows and learns the others' (and any
//! formation, volume or take another node made), then acts only if this node holds the
//! recording's claim. A claim taken over from a node that stopped carries that node's
//! requests, so the usual settling (a lookup by move-ingest's record) runs before anything is
//! sent again; a database younger than the recording (emptied, restored) is settled the same
//! way. Without the database, rig recordings wait (`retrying`) and nothing is sent for them.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::mirror::local_cameras;
use super::{Next, RETRY_WAIT_MS, now_ms};
use crate::config::Grouping;
use crate::coord::{Claim, CoordError, Coordinator, Intent, SharedRecording};
use crate::ingest::{Fatal, Ingest};
use crate::model::rig::{RigEvent, RigRecording, RigState};

/// How long the rig follower sleeps at most with `[coordination]` when nothing here is due
/// (a take another machine made for a recording that failed here is learnt within it).
pub(super) const SHARED_IDLE: std::time::Duration = std::time::Duration::from_secs(5);
/// How often a node that does not hold a recording's claim looks at the shared rows again.
const POLL_MS: i64 = 1_000;
/// A camera another node holds: its `recording_id` is `@NODE` (no recording of this state).
pub(super) const REMOTE: char = '@';

/// What this process remembers of the shared rows.
#[derive(Default)]
pub struct SharedMemo {
    /// The connection after whose start every rig recording was recorded (0: none yet).
    pushed: AtomicU64,
    /// The rig recordings looked for on the API because the database is younger than them.
    looked: Mutex<HashSet<String>>,
    /// `group = "time"`: the shared name of each rig recording whose name here differs.
    names: Mutex<HashMap<String, String>>,
}

/// Whether this node may act on a recording this turn.
enum Turn {
    Act(Box<RigRecording>),
    Wait(Next),
}

impl Ingest {
    /// The coordinator, when `[coordination]` is set.
    pub(super) fn coordinator(&self) -> Option<&Coordinator> {
        self.coord.as_deref()
    }

    /// Starts a turn of the rig follower: renews this node's claims, and after each new
    /// connection records every rig recording this node knows (an emptied or restored
    /// database is rebuilt from the nodes' states).
    pub(super) async fn shared_turn(&self, c: &Coordinator) -> Result<(), Fatal> {
        let renewed = c.renew().await;
        self.note_coordination(c);
        if renewed.is_err() {
            return Ok(());
        }
        self.revive_failed(c).await?;
        if self.shared.pushed.load(Ordering::Relaxed) == c.generation() {
            return Ok(());
        }
        for rec in self.store.rig_recordings(false)? {
            let pushed = self.push_shared(c, &rec).await;
            if let Err(e) = pushed {
                tracing::warn!(rig_recording = %rec.key, "{e}; recorded again later");
                self.note_coordination(c);
                return Ok(());
            }
        }
        self.shared.pushed.store(c.generation(), Ordering::Relaxed);
        Ok(())
    }

    /// A rig recording that failed here (too few cameras in time: another machine was away)
    /// whose take another machine made since is put back, so that it learns the take.
    async fn revive_failed(&self, c: &Coordinator) -> Result<(), Fatal> {
        let mut failed = Vec::new();
        for rig in &self.cfg.multicam {
            failed.extend(self.store.rig_failed(&rig.name)?);
        }
        for rec in failed.into_iter().filter(|r| r.state() == RigState::Failed) {
            let made = c.read(&self.shared_key(&rec.key)).await;
            if made.is_ok_and(|s| s.is_some_and(|s| s.claim.take_id.is_some())) {
                tracing::info!(rig_recording = %rec.key, "another machine made this recording's take: put back to record it here");
                self.rig_step(&rec, RigEvent::Requeued { at_ms: now_ms() })?;
            }
        }
        Ok(())
    }

    /// One turn of a rig recording with `[coordination]`.
    pub(super) async fn advance_shared(
        &self,
        c: &Coordinator,
        rec: RigRecording,
    ) -> Result<Next, Fatal> {
        let key = rec.key.clone();
        let turn = match self.sync_shared(c, rec).await? {
            Ok(turn) => turn,
            Err(e) => {
                tracing::warn!(rig_recording = %key, "{e}; the rig recording waits (retrying) and nothing is sent for it until the database answers");
                self.note_coordination(c);
                return Ok(Some(now_ms() + RETRY_WAIT_MS));
            }
        };
        let rec = match turn {
            Turn::Act(rec) => *rec,
            Turn::Wait(next) => return Ok(next),
        };
        let next = self.advance_local(rec).await?;
        let Some(now) = self.store.rig_recording(&key)? else {
            return Ok(next);
        };
        if let Err(e) = self.push_shared(c, &now).await {
            tracing::warn!(rig_recording = %key, "{e}; recorded in the shared rows once the database answers");
            return Ok(Some(next.unwrap_or(i64::MAX).min(now_ms() + RETRY_WAIT_MS)));
        }
        if now.state().is_finished() {
            let _ = c.release(&self.shared_key(&key)).await;
            return Ok(next);
        }
        // Other nodes may learn or make something meanwhile: the shared rows are read again soon.
        Ok(Some(next.unwrap_or(i64::MAX).min(now_ms() + POLL_MS)))
    }

    /// Records this node's cameras, learns the shared rows, and claims the recording.
    async fn sync_shared(
        &self,
        c: &Coordinator,
        rec: RigRecording,
    ) -> Result<Result<Turn, CoordError>, Fatal> {
        let key = match self.publish_shared(c, &rec).await {
            Ok(key) => key,
            Err(e) => return Ok(Err(e)),
        };
        let shared = match c.read(&key).await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(Ok(Turn::Wait(Some(now_ms() + POLL_MS)))),
            Err(e) => return Ok(Err(e)),
        };
        let rec = self.mirror(rec, &shared).await?;
        if rec.state().is_finished() {
            return Ok(Ok(Turn::Wait(None)));
        }
        match c.claim(&key, &rec.rig, rec.calibration).await {
            Ok(Claim::Held { by, left_ms }) => {
                tracing::debug!(rig_recording = %rec.key, node = %by, "claimed by another node");
                Ok(Ok(Turn::Wait(Some(now_ms() + left_ms.clamp(100, POLL_MS)))))
            }
            Ok(Claim::Mine { from }) => {
                // Read again under this node's claim: what was recorded before it took hold.
                let shared = match c.read(&key).await {
                    Ok(Some(s)) => s,
                    Ok(None) => return Ok(Ok(Turn::Wait(Some(now_ms() + POLL_MS)))),
                    Err(e) => return Ok(Err(e)),
                };
                let rec = self.mirror(rec, &shared).await?;
                if rec.state().is_finished() {
                    return Ok(Ok(Turn::Wait(None)));
                }
                Ok(Ok(self.claimed(rec, &shared, from).await?))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    /// This node holds the claim: it carries the requests that other nodes recorded (settled
    /// before anything is sent), and looks on the API first when the database is younger than
    /// the recording.
    async fn claimed(
        &self,
        rec: RigRecording,
        shared: &SharedRecording,
        from: Option<String>,
    ) -> Result<Turn, Fatal> {
        let s = &shared.claim;
        let mut rec = rec;
        let mut foreign: Option<i64> = None;
        if let Some((first, last)) = s.volume_requested
            && rec.volume.as_ref().and_then(|v| v.last_requested_ms) < Some(last)
        {
            rec = self.rig_step(&rec, RigEvent::VolumeRequested { at_ms: first })?;
            rec = self.rig_step(&rec, RigEvent::VolumeRequested { at_ms: last })?;
            foreign = Some(last);
        }
        if let (Some((first, last)), Some(volume_id)) = (s.take_requested, &s.take_volume_id)
            && rec.take_last_ms < Some(last)
        {
            for at_ms in [first, last] {
                let ev = RigEvent::TakeRequested {
                    at_ms,
                    volume_id: volume_id.clone(),
                };
                rec = self.rig_step(&rec, ev)?;
            }
            foreign = foreign.max(Some(last));
        }
        if let Some(from) = &from {
            tracing::warn!(rig_recording = %rec.key, node = %from, "took over the lapsed claim of another node; what it may have sent is looked for on the API first");
        }
        // A request another node recorded may still be under way: wait out its timeout, then
        // the usual settling looks for what it made before anything is sent again.
        let until = foreign.map(|l| l + self.cfg.api.request_timeout_secs as i64 * 1000);
        if let Some(until) = until.filter(|u| *u > now_ms()) {
            return Ok(Turn::Wait(Some(until)));
        }
        let last = s
            .take_requested
            .map(|t| t.1)
            .max(s.volume_requested.map(|v| v.1));
        if last.is_none()
            && let Some(c) = self.coordinator()
            && rec.first_ms.is_some_and(|f| f < c.created_ms())
            && self.look_once(&rec.key)
            && let Some(next) = self.settle_on_api(&rec).await?
        {
            return Ok(Turn::Wait(next));
        }
        Ok(Turn::Act(Box::new(rec)))
    }

    /// The shared name of this node's rig recording `key` (the same but for `group = "time"`,
    /// where each machine names a recording by its own cameras' start).
    pub(super) fn shared_key(&self, key: &str) -> String {
        let names = self.shared.names.lock().unwrap_or_else(|p| p.into_inner());
        names.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// Records this node's cameras of a rig recording in the shared rows; returns the shared
    /// recording's key (for `group = "time"`, placed among the other machines' recordings).
    pub(super) async fn publish_shared(
        &self,
        c: &Coordinator,
        rec: &RigRecording,
    ) -> Result<String, CoordError> {
        let mine = local_cameras(c, rec);
        let rig = self.cfg.multicam.iter().find(|r| r.name == rec.rig);
        let Some(Grouping::Time { clock_tolerance_ms }) = rig.map(|r| r.group) else {
            c.publish(&rec.key, &rec.rig, rec.calibration, &mine)
                .await?;
            return Ok(rec.key.clone());
        };
        let key = c
            .publish_by_time(
                &rec.key,
                &rec.rig,
                rec.calibration,
                &mine,
                clock_tolerance_ms,
            )
            .await?;
        if key != rec.key {
            let mut names = self.shared.names.lock().unwrap_or_else(|p| p.into_inner());
            names.insert(rec.key.clone(), key.clone());
        }
        Ok(key)
    }

    /// Whether the recording is still to be looked for on the API (once per process).
    fn look_once(&self, key: &str) -> bool {
        let mut looked = self.shared.looked.lock().unwrap_or_else(|p| p.into_inner());
        looked.insert(key.to_string())
    }

    /// Looks for the volume or take the recording may already have; `Some`: found (or the
    /// lookup failed, and it waits), nothing to send.
    async fn settle_on_api(&self, rec: &RigRecording) -> Result<Option<Next>, Fatal> {
        if rec.missing.is_none() {
            // Not formed: the volume or take, if any, names its cameras; formed first.
            self.shared
                .looked
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&rec.key);
            return Ok(None);
        }
        tracing::info!(rig_recording = %rec.key, "the coordination database is younger than this rig recording (emptied or restored): looking on the API for its volume or take before asking");
        if rec.calibration {
            return Ok(match self.find_volume(rec).await? {
                Ok(Some(v)) => {
                    let ev = RigEvent::VolumeCreated {
                        volume_id: v.id,
                        adopted: true,
                    };
                    self.rig_step(rec, ev)?;
                    Some(Some(now_ms()))
                }
                Ok(None) => None,
                Err(_) => Some(Some(now_ms() + RETRY_WAIT_MS)),
            });
        }
        Ok(match self.find_rig_take(rec, rec.first_ms).await? {
            Ok(Some(take_id)) => {
                self.take_learnt(rec, take_id).await?;
                Some(None)
            }
            Ok(None) => None,
            Err(_) => Some(Some(now_ms() + RETRY_WAIT_MS)),
        })
    }

    /// Before a request: records it in the shared rows while this node's claim holds;
    /// `false`: nothing may be sent (the claim passed to another node, or the database is
    /// unreachable). Always `true` without `[coordination]`.
    pub(super) async fn may_send(&self, rec: &RigRecording, intent: Intent) -> Result<bool, Fatal> {
        let Some(c) = self.coordinator() else {
            return Ok(true);
        };
        // This node's cameras are in the shared rows before anything is sent for them: a node
        // that takes over after this one dies makes the same take, with every camera (`rec`
        // may hold a camera that joined after the turn's rows were written).
        if let Err(e) = self.publish_shared(c, rec).await {
            tracing::warn!(rig_recording = %rec.key, "{e}; nothing is sent for this rig recording until the database answers (retrying)");
            self.note_coordination(c);
            return Ok(false);
        }
        let missing = rec.missing.clone().unwrap_or_default();
        let known = match intent {
            Intent::Volume { .. } => rec.volume.as_ref().and_then(|v| v.last_requested_ms),
            Intent::Take { .. } => rec.take_last_ms,
        };
        match c
            .intend(&self.shared_key(&rec.key), &missing, &intent, known)
            .await
        {
            Ok(true) => Ok(true),
            Ok(false) => {
                tracing::warn!(rig_recording = %rec.key, "this node's claim lapsed, or the shared rows hold a request or result it has not seen: nothing sent; it looks again");
                Ok(false)
            }
            Err(e) => {
                tracing::warn!(rig_recording = %rec.key, "{e}; nothing is sent for this rig recording until the database answers (retrying)");
                self.note_coordination(c);
                Ok(false)
            }
        }
    }

    /// With `[coordination]`: renews this node's claims every third of the lease while the
    /// process lives (a request under way holds its claim), keeps the gauge current, and wakes
    /// the follower after a new connection (an emptied database is rebuilt at once).
    pub(super) fn keep_claims(&self) -> Option<tokio::task::JoinHandle<()>> {
        let c = self.coord.clone()?;
        let monitor = self.monitor.clone();
        let wake = self.rigs_wake.clone();
        Some(tokio::spawn(async move {
            loop {
                let before = c.generation();
                if let Err(e) = c.renew().await {
                    tracing::debug!("cannot renew this node's claims: {e}");
                }
                monitor.coordination(c.is_up(), c.down_reason());
                // A new connection: the follower records everything this node knows again.
                if c.generation() != before {
                    wake.notify_one();
                }
                tokio::time::sleep(c.lease() / 3).await;
            }
        }))
    }

    /// Tells the monitor whether the database answers (`move_ingest_coordination_up`,
    /// `/healthz`, the page).
    fn note_coordination(&self, c: &Coordinator) {
        self.monitor.coordination(c.is_up(), c.down_reason());
    }
}
