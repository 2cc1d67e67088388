//! The store: the state as one SQLite database, `state.db` in the state dir, written by one process.
//!
//! Every step of every recording is written by one writer thread, in order. A step that an
//! outside action waits on (`Event::needs_fsync`: the take request before the take is asked
//! for, the outcomes before they are reported) is committed with `synchronous = FULL` before
//! `record` returns, which makes every step before it durable too; the others are committed
//! at once with `synchronous = NORMAL` and made durable by the next full commit or a WAL
//! checkpoint within a second. Steps from concurrent recordings share one transaction (group
//! commit), and the steps of an upload and the take made (`Event::grouped`) are answered
//! before they are committed: they stay in an open transaction until the next other step, most
//! often the next durable take request, commits them all at once (or `GROUP_WINDOW` passes).
//! The take made is reported only once committed (`Store::record_grouped`). The steps of rig
//! recordings go through the same writer (`rigs`), each committed durably, a camera's join
//! in one commit with its own `Grouped` step. Only the
//! database holds recordings: "already done?" is an index lookup, so
//! memory and start-up do not grow with history.

#[cfg(any(test, feature = "testing"))]
mod bulk;
mod error;
mod folder;
mod import;
mod integrity;
mod json_paths;
mod lock;
mod lookups;
pub(crate) mod pause;
pub mod query;
mod recent;
pub(crate) mod requests;
mod rigs;
mod rows;
pub(crate) mod schema;
mod take_index;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::model::recording::Event;
use error::{WriteError, write_result};
use recent::Recent;
use writer::{Reply, Req, Writer};

#[cfg(any(test, feature = "testing"))]
pub use bulk::write_bulk;
pub use error::StoreError;
pub use folder::DoneInFolder;
#[cfg(any(test, feature = "testing"))]
pub use import::JournalState;
pub use import::{IMPORTED_SUFFIX, Imported, JOURNAL_FILE};
pub(crate) use lock::LOCK_FILE;
pub use lock::sync_dir;
pub use pause::{Cause, Pause, Paused};
pub use rigs::{RIGS_VERSION, RigView};
pub use schema::{DB_FILE, SCHEMA_VERSION};
pub use take_index::{IndexWriter, IndexedTake, TakeFile};

/// What opening found, for the start-up log line.
#[derive(Debug, Default, Clone)]
pub struct Opened {
    /// An old `journal.jsonl` imported by this open.
    pub imported: Option<Imported>,
    /// Recordings an earlier run left mid-way.
    pub unfinished: usize,
}

/// Resolves once a grouped step is committed (see `Store::record_grouped`).
pub struct Committed(Answer);

impl Committed {
    pub async fn wait(self) -> Result<(), StoreError> {
        self.0.get().await
    }
}

/// Resolves once a step sent by `Store::record_pending` is written (or refused).
#[must_use = "a step's failure to be written is only seen by awaiting it"]
pub struct Pending(Answer);

impl Pending {
    pub async fn written(self) -> Result<(), StoreError> {
        self.0.get().await
    }
}

/// The writer's answer to one request, still to come.
struct Answer {
    wait: oneshot::Receiver<Result<(), WriteError>>,
    path: PathBuf,
}

impl Answer {
    async fn get(self) -> Result<(), StoreError> {
        write_result(self.wait.await, &self.path)
    }
}

/// The open state: a reader for lookups and the writer thread that commits steps.
pub struct Store {
    tx: Mutex<Option<mpsc::Sender<Req>>>,
    /// The recordings the writer committed last (see `Recent`).
    recent: Arc<Mutex<Recent>>,
    /// The read-only connection every lookup and the operator's views use.
    reader: Mutex<query::Reader>,
    dir: PathBuf,
    path: PathBuf,
    writer: Option<std::thread::JoinHandle<()>>,
    check: Arc<integrity::Check>,
    /// Whether a full or read-only disk pauses the writer (in `run`), and whether it is paused.
    pause: Arc<Pause>,
    /// When this state began (ms since the epoch; see `take_index::watching_since`).
    watching_since_ms: i64,
    /// Held until the writer has stopped (dropped after it: fields drop in order).
    _lock: File,
}

impl Store {
    /// Locks the state dir, opens (creates, checks, migrates) `state.db`, imports an old
    /// `journal.jsonl` if there is one, and starts the writer.
    pub fn open(dir: &Path) -> Result<(Store, Opened), StoreError> {
        std::fs::create_dir_all(dir).map_err(StoreError::io("create the state dir", dir))?;
        let lock = lock::lock(dir)?;
        let path = dir.join(DB_FILE);
        let mut conn = schema::open_writer(&path)?;
        let check = integrity::Check::start(&path)?;
        // A small database is checked before the start goes on; an import waits for the check too.
        let within = (!dir.join(JOURNAL_FILE).exists()).then_some(CHECK_WAIT);
        match check.wait(within) {
            Some(verdict) => verdict?,
            None => tracing::info!(
                path = %path.display(),
                "checking the state database (PRAGMA quick_check) beside the start; no step is written before it passes"
            ),
        }
        let imported = import::import_journal(&mut conn, dir, &path)?;
        sync_dir(dir)?;
        let (read_conn, _) = schema::open_reader(&path)?;
        let reader = query::Reader {
            conn: read_conn,
            path: path.clone(),
            version: SCHEMA_VERSION,
        };
        let next_seq = rows::last_seq(&conn).map_err(StoreError::sql("read", &path))? + 1;
        let watching_since_ms = take_index::watching_since(&conn, &path)?;
        let (tx, rx) = mpsc::channel();
        let pause = Arc::new(Pause::default());
        let recent = Arc::new(Mutex::new(Recent::default()));
        let writer = Writer::new(
            conn,
            path.clone(),
            next_seq,
            recent.clone(),
            check.clone(),
            pause.clone(),
        );
        let writer = std::thread::Builder::new()
            .name("state".into())
            .spawn(move || writer.run(rx))
            .map_err(StoreError::io("start the state writer for", dir))?;
        let store = Store {
            tx: Mutex::new(Some(tx)),
            recent,
            reader: Mutex::new(reader),
            dir: dir.to_path_buf(),
            path,
            writer: Some(writer),
            check,
            pause,
            watching_since_ms,
            _lock: lock,
        };
        let unfinished = store.unfinished()?.len();
        Ok((
            store,
            Opened {
                imported,
                unfinished,
            },
        ))
    }

    /// Writes one step. A step an outside action waits on (`Event::needs_fsync`) is committed
    /// durably before this returns, and any other step is committed before it returns, except
    /// a grouped one (`Event::grouped`): that one is answered once written, is seen at once by
    /// `recording`, and reaches the other lookups with the commit that ends its group (the next
    /// other step, or `GROUP_WINDOW`).
    pub async fn record(&self, rec: &str, event: Event) -> Result<(), StoreError> {
        self.record_pending(rec, event)?.written().await
    }

    /// Sends one step like `record` and returns at once: the answer `record` waits for comes
    /// with `Pending::written`. For a caller with other work to do meanwhile (the next file's
    /// upload), which must await it before the recording is read again.
    pub fn record_pending(&self, rec: &str, event: Event) -> Result<Pending, StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Req {
            rec: rec.to_string(),
            event: Some(event),
            rig: None,
            done: Some(Reply::Async(done)),
            committed: None,
        })?;
        Ok(Pending(Answer {
            wait,
            path: self.path.clone(),
        }))
    }

    /// Sends a grouped step (`Event::grouped`) without waiting for the writer to take it: for
    /// a step that nothing reads before the recording's next awaited step, which the writer
    /// takes after it (one channel, in order). If it cannot be written, every later step is
    /// refused, as for a grouped step whose commit failed, and the recording resumes from its
    /// last committed step at the next start: nothing that depends on it happens meanwhile.
    pub fn record_unawaited(&self, rec: &str, event: Event) -> Result<(), StoreError> {
        debug_assert!(event.grouped(), "only a grouped step may go unawaited");
        self.send(Req {
            rec: rec.to_string(),
            event: Some(event),
            rig: None,
            done: None,
            committed: None,
        })
    }

    /// Writes one step like `record`, and also returns what resolves once it is committed:
    /// for a grouped step that the caller reports (the take made) only once it is on disk.
    pub async fn record_grouped(&self, rec: &str, event: Event) -> Result<Committed, StoreError> {
        let (done, wait) = oneshot::channel();
        let (committed, on_commit) = oneshot::channel();
        self.send(Req {
            rec: rec.to_string(),
            event: Some(event),
            rig: None,
            done: Some(Reply::Async(done)),
            committed: Some(committed),
        })?;
        write_result(wait.await, &self.path)?;
        Ok(Committed(Answer {
            wait: on_commit,
            path: self.path.clone(),
        }))
    }

    /// Makes every step written so far durable (the open group included): before a process
    /// reports what it did (`backfill`'s summary).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Req {
            rec: String::new(),
            event: None,
            rig: None,
            done: Some(Reply::Async(done)),
            committed: None,
        })?;
        write_result(wait.await, &self.path)
    }

    fn send(&self, req: Req) -> Result<(), StoreError> {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        tx.as_ref()
            .ok_or(StoreError::Closed)?
            .send(req)
            .map_err(|_| StoreError::Closed)
    }

    /// From now on a write that fails for lack of space or on a read-only file system is held
    /// and tried again every few seconds (`record` waits meanwhile) instead of failing: `run`.
    pub fn pause_when_full(&self) {
        self.pause.enable(&self.dir);
    }

    /// Whether the writer is paused on a full or read-only disk (see `pause_when_full`).
    pub fn pause(&self) -> &Arc<Pause> {
        &self.pause
    }

    /// The read-only view of this state (the same connection the lookups use).
    pub fn reader(&self) -> MutexGuard<'_, query::Reader> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves only if the start-up check of the database fails (it never resolves if it
    /// passes): the service stops with that error even when it has nothing to write.
    pub async fn check_failed(&self) -> StoreError {
        self.check.failed().await
    }

    /// Waits for the start-up check of the database and returns its verdict.
    pub fn checked(&self) -> Result<(), StoreError> {
        self.check.wait(None).unwrap_or(Ok(()))
    }

    /// When this state began (ms since the epoch): a recording it does not know whose files
    /// are newer was never sent by an earlier state, so its take is not looked for.
    pub fn watching_since_ms(&self) -> i64 {
        self.watching_since_ms
    }

    /// The state dir.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How long `Store::open` waits for the start-up check before it lets the start go on beside it.
const CHECK_WAIT: Duration = Duration::from_millis(300);

impl Drop for Store {
    fn drop(&mut self) {
        // Dropping the sender ends the writer thread once it has drained; wait for it, so the
        // lock is released only after the last commit.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
