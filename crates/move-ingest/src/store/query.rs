//! Read-only questions for `status` and `history`, answered from the indexes without the
//! state dir's lock, so they work while `run` or `backfill` writes.

use std::path::Path;

use rusqlite::{Connection, params};

use super::{DB_FILE, JOURNAL_FILE, StoreError, rows, schema};
use crate::model::recording::{Phase, Recording};

/// A read-only view of a state dir's database.
pub struct Reader {
    pub(super) conn: Connection,
    pub(super) path: std::path::PathBuf,
    /// The schema version the file had when opened: a writer may still be migrating it, and
    /// the job questions need version 5.
    pub(super) version: u32,
}

/// The recordings changed since a time, and how many of them are in one phase. The time index
/// is named: left to itself, the planner would rather walk every row in `seq` order (or every
/// row of the phase) than sort the few that match: 1.1 s at 1,000,000 recordings for an hour
/// in which none changed.
const SINCE: &str = "SELECT data FROM recordings INDEXED BY recordings_by_time
     WHERE updated_ms >= ?1 ORDER BY seq DESC";
const COUNT_SINCE: &str = "SELECT count(*) FROM recordings INDEXED BY recordings_by_time
     WHERE updated_ms >= ?1 AND phase = ?2";

/// The first schema version with the job columns.
const JOBS_SCHEMA: u32 = 5;

/// How many jobs are in each stage (see [`Reader::job_counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub active: u64,
    pub finished: u64,
    pub failed: u64,
}

/// One step of one recording, as `history` prints it.
#[derive(Debug, Clone)]
pub struct Step {
    pub seq: u64,
    pub t: String,
    pub event: serde_json::Value,
}

impl Reader {
    /// Opens `state.db` read-only; `None` when the state dir has no database yet.
    pub fn open(dir: &Path) -> Result<Option<Reader>, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.exists() {
            if dir.join(JOURNAL_FILE).exists() {
                return Err(StoreError::Sql {
                    op: "read",
                    path,
                    detail: format!(
                        "the state dir still holds an old {JOURNAL_FILE}, imported at the next start of `run` or `backfill`"
                    ),
                });
            }
            return Ok(None);
        }
        let (conn, version) = schema::open_reader(&path)?;
        if version == 0 {
            // Created a moment ago by a writer that has not made its tables yet: empty.
            return Ok(None);
        }
        Ok(Some(Reader {
            conn,
            path,
            version,
        }))
    }

    fn err(&self) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        StoreError::sql("read", &self.path)
    }

    /// How many recordings are in each phase (updated at or after `since_ms`, if given).
    pub fn counts(&self, since_ms: Option<i64>) -> Result<Vec<(Phase, u64)>, StoreError> {
        let mut out = Vec::new();
        for phase in Phase::ALL {
            let n: i64 = match since_ms {
                None => self
                    .conn
                    .prepare_cached("SELECT count(*) FROM recordings WHERE phase = ?1")
                    .and_then(|mut s| s.query_row([phase.as_str()], |r| r.get(0))),
                Some(ms) => self
                    .conn
                    .prepare_cached(COUNT_SINCE)
                    .and_then(|mut s| s.query_row(params![ms, phase.as_str()], |r| r.get(0))),
            }
            .map_err(self.err())?;
            out.push((phase, n as u64));
        }
        Ok(out)
    }

    /// One recording by id.
    pub fn recording(&self, id: &str) -> Result<Option<Recording>, StoreError> {
        rows::by_id(&self.conn, id).map_err(self.err())
    }

    /// How many recordings are in one phase.
    pub fn count(&self, phase: Phase) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM recordings WHERE phase = ?1",
                [phase.as_str()],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(n as u64)
    }

    /// How many `.move` files arrived after their take.
    pub fn late_sidecars(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM recordings WHERE late", [], |r| {
                r.get(0)
            })
            .map_err(self.err())?;
        Ok(n as u64)
    }

    /// How many jobs are active (to ask for, follow or download), ended FINISHED, and ended
    /// without outputs (FAILED, NOT_CREATED, NOT_FOUND): partial-index counts.
    pub fn job_counts(&self) -> Result<JobCounts, StoreError> {
        if self.version < JOBS_SCHEMA {
            return Ok(JobCounts::default());
        }
        let count = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = self
                .conn
                .query_row(sql, [], |r| r.get(0))
                .map_err(self.err())?;
            Ok(n as u64)
        };
        Ok(JobCounts {
            active: count(
                "SELECT count(*) FROM recordings INDEXED BY recordings_job_active WHERE job_active",
            )?,
            finished: count(
                "SELECT count(*) FROM recordings INDEXED BY recordings_by_job_state
                 WHERE job_state = 'FINISHED' AND NOT job_active",
            )?,
            failed: count(
                "SELECT count(*) FROM recordings INDEXED BY recordings_by_job_state
                 WHERE job_state IN ('FAILED', 'NOT_CREATED', 'NOT_FOUND') AND NOT job_active",
            )?,
        })
    }

    /// Every recording with an active job, and the `n` newest whose job ended without outputs.
    pub fn job_rows(&self, n: usize) -> Result<(Vec<Recording>, Vec<Recording>), StoreError> {
        if self.version < JOBS_SCHEMA {
            return Ok((Vec::new(), Vec::new()));
        }
        let active = self.collect(
            "SELECT data FROM recordings INDEXED BY recordings_job_active WHERE job_active
             ORDER BY seq DESC",
            [],
        )?;
        let failed = self.collect(
            "SELECT data FROM recordings INDEXED BY recordings_by_job_state
             WHERE job_state IN ('FAILED', 'NOT_CREATED', 'NOT_FOUND') AND NOT job_active
             ORDER BY seq DESC LIMIT ?1",
            params![n as i64],
        )?;
        Ok((active, failed))
    }

    /// The newest recording whose take is `take_id` (an index lookup).
    pub fn by_take(&self, take_id: &str) -> Result<Option<Recording>, StoreError> {
        if self.version < JOBS_SCHEMA {
            return Ok(None);
        }
        rows::by_take(&self.conn, take_id).map_err(self.err())
    }

    /// Every recording in these phases, newest first.
    pub fn in_phases(&self, phases: &[Phase]) -> Result<Vec<Recording>, StoreError> {
        let mut out = Vec::new();
        for phase in phases {
            out.extend(self.collect(
                "SELECT data FROM recordings WHERE phase = ?1 ORDER BY seq DESC",
                params![phase.as_str()],
            )?);
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.seq));
        Ok(out)
    }

    /// The `n` newest recordings in these phases (each read from its phase's index).
    pub fn newest_in_phases(
        &self,
        phases: &[Phase],
        n: usize,
    ) -> Result<Vec<Recording>, StoreError> {
        let mut out = Vec::new();
        for phase in phases {
            out.extend(self.collect(
                "SELECT data FROM recordings WHERE phase = ?1 ORDER BY seq DESC LIMIT ?2",
                params![phase.as_str(), n as i64],
            )?);
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.seq));
        out.truncate(n);
        Ok(out)
    }

    /// The `n` oldest recordings in one phase (by their latest step).
    pub fn oldest_in_phase(&self, phase: Phase, n: usize) -> Result<Vec<Recording>, StoreError> {
        self.collect(
            "SELECT data FROM recordings WHERE phase = ?1 ORDER BY seq LIMIT ?2",
            params![phase.as_str(), n as i64],
        )
    }

    /// The newest recording for a folder and stem (an index lookup).
    pub fn latest_for(&self, dir: &Path, stem: &str) -> Result<Option<Recording>, StoreError> {
        rows::latest(&self.conn, dir, stem).map_err(self.err())
    }

    /// Every recording changed at or after `since_ms`, newest first.
    pub fn since(&self, since_ms: i64) -> Result<Vec<Recording>, StoreError> {
        self.collect(SINCE, params![since_ms])
    }

    /// The recordings of one device and stem (a new version of a file is a new recording), oldest first.
    pub fn named(&self, device: &str, stem: &str) -> Result<Vec<Recording>, StoreError> {
        self.collect(
            "SELECT data FROM recordings WHERE device = ?1 AND stem = ?2 ORDER BY seq",
            params![device, stem],
        )
    }

    /// Every step of one recording, in order.
    pub fn steps(&self, rec: &str) -> Result<Vec<Step>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.seq, s.at_ms, s.event FROM steps s JOIN recordings r ON r.rid = s.rid
                 WHERE r.id = ?1 ORDER BY s.seq",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([rec], |r| {
                let event: String = r.get(2)?;
                let at = std::time::UNIX_EPOCH
                    + std::time::Duration::from_millis(r.get::<_, i64>(1)?.max(0) as u64);
                Ok(Step {
                    seq: r.get::<_, i64>(0)? as u64,
                    t: humantime::format_rfc3339_millis(at).to_string(),
                    event: serde_json::from_str(&event).unwrap_or(serde_json::Value::String(event)),
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(self.err())?;
        Ok(rows)
    }

    fn collect(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Recording>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        stmt.query_map(params, rows::from_row)
            .and_then(|rows| rows.collect())
            .map_err(self.err())
    }

    /// Copies the database to `to` with SQLite's online backup API (safe while `run` writes).
    pub fn backup(&self, to: &Path) -> Result<(), StoreError> {
        self.conn
            .backup(
                rusqlite::MAIN_DB,
                to,
                None::<fn(rusqlite::backup::Progress)>,
            )
            .map_err(|e| StoreError::Sql {
                op: "back up the state database to",
                path: to.to_path_buf(),
                detail: e.to_string(),
            })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `status --since` reads the recordings of its window through the time index, not every
    /// row: what it costs does not grow with history.
    #[test]
    fn the_since_questions_search_the_time_index() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let conn = schema::open_writer(&dir.path().join(DB_FILE)).expect("a new state database");
        let hour_ago = 1_800_000_000_000_i64;
        for (sql, values) in [
            (SINCE, params![hour_ago]),
            (COUNT_SINCE, params![hour_ago, "done"]),
        ] {
            let mut stmt = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("the query prepares");
            let plan: Vec<String> = stmt
                .query_map(values, |r| r.get(3))
                .and_then(|rows| rows.collect())
                .expect("a plan");
            let plan = plan.join("; ");
            assert!(
                plan.contains("SEARCH recordings USING INDEX recordings_by_time (updated_ms>?)"),
                "{sql}: {plan}"
            );
            assert!(!plan.contains("SCAN"), "{sql}: {plan}");
        }
    }
}
