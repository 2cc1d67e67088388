//! `group = "time"` over several machines: each machine names a recording by its own cameras'
//! start, yet the rig's cameras on both make one take.

use std::time::Duration;

use move_ingest::detect::mp4::write::Mp4Spec;

use super::*;
use crate::capture::set_age;
use crate::rigs::{finished_volume, sandbox_with};

/// 2026-03-01 10:00:00 UTC.
const T0: i64 = 1_772_359_200_000;

/// Writes camera `cam`'s card file `name`, recorded from `start_ms` for 30 s.
fn shoot(cap: &Capture, cam: &str, name: &str, start_ms: i64) {
    let spec = Mp4Spec::new(start_ms, 30_000, start_ms as u64 + name.len() as u64);
    let path = cap.watch.join(cam).join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, spec.bytes()).unwrap();
    set_age(&path, Duration::from_secs(3_600));
}

#[tokio::test(flavor = "multi_thread")]
async fn time_grouped_cameras_on_two_machines_make_one_take_though_each_names_it_otherwise() {
    let sb = sandbox_with(200, 0.0, &[]);
    let volume = finished_volume(&sb).await;
    let Some(pg) = database().await else { return };
    let time = "group = \"time\"\n";
    let a = machine_with(&sb, &pg, "node-a", &volume, 30, time);
    let b = machine_with(&sb, &pg, "node-b", &volume, 30, time);
    let (da, db) = (start(&a).await, start(&b).await);
    // The clocks differ by up to 2 s: machine B's camera started "earlier".
    shoot(&a, "cam-1", "GX010123.MP4", T0);
    shoot(&a, "cam-2", "C0042.MP4", T0 + 1_500);
    shoot(&b, "cam-3", "A001_C003_0301AB.mov", T0 - 1_500);
    let takes = until("the take", || async {
        let takes = multicam_takes(&sb).await;
        (!takes.is_empty()).then_some(takes)
    })
    .await;
    // Each machine records it under its own name for the recording.
    for (cap, d) in [(&a, &da), (&b, &db)] {
        let start = std::time::Instant::now();
        while !cap.status()["rigs"]
            .as_array()
            .is_some_and(|rigs| rigs.iter().any(|r| r["state"] == "done"))
        {
            assert!(
                start.elapsed() < DEADLINE,
                "not done; log:\n{}",
                d.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let key = |cap: &Capture| cap.status()["rigs"][0]["rig_recording"].clone();
    assert_ne!(
        key(&a),
        key(&b),
        "each machine names the recording by its own cameras"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let takes_now = multicam_takes(&sb).await;
    assert_eq!(takes_now.len(), 1, "one take: {takes_now:?}");
    assert_eq!(cameras_of(&takes[0]), ["cam-1", "cam-2", "cam-3"]);
}
