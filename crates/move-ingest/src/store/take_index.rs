//! The index of the account's takes that carry move-ingest's record (`take_index`, schema
//! version 3): written when `listTakes` is paged, read by device label and stem when the state
//! meets a recording it does not know. It is a cache of the API, not state: a paging that
//! fails leaves the previous index, and nothing is adopted from it without the local files'
//! SHA-256 matching.

use std::path::PathBuf;

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
/// arrives, then `finish` drops the takes that paging did not see.
pub struct IndexWriter {
    conn: Connection,
    path: PathBuf,
    build: i64,
}

impl Store {
    /// Starts writing a new paging of the takes into the index (its own connection beside the
    /// steps' writer; it waits for the start-up check of the database first).
    pub fn take_index_writer(&self, build: i64) -> Result<IndexWriter, StoreError> {
        self.checked()?;
        let conn = schema::open_writer(&self.path)?;
        Ok(IndexWriter {
            conn,
            path: self.path.clone(),
            build,
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
    /// Adds (or refreshes) one page of takes.
    pub fn put(&mut self, takes: &[IndexedTake]) -> Result<(), StoreError> {
        let build = self.build;
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for t in takes {
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
            tx.commit()
        };
        write(&mut self.conn).map_err(StoreError::sql("write the take index to", &self.path))
    }

    /// The paging saw every take: the ones it did not see (their record removed) leave the index.
    pub fn finish(self) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM take_index WHERE build != ?1", [self.build])
            .map(|_| ())
            .map_err(StoreError::sql("write the take index to", &self.path))
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
