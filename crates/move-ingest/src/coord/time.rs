//! `group = "time"` over several machines: each machine names a rig recording by the start
//! of its own cameras' videos, so the same recording may have another name on each. The first
//! machine's name is the shared one; another machine's recording joins it when its videos are
//! of one recording with every camera's there (the same rule as on one machine), and
//! `rig_aliases` remembers which shared recording each machine's is. Placed under a lock per
//! rig, in the transaction that records the cameras, so two machines never place at once.

use tokio_postgres::{Client, Transaction};

use super::rows::write_cameras;
use super::types::SharedCamera;
use super::{CoordError, Coordinator};
use crate::model::interval::{Clock, Interval};

impl Coordinator {
    /// Records this machine's time-grouped cameras of its rig recording `local` and returns
    /// the shared recording's key (placed the first time, then as remembered).
    pub async fn publish_by_time(
        &self,
        local: &str,
        rig: &str,
        calibration: bool,
        cameras: &[SharedCamera],
        tolerance_ms: i64,
    ) -> Result<String, CoordError> {
        let node = self.node();
        on_client!(self, |c| place(
            c,
            node,
            local,
            rig,
            calibration,
            cameras,
            tolerance_ms
        ))
    }
}

async fn place(
    c: &mut Client,
    node: &str,
    local: &str,
    rig: &str,
    calibration: bool,
    cameras: &[SharedCamera],
    tolerance_ms: i64,
) -> Result<String, CoordError> {
    let tx = c
        .transaction()
        .await
        .map_err(CoordError::sql("begin placing a recording"))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('move-ingest rig ' || $1)::bigint)",
        &[&rig],
    )
    .await
    .map_err(CoordError::sql("lock the rig's placing"))?;
    let known = tx
        .query_opt(
            "SELECT rig_recording FROM rig_aliases WHERE node = $1 AND local_key = $2",
            &[&node, &local],
        )
        .await
        .map_err(CoordError::sql("read a recording's shared name"))?;
    let key = match known {
        Some(row) => row.get(0),
        None => {
            let key = choose(&tx, node, local, rig, calibration, cameras, tolerance_ms).await?;
            tx.execute(
                "INSERT INTO rig_aliases (node, local_key, rig_recording) VALUES ($1, $2, $3)",
                &[&node, &local, &key],
            )
            .await
            .map_err(CoordError::sql("record a recording's shared name"))?;
            key
        }
    };
    write_cameras(&tx, &key, rig, calibration, cameras).await?;
    tx.commit()
        .await
        .map_err(CoordError::sql("commit placing a recording"))?;
    Ok(key)
}

/// The shared recording these cameras are of: one still collecting whose every camera's video
/// is of one recording with each of these (and none of the same device), the best overlap
/// first; else a new one under this machine's name (with `@NODE` if that name is taken).
async fn choose(
    tx: &Transaction<'_>,
    node: &str,
    local: &str,
    rig: &str,
    calibration: bool,
    cameras: &[SharedCamera],
    tolerance_ms: i64,
) -> Result<String, CoordError> {
    let rows = tx
        .query(
            "SELECT c.rig_recording, m.device, m.start_ms, m.end_ms FROM rig_claims c
               JOIN rig_cameras m ON m.rig_recording = c.rig_recording
             WHERE c.rig = $1 AND c.calibration = $2 AND c.missing IS NULL",
            &[&rig, &calibration],
        )
        .await
        .map_err(CoordError::sql("read the rig's recordings"))?;
    let mut by_key: std::collections::BTreeMap<String, Vec<(String, Option<Interval>)>> =
        Default::default();
    for r in &rows {
        let iv = interval(r.get(2), r.get(3));
        by_key.entry(r.get(0)).or_default().push((r.get(1), iv));
    }
    let mine: Vec<(&str, Option<Interval>)> = cameras
        .iter()
        .map(|c| (c.device.as_str(), interval(c.start_ms, c.end_ms)))
        .collect();
    let best = by_key
        .iter()
        .filter_map(|(key, theirs)| Some((fit(&mine, theirs, tolerance_ms)?, key)))
        .max_by_key(|(score, _)| *score);
    if let Some((_, key)) = best {
        return Ok(key.clone());
    }
    let taken = tx
        .query_opt(
            "SELECT 1 FROM rig_claims WHERE rig_recording = $1",
            &[&local],
        )
        .await
        .map_err(CoordError::sql("read a rig recording"))?;
    Ok(match taken {
        Some(_) => format!("{local}@{node}"),
        None => local.to_string(),
    })
}

/// How well these cameras fit a recording (the summed overlap); `None`: they are not of it.
fn fit(
    mine: &[(&str, Option<Interval>)],
    theirs: &[(String, Option<Interval>)],
    tolerance_ms: i64,
) -> Option<i64> {
    let mut score = 0;
    for (device, iv) in mine {
        let iv = (*iv)?;
        for (other, theirs) in theirs {
            let theirs = (*theirs)?;
            if other == device || !iv.same_recording(&theirs, tolerance_ms) {
                return None;
            }
            score += iv.overlap_within(&theirs, tolerance_ms);
        }
    }
    Some(score)
}

fn interval(start_ms: Option<i64>, end_ms: Option<i64>) -> Option<Interval> {
    Some(Interval {
        start_ms: start_ms?,
        end_ms: end_ms?,
        clock: Clock::Mvhd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start_ms: i64, secs: i64) -> Option<Interval> {
        interval(Some(start_ms), Some(start_ms + secs * 1000))
    }

    #[test]
    fn a_machines_cameras_fit_a_recording_only_with_every_camera_there_and_no_device_twice() {
        let theirs = vec![
            ("cam-1".to_string(), iv(0, 30)),
            ("cam-2".to_string(), iv(1_500, 30)),
        ];
        let fits = fit(&[("cam-3", iv(-1_500, 30))], &theirs, 5_000);
        assert!(fits.is_some_and(|s| s > 0), "{fits:?}");
        // Five minutes later: another recording.
        assert_eq!(fit(&[("cam-3", iv(300_000, 30))], &theirs, 5_000), None);
        // The same camera cannot be in a recording twice.
        assert_eq!(fit(&[("cam-2", iv(0, 30))], &theirs, 5_000), None);
        // A file that does not say when it was recorded fits nothing.
        assert_eq!(fit(&[("cam-3", None)], &theirs, 5_000), None);
    }
}
