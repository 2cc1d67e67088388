//! The placement rule: clocks apart, one video overlapping two recordings, a camera with two
//! videos of one recording, and every camera there agreeing.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::interval::Clock;
use crate::model::rig::{Camera, RigEvent};

fn iv(start_s: i64, end_s: i64) -> Interval {
    Interval {
        start_ms: start_s * 1000,
        end_ms: end_s * 1000,
        clock: Clock::Mvhd,
    }
}

fn rec(group: &str, cams: &[(&str, Interval)]) -> RigRecording {
    let mut r = RigRecording::new("stage-a", group, group, false);
    for (device, interval) in cams {
        let camera = Camera {
            device: device.to_string(),
            recording_id: format!("rec-{device}-{group}"),
            file_id: "f".into(),
            format: "MP4".into(),
            name: format!("{device}-{group}.MP4"),
            size: 1,
            sha256: "ab".into(),
            mtime_ms: 0,
            interval: Some(*interval),
            unknown: false,
        };
        r.apply(&RigEvent::CameraJoined { camera, at_ms: 0 });
    }
    r
}

fn join(key: &str, replaces: bool) -> Place {
    Place::Join {
        key: format!("stage-a/{key}"),
        replaces,
    }
}

#[test]
fn clocks_two_seconds_apart_join_one_recording() {
    let open = [
        rec("a", &[("cam-1", iv(100, 160))]),
        rec("b", &[("cam-1", iv(200, 260))]),
    ];
    assert_eq!(
        place("cam-2", &iv(102, 161), &open, 5_000),
        join("a", false)
    );
    assert_eq!(
        place("cam-2", &iv(198, 259), &open, 5_000),
        join("b", false)
    );
    assert_eq!(
        place("cam-2", &iv(400, 460), &open, 5_000),
        Place::New,
        "a stray"
    );
    assert_eq!(
        place("cam-1", &iv(101, 160), &open, 5_000),
        Place::New,
        "same camera"
    );
}

#[test]
fn a_video_overlapping_two_recordings_joins_the_one_it_overlaps_most() {
    let open = [
        rec("a", &[("cam-1", iv(0, 100))]),
        rec("b", &[("cam-1", iv(100, 200))]),
    ];
    assert_eq!(place("cam-2", &iv(60, 160), &open, 0), join("b", false));
    assert_eq!(place("cam-2", &iv(40, 140), &open, 0), join("a", false));
}

#[test]
fn a_camera_with_two_candidates_gives_the_one_that_overlaps_most() {
    // cam-2 stopped and restarted: a 10 s clip, then the 60 s one that matches cam-1.
    let held = rec("a", &[("cam-1", iv(100, 160)), ("cam-2", iv(100, 110))]);
    assert_eq!(
        place("cam-2", &iv(101, 160), std::slice::from_ref(&held), 5_000),
        join("a", true)
    );
    let better = rec("a", &[("cam-1", iv(100, 160)), ("cam-2", iv(101, 160))]);
    assert_eq!(
        place("cam-2", &iv(100, 110), std::slice::from_ref(&better), 5_000),
        Place::New,
        "the shorter clip goes on alone"
    );
}

#[test]
fn every_camera_there_must_agree() {
    let open = [rec("a", &[("cam-1", iv(0, 100)), ("cam-2", iv(0, 30))])];
    assert_eq!(
        place("cam-3", &iv(50, 100), &open, 0),
        Place::New,
        "misses cam-2's"
    );
    assert_eq!(place("cam-3", &iv(0, 60), &open, 0), join("a", false));
}
