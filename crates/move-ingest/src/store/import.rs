//! The upgrade from the JSON-lines journal of earlier releases (formats 1 and 2): replayed
//! once, written to the database in one transaction, then renamed `journal.jsonl.imported`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::Deserialize;

use super::{StoreError, rows};
use crate::model::id::RecordingId;
use crate::model::recording::{Event, Recording};

/// The journal file of earlier releases.
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// What the journal is renamed to once imported (kept: it is the evidence of the upgrade).
pub const IMPORTED_SUFFIX: &str = ".imported";
const META_KEY: &str = "journal_imported";

/// What an import found.
#[derive(Debug, Default, Clone)]
pub struct Imported {
    pub entries: u64,
    pub recordings: usize,
    pub skipped_lines: u64,
    pub torn_tail: bool,
}

/// One line of an old journal.
#[derive(Debug, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub t: String,
    pub rec: String,
    #[serde(rename = "ev")]
    pub event: Event,
}

impl Entry {
    /// Parses one line: format 2, else format 1 (the step's name in `ev` and its fields beside it).
    pub fn parse(line: &[u8]) -> Option<Entry> {
        if let Ok(e) = serde_json::from_slice::<Entry>(line) {
            return Some(e);
        }
        let serde_json::Value::Object(mut map) = serde_json::from_slice(line).ok()? else {
            return None;
        };
        let mut take = |k: &str| map.remove(k);
        let (seq, t, rec) = (take("seq")?, take("t")?, take("rec")?);
        take("v");
        let step = take("ev")?.as_str()?.to_string();
        let event = if map.is_empty() && step == "requeued" {
            serde_json::Value::String(step)
        } else {
            serde_json::json!({ step: map })
        };
        Some(Entry {
            seq: seq.as_u64()?,
            t: t.as_str()?.to_string(),
            rec: rec.as_str()?.to_string(),
            event: serde_json::from_value(event).ok()?,
        })
    }
}

/// A whole journal replayed in memory: only the import of an old `journal.jsonl` uses it.
#[derive(Debug, Default)]
pub struct JournalState {
    recordings: HashMap<RecordingId, Recording>,
    /// The highest sequence number applied.
    pub last_seq: u64,
}

impl JournalState {
    /// Applies one journaled step. Steps for unknown recordings (other than the ones that
    /// create a recording) are ignored, so a damaged journal never stops an import.
    pub fn apply(&mut self, seq: u64, time: &str, rec: &str, event: Event) {
        self.last_seq = self.last_seq.max(seq);
        if let Some(r) = self.recordings.get_mut(rec) {
            return r.apply(seq, time, event);
        }
        let created = match event {
            Event::Snapshot { recording } => Some(*recording),
            other => Recording::discovered(rec, seq, time, other),
        };
        if let Some(r) = created {
            self.recordings.insert(r.id.clone(), r);
        }
    }

    /// Every recording, in no particular order.
    pub fn recordings(&self) -> impl Iterator<Item = &Recording> {
        self.recordings.values()
    }

    /// How many recordings there are.
    fn len(&self) -> usize {
        self.recordings.len()
    }
}

/// Imports `journal.jsonl` if the state dir has one: all of it in one transaction, then the rename.
pub fn import_journal(
    conn: &mut Connection,
    dir: &Path,
    db: &Path,
) -> Result<Option<Imported>, StoreError> {
    let journal = dir.join(JOURNAL_FILE);
    if !journal.exists() {
        return Ok(None);
    }
    let done: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [META_KEY], |r| {
            r.get(0)
        })
        .optional()
        .map_err(StoreError::sql("read", db))?;
    if done.is_some() {
        // Imported, but the rename did not happen (a stop in between): only the rename is left.
        rename_imported(dir, &journal)?;
        return Ok(None);
    }
    let (state, entries, mut report) = read(&journal)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::sql("import the journal into", db))?;
    let write = || -> rusqlite::Result<()> {
        let mut rids = HashMap::with_capacity(state.len());
        for r in state.recordings() {
            rids.insert(r.id.as_str(), rows::save(&tx, r)?);
        }
        for e in &entries {
            if let Some(rid) = rids.get(e.rec.as_str()) {
                rows::insert_step(&tx, e.seq, *rid, &e.t, &e.event)?;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            [
                META_KEY,
                &format!("{} entries, {} recordings", entries.len(), state.len()),
            ],
        )?;
        Ok(())
    };
    write().map_err(StoreError::sql("import the journal into", db))?;
    tx.commit()
        .map_err(StoreError::sql("import the journal into", db))?;
    rename_imported(dir, &journal)?;
    report.recordings = state.len();
    tracing::info!(journal = %journal.display(), entries = report.entries, recordings = report.recordings, "imported the old journal into the state database");
    Ok(Some(report))
}

fn rename_imported(dir: &Path, journal: &Path) -> Result<(), StoreError> {
    let to = dir.join(format!("{JOURNAL_FILE}{IMPORTED_SUFFIX}"));
    std::fs::rename(journal, &to)
        .map_err(StoreError::io("rename the imported journal", journal))?;
    super::sync_dir(dir)
}

/// Replays a journal: the recordings, the entries (the steps' history), and what was skipped.
fn read(path: &Path) -> Result<(JournalState, Vec<Entry>, Imported), StoreError> {
    let file = File::open(path).map_err(StoreError::io("read", path))?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut state = JournalState::default();
    let mut entries = Vec::new();
    let mut report = Imported::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = r
            .read_until(b'\n', &mut line)
            .map_err(StoreError::io("read", path))?;
        if n == 0 {
            break;
        }
        let complete = line.ends_with(b"\n");
        match Entry::parse(&line) {
            Some(e) if complete => {
                state.apply(e.seq, &e.t, &e.rec, e.event.clone());
                entries.push(e);
                report.entries += 1;
            }
            _ if !complete => {
                tracing::warn!(path = %path.display(), bytes = n, "dropping a torn last journal line (a crash while it was written)");
                report.torn_tail = true;
                break;
            }
            _ => {
                tracing::warn!(path = %path.display(), "skipping an unreadable journal line");
                report.skipped_lines += 1;
            }
        }
    }
    Ok((state, entries, report))
}
