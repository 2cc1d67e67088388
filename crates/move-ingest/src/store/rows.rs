//! Recordings and steps as rows: one recording is its indexed columns plus its whole state as
//! JSON; each step is one row in `steps`.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::json_paths::UPLOAD_FACTS;
use crate::model::facts::Facts;
use crate::model::id::RecordingId;
use crate::model::recording::{Event, Recording, Role};

/// A recording from its `data` column.
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<Recording> {
    let data: String = row.get(0)?;
    serde_json::from_str(&data).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

/// Milliseconds since the epoch of an RFC 3339 time (0 if it does not parse).
pub fn time_ms(t: &str) -> i64 {
    humantime::parse_rfc3339_weak(t.trim_end_matches('Z'))
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as i64)
}

/// Writes a recording's row and its uploads (insert or replace); returns its row id.
pub fn save(conn: &Connection, r: &Recording) -> rusqlite::Result<i64> {
    save_row(conn, r, None, [true, true])
}

/// Writes a recording's row (an update of row `rid` when the caller knows it, else an insert
/// or replace), and the `uploads` row of each role whose flag in `uploads` is set (a role
/// whose row the caller knows unchanged, see `upload_rows`, is left alone); returns its row id.
pub fn save_row(
    conn: &Connection,
    r: &Recording,
    rid: Option<i64>,
    uploads: [bool; 2],
) -> rusqlite::Result<i64> {
    let data =
        serde_json::to_string(r).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let plan = match r.after_take.as_ref().map(|a| &a.planned) {
        Some(files) if !files.is_empty() => Some(
            serde_json::to_string(files)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
        ),
        _ => None,
    };
    let job = r.job.as_ref();
    let downloaded = match job.map(|j| &j.downloaded) {
        Some(d) if !d.is_empty() => Some(
            serde_json::to_string(&d.iter().map(|d| &d.key).collect::<Vec<_>>())
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
        ),
        _ => None,
    };
    let values = params![
        r.id.as_str(),
        r.dir.as_os_str().as_bytes(),
        r.device,
        r.stem,
        r.phase().as_str(),
        r.take_id,
        r.late_sidecar.is_some(),
        r.seq as i64,
        time_ms(&r.updated),
        data,
        plan,
        r.after_take.as_ref().and_then(|a| a.done.as_deref()),
        job.and_then(|j| j.id.as_deref()),
        job.and_then(|j| j.state.as_ref().map(|s| s.as_str())),
        job.and_then(|j| j.percent),
        job.and_then(|j| j.polled_ms),
        job.and_then(|j| j.next_poll_ms),
        job.and_then(|j| j.failure_reason.as_deref()),
        downloaded,
        job.is_some_and(|j| j.is_active()),
    ];
    let rid: i64 = match rid {
        // The columns that never change (id, dir, device, stem) are bound and not set.
        Some(rid) => {
            let mut stmt = conn.prepare_cached(
                "UPDATE recordings SET phase = ?5, take_id = ?6, late = ?7, seq = ?8,
                     updated_ms = ?9, data = ?10, after_take_plan = ?11, after_take_done = ?12,
                     job_id = ?13, job_state = ?14, job_percent = ?15, job_polled_ms = ?16,
                     job_next_poll_ms = ?17, job_failure = ?18, job_downloaded = ?19,
                     job_active = ?20
                 WHERE rid = ?21 AND id = ?1",
            )?;
            let rid_param: &dyn rusqlite::ToSql = &rid;
            let all = values.iter().chain(std::iter::once(&rid_param));
            if stmt.execute(rusqlite::params_from_iter(all))? != 1 {
                return Err(rusqlite::Error::QueryReturnedNoRows);
            }
            rid
        }
        None => conn
            .prepare_cached(
                "INSERT INTO recordings (id, dir, device, stem, phase, take_id, late, seq, updated_ms, data,
                     after_take_plan, after_take_done, job_id, job_state, job_percent, job_polled_ms,
                     job_next_poll_ms, job_failure, job_downloaded, job_active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
                 ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, take_id = excluded.take_id,
                     late = excluded.late, seq = excluded.seq, updated_ms = excluded.updated_ms,
                     data = excluded.data, after_take_plan = excluded.after_take_plan,
                     after_take_done = excluded.after_take_done, job_id = excluded.job_id,
                     job_state = excluded.job_state, job_percent = excluded.job_percent,
                     job_polled_ms = excluded.job_polled_ms, job_next_poll_ms = excluded.job_next_poll_ms,
                     job_failure = excluded.job_failure, job_downloaded = excluded.job_downloaded,
                     job_active = excluded.job_active
                 RETURNING rid",
            )?
            .query_row(values, |row| row.get(0))?,
    };
    let roles = [Role::Video, Role::Sidecar].into_iter().zip(upload_rows(r));
    for ((role, row), changed) in roles.zip(uploads) {
        if !changed {
            continue;
        }
        conn.prepare_cached("DELETE FROM uploads WHERE rid = ?1 AND role = ?2")?
            .execute(params![rid, role_name(role)])?;
        let Some((name, size, sha256, file_id)) = row else {
            continue;
        };
        conn.prepare_cached(
            "INSERT INTO uploads (rid, role, name, size, sha256, file_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![rid, role_name(role), name, size as i64, sha256, file_id])?;
    }
    Ok(rid)
}

/// What a recording's `uploads` rows hold (name, size, SHA-256, file id of the video and of
/// the `.move`): a step that leaves these as they were need not rewrite them.
pub fn upload_rows(r: &Recording) -> [Option<(&str, u64, &str, &str)>; 2] {
    [Role::Video, Role::Sidecar].map(|role| {
        let (seen, up) = (r.seen(role)?, r.upload(role)?);
        Some((
            seen.facts.name.as_str(),
            up.facts.size,
            up.sha256.as_str(),
            up.file_id.as_str(),
        ))
    })
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Video => "video",
        Role::Sidecar => "sidecar",
    }
}

/// Appends one step of the recording with row id `rid`.
pub fn insert_step(
    conn: &Connection,
    seq: u64,
    rid: i64,
    t: &str,
    event: &Event,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(event)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    conn.prepare_cached("INSERT INTO steps (seq, rid, at_ms, event) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![seq as i64, rid, time_ms(t), json])?;
    Ok(())
}

/// One recording by id.
pub fn by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<Recording>> {
    conn.prepare_cached("SELECT data FROM recordings WHERE id = ?1")?
        .query_row([id], from_row)
        .optional()
}

/// One recording by id, with its row id.
pub fn by_id_with_rid(conn: &Connection, id: &str) -> rusqlite::Result<Option<(i64, Recording)>> {
    conn.prepare_cached("SELECT data, rid FROM recordings WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(1)?, from_row(row)?)))
        .optional()
}

/// The newest recording for a folder and stem (an index lookup).
pub fn latest(conn: &Connection, dir: &Path, stem: &str) -> rusqlite::Result<Option<Recording>> {
    conn.prepare_cached(
        "SELECT data FROM recordings WHERE dir = ?1 AND stem = ?2 ORDER BY seq DESC LIMIT 1",
    )?
    .query_row(params![dir.as_os_str().as_bytes(), stem], from_row)
    .optional()
}

/// `done_unchanged`'s query: the facts of both uploads read from `data` by the paths of
/// `json_paths::UPLOAD_FACTS`, bound to `?3` to `?10`.
static DONE_UNCHANGED: LazyLock<String> = LazyLock::new(|| {
    let facts: String = UPLOAD_FACTS
        .iter()
        .enumerate()
        .map(|(i, path)| {
            format!(
                "\n             AND json_extract(data, '{path}') IS ?{}",
                i + 3
            )
        })
        .collect();
    format!(
        "SELECT take_id IS NOT NULL{facts}
         FROM recordings WHERE dir = ?1 AND stem = ?2 ORDER BY seq DESC LIMIT 1"
    )
});

/// Whether the newest recording for a folder and stem is done (it has its take) and uploaded
/// exactly these versions of its files (`None`: no such file): the question asked of every
/// file a scan finds, answered from the row without reading the recording's state into memory.
pub fn done_unchanged(
    conn: &Connection,
    dir: &Path,
    stem: &str,
    video: Option<&Facts>,
    sidecar: Option<&Facts>,
) -> rusqlite::Result<bool> {
    let facts = |f: Option<&Facts>| {
        f.map_or([None; 4], |f| {
            [
                Some(f.size as i64),
                Some(f.mtime_ns),
                Some(f.inode as i64),
                Some(f.dev as i64),
            ]
        })
    };
    let (v, m) = (facts(video), facts(sidecar));
    conn.prepare_cached(&DONE_UNCHANGED)?
        .query_row(
            params![
                dir.as_os_str().as_bytes(),
                stem,
                v[0],
                v[1],
                v[2],
                v[3],
                m[0],
                m[1],
                m[2],
                m[3]
            ],
            |r| r.get::<_, bool>(0),
        )
        .optional()
        .map(|done| done.unwrap_or(false))
}

/// The newest recording with an accepted upload of this file name, size and SHA-256 (an index lookup).
pub fn by_content(
    conn: &Connection,
    name: &str,
    size: u64,
    sha256: &str,
) -> rusqlite::Result<Option<Recording>> {
    conn.prepare_cached(
        "SELECT r.data FROM uploads u JOIN recordings r ON r.rid = u.rid
         WHERE u.name = ?1 AND u.size = ?2 AND u.sha256 = ?3 ORDER BY r.seq DESC LIMIT 1",
    )?
    .query_row(params![name, size as i64, sha256], from_row)
    .optional()
}

/// Ids of the recordings in one phase, oldest step first.
pub fn ids_in_phase(conn: &Connection, phase: &str) -> rusqlite::Result<Vec<RecordingId>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM recordings WHERE phase = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([phase], |r| Ok(RecordingId::from(r.get::<_, String>(0)?)))?;
    rows.collect()
}

/// The highest step number written so far.
pub fn last_seq(conn: &Connection) -> rusqlite::Result<u64> {
    let seq: Option<i64> = conn.query_row("SELECT max(seq) FROM steps", [], |r| r.get(0))?;
    Ok(seq.unwrap_or(0).max(0) as u64)
}

/// Ids of the recordings whose `[after_take]` step is still to run or finish, oldest step
/// first: with `every_take`, each one whose take exists and whose step has not ended; else
/// only those with a recorded plan not yet carried out. Each is a partial-index scan.
pub fn after_take_due(conn: &Connection, every_take: bool) -> rusqlite::Result<Vec<RecordingId>> {
    let sql = match every_take {
        true => {
            "SELECT id FROM recordings INDEXED BY recordings_after_take_due
             WHERE take_id IS NOT NULL AND after_take_done IS NULL ORDER BY seq"
        }
        false => {
            "SELECT id FROM recordings INDEXED BY recordings_after_take_planned
             WHERE after_take_plan IS NOT NULL AND after_take_done IS NULL ORDER BY seq"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok(RecordingId::from(r.get::<_, String>(0)?)))?;
    rows.collect()
}

/// Ids of the recordings whose processing job is wanted and not ended (to ask for, follow or
/// download), the soonest next poll first: a partial-index scan.
pub fn jobs_active(conn: &Connection) -> rusqlite::Result<Vec<(RecordingId, Option<i64>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, job_next_poll_ms FROM recordings INDEXED BY recordings_job_active
         WHERE job_active ORDER BY job_next_poll_ms, seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((RecordingId::from(r.get::<_, String>(0)?), r.get(1)?))
    })?;
    rows.collect()
}

/// The newest recording whose take is `take_id` (an index lookup).
pub fn by_take(conn: &Connection, take_id: &str) -> rusqlite::Result<Option<Recording>> {
    conn.prepare_cached("SELECT data FROM recordings WHERE take_id = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row([take_id], from_row)
        .optional()
}
