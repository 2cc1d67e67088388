//! A rig split over machines makes exactly one multicam take of every camera, whichever
//! machine acts; a machine killed in the middle of its take request leaves the take to another.

use super::*;
use crate::rigs::{all_jobs, finished_volume, sandbox_with};

/// One multicam job per take, asked for by the machine of the rig's first camera.
const JOB: &str = "[multicam.job]\nactors = 1\nrig = \"move_mo\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_rig_split_two_and_one_over_two_machines_makes_one_take_of_all_three_cameras() {
    let sb = sandbox_with(200, 0.0, &[]);
    let volume = finished_volume(&sb).await;
    let Some(pg) = database().await else { return };
    let a = machine_with(&sb, &pg, "node-a", &volume, 30, JOB);
    let b = machine_with(&sb, &pg, "node-b", &volume, 30, JOB);
    let check = a.run(&["check"]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        said.contains("coordination: 127.0.0.1:") && said.contains("this machine is node-a"),
        "{said}"
    );
    let (da, db) = (start(&a).await, start(&b).await);
    record(&a, &["cam-1", "cam-2"], "act-01");
    record(&b, &["cam-3"], "act-01");
    done_on(&a, &da, "act-01").await;
    done_on(&b, &db, "act-01").await;
    let takes = takes_of(&sb, "act-01").await;
    assert_eq!(takes.len(), 1, "one take for the recording: {takes:?}");
    assert_eq!(cameras_of(&takes[0]), ["cam-1", "cam-2", "cam-3"]);
    until("the take's job", || async {
        (!all_jobs(&sb).await.is_empty()).then_some(())
    })
    .await;
    // A while longer: no second job from the other machine.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let jobs = all_jobs(&sb).await;
    assert_eq!(jobs.len(), 1, "one job for the take: {jobs:?}");
    assert_eq!(jobs[0]["take"]["id"], takes[0]["id"]);
    // Both machines record the same take, and `status` on either shows the rig across them.
    for cap in [&a, &b] {
        let out = cap.run(&["status"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains(takes[0]["id"].as_str().unwrap()), "{text}");
        assert!(
            text.contains("cam-1 (node-a)")
                && text.contains("cam-2 (node-a)")
                && text.contains("cam-3 (node-b)"),
            "which machine holds which camera:\n{text}"
        );
        assert!(text.contains("claimed by node-"), "who claimed it:\n{text}");
        assert!(!text.contains(pg::ROLE_PASSWORD), "{text}");
    }
    let json = b.status();
    let shared = json["coordination"]["rigs"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{json}");
    assert_eq!(shared[0]["take_id"], takes[0]["id"], "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_killed_during_its_take_request_leaves_the_take_to_another_and_one_is_made() {
    // Each createMultiCamTake is held 4 s (less than the 5 s request timeout the machines use).
    let sb = sandbox_with(
        200,
        0.0,
        &[
            "--latency-ms",
            "4000",
            "--latency-only",
            "createMultiCamTake",
        ],
    );
    let volume = finished_volume(&sb).await;
    let Some(pg) = database().await else { return };
    let caps = [
        ("node-a", machine(&sb, &pg, "node-a", &volume, 30)),
        ("node-b", machine(&sb, &pg, "node-b", &volume, 30)),
    ];
    let mut daemons = [start(&caps[0].1).await, start(&caps[1].1).await];
    record(&caps[0].1, &["cam-1", "cam-2"], "act-01");
    record(&caps[1].1, &["cam-3"], "act-01");
    let claimer = until("a machine to ask for the take", || async {
        match claim_row(&pg, "act-01").await? {
            (Some(by), Some(_)) => Some(by),
            _ => None,
        }
    })
    .await;
    let dead = caps.iter().position(|(n, _)| *n == claimer).unwrap();
    daemons[dead].child.kill().unwrap();
    daemons[dead].child.wait().unwrap();
    let other = &caps[1 - dead].1;
    done_on(other, &daemons[1 - dead], "act-01").await;
    // Well past any request of the killed machine: still exactly one take.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let takes = takes_of(&sb, "act-01").await;
    assert_eq!(takes.len(), 1, "exactly one take: {takes:?}");
    assert_eq!(
        cameras_of(&takes[0]),
        ["cam-1", "cam-2", "cam-3"],
        "the take of every camera; the killed machine's log:\n{}\nthe other's:\n{}",
        daemons[dead].log_text(),
        daemons[1 - dead].log_text()
    );
    assert!(
        daemons[1 - dead]
            .log_text()
            .contains("took over the lapsed claim"),
        "{}",
        daemons[1 - dead].log_text()
    );
    // The killed machine comes back and learns the take; nothing more is made.
    daemons[dead] = start(&caps[dead].1).await;
    done_on(&caps[dead].1, &daemons[dead], "act-01").await;
    assert_eq!(takes_of(&sb, "act-01").await.len(), 1);
}
