//! Claims: a node takes a rig recording in a transaction (`FOR UPDATE SKIP LOCKED`), renews it
//! while it works, records each request before sending it (only while its claim holds and it
//! has seen every earlier request) and what happened after; leases run on the database's clock.

use tokio_postgres::Client;

use super::types::{Claim, Intent, Outcomes};
use super::{CoordError, Coordinator};

impl Coordinator {
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
        let (vf, vl) = (
            o.volume_requested.map(|v| v.0),
            o.volume_requested.map(|v| v.1),
        );
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
    /// Also notices a database emptied and made again meanwhile (its schema's time changed):
    /// that counts as a new connection, after which every node records all it knows again.
    pub async fn renew(&self) -> Result<u64, CoordError> {
        let (node, lease) = (self.node(), self.lease_ms());
        let sql =
            "UPDATE rig_claims SET lease_until = now() + $2::bigint * interval '1 millisecond'
            WHERE claimed_by = $1 AND lease_until > now() AND take_id IS NULL";
        let (renewed, created) = on_client!(self, |c| async {
            let renewed = c
                .execute(sql, &[&node, &lease])
                .await
                .map_err(CoordError::sql("renew this node's claims"))?;
            let created: i64 = c
                .query_one("SELECT created_ms FROM schema_version", &[])
                .await
                .map_err(CoordError::sql("read schema_version"))?
                .get(0);
            Ok((renewed, created))
        })?;
        self.note_created(created);
        Ok(renewed)
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
