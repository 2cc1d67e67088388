//! The index of the account's takes that carry move-ingest's record (`take_index`, schema
//! version 3): written when `listTakes` is paged, read by device label and stem when the state
//! meets a recording it does not know. It is a cache of the API, not state: a paging that
//! fails leaves the previous index, and nothing is adopted from it without the local files'
//! SHA-256 matching.
//!
//! A paging that saw every take down to the end (or down to a take already indexed by a
//! paging that did) leaves the index complete (`meta` key `take_index_complete`); the next
//! paging then pages newest first only down to the newest take already indexed. A paging
//! that stops half-way leaves it incomplete, and the next paging is a full one again.
//! `meta` also keeps when the state began (`watching_since_ms`): a recording the state does
//! not know whose files are newer was never sent by an earlier state, so it needs no index.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, schema};
use crate::model::recording::Role;

/// One file of a take, as move-ingest's record on the take names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeFile {
    pub role: Role,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub file_id: String,
}

/// A take of the account that move-ingest made, by the record in its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedTake {
    pub take_id: String,
    pub device_label: String,
    pub stem: String,
    pub files: Vec<TakeFile>,
    /// When the API created it (ms since the epoch; 0 if unknown).
    pub created_ms: i64,
}

impl IndexedTake {
    /// The file of `role`, if the take has one.
    pub fn file(&self, role: Role) -> Option<&TakeFile> {
        self.files.iter().find(|f| f.role == role)
    }
}

/// A connection that writes one paging of `listTakes` into the index: each page as it
/// arrives, then `finish` drops the takes a full paging did not see.
pub struct IndexWriter {
    conn: Connection,
    path: PathBuf,
    build: i64,
    /// The index was complete before this paging: it pages only down to a take it holds.
    incremental: bool,
}

/// The `meta` key that says the take index holds every take of the account down to the end.
const INDEX_COMPLETE: &str = "take_index_complete";
/// The `meta` key of when this state began (ms since the epoch).
const WATCHING_SINCE: &str = "watching_since_ms";

/// When the state in `conn` began (ms since the epoch), written at its first open (an older
/// state gets the time of its first open by this release): what the state has seen.
pub(super) fn watching_since(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let err = StoreError::sql("read", path);
    if let Some(v) = meta(conn, WATCHING_SINCE).map_err(err)? {
        return Ok(v.parse().unwrap_or(0));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    set_meta(conn, WATCHING_SINCE, &now.to_string()).map_err(StoreError::sql("write to", path))?;
    Ok(now)
}

fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        params![key, value],
    )
    .map(|_| ())
}

impl Store {
    /// Starts writing a new paging of the takes into the index (its own connection beside the
    /// steps' writer; it waits for the start-up check of the database first).
    pub fn take_index_writer(&self, build: i64) -> Result<IndexWriter, StoreError> {
        self.checked()?;
        let conn = schema::open_writer(&self.path)?;
        let start = |conn: &Connection| -> rusqlite::Result<bool> {
            let complete = meta(conn, INDEX_COMPLETE)?.is_some_and(|v| v == "1");
            // Until this paging ends, the index has a gap below the pages it wrote.
            set_meta(conn, INDEX_COMPLETE, "0")?;
            Ok(complete)
        };
        let incremental =
            start(&conn).map_err(StoreError::sql("write the take index to", &self.path))?;
        Ok(IndexWriter {
            conn,
            path: self.path.clone(),
            build,
            incremental,
        })
    }

    /// The indexed takes of one device label and stem (an index lookup).
    pub fn indexed_takes(
        &self,
        device_label: &str,
        stem: &str,
    ) -> Result<Vec<IndexedTake>, StoreError> {
        read(&self.reader().conn, device_label, stem).map_err(StoreError::sql("read", &self.path))
    }
}

impl IndexWriter {
    /// Whether this paging goes only down to a take already indexed (the index was complete).
    pub fn incremental(&self) -> bool {
        self.incremental
    }

    /// Adds (or refreshes) one page of takes; returns true when the paging may stop here: it
    /// is incremental and the page holds a take already indexed (the older ones are too).
    pub fn put(&mut self, takes: &[IndexedTake]) -> Result<bool, StoreError> {
        let (build, incremental) = (self.build, self.incremental);
        let write = |conn: &mut Connection| -> rusqlite::Result<bool> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut reached = false;
            for t in takes {
                if incremental && !reached {
                    reached = tx
                        .prepare_cached("SELECT 1 FROM take_index WHERE take_id = ?1")?
                        .exists([&t.take_id])?;
                }
                let files = serde_json::to_string(&t.files)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
                tx.prepare_cached(
                    "INSERT INTO take_index (take_id, device_label, stem, files, created_ms, build)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (take_id) DO UPDATE SET device_label = excluded.device_label,
                         stem = excluded.stem, files = excluded.files,
                         created_ms = excluded.created_ms, build = excluded.build",
                )?
                .execute(params![
                    t.take_id,
                    t.device_label,
                    t.stem,
                    files,
                    t.created_ms,
                    build
                ])?;
            }
            tx.commit()?;
            Ok(reached)
        };
        write(&mut self.conn).map_err(StoreError::sql("write the take index to", &self.path))
    }

    /// The paging is complete. After a full paging, the takes it did not see (their record
    /// removed) leave the index; an incremental one saw only the newer takes and keeps the rest.
    pub fn finish(self) -> Result<(), StoreError> {
        let finish = |conn: &Connection| -> rusqlite::Result<()> {
            if !self.incremental {
                conn.execute("DELETE FROM take_index WHERE build != ?1", [self.build])?;
            }
            set_meta(conn, INDEX_COMPLETE, "1")
        };
        finish(&self.conn).map_err(StoreError::sql("write the take index to", &self.path))
    }
}

fn read(conn: &Connection, device_label: &str, stem: &str) -> rusqlite::Result<Vec<IndexedTake>> {
    let mut stmt = conn.prepare_cached(
        "SELECT take_id, device_label, stem, files, created_ms FROM take_index
         WHERE device_label = ?1 AND stem = ?2 ORDER BY created_ms DESC",
    )?;
    let rows = stmt.query_map(params![device_label, stem], |r| {
        let files: String = r.get(3)?;
        let files = serde_json::from_str(&files).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
        })?;
        Ok(IndexedTake {
            take_id: r.get(0)?,
            device_label: r.get(1)?,
            stem: r.get(2)?,
            files,
            created_ms: r.get(4)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn take(id: &str) -> IndexedTake {
        IndexedTake {
            take_id: id.into(),
            device_label: "cam".into(),
            stem: id.into(),
            files: Vec::new(),
            created_ms: 0,
        }
    }

    fn indexed(store: &Store) -> Vec<&'static str> {
        ["t1", "t2", "t3", "t4", "t5", "t6"]
            .into_iter()
            .filter(|id| !store.indexed_takes("cam", id).unwrap().is_empty())
            .collect()
    }

    #[test]
    fn after_a_complete_paging_the_next_stops_at_a_take_already_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let mut w = store.take_index_writer(1).unwrap();
        assert!(!w.incremental(), "a new index is paged in full");
        assert!(!w.put(&[take("t3"), take("t2")]).unwrap());
        assert!(!w.put(&[take("t1")]).unwrap());
        w.finish().unwrap();

        let mut w = store.take_index_writer(2).unwrap();
        assert!(w.incremental());
        assert!(!w.put(&[take("t5"), take("t4")]).unwrap());
        assert!(
            w.put(&[take("t3")]).unwrap(),
            "t3 is indexed: so are the older takes"
        );
        w.finish().unwrap();
        assert_eq!(indexed(&store), ["t1", "t2", "t3", "t4", "t5"]);

        // A paging that stops half-way leaves a gap: the next one is a full paging, and the
        // takes it does not see leave the index.
        let mut w = store.take_index_writer(3).unwrap();
        w.put(&[take("t6")]).unwrap();
        drop(w);
        let mut w = store.take_index_writer(4).unwrap();
        assert!(!w.incremental());
        assert!(!w.put(&[take("t6"), take("t5")]).unwrap());
        w.finish().unwrap();
        assert_eq!(indexed(&store), ["t5", "t6"]);
    }
}
