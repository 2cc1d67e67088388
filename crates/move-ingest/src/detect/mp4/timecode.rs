//! The start of a video's timecode track (`tmcd`, QuickTime's timecode media): its sample
//! description gives the frame rate, its first sample (4 bytes where its first chunk is) the
//! frame number since midnight. Containers are walked by hand; the leaves (`hdlr`, `stsd`,
//! `stco`/`co64`) are decoded with `mp4-atom`. Anything missing or odd: no timecode (the
//! caller falls back to `mvhd`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use mp4_atom::{Co64, Codec, Decode, FourCC, Hdlr, Stco, Stsd};

use super::{children, header_len};

const DAY_MS: i64 = 86_400_000;

/// The timecode track's start as ms since the epoch (UTC): its time of day, on the day
/// nearest to `near_ms` (the `mvhd` creation time); `None` without a readable timecode.
pub(super) fn start_ms(moov: &[u8], file: &mut File, near_ms: i64) -> Option<i64> {
    let body = &moov[header_len(moov)..];
    children(body)
        .into_iter()
        .filter(|(kind, _)| kind == b"trak")
        .find_map(|(_, trak)| time_of_day_ms(trak, file))
        .map(|tod| on_day_near(tod, near_ms))
}

/// The time of day (ms since midnight) a `tmcd` track starts at.
fn time_of_day_ms(trak: &[u8], file: &mut File) -> Option<i64> {
    let mdia = child(trak, b"mdia")?;
    let mut hdlr = child(mdia, b"hdlr")?;
    if Hdlr::decode(&mut hdlr).ok()?.handler != FourCC::new(b"tmcd") {
        return None;
    }
    let stbl = child(child(mdia, b"minf")?, b"stbl")?;
    let mut stsd = child(stbl, b"stsd")?;
    let rate = Stsd::decode(&mut stsd)
        .ok()?
        .codecs
        .into_iter()
        .find_map(|c| match c {
            Codec::Unknown(kind, body) if kind == FourCC::new(b"tmcd") => Rate::parse(&body),
            _ => None,
        })?;
    let offset = first_chunk(stbl)?;
    let mut frame = [0u8; 4];
    file.seek(SeekFrom::Start(offset)).ok()?;
    file.read_exact(&mut frame).ok()?;
    rate.ms(u32::from_be_bytes(frame))
}

/// Where the first chunk of a sample table is (`stco`, else `co64`).
fn first_chunk(stbl: &[u8]) -> Option<u64> {
    if let Some(mut stco) = child(stbl, b"stco") {
        return Stco::decode(&mut stco)
            .ok()?
            .entries
            .first()
            .map(|o| u64::from(*o));
    }
    let mut co64 = child(stbl, b"co64")?;
    Co64::decode(&mut co64).ok()?.entries.first().copied()
}

/// The first child `kind` of the box `whole` (header included).
fn child<'a>(whole: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    let body = whole.get(header_len(whole)..)?;
    children(body)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, c)| c)
}

/// A `tmcd` sample description's clock: one frame is `frame_duration / timescale` s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rate {
    timescale: u32,
    frame_duration: u32,
}

impl Rate {
    /// From the body of a `tmcd` sample entry: reserved (6), data reference index (2),
    /// reserved (4), flags (4), timescale (4), frame duration (4), frames per second (1).
    fn parse(body: &[u8]) -> Option<Rate> {
        let be = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?))
        };
        let (timescale, frame_duration) = (be(16)?, be(20)?);
        (timescale > 0 && frame_duration > 0).then_some(Rate {
            timescale,
            frame_duration,
        })
    }

    /// ms since midnight of frame number `frame` (a drop-frame count is real frames, so this
    /// holds for 29.97 too); `None` past a day.
    fn ms(self, frame: u32) -> Option<i64> {
        let ms =
            i64::from(frame) * i64::from(self.frame_duration) * 1000 / i64::from(self.timescale);
        (ms < DAY_MS).then_some(ms)
    }
}

/// `tod` ms after midnight (UTC) of the day before, of, or after `near_ms`, whichever is
/// nearest to it.
fn on_day_near(tod: i64, near_ms: i64) -> i64 {
    let midnight = near_ms.div_euclid(DAY_MS) * DAY_MS;
    [midnight - DAY_MS, midnight, midnight + DAY_MS]
        .into_iter()
        .map(|d| d + tod)
        .min_by_key(|t| (t - near_ms).abs())
        .unwrap_or(midnight + tod)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_of_day_lands_on_the_nearest_day() {
        let near = 10 * DAY_MS + 3_600_000; // 01:00 on day 10
        assert_eq!(on_day_near(3_602_000, near), near + 2_000);
        assert_eq!(
            on_day_near(DAY_MS - 1_000, near),
            10 * DAY_MS - 1_000,
            "23:59:59 the day before"
        );
    }

    #[test]
    fn frames_count_from_midnight() {
        let r = Rate {
            timescale: 30_000,
            frame_duration: 1_001,
        };
        assert_eq!(r.ms(30), Some(1_001));
        let r = Rate {
            timescale: 25,
            frame_duration: 1,
        };
        assert_eq!(r.ms(25 * 3_600), Some(3_600_000));
        assert_eq!(r.ms(25 * 86_400), None);
    }
}
