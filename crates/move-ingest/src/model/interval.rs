//! When a rig camera's video was recorded (issue 25): its interval in UTC, as read from the
//! file itself (`detect/mp4`), and the rule that tells two cameras' videos are one recording.
//! Plain data (start and end in ms since the epoch, UTC) that a state or a shared database
//! can store as it is.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// Which clock of the file gave the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// `moov/mvhd` creation time.
    Mvhd,
    /// The start of the timecode track (`tmcd`), on the day of the `mvhd` creation time.
    Timecode,
}

/// A video's recording interval: `[start_ms, end_ms)`, ms since the epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start_ms: i64,
    pub end_ms: i64,
    pub clock: Clock,
}

impl Interval {
    /// How long the video runs (ms; never negative).
    pub fn len_ms(&self) -> i64 {
        (self.end_ms - self.start_ms).max(0)
    }

    /// How long both intervals cover, as their clocks say (ms).
    pub fn overlap_ms(&self, other: &Interval) -> i64 {
        (self.end_ms.min(other.end_ms) - self.start_ms.max(other.start_ms)).max(0)
    }

    /// The largest overlap when the two clocks may differ by up to `tolerance_ms`: `other`
    /// moved toward `self` by at most that much (the overlap is largest with the centres
    /// lined up).
    pub fn overlap_within(&self, other: &Interval, tolerance_ms: i64) -> i64 {
        let centres = (self.start_ms + self.end_ms) - (other.start_ms + other.end_ms);
        let shift = (centres / 2).clamp(-tolerance_ms, tolerance_ms);
        let moved = Interval {
            start_ms: other.start_ms + shift,
            end_ms: other.end_ms + shift,
            clock: other.clock,
        };
        self.overlap_ms(&moved)
    }

    /// Whether two cameras' videos are of one recording: they overlap (within the clocks'
    /// tolerance) by at least half of the shorter one.
    pub fn same_recording(&self, other: &Interval, tolerance_ms: i64) -> bool {
        let shorter = self.len_ms().min(other.len_ms());
        let overlap = self.overlap_within(other, tolerance_ms);
        overlap > 0 && 2 * overlap >= shorter
    }

    /// The start as a recording's name: `YYYYMMDD-HHMMSS`, UTC.
    pub fn stem(&self) -> String {
        let rfc = humantime::format_rfc3339_seconds(at(self.start_ms)).to_string();
        // 2026-12-07T21:10:42Z -> 20261207-211042
        let digits: String = rfc.chars().filter(char::is_ascii_digit).collect();
        match (digits.get(..8), digits.get(8..14)) {
            (Some(day), Some(time)) => format!("{day}-{time}"),
            _ => rfc,
        }
    }

    /// The start and end as RFC 3339 (UTC), for people.
    pub fn describe(&self) -> String {
        format!(
            "{} to {}",
            humantime::format_rfc3339_millis(at(self.start_ms)),
            humantime::format_rfc3339_millis(at(self.end_ms))
        )
    }
}

/// The name of a time-grouped recording: the stem its videos share when at least two share
/// one (capture software that names every camera's file after the take), else `by_start`
/// (its start, `YYYYMMDD-HHMMSS`).
pub fn recording_stem<'a>(names: impl Iterator<Item = &'a str>, by_start: &str) -> String {
    let stems: Vec<&str> = names
        .map(|n| n.rsplit_once('.').map_or(n, |(s, _)| s))
        .collect();
    match stems.first() {
        Some(first) if stems.len() >= 2 && stems.iter().all(|s| s == first) => first.to_string(),
        _ => by_start.to_string(),
    }
}

/// ms since the epoch as a time (before 1970 reads as 1970).
fn at(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start_s: i64, end_s: i64) -> Interval {
        Interval {
            start_ms: start_s * 1000,
            end_ms: end_s * 1000,
            clock: Clock::Mvhd,
        }
    }

    #[test]
    fn half_of_the_shorter_is_enough_less_is_not() {
        let long = iv(0, 100);
        assert!(long.same_recording(&iv(40, 60), 0), "inside");
        assert!(long.same_recording(&iv(90, 110), 0), "exactly half of 20 s");
        assert!(!long.same_recording(&iv(91, 111), 0), "9 of 20 s");
        assert!(!long.same_recording(&iv(100, 120), 0), "touching");
        assert!(iv(90, 110).same_recording(&long, 0), "either way round");
    }

    #[test]
    fn clocks_apart_by_the_tolerance_still_meet() {
        let a = iv(0, 10);
        let b = iv(12, 22);
        assert!(!a.same_recording(&b, 0));
        assert!(
            !a.same_recording(&b, 5_000),
            "12 s apart, 5 s of tolerance: 3 of 10 s"
        );
        assert!(
            a.same_recording(&iv(7, 17), 2_000),
            "7 s apart, 2 s of tolerance: 5 of 10 s"
        );
        assert_eq!(a.overlap_within(&iv(1, 11), 5_000), 10_000, "lined up");
        assert_eq!(a.overlap_within(&iv(1, 11), 0), 9_000);
    }

    #[test]
    fn files_named_alike_name_the_recording() {
        let alike = ["act-01.mp4", "act-01.MP4"];
        assert_eq!(
            recording_stem(alike.into_iter(), "20261207-195042"),
            "act-01"
        );
        let native = ["GX010123.MP4", "C0042.MP4"];
        assert_eq!(
            recording_stem(native.into_iter(), "20261207-195042"),
            "20261207-195042"
        );
        let one = ["act-01.mp4"];
        assert_eq!(
            recording_stem(one.into_iter(), "t"),
            "t",
            "one camera: by its start"
        );
    }

    #[test]
    fn a_stem_is_the_start_in_utc() {
        let i = Interval {
            start_ms: 1_796_673_042_500,
            end_ms: 1_796_673_052_500,
            clock: Clock::Timecode,
        };
        assert_eq!(i.stem(), "20261207-195042");
        assert_eq!(
            serde_json::to_string(&i).unwrap_or_default(),
            r#"{"start_ms":1796673042500,"end_ms":1796673052500,"clock":"timecode"}"#
        );
    }
}
