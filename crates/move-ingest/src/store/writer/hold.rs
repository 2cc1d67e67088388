//! The writer on a full or read-only disk: the batch it could not commit is held and tried again.

use std::sync::mpsc;
use std::time::Instant;

use super::{LOG_PAUSE_EVERY, RETRY_HELD, Req, Writer};
use crate::store::pause;

impl Writer {
    /// Writes the batch in a transaction of its own and answers it; returns it unanswered
    /// when the disk is full or read-only and the writer pauses (`hold` tries it again).
    fn commit(&mut self, mut batch: Vec<Req>) -> Option<Vec<Req>> {
        if self.refused(&mut batch) {
            return None;
        }
        let full = self.wants_full(&batch);
        match self
            .write_open(&batch, full)
            .and_then(|()| self.commit_open())
        {
            Ok(()) => {
                for req in &mut batch {
                    req.answer(Ok(()));
                }
                None
            }
            Err(e) => self.paused_on(batch, &e),
        }
    }

    /// A failed write (already rolled back): held while the disk is full or read-only, else
    /// answered with the error.
    pub(super) fn failed(&mut self, batch: Vec<Req>, e: rusqlite::Error, rx: &mpsc::Receiver<Req>) {
        if let Some(held) = self.paused_on(batch, &e) {
            self.hold(held, rx);
        }
    }

    /// Returns the batch to hold if `e` pauses the writer; else answers it with `e` (and
    /// refuses every later step if some of it was already answered).
    fn paused_on(&mut self, mut batch: Vec<Req>, e: &rusqlite::Error) -> Option<Vec<Req>> {
        if let Some(cause) = self.pause_cause(e) {
            let detail = format!("cannot write to {}: {e}", self.path.display());
            if self.pause.set(cause, detail) {
                let paused = self.pause.now().map(|p| p.describe()).unwrap_or_default();
                tracing::warn!(
                    retry_secs = RETRY_HELD.as_secs(),
                    "ingestion paused: {paused}; nothing committed is lost, the step is tried again every {} s",
                    RETRY_HELD.as_secs()
                );
            }
            return Some(batch);
        }
        tracing::error!(path = %self.path.display(), error = %e, "cannot write to the state database");
        let damaged = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        );
        if batch.iter().any(|r| r.done.is_none()) {
            self.lost = Some(format!(
                "an earlier write to the state database failed ({e}); the steps since the last commit were not kept, and the recordings resume from their last committed step at the next start"
            ));
        }
        for req in &mut batch {
            req.answer(Err((e.to_string(), damaged)));
        }
        None
    }

    /// Why `e` pauses the writer: a full or read-only disk while pausing is on.
    fn pause_cause(&self, e: &rusqlite::Error) -> Option<pause::Cause> {
        if !self.pause.enabled() {
            return None;
        }
        // SAFETY: the handle is this thread's open connection; the call only reads its last errno.
        let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(self.conn.handle()) };
        pause::Cause::of_sqlite(e, errno)
    }

    /// Holds a batch the disk refused: takes in the requests that arrive meanwhile, tries them
    /// all again every `RETRY_HELD`, logs every `LOG_PAUSE_EVERY`, and answers once the commit
    /// goes through (or fails for another reason).
    fn hold(&mut self, mut batch: Vec<Req>, rx: &mpsc::Receiver<Req>) {
        let mut logged = Instant::now();
        loop {
            let due = Instant::now() + RETRY_HELD;
            let mut closed = false;
            while let Some(left) = due.checked_duration_since(Instant::now()) {
                match rx.recv_timeout(left) {
                    Ok(req) => batch.push(req),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            let Some(held) = self.commit(batch) else {
                if let Some(ended) = self.pause.clear() {
                    let secs = ended.since.elapsed().unwrap_or_default().as_secs();
                    tracing::info!(
                        paused_secs = secs,
                        "ingestion resumed: the state database takes writes again ({} is over)",
                        ended.cause.reason()
                    );
                }
                return;
            };
            batch = held;
            if closed {
                // Stopping: the steps that could not be written are not written; the recordings
                // resume from their last committed step at the next start.
                let why = self.pause.now().map(|p| p.describe()).unwrap_or_default();
                for req in &mut batch {
                    req.answer(Err((why.clone(), false)));
                }
                return;
            }
            if logged.elapsed() >= LOG_PAUSE_EVERY {
                logged = Instant::now();
                if let Some(p) = self.pause.now() {
                    tracing::warn!(
                        waiting_steps = batch.len(),
                        "ingestion still paused: {}",
                        p.describe()
                    );
                }
            }
        }
    }
}
