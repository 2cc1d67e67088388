//! The database is not the only truth: stopped, the rig recordings wait (`retrying`, the
//! gauge at 0, `/healthz` says why) while single cameras go on, and all resumes when it is
//! back; emptied, it is rebuilt from the machines' states and the API, and nothing is made twice.

use super::*;
use crate::rigs::{finished_volume, sandbox_with};

#[tokio::test(flavor = "multi_thread")]
async fn with_the_database_stopped_rig_recordings_wait_single_cameras_go_on_and_all_resumes() {
    let sb = sandbox_with(200, 0.0, &[]);
    let volume = finished_volume(&sb).await;
    let Some(pg) = database().await else { return };
    let a = machine(&sb, &pg, "node-a", &volume, 30);
    let b = machine(&sb, &pg, "node-b", &volume, 30);
    let (da, db) = (start(&a).await, start(&b).await);
    until("the database to answer", || async {
        (da.metric("move_ingest_coordination_up").await == 1.0).then_some(())
    })
    .await;
    pg.stop();
    record(&a, &["cam-1", "cam-2", "solo"], "act-02");
    record(&b, &["cam-3"], "act-02");
    // The single camera's take is made meanwhile.
    until("the single camera's take", || async {
        let singles = sb.takes().await;
        singles
            .iter()
            .any(|t| t["takeType"] != "MULTI_CAM")
            .then_some(())
    })
    .await;
    until(
        "the gauge and /healthz to say the database is down",
        || async {
            let (code, body) = da.healthz().await;
            (da.metric("move_ingest_coordination_up").await == 0.0
                && code == 503
                && body.contains("coordination database"))
            .then_some(())
        },
    )
    .await;
    let page = reqwest::get(format!("{}/", da.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("The coordination database is not answering"),
        "{page}"
    );
    let out = a.run(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("coordination database") && text.contains("retrying"),
        "{text}"
    );
    assert!(
        takes_of(&sb, "act-02").await.is_empty(),
        "no rig take without the database"
    );
    let check = a.run(&["check"]);
    let said = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(2), "{said}");
    assert!(
        said.contains("coordination database: cannot connect"),
        "{said}"
    );
    assert!(!said.contains(pg::ROLE_PASSWORD), "{said}");
    pg.resume();
    done_on(&a, &da, "act-02").await;
    done_on(&b, &db, "act-02").await;
    let takes = takes_of(&sb, "act-02").await;
    assert_eq!(takes.len(), 1, "{takes:?}");
    assert_eq!(cameras_of(&takes[0]), ["cam-1", "cam-2", "cam-3"]);
    assert_eq!(da.metric("move_ingest_coordination_up").await, 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_database_is_rebuilt_from_the_machines_and_nothing_is_made_twice() {
    let sb = sandbox_with(200, 0.0, &[]);
    let volume = finished_volume(&sb).await;
    let Some(pg) = database().await else { return };
    let a = machine(&sb, &pg, "node-a", &volume, 20);
    let b = machine(&sb, &pg, "node-b", &volume, 20);
    let da = start(&a).await;
    let mut db = start(&b).await;
    record(&a, &["cam-1", "cam-2"], "act-01");
    record(&b, &["cam-3"], "act-01");
    done_on(&b, &db, "act-01").await;
    // Machine B stops and loses its state dir; the database is emptied meanwhile.
    db.child.kill().unwrap();
    db.child.wait().unwrap();
    std::fs::remove_dir_all(&b.state).unwrap();
    let admin = pg.admin("move_ingest").await;
    admin
        .batch_execute("DROP TABLE rig_cameras, rig_claims, schema_version")
        .await
        .unwrap();
    // B finds its camera's video again: the take already holds it; nothing is sent again.
    db = start(&b).await;
    let shown = ShowLog(&da);
    done_on(&b, &db, "act-01").await;
    drop(shown);
    // A later recording goes on as usual.
    record(&a, &["cam-1", "cam-2"], "act-02");
    record(&b, &["cam-3"], "act-02");
    done_on(&a, &da, "act-02").await;
    done_on(&b, &db, "act-02").await;
    for stem in ["act-01", "act-02"] {
        let takes = takes_of(&sb, stem).await;
        assert_eq!(takes.len(), 1, "{stem}: {takes:?}");
        assert_eq!(cameras_of(&takes[0]), ["cam-1", "cam-2", "cam-3"]);
    }
    drop(db);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_machine_away_past_wait_secs_fails_the_other_until_it_comes_then_one_take_of_all() {
    let sb = sandbox_with(200, 0.0, &[]);
    let volume = finished_volume(&sb).await;
    let Some(pg) = database().await else { return };
    let a = machine(&sb, &pg, "node-a", &volume, 3);
    let b = machine(&sb, &pg, "node-b", &volume, 3);
    let db = start(&b).await;
    record(&b, &["cam-3"], "act-01");
    until("the lone camera's recording to fail", || async {
        (rig_state(&b, "act-01").as_deref() == Some("failed")).then_some(())
    })
    .await;
    // Machine A comes back with its two cameras: one take of all three, and B records it.
    let da = start(&a).await;
    record(&a, &["cam-1", "cam-2"], "act-01");
    done_on(&a, &da, "act-01").await;
    done_on(&b, &db, "act-01").await;
    let takes = takes_of(&sb, "act-01").await;
    assert_eq!(takes.len(), 1, "{takes:?}");
    assert_eq!(cameras_of(&takes[0]), ["cam-1", "cam-2", "cam-3"]);
}
