//! Rig grouping by recording time (`group = "time"`, issue 25), pure: which rig recording a
//! camera's video joins, given the interval its file says it was recorded in and the rig's
//! recordings still collecting cameras.
//!
//! A video joins a recording when it is of one recording with every other camera's video
//! there ([`Interval::same_recording`]); of several, the one it overlaps most. A recording
//! that already has a video of the same camera takes the new one only if it overlaps more
//! (that one is then placed again); otherwise the video starts a recording of its own,
//! named by its start (`YYYYMMDD-HHMMSS`, UTC).

use crate::config::MulticamConfig;
use crate::model::interval::Interval;
use crate::model::rig::RigRecording;

/// Where a camera's video goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Joins the rig recording `key`; `replaces`: the video of the same camera there leaves
    /// it (and is placed again).
    Join { key: String, replaces: bool },
    /// Starts a rig recording of its own.
    New,
}

/// How well a video fits a recording: the overlap within the clocks' tolerance, then the
/// overlap as the clocks say, summed over the recording's other cameras.
type Score = (i64, i64);

/// Where the video of `device` recorded in `interval` goes, among `collecting` (the rig's
/// recordings not formed yet, of the same kind: calibration or not).
pub fn place(
    device: &str,
    interval: &Interval,
    collecting: &[RigRecording],
    tolerance_ms: i64,
) -> Place {
    let best = collecting
        .iter()
        .filter_map(|rec| {
            let score = fit(rec, device, interval, tolerance_ms)?;
            let replaces = match rec.cameras.get(device) {
                None => false,
                Some(held) => {
                    let theirs = held
                        .interval
                        .as_ref()
                        .and_then(|iv| fit(rec, device, iv, tolerance_ms));
                    if theirs.is_some_and(|t| t >= score) {
                        return None;
                    }
                    true
                }
            };
            Some((score, rec, replaces))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.key.cmp(&a.1.key)));
    match best {
        Some((_, rec, replaces)) => Place::Join {
            key: rec.key.clone(),
            replaces,
        },
        None => Place::New,
    }
}

/// How `interval` of `device` fits `rec`: `None` unless it is of one recording with the video
/// of every other camera there (and there is one).
fn fit(rec: &RigRecording, device: &str, interval: &Interval, tolerance_ms: i64) -> Option<Score> {
    let others: Vec<Interval> = rec
        .cameras
        .values()
        .filter(|c| c.device != device)
        .map(|c| c.interval)
        .collect::<Option<Vec<_>>>()?;
    if others.is_empty()
        || !others
            .iter()
            .all(|o| interval.same_recording(o, tolerance_ms))
    {
        return None;
    }
    Some(others.iter().fold((0, 0), |(w, r), o| {
        (
            w + interval.overlap_within(o, tolerance_ms),
            r + interval.overlap_ms(o),
        )
    }))
}

/// Why a time-grouped recording that only one camera has gets no take: its file, when it was
/// recorded, and what to do.
pub fn too_few(rig: &MulticamConfig, rec: &RigRecording, tolerance_ms: i64) -> String {
    let files: Vec<String> = rec
        .cameras
        .values()
        .map(|c| format!("{}/{}", c.device, c.name))
        .collect();
    let when = rec
        .cameras
        .values()
        .find_map(|c| c.interval)
        .map_or_else(String::new, |i| format!(" (recorded {})", i.describe()));
    format!(
        "only {}{when} was recorded then: no other camera of rig {} has a video overlapping it (camera clocks allowed {} s apart, clock_tolerance_secs), and a multicam take needs at least two. A stray clip: leave it or delete it, nothing waits for it. If the other cameras did record it: set their clocks alike (or raise clock_tolerance_secs) and copy their videos into their folders, then `move-ingest retry`",
        files.join(", "),
        rig.name,
        tolerance_ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests;
