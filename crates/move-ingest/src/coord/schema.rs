//! The shared schema, versioned: every node runs the migration when it connects, under a
//! transaction-scoped advisory lock, so that any number of nodes starting at once create it
//! exactly once; a database migrated by a newer move-ingest is refused, not changed.

use tokio_postgres::Client;

use super::CoordError;

/// The shared schema this build writes.
pub const VERSION: i32 = 1;
/// The advisory lock that serialises migrations (an arbitrary constant: "move-ingest").
const LOCK: i64 = 0x6d6f_7665_2d69_6e67;

const V1: &str = "
CREATE TABLE IF NOT EXISTS rig_cameras (
    rig_recording text NOT NULL,
    device text NOT NULL,
    node text NOT NULL,
    file_id text NOT NULL,
    name text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    format text NOT NULL,
    mtime_ms bigint NOT NULL,
    joined_ms bigint NOT NULL,
    start_ms bigint,
    end_ms bigint,
    PRIMARY KEY (rig_recording, device)
);
CREATE TABLE IF NOT EXISTS rig_claims (
    rig_recording text PRIMARY KEY,
    rig text NOT NULL,
    calibration boolean NOT NULL,
    claimed_by text,
    lease_until timestamptz,
    missing text[],
    volume_first_ms bigint,
    volume_last_ms bigint,
    volume_id text,
    volume_state text,
    take_first_ms bigint,
    take_last_ms bigint,
    take_volume_id text,
    take_id text,
    updated timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rig_aliases (
    node text NOT NULL,
    local_key text NOT NULL,
    rig_recording text NOT NULL,
    PRIMARY KEY (node, local_key)
);
";

/// Creates or checks the schema; returns when this database was made (ms since the epoch):
/// a database younger than a rig recording may have lost its rows (emptied, restored).
pub async fn migrate(client: &mut Client) -> Result<i64, CoordError> {
    let tx = client
        .transaction()
        .await
        .map_err(CoordError::sql("begin the migration"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await
        .map_err(CoordError::sql("lock the migration"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, created_ms bigint NOT NULL)",
    )
    .await
    .map_err(CoordError::sql("create schema_version"))?;
    let row = tx
        .query_opt("SELECT version, created_ms FROM schema_version", &[])
        .await
        .map_err(CoordError::sql("read schema_version"))?;
    let created_ms = match row {
        Some(r) => {
            let version: i32 = r.get(0);
            if version > VERSION {
                return Err(CoordError::newer(version));
            }
            r.get(1)
        }
        None => {
            tx.batch_execute(V1)
                .await
                .map_err(CoordError::sql("create the rig tables"))?;
            let now: i64 = tx
                .query_one(
                    "INSERT INTO schema_version (version, created_ms) VALUES ($1, (extract(epoch from now()) * 1000)::bigint) RETURNING created_ms",
                    &[&VERSION],
                )
                .await
                .map_err(CoordError::sql("record the schema version"))?
                .get(0);
            now
        }
    };
    tx.commit()
        .await
        .map_err(CoordError::sql("commit the migration"))?;
    Ok(created_ms)
}
