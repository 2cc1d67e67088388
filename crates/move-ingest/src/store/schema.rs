//! The database file: how it is opened (WAL, foreign keys, a busy timeout), checked, and
//! migrated forward with `PRAGMA user_version`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// The database inside the state dir.
pub const DB_FILE: &str = "state.db";

/// Forward migrations, in order: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
/// Add new ones at the end; never change one that has shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: recordings (their state as columns for the indexed questions, the rest as JSON),
    // the accepted uploads (for "already done?" by file name, size and SHA-256), every step,
    // and small facts about the store itself.
    "CREATE TABLE recordings (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        dir BLOB NOT NULL,
        device TEXT NOT NULL,
        stem TEXT NOT NULL,
        phase TEXT NOT NULL,
        take_id TEXT,
        late INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX recordings_by_folder ON recordings (dir, stem, seq);
    CREATE INDEX recordings_by_name ON recordings (device, stem);
    CREATE INDEX recordings_by_phase ON recordings (phase, seq);
    CREATE INDEX recordings_by_seq ON recordings (seq);
    CREATE INDEX recordings_by_time ON recordings (updated_ms);
    CREATE INDEX recordings_late ON recordings (late) WHERE late;
    CREATE TABLE uploads (
        rid INTEGER NOT NULL REFERENCES recordings (rid) ON DELETE CASCADE,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        file_id TEXT NOT NULL,
        PRIMARY KEY (rid, role)
    ) WITHOUT ROWID;
    CREATE INDEX uploads_by_content ON uploads (name, size, sha256);
    CREATE TABLE steps (
        seq INTEGER PRIMARY KEY,
        rid INTEGER NOT NULL REFERENCES recordings (rid) ON DELETE CASCADE,
        at_ms INTEGER NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX steps_by_recording ON steps (rid, seq);
    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;",
    // 2: the `[after_take]` step of a recording whose take exists: its plan (JSON, recorded
    // durably before any file is touched) and the note it ended with. "Take exists, after-take
    // not done" and "plan recorded, not done" are partial indexes, so a start finds them
    // without reading the history.
    // Its JSON paths are checked against a serialized recording (`json_paths`).
    "ALTER TABLE recordings ADD COLUMN after_take_plan TEXT;
    ALTER TABLE recordings ADD COLUMN after_take_done TEXT;
    UPDATE recordings SET
        after_take_plan = json_extract(data, '$.after_take.planned'),
        after_take_done = json_extract(data, '$.after_take.done')
        WHERE json_extract(data, '$.after_take') IS NOT NULL;
    CREATE INDEX recordings_after_take_due ON recordings (seq)
        WHERE take_id IS NOT NULL AND after_take_done IS NULL;
    CREATE INDEX recordings_after_take_planned ON recordings (seq)
        WHERE after_take_plan IS NOT NULL AND after_take_done IS NULL;",
    // 3: the index of the account's takes that carry move-ingest's record (`listTakes`, paged
    // once per start when the state finds recordings it does not know): a lost or new state
    // dir adopts them instead of uploading again. `files` is the record's JSON list of
    // {role, name, size, sha256, file_id}; `build` is the time of the paging that last saw it.
    "CREATE TABLE take_index (
        take_id TEXT PRIMARY KEY NOT NULL,
        device_label TEXT NOT NULL,
        stem TEXT NOT NULL,
        files TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        build INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX take_index_by_name ON take_index (device_label, stem);",
    // 4: requests other processes leave for the running service (`retry` while `run` holds
    // the state dir): written by a second connection beside the writer, taken up and removed
    // by the service. `recording` NULL means every failed or retrying recording.
    "CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        recording TEXT,
        at_ms INTEGER NOT NULL
    );",
    // 5: the processing job of a recording (`[job]`): its id, state, percentage, when it was
    // last asked about and is asked next, why it failed, and which output files are downloaded
    // (JSON list of keys). `job_active` (wanted and not ended) is a partial index ordered by the
    // next poll, so a start and the follower find unfinished jobs without reading the history;
    // `jobs retry TAKE_ID` finds the recording by its take; `status` counts jobs by state.
    "ALTER TABLE recordings ADD COLUMN job_id TEXT;
    ALTER TABLE recordings ADD COLUMN job_state TEXT;
    ALTER TABLE recordings ADD COLUMN job_percent INTEGER;
    ALTER TABLE recordings ADD COLUMN job_polled_ms INTEGER;
    ALTER TABLE recordings ADD COLUMN job_next_poll_ms INTEGER;
    ALTER TABLE recordings ADD COLUMN job_failure TEXT;
    ALTER TABLE recordings ADD COLUMN job_downloaded TEXT;
    ALTER TABLE recordings ADD COLUMN job_active INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX recordings_job_active ON recordings (job_next_poll_ms, seq) WHERE job_active;
    CREATE INDEX recordings_by_take ON recordings (take_id) WHERE take_id IS NOT NULL;
    CREATE INDEX recordings_by_job_state ON recordings (job_state, seq) WHERE job_state IS NOT NULL;",
    // No query needs it (`status --since` names the time index): one index fewer to
    // rewrite at every step of every recording.
    "DROP INDEX IF EXISTS recordings_by_seq;",
    // 7: rig recordings (issue 22): the videos of one recording of a rig's cameras, and the
    // steps that make them one volume or one multicam take. `state` is `RigState::as_str`,
    // `data` the whole `RigRecording` as JSON; `rig_steps` holds every step, in order.
    // `IF NOT EXISTS`: a file taken back to an older version by hand may still hold them.
    "CREATE TABLE IF NOT EXISTS rig_recordings (
        key TEXT PRIMARY KEY NOT NULL,
        rig TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_ms INTEGER NOT NULL,
        data TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS rig_recordings_by_state ON rig_recordings (state, rig);
    CREATE TABLE IF NOT EXISTS rig_steps (
        seq INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        event TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rig_steps_by_key ON rig_steps (key, seq);",
];

/// The first schema version with the `requests` table.
pub const REQUESTS_VERSION: u32 = 4;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// How long a writer waits for the database's write lock, in 1 ms tries.
const BUSY_TRIES: i32 = 5_000;

/// The writers' busy handler: the steps' writer (which writes the rig steps too) and the take
/// index's writer take the write lock in turn for a few milliseconds each, so the lock is
/// tried again every millisecond, for up to 5 s. SQLite's own busy timeout backs off to
/// sleeps of 25-100 ms, each one a stall of every step behind it.
fn busy_retry(tries: i32) -> bool {
    std::thread::sleep(Duration::from_millis(1));
    tries < BUSY_TRIES
}

/// Opens the database for writing: WAL, foreign keys on, migrated to `SCHEMA_VERSION`
/// (`check` runs `PRAGMA quick_check` beside it).
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(StoreError::sql("open", path))?;
    conn.busy_handler(Some(busy_retry))
        .map_err(StoreError::sql("open", path))?;
    stable_plans(&conn).map_err(StoreError::sql("open", path))?;
    // The first read of the file: a file that is not SQLite fails here.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| StoreError::damaged(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::damaged(
            path,
            format!("it cannot be put in WAL mode (journal_mode is {mode})"),
        ));
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
        .map_err(StoreError::sql("set up", path))?;
    migrate(&conn, path)?;
    Ok(conn)
}

/// Opens the database read-only (`status`, `history`, `state backup`): no lock, no writes.
/// Also returns its schema version (0: the writer has only just created it).
pub fn open_reader(path: &Path) -> Result<(Connection, u32), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(StoreError::sql("open", path))?;
    conn.busy_handler(Some(busy_retry))
        .map_err(StoreError::sql("open", path))?;
    stable_plans(&conn).map_err(StoreError::sql("open", path))?;
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| StoreError::damaged(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            version,
        });
    }
    Ok((conn, version))
}

/// Statements prepared once: the cache holds every statement this crate prepares (rusqlite
/// keeps 16 by default), and their plans do not depend on the values bound (the query
/// planner stability guarantee). The bundled SQLite is built with STAT4, which otherwise may
/// prepare a cached statement again when a bound value changes (`sqlite3Reprepare` in
/// profiles). Every query here is an index lookup whose plan needs no values.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(64);
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
}

/// Runs every migration the file has not seen yet, each in its own transaction.
fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| StoreError::damaged(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            version,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let to = i + 1;
        let batch = format!("BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {to}; COMMIT;");
        if let Err(e) = conn.execute_batch(&batch) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(StoreError::sql("migrate the schema of", path)(e));
        }
        tracing::info!(path = %path.display(), version = to, "state schema migrated");
    }
    Ok(())
}
