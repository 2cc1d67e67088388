//! The writer thread: every step in order, group commit, and when a commit is made with `synchronous = FULL`.

mod hold;
mod step;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::StoreError;
use super::error::WriteError;
use super::integrity::Check;
use super::pause::Pause;
use super::recent::{Recent, lock_recent};
use super::rigs;
use crate::model::recording::Event;
use step::write_step;
pub(super) use step::{Reply, RigStep};

/// Steps that need no fsync of their own are made durable with the next one that does, or after this long.
const LAZY_SYNC_AFTER: Duration = Duration::from_secs(1);

/// How often a write held on a full or read-only disk is tried again.
const RETRY_HELD: Duration = Duration::from_secs(5);
/// How often a pause is logged while it lasts.
const LOG_PAUSE_EVERY: Duration = Duration::from_secs(60);

/// How long a grouped step (`Event::grouped`) may wait for the commit that takes it to disk
/// when no other step comes to end the group.
const GROUP_WINDOW: Duration = Duration::from_millis(100);

/// One step to write (or a flush), and whom to tell when it is written and committed.
pub(super) struct Req {
    pub(super) rec: String,
    /// `None`: no step, only a durable commit of what is written (`Store::flush`).
    pub(super) event: Option<Event>,
    /// A rig recording's step, written before `event` in the same transaction and always
    /// committed durably (`Store::rig_record`, `Store::rig_join`).
    pub(super) rig: Option<RigStep>,
    /// Taken when the step is answered (a grouped step is answered before it is committed).
    pub(super) done: Option<Reply>,
    /// Told when the step is committed, for a caller that reports it only then
    /// (`Store::record_grouped`).
    pub(super) committed: Option<oneshot::Sender<Result<(), WriteError>>>,
}

impl Req {
    /// Whether this must be on disk before it is answered (a flush and a rig step always are).
    fn needs_fsync(&self) -> bool {
        self.rig.is_some() || self.event.as_ref().is_none_or(Event::needs_fsync)
    }

    /// Whether this may be answered before it is committed (`Event::grouped`).
    fn grouped(&self) -> bool {
        self.rig.is_none() && self.event.as_ref().is_some_and(Event::grouped)
    }

    /// Written into the open group: answered, not yet committed.
    fn written(&mut self) {
        if let Some(done) = self.done.take() {
            done.send(Ok(()));
        }
    }

    /// Committed (or failed for good).
    fn answer(&mut self, result: Result<(), WriteError>) {
        if let Some(done) = self.done.take() {
            done.send(result.clone());
        }
        if let Some(committed) = self.committed.take() {
            let _ = committed.send(result);
        }
    }
}

/// The writer thread: takes every waiting request and writes them in one transaction. A batch
/// of grouped steps only (`Event::grouped`) is answered once written and left in the open
/// transaction, which the next other step (or `GROUP_WINDOW`) commits; any other batch is
/// committed before it is answered.
pub(super) struct Writer {
    /// The recordings written last (shared with `Store::recording`).
    recent: Arc<Mutex<Recent>>,
    /// The start-up check: nothing is committed before it passes.
    check: Arc<Check>,
    checked: bool,
    /// What the check found, if it failed: every step is refused with it.
    damaged: Option<String>,
    /// Why grouped steps that were already answered could not be committed: every later step
    /// is refused with it (the process stops and resumes from what is committed).
    lost: Option<String>,
    conn: Connection,
    path: PathBuf,
    /// The seq of the next step written.
    next_seq: u64,
    /// `next_seq` when the open transaction began (restored if it rolls back).
    open_seq: u64,
    /// The grouped steps written into the open transaction (answered, not yet committed).
    group: Vec<Req>,
    group_since: Instant,
    /// The connection's `synchronous` is FULL (else NORMAL).
    full: bool,
    /// Steps are committed but not yet fsynced (only those that no outside action waits on).
    unsynced: bool,
    unsynced_since: Instant,
    /// Pause on a full or read-only disk (else fail), and the pause now.
    pause: Arc<Pause>,
    /// When a failed checkpoint was last logged (they repeat every second on a full disk).
    sync_failed_logged: Option<Instant>,
    /// The open transaction wrote a rig step (it writes frames without a step's seq).
    open_rig: bool,
}

impl Writer {
    /// A writer that numbers steps from `next_seq` on `conn` (opened by `schema::open_writer`),
    /// its connection in `synchronous = FULL`.
    pub(super) fn new(
        conn: Connection,
        path: PathBuf,
        next_seq: u64,
        recent: Arc<Mutex<Recent>>,
        check: Arc<Check>,
        pause: Arc<Pause>,
    ) -> Writer {
        Writer {
            recent,
            pause,
            sync_failed_logged: None,
            check,
            damaged: None,
            lost: None,
            checked: false,
            conn,
            path,
            next_seq,
            open_seq: next_seq,
            group: Vec::new(),
            group_since: Instant::now(),
            full: true,
            unsynced: false,
            unsynced_since: Instant::now(),
            open_rig: false,
        }
    }

    /// Takes requests until every sender is gone, then commits the open group and syncs.
    pub(super) fn run(mut self, rx: mpsc::Receiver<Req>) {
        loop {
            // A steady stream of grouped steps does not hold its group open past the window.
            if !self.group.is_empty() && self.group_since.elapsed() >= GROUP_WINDOW {
                self.close_group(&rx);
            }
            let wait = if !self.group.is_empty() {
                Some(GROUP_WINDOW.saturating_sub(self.group_since.elapsed()))
            } else if self.unsynced {
                Some(LAZY_SYNC_AFTER)
            } else {
                None
            };
            let received = match wait {
                Some(wait) => rx.recv_timeout(wait),
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            let first = match received {
                Ok(req) => req,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.group.is_empty() {
                        self.sync();
                    } else {
                        self.close_group(&rx);
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
                if batch.len() >= 1024 {
                    break;
                }
            }
            self.take(batch, &rx);
        }
        if !self.group.is_empty() {
            self.close_group(&rx);
        }
        if self.unsynced {
            self.sync();
        }
    }

    /// Makes the steps committed with `synchronous = NORMAL` durable: a checkpoint fsyncs the WAL.
    fn sync(&mut self) {
        match self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            Ok(()) => {
                self.unsynced = false;
                self.sync_failed_logged = None;
            }
            Err(e) => {
                if self
                    .sync_failed_logged
                    .is_none_or(|at| at.elapsed() >= LOG_PAUSE_EVERY)
                {
                    tracing::error!(path = %self.path.display(), error = %e, "cannot checkpoint the state database");
                    self.sync_failed_logged = Some(Instant::now());
                }
            }
        }
    }

    fn set_full(&mut self, full: bool) -> rusqlite::Result<()> {
        if self.full != full {
            let mode = if full { "FULL" } else { "NORMAL" };
            // A PRAGMA runs once per preparation: caching it would gain nothing.
            self.conn
                .execute_batch(&format!("PRAGMA synchronous = {mode}"))?;
            self.full = full;
        }
        Ok(())
    }

    /// Answers the batch with an error instead of writing it, if the start-up check failed or
    /// answered steps were lost; true if it did.
    fn refused(&mut self, batch: &mut [Req]) -> bool {
        if !self.checked {
            if let Some(Err(e)) = self.check.wait(None) {
                tracing::error!("{e}");
                self.damaged = Some(match e {
                    StoreError::Damaged { detail, .. } => detail,
                    other => other.to_string(),
                });
            }
            self.checked = true;
        }
        let refusal = match (&self.damaged, &self.lost) {
            (Some(damaged), _) => (damaged.clone(), true),
            (None, Some(lost)) => (lost.clone(), false),
            (None, None) => return false,
        };
        for req in batch {
            req.answer(Err(refusal.clone()));
        }
        true
    }

    /// Writes a batch: grouped steps only are answered and left in the open transaction;
    /// anything else commits it (with the group) and is answered after.
    fn take(&mut self, mut batch: Vec<Req>, rx: &mpsc::Receiver<Req>) {
        if self.refused(&mut batch) {
            return;
        }
        let grouped = batch.iter().all(Req::grouped);
        // A group is most often ended by the durable step that follows it: it is opened with
        // synchronous = FULL, so that one commit (and one fsync) takes both.
        let full = grouped || self.wants_full(&batch);
        let written = self.write_open(&batch, full);
        if written.is_ok() && grouped {
            for req in &mut batch {
                req.written();
            }
            if self.group.is_empty() {
                self.group_since = Instant::now();
            }
            self.group.extend(batch);
            return;
        }
        let mut all = std::mem::take(&mut self.group);
        all.extend(batch);
        match written.and_then(|()| self.commit_open()) {
            Ok(()) => {
                for req in &mut all {
                    req.answer(Ok(()));
                }
            }
            Err(e) => self.failed(all, e, rx),
        }
    }

    /// Commits the open group (its window is over, or the writer is stopping).
    fn close_group(&mut self, rx: &mpsc::Receiver<Req>) {
        let mut group = std::mem::take(&mut self.group);
        match self.commit_open() {
            Ok(()) => {
                for req in &mut group {
                    req.answer(Ok(()));
                }
            }
            Err(e) => self.failed(group, e, rx),
        }
    }

    /// Writes the batch into the open transaction, beginning one (with `synchronous` FULL or
    /// NORMAL) if none is open; nothing is committed. A failure rolls the transaction back.
    fn write_open(&mut self, batch: &[Req], full: bool) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            self.set_full(full)?;
            self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            self.open_seq = self.next_seq;
            self.open_rig = false;
        }
        let t = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
        let mut written = HashMap::new();
        let mut seq = self.next_seq;
        let result = batch.iter().try_for_each(|req| {
            if let Some(rig) = &req.rig {
                let now = rigs::write_in(&self.conn, &rig.new, &rig.event)?;
                *rig.out.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
                self.open_rig = true;
            }
            let Some(event) = &req.event else {
                return Ok(());
            };
            if write_step(
                &self.conn,
                &self.recent,
                &mut written,
                seq,
                &t,
                &req.rec,
                event,
            )? {
                seq += 1;
            }
            Ok(())
        });
        if let Err(e) = result {
            self.roll_back();
            return Err(e);
        }
        self.next_seq = seq;
        let mut recent = lock_recent(&self.recent);
        for (id, (rid, rec)) in written {
            recent.put(id, rid, rec, true);
        }
        Ok(())
    }

    /// Whether a batch is committed with `synchronous = FULL`: a step in it must be durable,
    /// or steps committed lazily have waited long enough.
    fn wants_full(&self, batch: &[Req]) -> bool {
        batch.iter().any(Req::needs_fsync)
            || self.unsynced && self.unsynced_since.elapsed() >= LAZY_SYNC_AFTER
    }

    /// Commits the open transaction (a failure rolls it back).
    fn commit_open(&mut self) -> rusqlite::Result<()> {
        // A transaction that wrote no step (a flush with no group open) writes no frame, and
        // so fsyncs nothing: a durable one makes the steps committed lazily before it durable
        // with a checkpoint instead.
        let wrote = self.next_seq != self.open_seq || self.open_rig;
        let committed = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut commit| commit.execute([]));
        if let Err(e) = committed {
            self.roll_back();
            return Err(e);
        }
        lock_recent(&self.recent).unpin();
        if !wrote {
            if self.full && self.unsynced {
                self.sync();
            }
        } else if self.full {
            self.unsynced = false;
        } else if !self.unsynced {
            self.unsynced = true;
            self.unsynced_since = Instant::now();
        }
        Ok(())
    }

    fn roll_back(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.next_seq = self.open_seq;
        lock_recent(&self.recent).drop_pinned();
    }
}
