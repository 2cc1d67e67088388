//! The reader on generated files: `mvhd` version 0 and 1, `moov` first or last, 64-bit sizes,
//! truncated files, no `mvhd`, and a timecode track.

#![allow(clippy::unwrap_used)]

use super::write::Mp4Spec;
use super::*;

/// 2026-12-07 19:50:42 UTC.
const START: i64 = 1_796_673_042_000;

fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    f
}

fn read(spec: &Mp4Spec, timecode: bool) -> Result<Interval, Mp4Error> {
    let f = file(&spec.bytes());
    interval(f.path(), timecode)
}

#[test]
fn version_0_and_1_moov_after_mdat() {
    for version in [0, 1] {
        let mut spec = Mp4Spec::new(START, 12_500, 1);
        spec.version = version;
        let i = read(&spec, false).unwrap();
        assert_eq!(
            (i.start_ms, i.end_ms, i.clock),
            (START, START + 12_500, Clock::Mvhd),
            "version {version}"
        );
    }
}

#[test]
fn moov_first_and_a_64_bit_mdat_size() {
    let mut spec = Mp4Spec::new(START, 1_000, 2);
    spec.moov_first = true;
    assert_eq!(read(&spec, false).unwrap().start_ms, START);
    spec.moov_first = false;
    spec.large_mdat = true;
    spec.version = 1;
    assert_eq!(read(&spec, false).unwrap().end_ms, START + 1_000);
}

#[test]
fn a_truncated_file_says_so() {
    let bytes = Mp4Spec::new(START, 1_000, 3).bytes();
    let f = file(&bytes[..bytes.len() - 20]);
    let e = interval(f.path(), false).unwrap_err();
    assert!(
        matches!(&e, Mp4Error::Truncated { kind, .. } if kind == "moov"),
        "{e}"
    );
    assert!(e.to_string().contains("cut short"), "{e}");
    // Cut inside `mdat`: the walk stops there, nothing past it is read.
    let f = file(&bytes[..100]);
    let e = interval(f.path(), false).unwrap_err();
    assert!(
        matches!(&e, Mp4Error::Truncated { kind, .. } if kind == "mdat"),
        "{e}"
    );
}

#[test]
fn no_mvhd_no_moov_not_mp4() {
    let moov_without_mvhd = [
        &16u32.to_be_bytes()[..],
        b"moov",
        &8u32.to_be_bytes(),
        b"free",
    ]
    .concat();
    let f = file(&moov_without_mvhd);
    assert!(matches!(interval(f.path(), false), Err(Mp4Error::NoMvhd)));
    let f = file(&[&8u32.to_be_bytes()[..], b"free"].concat());
    assert!(matches!(interval(f.path(), false), Err(Mp4Error::NoMoov)));
    let f = file(b"\x00\x00\x00\x10\x01\x02\x03\x04 not an mp4 at all");
    assert!(matches!(
        interval(f.path(), false),
        Err(Mp4Error::NotMp4 { at: 0 })
    ));
    let mut unset = Mp4Spec::new(0, 1_000, 4);
    unset.start_ms = -2_082_844_800_000;
    assert!(matches!(read(&unset, false), Err(Mp4Error::NoCreationTime)));
}

#[test]
fn a_timecode_track_is_the_better_clock_when_asked_for() {
    let mut spec = Mp4Spec::new(START, 10_000, 5);
    // mvhd says 19:50:42; the timecode 19:50:43.480 the same day.
    let tod = (START % 86_400_000) as u32 + 1_480;
    spec.timecode_ms = Some(tod);
    let i = read(&spec, true).unwrap();
    assert_eq!(
        (i.start_ms, i.end_ms, i.clock),
        (START + 1_480, START + 11_480, Clock::Timecode)
    );
    assert_eq!(
        read(&spec, false).unwrap().start_ms,
        START,
        "sync not timecode: mvhd"
    );
    spec.moov_first = true;
    assert_eq!(read(&spec, true).unwrap().start_ms, START + 1_480);
    let plain = Mp4Spec::new(START, 10_000, 6);
    assert_eq!(
        read(&plain, true).unwrap().clock,
        Clock::Mvhd,
        "no tmcd: mvhd"
    );
}
