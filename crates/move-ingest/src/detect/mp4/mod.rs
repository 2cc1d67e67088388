//! When a video was recorded, read from the file itself (issue 25): the `moov/mvhd` creation
//! time and duration (version 0 and 1 boxes), or with `sync = "timecode"` the start of a
//! timecode track (`tmcd`) when the file has one. Only box headers are read, with seeks, to
//! find `moov` (before or after `mdat`, as cameras write it); then `moov` alone is read and
//! decoded with `mp4-atom`. A GB-sized video costs a few small reads.

mod timecode;
#[cfg(any(test, feature = "testing"))]
pub mod write;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use mp4_atom::{Decode, Mvhd};

use crate::model::interval::{Clock, Interval};

/// The largest `moov` read (a long recording's sample tables are a few MB).
const MAX_MOOV: u64 = 256 << 20;
/// Seconds from 1904-01-01 (MP4's epoch) to 1970-01-01, both UTC.
const MP4_EPOCH_OFFSET_S: i64 = 2_082_844_800;

/// Why a video's recording interval cannot be read; each says what is wrong with the file.
#[derive(Debug, thiserror::Error)]
pub enum Mp4Error {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("it is not an MP4/MOV file (no box header at byte {at})")]
    NotMp4 { at: u64 },
    #[error(
        "it is cut short: its `{kind}` box at byte {at} needs {need} bytes but the file has {len} (a copy that did not finish, or a card pulled while recording)"
    )]
    Truncated {
        kind: String,
        at: u64,
        need: u64,
        len: u64,
    },
    #[error("it has no `moov` box (a recording the camera never finished writing)")]
    NoMoov,
    #[error("its `moov` box is {0} bytes, more than a video's header can be")]
    MoovTooBig(u64),
    #[error("its `moov` box has no `mvhd` (movie header): nothing says when it was recorded")]
    NoMvhd,
    #[error("its `mvhd` cannot be decoded: {0}")]
    BadMvhd(String),
    #[error("its `mvhd` has no creation time (0): the camera's clock was not set")]
    NoCreationTime,
    #[error("its `mvhd` has no duration (timescale {timescale}, duration {duration})")]
    NoDuration { timescale: u32, duration: u64 },
}

/// The recording interval of the video at `path`; `timecode`: prefer a `tmcd` track's start.
pub fn interval(path: &Path, timecode: bool) -> Result<Interval, Mp4Error> {
    let mut file = File::open(path)?;
    let moov = read_moov(&mut file)?;
    let mvhd = mvhd(&moov)?;
    let mut interval = from_mvhd(&mvhd)?;
    if timecode && let Some(start_ms) = timecode::start_ms(&moov, &mut file, interval.start_ms) {
        let len = interval.len_ms();
        interval = Interval {
            start_ms,
            end_ms: start_ms + len,
            clock: Clock::Timecode,
        };
    }
    Ok(interval)
}

/// A box's header: its kind, where its body starts and how long the body is.
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    kind: [u8; 4],
    body_at: u64,
    body_len: u64,
}

/// Walks the top-level box headers (seeking over bodies) to `moov`; reads and returns it
/// (header included).
fn read_moov(file: &mut File) -> Result<Vec<u8>, Mp4Error> {
    let len = file.metadata()?.len();
    let mut at = 0u64;
    while at < len {
        let header = top_header(file, at, len)?;
        if &header.kind == b"moov" {
            let whole = header.body_len + (header.body_at - at);
            if whole > MAX_MOOV {
                return Err(Mp4Error::MoovTooBig(whole));
            }
            let mut moov = vec![0u8; whole as usize];
            file.seek(SeekFrom::Start(at))?;
            file.read_exact(&mut moov)?;
            return Ok(moov);
        }
        at = header.body_at + header.body_len;
    }
    Err(Mp4Error::NoMoov)
}

/// The header of the top-level box at `at` of a file of `len` bytes.
fn top_header(file: &mut File, at: u64, len: u64) -> Result<BoxHeader, Mp4Error> {
    let truncated = |kind: &[u8], need: u64| Mp4Error::Truncated {
        kind: String::from_utf8_lossy(kind).into_owned(),
        at,
        need,
        len,
    };
    if len - at < 8 {
        return Err(truncated(b"(header)", 8));
    }
    let mut head = [0u8; 16];
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(&mut head[..8])?;
    let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
    if !kind.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(Mp4Error::NotMp4 { at });
    }
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let (header_len, size) = match size32 {
        0 => (8, len - at),
        1 => {
            if len - at < 16 {
                return Err(truncated(&kind, 16));
            }
            file.read_exact(&mut head[8..16])?;
            let mut big = [0u8; 8];
            big.copy_from_slice(&head[8..16]);
            (16, u64::from_be_bytes(big))
        }
        n => (8, u64::from(n)),
    };
    if size < header_len {
        return Err(Mp4Error::NotMp4 { at });
    }
    if size > len - at {
        return Err(truncated(&kind, size));
    }
    Ok(BoxHeader {
        kind,
        body_at: at + header_len,
        body_len: size - header_len,
    })
}

/// The children of a box held in `body`, each as (kind, the whole child with its header).
pub(super) fn children(body: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut rest = body;
    while rest.len() >= 8 {
        let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as u64;
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let size = match size32 {
            0 => rest.len() as u64,
            1 if rest.len() >= 16 => {
                let mut big = [0u8; 8];
                big.copy_from_slice(&rest[8..16]);
                u64::from_be_bytes(big)
            }
            n => n,
        };
        if size < 8 || size > rest.len() as u64 {
            break;
        }
        let (child, next) = rest.split_at(size as usize);
        out.push((kind, child));
        rest = next;
    }
    out
}

/// The header length of a box whose bytes start `whole`.
pub(super) fn header_len(whole: &[u8]) -> usize {
    if whole.len() >= 4 && u32::from_be_bytes([whole[0], whole[1], whole[2], whole[3]]) == 1 {
        16
    } else {
        8
    }
}

/// The `mvhd` of a `moov` (header included).
fn mvhd(moov: &[u8]) -> Result<Mvhd, Mp4Error> {
    let body = &moov[header_len(moov)..];
    let (_, whole) = children(body)
        .into_iter()
        .find(|(kind, _)| kind == b"mvhd")
        .ok_or(Mp4Error::NoMvhd)?;
    let mut buf = whole;
    Mvhd::decode(&mut buf).map_err(|e| Mp4Error::BadMvhd(e.to_string()))
}

/// The interval an `mvhd` says: its creation time, plus its duration.
fn from_mvhd(mvhd: &Mvhd) -> Result<Interval, Mp4Error> {
    if mvhd.creation_time == 0 {
        return Err(Mp4Error::NoCreationTime);
    }
    let unknown = mvhd.duration == u64::from(u32::MAX) || mvhd.duration == u64::MAX;
    if mvhd.timescale == 0 || mvhd.duration == 0 || unknown {
        return Err(Mp4Error::NoDuration {
            timescale: mvhd.timescale,
            duration: mvhd.duration,
        });
    }
    let start_ms = (mvhd.creation_time as i64 - MP4_EPOCH_OFFSET_S).saturating_mul(1000);
    let len_ms = (u128::from(mvhd.duration) * 1000 / u128::from(mvhd.timescale)) as i64;
    Ok(Interval {
        start_ms,
        end_ms: start_ms.saturating_add(len_ms),
        clock: Clock::Mvhd,
    })
}

#[cfg(test)]
mod tests;
