//! Requests to the running service from other processes: `retry` while `run` holds the state
//! dir. They are rows of the small `requests` table in `state.db`, written through a second
//! connection beside the writer (WAL lets it; the busy timeout waits out the writer's short
//! transactions), taken up by the service within seconds and then removed. A request left
//! when no service runs is taken up at the next start.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, params};

use super::schema::REQUESTS_VERSION;
use super::{DB_FILE, StoreError};

/// How long a request waits for the writer's lock on the database.
const BUSY: Duration = Duration::from_secs(5);

/// The `meta` key the running service writes its pid under: `retry` leaves a request only
/// for a service (a `backfill` holding the lock takes up none).
const SERVICE_PID: &str = "service_pid";

/// Whether the process holding the state dir's lock is a running service (`run`).
pub fn service_holds(dir: &Path) -> bool {
    let Ok(lock) = std::fs::read_to_string(dir.join(super::LOCK_FILE)) else {
        return false;
    };
    let path = dir.join(DB_FILE);
    let Ok(conn) = open(&path) else {
        return false;
    };
    let service: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [SERVICE_PID],
            |r| r.get(0),
        )
        .ok();
    service.is_some_and(|pid| pid == lock.trim())
}

/// One request: put back in the queue this recording, or every failed or retrying one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: i64,
    pub recording: Option<String>,
}

/// A read-write connection to `state.db` for requests only (no lock, no migration).
fn open(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(StoreError::sql("open", path))?;
    conn.busy_timeout(BUSY)
        .map_err(StoreError::sql("open", path))?;
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(StoreError::sql("read", path))?;
    if version < REQUESTS_VERSION {
        return Err(StoreError::Sql {
            op: "leave a request in",
            path: path.to_path_buf(),
            detail: format!(
                "its schema (version {version}) is older than requests need ({REQUESTS_VERSION}): the running service is an older release; restart it (`systemctl restart move-ingest`) and try again"
            ),
        });
    }
    Ok(conn)
}

/// Leaves a retry request for the service that holds the state dir `dir`; returns its id.
pub fn ask_retry(dir: &Path, recording: Option<&str>) -> Result<i64, StoreError> {
    let path = dir.join(DB_FILE);
    let conn = open(&path)?;
    let at_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    conn.execute(
        "INSERT INTO requests (kind, recording, at_ms) VALUES ('retry', ?1, ?2)",
        params![recording, at_ms],
    )
    .map_err(StoreError::sql("write a request to", &path))?;
    Ok(conn.last_insert_rowid())
}

/// Whether request `id` is still waiting for the service.
pub fn waiting(dir: &Path, id: i64) -> Result<bool, StoreError> {
    let path = dir.join(DB_FILE);
    let conn = open(&path)?;
    conn.query_row("SELECT count(*) FROM requests WHERE id = ?1", [id], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n > 0)
    .map_err(StoreError::sql("read", &path))
}

/// The service's side: the requests waiting, and their removal once taken up.
pub struct Inbox {
    conn: Connection,
    path: PathBuf,
}

impl Inbox {
    /// Opens the requests of the database at `path`, and says that this process (holding
    /// the lock) is the service that takes them up.
    pub fn open(path: &Path) -> Result<Inbox, StoreError> {
        let conn = open(path)?;
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![SERVICE_PID, std::process::id().to_string()],
        )
        .map_err(StoreError::sql("write to", path))?;
        Ok(Inbox {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The retry requests waiting, oldest first.
    pub fn pending(&self) -> Result<Vec<Request>, StoreError> {
        let err = StoreError::sql("read the requests in", &self.path);
        let read = || -> rusqlite::Result<Vec<Request>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, recording FROM requests WHERE kind = 'retry' ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Request {
                    id: r.get(0)?,
                    recording: r.get(1)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(err)
    }

    /// Removes requests that were taken up.
    pub fn done(&self, ids: &[i64]) -> Result<(), StoreError> {
        for id in ids {
            self.conn
                .execute("DELETE FROM requests WHERE id = ?1", [id])
                .map_err(StoreError::sql("remove a request from", &self.path))?;
        }
        Ok(())
    }
}
