//! The shared rows: each camera's file of a rig recording (`rig_cameras`, one row per device,
//! written once), and per rig recording its claim, formation, intents and results
//! (`rig_claims`). Times the nodes wrote are their ms since the epoch; leases are the
//! database's own clock, so that the nodes' clocks never decide who holds a claim.

use tokio_postgres::{Client, Row};

use super::{CoordError, Coordinator};

/// One camera's file as the shared rows hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedCamera {
    pub device: String,
    /// The machine whose camera it is.
    pub node: String,
    pub file_id: String,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub format: String,
    pub mtime_ms: i64,
    /// When it joined (the node's clock): the first starts the `wait_secs` clock.
    pub joined_ms: i64,
    /// `group = "time"`: the camera's recording interval (else `None`).
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// The claim on a rig recording and what its claimers recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedClaim {
    pub claimed_by: Option<String>,
    /// How long the lease still holds (negative: lapsed), by the database's clock.
    pub lease_left_ms: Option<i64>,
    /// Once formed: the cameras that never came.
    pub missing: Option<Vec<String>>,
    /// `createVolumeWithHuman` sent: first and latest (ms).
    pub volume_requested: Option<(i64, i64)>,
    pub volume_id: Option<String>,
    pub volume_state: Option<String>,
    /// `createMultiCamTake` sent: first and latest (ms), on which volume.
    pub take_requested: Option<(i64, i64)>,
    pub take_volume_id: Option<String>,
    pub take_id: Option<String>,
}

/// A rig recording as the shared rows hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedRecording {
    /// `RIG/GROUP`, as in each node's state.
    pub key: String,
    pub rig: String,
    pub calibration: bool,
    pub cameras: Vec<SharedCamera>,
    pub claim: SharedClaim,
}

/// What a claim attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This node holds it now; `from`: the node whose lapsed claim it took over.
    Mine { from: Option<String> },
    /// Another node holds it for `left_ms` more.
    Held { by: String, left_ms: i64 },
}

/// A request about to be sent, recorded before it is (with the formation it is made of).
#[derive(Debug, Clone)]
pub enum Intent {
    Volume { at_ms: i64 },
    Take { at_ms: i64, volume_id: String },
}

/// What a node knows happened: recorded by any node, never undone.
#[derive(Debug, Clone, Default)]
pub struct Outcomes {
    /// Requests sent: first and latest (ms).
    pub volume_requested: Option<(i64, i64)>,
    pub take_requested: Option<(i64, i64)>,
    pub missing: Option<Vec<String>>,
    pub volume_id: Option<String>,
    pub volume_state: Option<String>,
    pub take_id: Option<String>,
    pub take_volume_id: Option<String>,
}

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

    /// Claims a rig recording for this node: free, already this node's, or lapsed
    /// (`FOR UPDATE SKIP LOCKED`: two nodes asking at once never both get it).
    pub async fn claim(
        &self,
        key: &str,
        rig: &str,
        calibration: bool,
    ) -> Result<Claim, CoordError> {
        let (node, lease) = (self.node(), self.lease_ms());
        on_client!(self, |c| claim(c, key, rig, calibration, node, lease))
    }

    /// Records a request before it is sent, only while this node's claim holds (renewing
    /// it), nothing is made yet, and the latest request of its kind is the one this node knows
    /// (`known`); `false`: nothing may be sent (the claim is gone, or the rows hold what this
    /// node has not seen).
    pub async fn intend(
        &self,
        key: &str,
        missing: &[String],
        intent: &Intent,
        known: Option<i64>,
    ) -> Result<bool, CoordError> {
        let (volume_at, take_at, take_volume) = match intent {
            Intent::Volume { at_ms } => (Some(*at_ms), None, None),
            Intent::Take { at_ms, volume_id } => (None, Some(*at_ms), Some(volume_id.as_str())),
        };
        let missing = missing.to_vec();
        let (node, lease) = (self.node(), self.lease_ms());
        let sql = "UPDATE rig_claims SET missing = COALESCE(missing, $3),
              volume_first_ms = COALESCE(volume_first_ms, $4), volume_last_ms = COALESCE($4, volume_last_ms),
              take_first_ms = COALESCE(take_first_ms, $5), take_last_ms = COALESCE($5, take_last_ms),
              take_volume_id = COALESCE($6, take_volume_id),
              lease_until = now() + $7::bigint * interval '1 millisecond', updated = now()
            WHERE rig_recording = $1 AND claimed_by = $2 AND lease_until > now() AND take_id IS NULL
              AND (CASE WHEN $4::bigint IS NULL THEN take_last_ms ELSE volume_last_ms END)
                  IS NOT DISTINCT FROM $8::bigint
              AND ($4::bigint IS NULL OR volume_id IS NULL)";
        let n = on_client!(self, |c| async {
            c.execute(
                sql,
                &[
                    &key,
                    &node,
                    &missing,
                    &volume_at,
                    &take_at,
                    &take_volume,
                    &lease,
                    &known,
                ],
            )
            .await
            .map_err(CoordError::sql("record an intent"))
        })?;
        Ok(n == 1)
    }

    /// Records what happened (requests sent, a volume, its state, a take): facts, whoever
    /// learnt them (an emptied or restored database is rebuilt from them).
    pub async fn record(&self, key: &str, o: &Outcomes) -> Result<(), CoordError> {
        let (vf, vl) = (o.volume_requested.map(|v| v.0), o.volume_requested.map(|v| v.1));
        let (tf, tl) = (o.take_requested.map(|t| t.0), o.take_requested.map(|t| t.1));
        let sql = "UPDATE rig_claims SET missing = COALESCE(missing, $2),
              volume_id = COALESCE(volume_id, $3),
              volume_state = CASE WHEN $4::text IS NULL THEN volume_state
                  WHEN volume_state IN ('FINISHED', 'FAILED') THEN volume_state ELSE $4 END,
              take_id = COALESCE(take_id, $5), take_volume_id = COALESCE(take_volume_id, $6),
              volume_first_ms = LEAST(volume_first_ms, $7::bigint),
              volume_last_ms = GREATEST(volume_last_ms, $8::bigint),
              take_first_ms = LEAST(take_first_ms, $9::bigint),
              take_last_ms = GREATEST(take_last_ms, $10::bigint),
              updated = now()
            WHERE rig_recording = $1";
        on_client!(self, |c| async {
            c.execute(
                sql,
                &[
                    &key,
                    &o.missing,
                    &o.volume_id,
                    &o.volume_state,
                    &o.take_id,
                    &o.take_volume_id,
                    &vf,
                    &vl,
                    &tf,
                    &tl,
                ],
            )
            .await
            .map_err(CoordError::sql("record a result"))
        })?;
        Ok(())
    }

    /// Renews every claim this node holds on a recording without a take; returns how many.
    pub async fn renew(&self) -> Result<u64, CoordError> {
        let (node, lease) = (self.node(), self.lease_ms());
        let sql =
            "UPDATE rig_claims SET lease_until = now() + $2::bigint * interval '1 millisecond'
            WHERE claimed_by = $1 AND lease_until > now() AND take_id IS NULL";
        on_client!(self, |c| async {
            c.execute(sql, &[&node, &lease])
                .await
                .map_err(CoordError::sql("renew this node's claims"))
        })
    }

    /// Lets a finished rig recording's claim go (its claimer stays named).
    pub async fn release(&self, key: &str) -> Result<(), CoordError> {
        let node = self.node();
        let sql = "UPDATE rig_claims SET lease_until = now() WHERE rig_recording = $1 AND claimed_by = $2";
        on_client!(self, |c| async {
            c.execute(sql, &[&key, &node])
                .await
                .map_err(CoordError::sql("release a claim"))
        })?;
        Ok(())
    }

    fn lease_ms(&self) -> i64 {
        self.lease().as_millis() as i64
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
    tx.commit()
        .await
        .map_err(CoordError::sql("commit the cameras"))
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

async fn claim(
    c: &mut Client,
    key: &str,
    rig: &str,
    calibration: bool,
    node: &str,
    lease_ms: i64,
) -> Result<Claim, CoordError> {
    let tx = c
        .transaction()
        .await
        .map_err(CoordError::sql("begin a claim"))?;
    tx.execute(
        "INSERT INTO rig_claims (rig_recording, rig, calibration) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&key, &rig, &calibration],
    )
    .await
    .map_err(CoordError::sql("record a rig recording"))?;
    let free = tx
        .query_opt(
            "SELECT claimed_by FROM rig_claims WHERE rig_recording = $1
               AND (claimed_by IS NULL OR claimed_by = $2 OR lease_until < now())
             FOR UPDATE SKIP LOCKED",
            &[&key, &node],
        )
        .await
        .map_err(CoordError::sql("lock a claim"))?;
    let got = match free {
        Some(row) => {
            let from: Option<String> = row.get(0);
            tx.execute(
                "UPDATE rig_claims SET claimed_by = $2, lease_until = now() + $3::bigint * interval '1 millisecond',
                   updated = now() WHERE rig_recording = $1",
                &[&key, &node, &lease_ms],
            )
            .await
            .map_err(CoordError::sql("take a claim"))?;
            Claim::Mine {
                from: from.filter(|f| f != node),
            }
        }
        None => {
            let row = tx
                .query_one(
                    "SELECT claimed_by, (extract(epoch from (lease_until - now())) * 1000)::bigint
                     FROM rig_claims WHERE rig_recording = $1",
                    &[&key],
                )
                .await
                .map_err(CoordError::sql("read a claim"))?;
            Claim::Held {
                by: row.get::<_, Option<String>>(0).unwrap_or_default(),
                left_ms: row.get::<_, Option<i64>>(1).unwrap_or(0),
            }
        }
    };
    tx.commit()
        .await
        .map_err(CoordError::sql("commit a claim"))?;
    Ok(got)
}
