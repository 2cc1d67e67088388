//! Rig recordings side by side (issue 23: a rig costs no more): a turn advances independent
//! rig recordings `upload.concurrency` at a time, and `backfill` follows them beside its
//! uploads, so that a rig recording whose cameras are all uploaded gets its take while the
//! other videos upload (one still collecting is formed only once the uploads are over, as
//! before: its `wait_secs` must not run out behind a long queue).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;

use super::Next;
use crate::ingest::{Fatal, Ingest};
use crate::model::rig::{RigRecording, RigState};

/// The least time between two turns beside the uploads (each camera that joins wakes the
/// follower, and a turn reads every unfinished rig recording).
const BESIDE_TICK: Duration = Duration::from_millis(100);

impl Ingest {
    /// Takes each of `recs` as far as it goes now, `upload.concurrency` of them at a time
    /// (each a recording of its own: their requests and steps do not depend on one another);
    /// returns when the earliest of them wants its next turn.
    pub(super) async fn advance_side_by_side(
        &self,
        recs: Vec<RigRecording>,
    ) -> Result<Next, Fatal> {
        let side_by_side = self.cfg.upload.concurrency.max(1);
        let uploading = self.rigs_beside_uploads.load(Ordering::SeqCst);
        let mut turns = futures_util::stream::iter(recs)
            .filter(move |rec| std::future::ready(!uploading || self.formed_or_complete(rec)))
            .map(|rec| self.advance_rig(rec))
            .buffer_unordered(side_by_side);
        let mut next = None;
        while let Some(turn) = turns.next().await {
            next = earliest(next, turn?);
        }
        Ok(next)
    }

    /// Whether a rig recording is past collecting, or has every camera of its rig.
    fn formed_or_complete(&self, rec: &RigRecording) -> bool {
        if rec.state() != RigState::Collecting {
            return true;
        }
        self.cfg
            .multicam
            .iter()
            .find(|r| r.name == rec.rig)
            .is_some_and(|rig| rig.labels().all(|l| rec.cameras.contains_key(l)))
    }

    /// `backfill`: runs `uploading` (the uploads) with the rig recordings followed beside it
    /// (see the module's doc), then takes every rig recording as far as it goes
    /// (`finish_rigs`); returns `uploading`'s result and the rig recordings this took up that
    /// failed (key, why).
    pub async fn uploads_and_rigs<T>(
        &self,
        uploading: impl Future<Output = Result<T, Fatal>>,
    ) -> Result<(T, Vec<(String, String)>), Fatal> {
        if self.cfg.multicam.is_empty() {
            return Ok((uploading.await?, Vec::new()));
        }
        let over = Notify::new();
        self.rigs_beside_uploads.store(true, Ordering::SeqCst);
        let uploads = async {
            let out = uploading.await;
            self.rigs_beside_uploads.store(false, Ordering::SeqCst);
            over.notify_one();
            out
        };
        let (out, beside) = tokio::try_join!(uploads, self.rigs_beside(&over))?;
        let mut failed = self.finish_rigs().await?;
        for (key, why) in self.failed_of(&beside.into_iter().collect::<Vec<_>>())? {
            if !failed.iter().any(|(k, _)| *k == key) {
                failed.push((key, why));
            }
        }
        Ok((out, failed))
    }

    /// Turns while the uploads run (until `over`), at most one per `BESIDE_TICK`; returns
    /// the keys of the rig recordings that were open in them.
    async fn rigs_beside(&self, over: &Notify) -> Result<BTreeSet<String>, Fatal> {
        let mut took_up = BTreeSet::new();
        while self.rigs_beside_uploads.load(Ordering::SeqCst) {
            let open = self.store.rig_recordings(true)?;
            took_up.extend(open.into_iter().map(|r| r.key));
            let wait = self.rigs_due().await?;
            let _ = tokio::time::timeout(BESIDE_TICK, over.notified()).await;
            if wait > BESIDE_TICK && self.rigs_beside_uploads.load(Ordering::SeqCst) {
                let wake = self.rigs_wake.notified();
                let _ = tokio::time::timeout(wait - BESIDE_TICK, wake).await;
            }
        }
        Ok(took_up)
    }
}

/// The sooner of two next turns (`None`: only when something changes).
pub(super) fn earliest(a: Next, b: Next) -> Next {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
