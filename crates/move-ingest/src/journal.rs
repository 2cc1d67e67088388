//! The crash-safe journal: append-only JSON lines in the state dir, replayed at start,
//! compacted when history outgrows live state.
//!
//! Every step is written at once and in order by one writer thread. A step that an outside
//! action waits on (`Event::needs_fsync`) is fsynced before `record` returns, which makes every
//! step before it durable too; the others ride along with the next fsync (or one within a
//! second). Appends from concurrent recordings share one fsync (group commit).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::state::{Event, State};

/// The journal's format version, written on every line.
pub const FORMAT_VERSION: u32 = 2;
/// The journal file inside the state dir.
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// The temp file a compaction writes before renaming it over the journal.
pub const COMPACT_FILE: &str = "journal.jsonl.compact";
const LOCK_FILE: &str = "lock";

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub v: u32,
    pub seq: u64,
    pub t: String,
    pub rec: String,
    #[serde(rename = "ev")]
    pub event: Event,
}

impl Entry {
    /// Parses one line: the current format, else format 1 (the step's name in `ev` and its
    /// fields beside it), so journals written by older versions still load.
    pub fn parse(line: &[u8]) -> Option<Entry> {
        if let Ok(e) = serde_json::from_slice::<Entry>(line) {
            return Some(e);
        }
        let serde_json::Value::Object(mut map) = serde_json::from_slice(line).ok()? else {
            return None;
        };
        let mut take = |k: &str| map.remove(k);
        let (v, seq, t, rec) = (take("v")?, take("seq")?, take("t")?, take("rec")?);
        let step = take("ev")?.as_str()?.to_string();
        let event = if map.is_empty() && step == "requeued" {
            serde_json::Value::String(step)
        } else {
            serde_json::json!({ step: map })
        };
        Some(Entry {
            v: serde_json::from_value(v).ok()?,
            seq: seq.as_u64()?,
            t: t.as_str()?.to_string(),
            rec: rec.as_str()?.to_string(),
            event: serde_json::from_value(event).ok()?,
        })
    }
}

/// A journal failure: ingestion stops, nothing journaled is lost.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "cannot {op} {path}: {source}; check that the state dir exists, is writable and has free space"
    )]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "another move-ingest{pid} is using the state dir {dir}; stop it first (e.g. `systemctl stop move-ingest`), or give this one its own state.dir"
    )]
    Locked { dir: PathBuf, pid: String },
    #[error("the journal writer has stopped")]
    Closed,
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> JournalError + 'a {
    move |source| JournalError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// What replay found, for the start-up log line.
#[derive(Debug, Default, Clone)]
pub struct Replay {
    pub entries: u64,
    pub recordings: usize,
    pub torn_tail: bool,
    pub skipped_lines: u64,
    pub compact_pending: bool,
}

/// Reads a journal into a `State` (no lock; `status` uses this while a service runs).
pub fn read(dir: &Path) -> Result<(State, Replay), JournalError> {
    let path = dir.join(JOURNAL_FILE);
    let mut state = State::default();
    let mut replay = Replay::default();
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((state, replay)),
        Err(e) => return Err(io("read", &path)(e)),
    };
    replay_into(
        BufReader::with_capacity(1 << 20, file),
        &path,
        &mut state,
        &mut replay,
    )?;
    replay.recordings = state.len();
    Ok((state, replay))
}

/// Replays lines; returns the byte length of the good prefix (a torn tail is not part of it).
fn replay_into(
    mut r: impl BufRead,
    path: &Path,
    state: &mut State,
    replay: &mut Replay,
) -> Result<u64, JournalError> {
    let mut good_len = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line).map_err(io("read", path))?;
        if n == 0 {
            return Ok(good_len);
        }
        let complete = line.ends_with(b"\n");
        match Entry::parse(&line).ok_or(()) {
            Ok(e) if complete => {
                state.apply(e.seq, &e.t, &e.rec, e.event);
                replay.entries += 1;
                good_len += n as u64;
            }
            _ if !complete => {
                tracing::warn!(path = %path.display(), bytes = n, "dropping a torn last journal line (a crash while it was written)");
                replay.torn_tail = true;
                return Ok(good_len);
            }
            Ok(_) | Err(_) => {
                tracing::warn!(path = %path.display(), offset = good_len, "skipping an unreadable journal line");
                replay.skipped_lines += 1;
                good_len += n as u64;
            }
        }
    }
}

struct Req {
    rec: String,
    event: Event,
    done: oneshot::Sender<Result<(), String>>,
}

/// The open journal: its state in memory and the writer that appends to it.
pub struct Ledger {
    tx: Mutex<Option<mpsc::Sender<Req>>>,
    state: Arc<Mutex<State>>,
    dir: PathBuf,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Held until the writer has stopped (dropped after it: fields drop in order).
    _lock: File,
}

impl Ledger {
    /// Locks the state dir, replays the journal (dropping a torn tail), compacts it when
    /// history far outweighs live state, and starts the writer.
    pub fn open(dir: &Path) -> Result<(Ledger, Replay), JournalError> {
        Ledger::open_compacting_at(dir, COMPACT_MIN_BYTES)
    }

    /// `open`, compacting while running once the journal passes `compact_min` bytes (tests use a small one).
    pub fn open_compacting_at(
        dir: &Path,
        compact_min: u64,
    ) -> Result<(Ledger, Replay), JournalError> {
        std::fs::create_dir_all(dir).map_err(io("create the state dir", dir))?;
        let lock = lock(dir)?;
        let path = dir.join(JOURNAL_FILE);
        // A compaction that never reached its rename left only a temp file: the journal is intact.
        let _ = std::fs::remove_file(dir.join(COMPACT_FILE));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io("open", &path))?;
        let mut state = State::default();
        let mut replay = Replay::default();
        let good = replay_into(
            BufReader::with_capacity(1 << 20, &mut file),
            &path,
            &mut state,
            &mut replay,
        )?;
        if replay.torn_tail {
            file.set_len(good)
                .map_err(io("truncate the torn tail of", &path))?;
            file.sync_all().map_err(io("fsync", &path))?;
        }
        sync_dir(dir)?;
        replay.recordings = state.len();
        // History that far outweighs live state is compacted by the writer once the journal is
        // idle (after start-up), so it does not delay being ready.
        let compact_when_idle = should_compact(good, replay.entries, state.len(), compact_min);
        replay.compact_pending = compact_when_idle;
        let base_len = file.seek(SeekFrom::End(0)).map_err(io("seek", &path))?;
        let next_seq = state.last_seq + 1;
        let state = Arc::new(Mutex::new(state));
        let (tx, rx) = mpsc::channel();
        let writer = Writer {
            file,
            dir: dir.to_path_buf(),
            path,
            state: state.clone(),
            next_seq,
            base_len,
            compact_min,
            compact_when_idle,
            unsynced: false,
            unsynced_since: std::time::Instant::now(),
        };
        let writer = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || writer.run(rx))
            .map_err(io("start the journal writer for", dir))?;
        Ok((
            Ledger {
                tx: Mutex::new(Some(tx)),
                state,
                dir: dir.to_path_buf(),
                writer: Some(writer),
                _lock: lock,
            },
            replay,
        ))
    }

    /// Appends one step durably (written and fsynced); it is applied to the state before this returns.
    pub async fn record(&self, rec: &str, event: Event) -> Result<(), JournalError> {
        let (done, wait) = oneshot::channel();
        let req = Req {
            rec: rec.to_string(),
            event,
            done,
        };
        {
            let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
            tx.as_ref()
                .ok_or(JournalError::Closed)?
                .send(req)
                .map_err(|_| JournalError::Closed)?;
        }
        wait.await
            .map_err(|_| JournalError::Closed)?
            .map_err(|msg| JournalError::Io {
                op: "append to",
                path: self.dir.join(JOURNAL_FILE),
                source: std::io::Error::other(msg),
            })
    }

    /// Reads the state.
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock_state(&self.state)
    }

    /// The state dir.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn lock_state(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes the state dir's exclusive lock and writes our pid into the lock file.
fn lock(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join(LOCK_FILE);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io("open", &path))?;
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
            return Err(JournalError::Locked {
                dir: dir.to_path_buf(),
                pid,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io("lock", &path)(e)),
    }
    f.set_len(0).map_err(io("write", &path))?;
    writeln!(f, "{}", std::process::id()).map_err(io("write", &path))?;
    Ok(f)
}

/// fsyncs a directory, so that a file created or renamed in it survives power loss.
pub fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("fsync the directory", dir))
}

/// Steps that need no fsync of their own are fsynced with the next one that does, or after this long.
const LAZY_SYNC_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Below this size the journal is never compacted.
const COMPACT_MIN_BYTES: u64 = 4 << 20;

fn should_compact(bytes: u64, entries: u64, live: usize, min_bytes: u64) -> bool {
    bytes > min_bytes && entries > 4 * live as u64
}

/// Rewrites the journal as one snapshot line per recording: temp file, fsync, rename, fsync dir.
pub fn compact(dir: &Path, state: &State) -> Result<File, JournalError> {
    let tmp = dir.join(COMPACT_FILE);
    let path = dir.join(JOURNAL_FILE);
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io("create", &tmp))?);
    let mut recs: Vec<_> = state.recordings().collect();
    recs.sort_by_key(|r| r.seq);
    for r in recs {
        let entry = Entry {
            v: FORMAT_VERSION,
            seq: r.seq,
            t: r.updated.clone(),
            rec: r.id.to_string(),
            event: Event::Snapshot {
                recording: Box::new(r.clone()),
            },
        };
        serde_json::to_writer(&mut out, &entry).map_err(|e| io("write", &tmp)(e.into()))?;
        out.write_all(b"\n").map_err(io("write", &tmp))?;
    }
    let file = out
        .into_inner()
        .map_err(|e| io("write", &tmp)(e.into_error()))?;
    file.sync_all().map_err(io("fsync", &tmp))?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(io("rename the compacted journal over", &path))?;
    sync_dir(dir)?;
    tracing::info!(path = %path.display(), recordings = state.len(), "compacted the journal");
    OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io("open", &path))
}

/// The writer thread: takes every waiting request, writes them, fsyncs once, applies them to
/// the state, then answers all. Compacts the journal when its history outgrows live state.
struct Writer {
    file: File,
    dir: PathBuf,
    path: PathBuf,
    state: Arc<Mutex<State>>,
    next_seq: u64,
    /// The journal's length after the last compaction (or at start).
    base_len: u64,
    /// Below this length the journal is never compacted.
    compact_min: u64,
    /// The journal replayed at start is mostly history: compact at the first idle moment.
    compact_when_idle: bool,
    /// Steps are written but not yet fsynced (only those that no outside action waits on).
    unsynced: bool,
    unsynced_since: std::time::Instant,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Req>) {
        let mut buf = Vec::with_capacity(64 << 10);
        loop {
            let first = if self.unsynced || self.compact_when_idle {
                match rx.recv_timeout(LAZY_SYNC_AFTER) {
                    Ok(req) => req,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if self.unsynced {
                            self.sync();
                        }
                        if self.compact_when_idle {
                            self.compact_now();
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(req) => req,
                    Err(_) => break,
                }
            };
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
                if batch.len() >= 1024 {
                    break;
                }
            }
            self.commit(batch, &mut buf);
            self.maybe_compact();
        }
        if self.unsynced {
            self.sync();
        }
        if self.compact_when_idle {
            self.compact_now();
        }
    }

    /// fsyncs steps written without waiting for it.
    fn sync(&mut self) {
        match self.file.sync_data() {
            Ok(()) => self.unsynced = false,
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, "cannot fsync the journal")
            }
        }
    }

    fn commit(&mut self, batch: Vec<Req>, buf: &mut Vec<u8>) {
        let t = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
        buf.clear();
        let mut written = Vec::with_capacity(batch.len());
        let mut seq = self.next_seq;
        for req in batch {
            let entry = Entry {
                v: FORMAT_VERSION,
                seq,
                t: t.clone(),
                rec: req.rec,
                event: req.event,
            };
            let len = buf.len();
            match serde_json::to_writer(&mut *buf, &entry) {
                Ok(()) => {
                    buf.push(b'\n');
                    seq += 1;
                    written.push((req.done, entry));
                }
                Err(e) => {
                    buf.truncate(len);
                    let _ = req
                        .done
                        .send(Err(format!("cannot encode a journal line: {e}")));
                }
            }
        }
        let durable = written.iter().any(|(_, e)| e.event.needs_fsync())
            || self.unsynced && self.unsynced_since.elapsed() >= LAZY_SYNC_AFTER;
        let before = self.file.metadata().map(|m| m.len()).ok();
        let result = self.file.write_all(buf).and_then(|()| {
            if durable {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = result {
            // Cut back whatever part of the batch reached the file, so no torn line stays mid-journal.
            if let Some(len) = before {
                let _ = self.file.set_len(len);
            }
            tracing::error!(path = %self.path.display(), error = %e, "cannot append to the journal");
            for (done, _) in written {
                let _ = done.send(Err(e.to_string()));
            }
            return;
        }
        self.next_seq = seq;
        if durable {
            self.unsynced = false;
        } else if !self.unsynced {
            self.unsynced = true;
            self.unsynced_since = std::time::Instant::now();
        }
        // Applied before anyone hears of it, so a compaction never misses a written step.
        let mut state = lock_state(&self.state);
        let mut acks = Vec::with_capacity(written.len());
        for (done, entry) in written {
            state.apply(entry.seq, &entry.t, &entry.rec, entry.event);
            acks.push(done);
        }
        drop(state);
        for done in acks {
            let _ = done.send(Ok(()));
        }
    }

    /// Compacts once the journal is over 4 MiB and four times what the last compaction left.
    fn maybe_compact(&mut self) {
        let len = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        if len <= self.compact_min || len <= self.base_len.saturating_mul(4) {
            return;
        }
        self.compact_now();
    }

    /// Rewrites the journal from the state (see `compact`); on failure the old journal stays.
    fn compact_now(&mut self) {
        self.compact_when_idle = false;
        let len = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        let state = lock_state(&self.state);
        match compact(&self.dir, &state) {
            Ok(file) => {
                self.file = file;
                self.base_len = self.file.metadata().map(|m| m.len()).unwrap_or(len);
            }
            Err(e) => {
                // The old journal is intact; try again after the next batch has grown it further.
                tracing::warn!(error = %e, "cannot compact the journal; it keeps growing until this is fixed");
                self.base_len = len;
            }
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        // Dropping the sender ends the writer thread once it has drained; wait for it, so the
        // lock is released only after the last write (or compaction) is done.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
