//! Rig recordings (schema version 7): each step written durably (`synchronous = FULL`) by the
//! steps' writer (sharing its group commit with the recordings' steps), before the outside
//! action it allows; read by key, by rig, or all of them (a rig's recordings are few: one
//! per take).

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::error::write_result;
use super::query::Reader;
use super::writer::{Reply, Req, RigStep};
use super::{Store, StoreError};
use crate::model::recording::Event;
use crate::model::rig::{RigEvent, RigRecording};

/// The first schema version with the rig tables.
pub const RIGS_VERSION: u32 = 7;

impl Store {
    /// Writes one step of a rig recording durably (through the steps' writer: it shares its
    /// group commit) and returns the recording as it now is; `new` is the recording to start
    /// from when the state has none by that key. Blocks the calling thread until committed.
    pub fn rig_record(
        &self,
        new: &RigRecording,
        event: &RigEvent,
    ) -> Result<RigRecording, StoreError> {
        self.checked()?;
        let (done, wait) = std::sync::mpsc::channel();
        let (step, out) = rig_step(new, event);
        self.send(Req {
            rec: String::new(),
            event: None,
            rig: Some(step),
            done: Some(Reply::Blocking(done)),
            committed: None,
        })?;
        write_result(wait.recv(), self.path())?;
        taken(&out, self.path())
    }

    /// A camera joining its rig recording: `joined` (its `CameraJoined`, `None` if it needs
    /// none) and the camera recording's own step (`Grouped`) written in one transaction and
    /// committed durably together, so that a crash keeps both or neither (the camera is then
    /// joined again at the next start). Returns the rig recording as `joined` left it.
    pub async fn rig_join(
        &self,
        joined: Option<(&RigRecording, RigEvent)>,
        rec: &str,
        event: Event,
    ) -> Result<Option<RigRecording>, StoreError> {
        let (done, wait) = oneshot::channel();
        let (rig, out) = match joined {
            Some((new, ev)) => {
                let (step, out) = rig_step(new, &ev);
                (Some(step), Some(out))
            }
            None => (None, None),
        };
        self.send(Req {
            rec: rec.to_string(),
            event: Some(event),
            rig,
            done: Some(Reply::Async(done)),
            committed: None,
        })?;
        write_result(wait.await, self.path())?;
        out.map(|out| taken(&out, self.path())).transpose()
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

/// A rig step for the writer, and where it leaves the recording once written.
fn rig_step(new: &RigRecording, event: &RigEvent) -> (RigStep, Arc<Mutex<Option<RigRecording>>>) {
    let out = Arc::new(Mutex::new(None));
    let step = RigStep {
        new: new.clone(),
        event: event.clone(),
        out: out.clone(),
    };
    (step, out)
}

/// The recording a committed rig step left.
fn taken(
    out: &Mutex<Option<RigRecording>>,
    path: &std::path::Path,
) -> Result<RigRecording, StoreError> {
    let rec = out.lock().unwrap_or_else(|p| p.into_inner()).take();
    rec.ok_or_else(|| StoreError::Sql {
        op: "write a rig step to",
        path: path.to_path_buf(),
        detail: "the step was committed but its recording was not returned (a bug: report it)"
            .into(),
    })
}

/// Applies one step to its rig recording and writes both, inside the writer's open
/// transaction (`writer::Writer::write_open`); returns the recording as it now is.
pub(super) fn write_in(
    conn: &Connection,
    new: &RigRecording,
    event: &RigEvent,
) -> rusqlite::Result<RigRecording> {
    let mut rec = read_one(conn, &new.key)?.unwrap_or_else(|| new.clone());
    rec.apply(event);
    let at = now_ms();
    let data = serde_json::to_string(&rec).map_err(json_err)?;
    conn.prepare_cached(
        "INSERT INTO rig_recordings (key, rig, state, updated_ms, data) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (key) DO UPDATE SET state = excluded.state,
             updated_ms = excluded.updated_ms, data = excluded.data",
    )?
    .execute(params![rec.key, rec.rig, rec.state().as_str(), at, data])?;
    let ev = serde_json::to_string(event).map_err(json_err)?;
    conn.prepare_cached("INSERT INTO rig_steps (key, at_ms, event) VALUES (?1, ?2, ?3)")?
        .execute(params![rec.key, at, ev])?;
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
