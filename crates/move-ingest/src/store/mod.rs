//! The state: one SQLite database, `state.db` in the state dir, written by one process.
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
//! The take made is reported only once committed (`Store::record_grouped`). Only the
//! database holds recordings: "already done?" is an index lookup, so
//! memory and start-up do not grow with history.

mod check;
mod import;
pub mod pause;
pub mod query;
pub mod requests;
mod rows;
pub mod schema;
mod take_index;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use crate::model::id::RecordingId;
use crate::model::recording::{Event, Phase, Recording};

pub use import::{IMPORTED_SUFFIX, Imported, JOURNAL_FILE};
pub use pause::{Cause, Pause, Paused};
pub use schema::{DB_FILE, SCHEMA_VERSION};
pub use take_index::{IndexWriter, IndexedTake, TakeFile};

/// The state dir's lock file (it holds the pid of the process that has the lock).
pub(crate) const LOCK_FILE: &str = "lock";

/// A state failure: ingestion stops, nothing committed is lost.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot {op} {path}: {source}; check that the state dir exists, is writable and has free space"
    )]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot {op} {path}: {detail}; check that the state dir exists, is writable and has free space"
    )]
    Sql {
        op: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// As `Sql`, when SQLite said the disk is full or read-only.
    #[error(
        "cannot {op} {path}: {detail}; check that the state dir exists, is writable and has free space"
    )]
    Unwritable {
        op: &'static str,
        path: PathBuf,
        detail: String,
        cause: Cause,
    },
    #[error(
        "the state database {path} is damaged: {detail}. Move it aside (`mv {path} {path}.damaged`, with the service stopped) and start again: the next start rebuilds the state from the API; keep the damaged copy for a bug report"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the state database {path} has schema version {version}, newer than this move-ingest understands ({SCHEMA_VERSION}); run the newer release, or restore a backup made by this one"
    )]
    TooNew { path: PathBuf, version: u32 },
    #[error(
        "another move-ingest{pid} is using the state dir {dir}; stop it first (e.g. `systemctl stop move-ingest`), or give this one its own state.dir"
    )]
    Locked { dir: PathBuf, pid: String },
    #[error("the state writer has stopped")]
    Closed,
}

impl StoreError {
    fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
        move |source| StoreError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    fn sql<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
        move |e| {
            use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
            match e.sqlite_error_code() {
                // Damage found after the start-up check still names the file and the way out.
                Some(DatabaseCorrupt | NotADatabase) => StoreError::damaged(path, e),
                _ if let Some(cause) = Cause::of_sqlite(&e, 0) => StoreError::Unwritable {
                    op,
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                    cause,
                },
                _ => StoreError::Sql {
                    op,
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                },
            }
        }
    }

    /// Whether this failure is a full or read-only disk (which `run` waits out).
    pub fn disk_cause(&self) -> Option<Cause> {
        match self {
            StoreError::Io { source, .. } => Cause::of_errno(source.raw_os_error()?),
            StoreError::Unwritable { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    fn damaged(path: &Path, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Damaged {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }
}

/// What opening found, for the start-up log line.
#[derive(Debug, Default, Clone)]
pub struct Opened {
    /// An old `journal.jsonl` imported by this open.
    pub imported: Option<Imported>,
    /// Recordings an earlier run left mid-way.
    pub unfinished: usize,
}

/// Why a commit failed: the message, and whether SQLite found the file damaged.
type WriteError = (String, bool);

struct Req {
    rec: String,
    /// `None`: no step, only a durable commit of what is written (`Store::flush`).
    event: Option<Event>,
    /// Taken when the step is answered (a grouped step is answered before it is committed).
    done: Option<oneshot::Sender<Result<(), WriteError>>>,
    /// Told when the step is committed, for a caller that reports it only then
    /// (`Store::record_grouped`).
    committed: Option<oneshot::Sender<Result<(), WriteError>>>,
}

impl Req {
    /// Whether this must be on disk before it is answered (a flush always is).
    fn needs_fsync(&self) -> bool {
        self.event.as_ref().is_none_or(Event::needs_fsync)
    }

    /// Written into the open group: answered, not yet committed.
    fn written(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(Ok(()));
        }
    }

    /// Committed (or failed for good).
    fn answer(&mut self, result: Result<(), WriteError>) {
        if let Some(done) = self.done.take() {
            let _ = done.send(result.clone());
        }
        if let Some(committed) = self.committed.take() {
            let _ = committed.send(result);
        }
    }
}

/// Resolves once a grouped step is committed (see `Store::record_grouped`).
pub struct Committed {
    wait: oneshot::Receiver<Result<(), WriteError>>,
    path: PathBuf,
}

impl Committed {
    pub async fn wait(self) -> Result<(), StoreError> {
        write_result(self.wait.await, &self.path)
    }
}

fn write_result(
    answer: Result<Result<(), WriteError>, oneshot::error::RecvError>,
    path: &Path,
) -> Result<(), StoreError> {
    answer
        .map_err(|_| StoreError::Closed)?
        .map_err(|(detail, damaged)| {
            if damaged {
                StoreError::damaged(path, detail)
            } else {
                StoreError::Sql {
                    op: "write a step to",
                    path: path.to_path_buf(),
                    detail,
                }
            }
        })
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
    check: Arc<check::Check>,
    /// Whether a full or read-only disk pauses the writer (in `run`), and whether it is paused.
    pause: Arc<Pause>,
    /// Held until the writer has stopped (dropped after it: fields drop in order).
    _lock: File,
}

impl Store {
    /// Locks the state dir, opens (creates, checks, migrates) `state.db`, imports an old
    /// `journal.jsonl` if there is one, and starts the writer.
    pub fn open(dir: &Path) -> Result<(Store, Opened), StoreError> {
        std::fs::create_dir_all(dir).map_err(StoreError::io("create the state dir", dir))?;
        let lock = lock(dir)?;
        let path = dir.join(DB_FILE);
        let mut conn = schema::open_writer(&path)?;
        let check = check::Check::start(&path)?;
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
        let (tx, rx) = mpsc::channel();
        let pause = Arc::new(Pause::default());
        let recent = Arc::new(Mutex::new(Recent::default()));
        let writer = Writer {
            recent: recent.clone(),
            pause: pause.clone(),
            sync_failed_logged: None,
            check: check.clone(),
            damaged: None,
            lost: None,
            checked: false,
            conn,
            path: path.clone(),
            next_seq,
            open_seq: next_seq,
            group: Vec::new(),
            group_since: Instant::now(),
            full: true,
            unsynced: false,
            unsynced_since: Instant::now(),
        };
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
        let (done, wait) = oneshot::channel();
        self.send(Req {
            rec: rec.to_string(),
            event: Some(event),
            done: Some(done),
            committed: None,
        })?;
        write_result(wait.await, &self.path)
    }

    /// Writes one step like `record`, and also returns what resolves once it is committed:
    /// for a grouped step that the caller reports (the take made) only once it is on disk.
    pub async fn record_grouped(&self, rec: &str, event: Event) -> Result<Committed, StoreError> {
        let (done, wait) = oneshot::channel();
        let (committed, on_commit) = oneshot::channel();
        self.send(Req {
            rec: rec.to_string(),
            event: Some(event),
            done: Some(done),
            committed: Some(committed),
        })?;
        write_result(wait.await, &self.path)?;
        Ok(Committed {
            wait: on_commit,
            path: self.path.clone(),
        })
    }

    /// Makes every step written so far durable (the open group included): before a process
    /// reports what it did (`backfill`'s summary).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.send(Req {
            rec: String::new(),
            event: None,
            done: Some(done),
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

    /// One recording by id (a recording the writer has just written is not read back).
    pub fn recording(&self, id: &str) -> Result<Option<Recording>, StoreError> {
        if let Some(r) = lock_recent(&self.recent).get(id) {
            return Ok(Some(r.1.clone()));
        }
        rows::by_id(&self.reader().conn, id).map_err(StoreError::sql("read", &self.path))
    }

    /// The newest recording for a folder and stem (an index lookup).
    pub fn latest(&self, dir: &Path, stem: &str) -> Result<Option<Recording>, StoreError> {
        rows::latest(&self.reader().conn, dir, stem).map_err(StoreError::sql("read", &self.path))
    }

    /// Whether the newest recording for a folder and stem is done with exactly these file
    /// versions (see `rows::done_unchanged`): one index lookup, no recording parsed.
    pub fn done_unchanged(
        &self,
        dir: &Path,
        stem: &str,
        video: Option<&crate::model::facts::Facts>,
        sidecar: Option<&crate::model::facts::Facts>,
    ) -> Result<bool, StoreError> {
        rows::done_unchanged(&self.reader().conn, dir, stem, video, sidecar)
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The newest recording that uploaded a file with this name, size and SHA-256 (an index
    /// lookup): "is this file already done?" when its folder or inode no longer tell.
    pub fn by_content(
        &self,
        name: &str,
        size: u64,
        sha256: &str,
    ) -> Result<Option<Recording>, StoreError> {
        rows::by_content(&self.reader().conn, name, size, sha256)
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The recordings an earlier run left mid-way (queued, uploading, take requested,
    /// retrying), to resume.
    pub fn unfinished(&self) -> Result<Vec<RecordingId>, StoreError> {
        let reader = self.reader();
        let conn = &reader.conn;
        let mut ids = Vec::new();
        for phase in Phase::IN_FLIGHT {
            ids.extend(
                rows::ids_in_phase(conn, phase.as_str())
                    .map_err(StoreError::sql("read", &self.path))?,
            );
        }
        Ok(ids)
    }

    /// The recordings whose `[after_take]` step is still to run or finish (see
    /// `rows::after_take_due`), oldest first.
    pub fn after_take_due(&self, every_take: bool) -> Result<Vec<RecordingId>, StoreError> {
        rows::after_take_due(&self.reader().conn, every_take)
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The recordings whose processing job is wanted and not ended, with the time of each
    /// one's next poll (`None`: not asked for yet), soonest first (see `rows::jobs_active`).
    pub fn jobs_active(&self) -> Result<Vec<(RecordingId, Option<i64>)>, StoreError> {
        rows::jobs_active(&self.reader().conn).map_err(StoreError::sql("read", &self.path))
    }

    /// The newest recording whose take is `take_id`.
    pub fn by_take(&self, take_id: &str) -> Result<Option<Recording>, StoreError> {
        rows::by_take(&self.reader().conn, take_id).map_err(StoreError::sql("read", &self.path))
    }

    /// The failed recordings, oldest first.
    pub fn failed(&self) -> Result<Vec<RecordingId>, StoreError> {
        rows::ids_in_phase(&self.reader().conn, Phase::Failed.as_str())
            .map_err(StoreError::sql("read", &self.path))
    }

    /// The recordings waiting after a transient failure, oldest first.
    pub fn retrying(&self) -> Result<Vec<RecordingId>, StoreError> {
        rows::ids_in_phase(&self.reader().conn, Phase::Retrying.as_str())
            .map_err(StoreError::sql("read", &self.path))
    }

    /// How many recordings are in `phase` (an index count).
    pub fn count(&self, phase: Phase) -> Result<u64, StoreError> {
        self.reader().count(phase)
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

/// Writes many recordings, each with its steps, straight into a state dir's database in one
/// transaction (the lock held meanwhile). For benchmarks and tests that need a big state
/// without ingesting it; steps are numbered after the ones already there.
pub fn write_bulk(
    dir: &Path,
    recordings: impl IntoIterator<Item = (Recording, Vec<Event>)>,
) -> Result<usize, StoreError> {
    std::fs::create_dir_all(dir).map_err(StoreError::io("create the state dir", dir))?;
    let _lock = lock(dir)?;
    let path = dir.join(DB_FILE);
    let mut conn = schema::open_writer(&path)?;
    let err = StoreError::sql("write", &path);
    let write = |conn: &mut Connection| -> rusqlite::Result<usize> {
        let mut seq = rows::last_seq(conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut n = 0;
        for (mut rec, steps) in recordings {
            let first = seq + 1;
            seq += steps.len().max(1) as u64;
            rec.seq = seq;
            let rid = rows::save(&tx, &rec)?;
            for (i, event) in steps.iter().enumerate() {
                rows::insert_step(&tx, first + i as u64, rid, &rec.updated, event)?;
            }
            n += 1;
        }
        tx.commit()?;
        Ok(n)
    };
    write(&mut conn).map_err(err)
}

/// Takes the state dir's exclusive lock and writes our pid into the lock file.
fn lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(StoreError::io("open", &path))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() {
                String::new()
            } else {
                format!(" (pid {pid})")
            };
            return Err(StoreError::Locked {
                dir: dir.to_path_buf(),
                pid,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io("lock", &path)(e)),
    }
    f.set_len(0).map_err(StoreError::io("write", &path))?;
    writeln!(f, "{}", std::process::id()).map_err(StoreError::io("write", &path))?;
    Ok(f)
}

/// fsyncs a directory, so that a file created or renamed in it survives power loss.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync the directory", dir))
}

/// How long `Store::open` waits for the start-up check before it lets the start go on beside it.
const CHECK_WAIT: Duration = Duration::from_millis(300);

/// Steps that need no fsync of their own are made durable with the next one that does, or after this long.
const LAZY_SYNC_AFTER: Duration = Duration::from_secs(1);

/// How often a write held on a full or read-only disk is tried again.
const RETRY_HELD: Duration = Duration::from_secs(5);
/// How often a pause is logged while it lasts.
const LOG_PAUSE_EVERY: Duration = Duration::from_secs(60);

/// How many recordings `Recent` keeps (besides those of the open group, which stay until it is
/// committed).
const RECENT: usize = 128;

/// How long a grouped step (`Event::grouped`) may wait for the commit that takes it to disk
/// when no other step comes to end the group.
const GROUP_WINDOW: Duration = Duration::from_millis(100);

/// The recordings the writer wrote last, each with its row id: the next step of one is applied
/// without reading its row back, and `Store::recording` answers from here. An entry is put
/// here once its step is written: committed, or (pinned) in the open group transaction, whose
/// entries are dropped if it rolls back, so that this never shows what the database will not
/// hold. Every change to a recording's row goes through `write_step`; a write that changes one
/// in any other way must remove it from here. Bounded: the least recently written committed
/// entries go first.
#[derive(Default)]
struct Recent {
    map: HashMap<String, Entry>,
    stamp: u64,
}

struct Entry {
    stamp: u64,
    rid: i64,
    rec: Recording,
    /// Written in the open transaction, not yet committed.
    pinned: bool,
}

impl Recent {
    /// The row id and state of a recording written lately.
    fn get(&self, id: &str) -> Option<(i64, &Recording)> {
        self.map.get(id).map(|e| (e.rid, &e.rec))
    }

    fn put(&mut self, id: String, rid: i64, rec: Recording, pinned: bool) {
        self.stamp += 1;
        let stamp = self.stamp;
        self.map.insert(
            id,
            Entry {
                stamp,
                rid,
                rec,
                pinned,
            },
        );
        while self.map.len() > RECENT {
            let oldest = self
                .map
                .iter()
                .filter(|(_, e)| !e.pinned)
                .min_by_key(|(_, e)| e.stamp)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.map.remove(&k),
                None => break,
            };
        }
    }

    /// The open transaction committed: its entries are what the database holds.
    fn unpin(&mut self) {
        self.map.values_mut().for_each(|e| e.pinned = false);
    }

    /// The open transaction rolled back: its entries are not what the database holds.
    fn drop_pinned(&mut self) {
        self.map.retain(|_, e| !e.pinned);
    }
}

fn lock_recent(recent: &Mutex<Recent>) -> MutexGuard<'_, Recent> {
    recent.lock().unwrap_or_else(|p| p.into_inner())
}

/// The writer thread: takes every waiting request and writes them in one transaction. A batch
/// of grouped steps only (`Event::grouped`) is answered once written and left in the open
/// transaction, which the next other step (or `GROUP_WINDOW`) commits; any other batch is
/// committed before it is answered.
struct Writer {
    /// The recordings written last (shared with `Store::recording`).
    recent: Arc<Mutex<Recent>>,
    /// The start-up check: nothing is committed before it passes.
    check: Arc<check::Check>,
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
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Req>) {
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
        let grouped = batch
            .iter()
            .all(|r| r.event.as_ref().is_some_and(Event::grouped));
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
        }
        let t = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
        let mut written = HashMap::new();
        let mut seq = self.next_seq;
        let result = batch.iter().try_for_each(|req| {
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
        let wrote = self.next_seq != self.open_seq;
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
    fn failed(&mut self, batch: Vec<Req>, e: rusqlite::Error, rx: &mpsc::Receiver<Req>) {
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

/// Applies one step to its recording and writes both; `false` if the step was for an unknown
/// recording (ignored, as replaying a damaged journal did). The recording is taken from
/// `written` (this transaction's), else `recent`, else read; it ends in `written`.
fn write_step(
    conn: &Connection,
    recent: &Mutex<Recent>,
    written: &mut HashMap<String, (i64, Recording)>,
    seq: u64,
    t: &str,
    rec: &str,
    event: &Event,
) -> rusqlite::Result<bool> {
    let known = match written.remove(rec) {
        Some(w) => Some(w),
        None => {
            let cached = lock_recent(recent)
                .get(rec)
                .map(|(rid, r)| (rid, r.clone()));
            match cached {
                Some(c) => Some(c),
                None => rows::by_id_with_rid(conn, rec)?,
            }
        }
    };
    let (rid, recording) = match known {
        Some((rid, mut r)) => {
            let before = rows::upload_rows(&r)
                .map(|u| u.map(|(n, s, h, f)| (n.to_string(), s, h.to_string(), f.to_string())));
            r.apply(seq, t, event.clone());
            let after = rows::upload_rows(&r);
            let changed = [0, 1].map(|i| match (&before[i], &after[i]) {
                (None, None) => false,
                (Some((n, s, h, f)), Some((n2, s2, h2, f2))) => {
                    n != n2 || s != s2 || h != h2 || f != f2
                }
                _ => true,
            });
            let saved = rows::save_row(conn, &r, Some(rid), changed)?;
            debug_assert_eq!(saved, rid);
            (saved, r)
        }
        None => match Recording::discovered(rec, seq, t, event.clone()) {
            Some(r) => (rows::save(conn, &r)?, r),
            None => {
                tracing::warn!(rec, "a step for an unknown recording; ignored");
                return Ok(false);
            }
        },
    };
    rows::insert_step(conn, seq, rid, t, event)?;
    written.insert(rec.to_string(), (rid, recording));
    Ok(true)
}

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
