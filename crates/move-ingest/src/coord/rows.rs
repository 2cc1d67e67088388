//! Reading and writing the shared rows: each camera's file of a rig recording (`rig_cameras`,
//! one row per device, written once), and per rig recording its claim row (`rig_claims`).
//! Times the nodes wrote are their ms since the epoch.

use tokio_postgres::{Client, Row, Transaction};

use super::types::{SharedCamera, SharedClaim, SharedRecording};
use super::{CoordError, Coordinator};

const CLAIM_COLUMNS: &str = "rig_recording, rig, calibration, claimed_by, \
    (extract(epoch from (lease_until - now())) * 1000)::bigint, missing, volume_first_ms, \
    volume_last_ms, volume_id, volume_state, take_first_ms, take_last_ms, take_volume_id, take_id";
const CAMERA_COLUMNS: &str = "rig_recording, device, node, file_id, name, size, sha256, format, \
    mtime_ms, joined_ms, start_ms, end_ms";

impl Coordinator {
    /// Records this node's cameras of a rig recording (each once: a row already there stays).
    pub async fn publish(
        &self,
        key: &str,
        rig: &str,
        calibration: bool,
        cameras: &[SharedCamera],
    ) -> Result<(), CoordError> {
        on_client!(self, |c| publish(c, key, rig, calibration, cameras))
    }

    /// The shared rows of one rig recording (`None`: none yet).
    pub async fn read(&self, key: &str) -> Result<Option<SharedRecording>, CoordError> {
        let sql = format!("SELECT {CLAIM_COLUMNS} FROM rig_claims WHERE rig_recording = $1");
        let mut all = on_client!(self, |c| read(c, &sql, &[&key]))?;
        Ok(all.pop())
    }

    /// The rig recordings of the shared rows: every one without a take, then the newest
    /// `newest` with one (for `status`).
    pub async fn list(&self, newest: i64) -> Result<Vec<SharedRecording>, CoordError> {
        let sql = format!(
            "(SELECT {CLAIM_COLUMNS} FROM rig_claims WHERE take_id IS NULL)
             UNION ALL
             (SELECT {CLAIM_COLUMNS} FROM rig_claims WHERE take_id IS NOT NULL ORDER BY updated DESC LIMIT $1)"
        );
        on_client!(self, |c| read(c, &sql, &[&newest]))
    }
}

async fn publish(
    c: &mut Client,
    key: &str,
    rig: &str,
    calibration: bool,
    cameras: &[SharedCamera],
) -> Result<(), CoordError> {
    let tx = c
        .transaction()
        .await
        .map_err(CoordError::sql("begin recording cameras"))?;
    write_cameras(&tx, key, rig, calibration, cameras).await?;
    tx.commit()
        .await
        .map_err(CoordError::sql("commit the cameras"))
}

/// Inserts the recording's claim row and each camera's row, keeping any already there.
pub(super) async fn write_cameras(
    tx: &Transaction<'_>,
    key: &str,
    rig: &str,
    calibration: bool,
    cameras: &[SharedCamera],
) -> Result<(), CoordError> {
    tx.execute(
        "INSERT INTO rig_claims (rig_recording, rig, calibration) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&key, &rig, &calibration],
    )
    .await
    .map_err(CoordError::sql("record a rig recording"))?;
    let sql = format!(
        "INSERT INTO rig_cameras ({CAMERA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (rig_recording, device) DO NOTHING"
    );
    for cam in cameras {
        let size = cam.size as i64;
        tx.execute(
            &sql,
            &[
                &key,
                &cam.device,
                &cam.node,
                &cam.file_id,
                &cam.name,
                &size,
                &cam.sha256,
                &cam.format,
                &cam.mtime_ms,
                &cam.joined_ms,
                &cam.start_ms,
                &cam.end_ms,
            ],
        )
        .await
        .map_err(CoordError::sql("record a camera's file"))?;
    }
    Ok(())
}

async fn read(
    c: &mut Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<SharedRecording>, CoordError> {
    let claims = c
        .query(sql, params)
        .await
        .map_err(CoordError::sql("read the rig recordings"))?;
    let keys: Vec<String> = claims.iter().map(|r| r.get(0)).collect();
    let sql = format!(
        "SELECT {CAMERA_COLUMNS} FROM rig_cameras WHERE rig_recording = ANY($1) ORDER BY device"
    );
    let cams = c
        .query(&sql, &[&keys])
        .await
        .map_err(CoordError::sql("read the cameras' files"))?;
    Ok(claims
        .iter()
        .map(|r| {
            let key: String = r.get(0);
            let cameras = cams
                .iter()
                .filter(|c| c.get::<_, String>(0) == key)
                .map(camera)
                .collect();
            SharedRecording {
                rig: r.get(1),
                calibration: r.get(2),
                cameras,
                claim: claim_of(r),
                key,
            }
        })
        .collect())
}

fn camera(r: &Row) -> SharedCamera {
    SharedCamera {
        device: r.get(1),
        node: r.get(2),
        file_id: r.get(3),
        name: r.get(4),
        size: r.get::<_, i64>(5).max(0) as u64,
        sha256: r.get(6),
        format: r.get(7),
        mtime_ms: r.get(8),
        joined_ms: r.get(9),
        start_ms: r.get(10),
        end_ms: r.get(11),
    }
}

fn claim_of(r: &Row) -> SharedClaim {
    let pair =
        |a: usize, b: usize| Some((r.get::<_, Option<i64>>(a)?, r.get::<_, Option<i64>>(b)?));
    SharedClaim {
        claimed_by: r.get(3),
        lease_left_ms: r.get(4),
        missing: r.get(5),
        volume_requested: pair(6, 7),
        volume_id: r.get(8),
        volume_state: r.get(9),
        take_requested: pair(10, 11),
        take_volume_id: r.get(12),
        take_id: r.get(13),
    }
}
