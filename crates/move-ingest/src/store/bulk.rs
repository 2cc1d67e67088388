//! `write_bulk`: a big state written straight into the database, for benchmarks and tests.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::{DB_FILE, StoreError, lock::lock, rows, schema};
use crate::model::recording::{Event, Recording};

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
