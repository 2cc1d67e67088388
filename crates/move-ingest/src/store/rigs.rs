//! Rig recordings (schema version 7): each step written durably (`synchronous = FULL`) by a
//! connection of its own beside the steps' writer, before the outside action it allows; read
//! by key, by rig, or all of them (a rig's recordings are few: one per take).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::query::Reader;
use super::{Store, StoreError, schema};
use crate::model::rig::{RigEvent, RigRecording};

/// The first schema version with the rig tables.
pub const RIGS_VERSION: u32 = 7;

/// The rigs' own writer connection, opened when the first rig step is written, and how many
/// rig steps wait for the database's write lock: while one does, the steps' writer leaves no
/// group open (it would hold the lock for up to its window, and a rig step behind it).
#[derive(Default)]
pub struct RigWriter {
    conn: Mutex<Option<Connection>>,
    waiting: Arc<AtomicUsize>,
}

impl RigWriter {
    /// The count of rig steps waiting, for the steps' writer.
    pub(super) fn waiting(&self) -> Arc<AtomicUsize> {
        self.waiting.clone()
    }
}

/// A rig step waiting for (or holding) the write lock; counted while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Store {
    /// Writes one step of a rig recording durably and returns the recording as it now is;
    /// `new` is the recording to start from when the state has none by that key.
    pub fn rig_record(
        &self,
        new: &RigRecording,
        event: &RigEvent,
    ) -> Result<RigRecording, StoreError> {
        self.checked()?;
        let _waiting = Waiting::new(&self.rigs.waiting);
        self.commit_group_now();
        let mut slot = self.rigs.conn.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match &mut *slot {
            Some(conn) => conn,
            empty => empty.insert(schema::open_writer(self.path())?),
        };
        write(conn, new, event).map_err(StoreError::sql("write a rig step to", self.path()))
    }

    /// One rig recording by key.
    pub fn rig_recording(&self, key: &str) -> Result<Option<RigRecording>, StoreError> {
        self.reader().rig_recording(key)
    }

    /// Every rig recording, or only those not finished.
    pub fn rig_recordings(&self, unfinished: bool) -> Result<Vec<RigRecording>, StoreError> {
        self.reader().rig_recordings(unfinished)
    }

    /// The calibrations of `rig` whose volume is FINISHED (an index lookup).
    pub fn rig_calibrated(&self, rig: &str) -> Result<Vec<RigRecording>, StoreError> {
        self.rigs_where("state = 'calibrated' AND rig = ?1", rig)
    }

    /// The failed rig recordings of `rig` (an index lookup).
    pub fn rig_failed(&self, rig: &str) -> Result<Vec<RigRecording>, StoreError> {
        self.rigs_where("state = 'failed' AND rig = ?1", rig)
    }

    fn rigs_where(&self, filter: &str, rig: &str) -> Result<Vec<RigRecording>, StoreError> {
        let reader = self.reader();
        if reader.version < RIGS_VERSION {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT data FROM rig_recordings WHERE {filter}");
        let read = |conn: &Connection| -> rusqlite::Result<Vec<RigRecording>> {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([rig], |r| r.get::<_, String>(0))?;
            rows.map(|d| parse(&d?, 0)).collect()
        };
        read(&reader.conn).map_err(StoreError::sql("read", &reader.path))
    }
}

impl Reader {
    /// One rig recording by key (`None` also before the rig tables exist).
    pub fn rig_recording(&self, key: &str) -> Result<Option<RigRecording>, StoreError> {
        if self.version < RIGS_VERSION {
            return Ok(None);
        }
        read_one(&self.conn, key).map_err(StoreError::sql("read", &self.path))
    }

    /// Every rig recording (or only the unfinished ones), by key.
    pub fn rig_recordings(&self, unfinished: bool) -> Result<Vec<RigRecording>, StoreError> {
        if self.version < RIGS_VERSION {
            return Ok(Vec::new());
        }
        read_all(&self.conn, unfinished).map_err(StoreError::sql("read", &self.path))
    }

    /// What the views list: every rig recording not done (failed ones too), then the newest
    /// `newest` done or calibrated ones; and the count of every (rig, state) and of every
    /// (rig, volume state), read by the index without the recordings.
    pub fn rig_view(&self, newest: usize) -> Result<RigView, StoreError> {
        if self.version < RIGS_VERSION {
            return Ok(RigView::default());
        }
        rig_view(&self.conn, newest).map_err(StoreError::sql("read", &self.path))
    }

    /// The steps of one rig recording, oldest first: (ms since the epoch, the step).
    pub fn rig_steps(&self, key: &str) -> Result<Vec<(i64, RigEvent)>, StoreError> {
        if self.version < RIGS_VERSION {
            return Ok(Vec::new());
        }
        read_steps(&self.conn, key).map_err(StoreError::sql("read", &self.path))
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(e.into())
}

fn write(
    conn: &mut Connection,
    new: &RigRecording,
    event: &RigEvent,
) -> rusqlite::Result<RigRecording> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut rec = read_one(&tx, &new.key)?.unwrap_or_else(|| new.clone());
    rec.apply(event);
    let at = now_ms();
    let data = serde_json::to_string(&rec).map_err(json_err)?;
    tx.prepare_cached(
        "INSERT INTO rig_recordings (key, rig, state, updated_ms, data) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (key) DO UPDATE SET state = excluded.state,
             updated_ms = excluded.updated_ms, data = excluded.data",
    )?
    .execute(params![rec.key, rec.rig, rec.state().as_str(), at, data])?;
    let ev = serde_json::to_string(event).map_err(json_err)?;
    tx.prepare_cached("INSERT INTO rig_steps (key, at_ms, event) VALUES (?1, ?2, ?3)")?
        .execute(params![rec.key, at, ev])?;
    tx.commit()?;
    Ok(rec)
}

fn parse(data: &str, col: usize) -> rusqlite::Result<RigRecording> {
    serde_json::from_str(data).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, e.into())
    })
}

fn read_one(conn: &Connection, key: &str) -> rusqlite::Result<Option<RigRecording>> {
    let data: Option<String> = conn
        .prepare_cached("SELECT data FROM rig_recordings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    data.map(|d| parse(&d, 0)).transpose()
}

fn read_all(conn: &Connection, unfinished: bool) -> rusqlite::Result<Vec<RigRecording>> {
    let sql = if unfinished {
        "SELECT data FROM rig_recordings WHERE state NOT IN ('calibrated', 'done', 'failed') ORDER BY key"
    } else {
        "SELECT data FROM rig_recordings ORDER BY key"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.map(|d| parse(&d?, 0)).collect()
}

/// What the views show of rigs (see [`Reader::rig_view`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RigView {
    pub listed: Vec<RigRecording>,
    pub by_state: Vec<(String, String, u64)>,
    pub volumes: Vec<(String, String, u64)>,
}

fn rig_view(conn: &Connection, newest: usize) -> rusqlite::Result<RigView> {
    let mut listed = read_all(conn, true)?;
    let mut stmt = conn.prepare_cached(
        "SELECT data FROM rig_recordings WHERE state IN ('failed', 'done', 'calibrated')
         ORDER BY state = 'failed' DESC, updated_ms DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([newest as i64], |r| r.get::<_, String>(0))?;
    for d in rows {
        listed.push(parse(&d?, 0)?);
    }
    let count = |sql: &str| -> rusqlite::Result<Vec<(String, String, u64)>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })?;
        rows.collect()
    };
    Ok(RigView {
        listed,
        by_state: count("SELECT rig, state, count(*) FROM rig_recordings GROUP BY rig, state")?,
        volumes: count(
            "SELECT rig, coalesce(json_extract(data, '$.volume.state'), 'REQUESTED'), count(*)
             FROM rig_recordings WHERE json_extract(data, '$.volume') IS NOT NULL
             GROUP BY 1, 2",
        )?,
    })
}

fn read_steps(conn: &Connection, key: &str) -> rusqlite::Result<Vec<(i64, RigEvent)>> {
    let mut stmt =
        conn.prepare_cached("SELECT at_ms, event FROM rig_steps WHERE key = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (at, ev) = row?;
        let ev = serde_json::from_str(&ev).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
        })?;
        Ok((at, ev))
    })
    .collect()
}
