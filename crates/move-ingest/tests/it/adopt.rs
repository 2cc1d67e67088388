//! A lost or new state dir adopts the takes already on the API: nothing is uploaded or created
//! again for a recording whose take exists with the very same bytes.

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, set_age, show};
use crate::util::Sandbox;

/// The counters that say what was sent: takes created, files created, PUTs accepted.
async fn sent(sb: &Sandbox) -> (u64, u64, u64) {
    let s = sb.stats().await;
    let n = |k: &str| s[k].as_u64().unwrap();
    (
        n("takes_created"),
        n("files_created"),
        n("uploads_completed"),
    )
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Rewrites the `host` of move-ingest's record on every take, as if another machine (or this
/// one under its old name) had made them.
async fn rename_host(sb: &Sandbox, host: &str) {
    for take in sb.takes().await {
        let mut meta = metadata(&take);
        meta["move_ingest"]["host"] = json!(host);
        let query =
            "mutation($id: String!, $m: AWSJSON) { updateTake(id: $id, metadata: $m) { id } }";
        let answer = sb
            .gql(query, json!({ "id": take["id"], "m": meta.to_string() }))
            .await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
}

#[tokio::test]
async fn an_emptied_state_dir_adopts_every_take_and_uploads_only_what_is_new() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.write("cam-a", "take01.move", &bytes(2, 3_000));
    cap.write("cam-b", "take02.mp4", &bytes(3, 30_000));
    cap.backfill(0);
    assert_eq!(sent(&sb).await, (2, 3, 3));
    let takes: Vec<String> = sb
        .takes()
        .await
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();

    std::fs::remove_dir_all(&cap.state).unwrap();
    cap.write("cam-c", "take03.mp4", &bytes(4, 20_000));
    let dry = cap.run(&["backfill", "--dry-run"]);
    assert!(
        stdout(&dry).contains("3 of them the state knows nothing of"),
        "{}",
        show(&dry)
    );
    let out = cap.backfill(0);
    // Only the new recording was sent and got a take.
    assert_eq!(sent(&sb).await, (3, 4, 4), "{}", show(&out));
    assert!(
        stdout(&out).contains("2 recording(s) the state did not know already had their take"),
        "{}",
        show(&out)
    );
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 3, "{status}");
    // The adopted recordings hold the takes that were there; the history says so.
    assert_eq!(
        cap.steps("cam-a", "take01"),
        ["discovered", "uploaded", "uploaded", "take_created"]
    );
    let all = sb.takes().await;
    assert_eq!(all.len(), 3);
    for id in &takes {
        assert_eq!(all.iter().filter(|t| t["id"] == id.as_str()).count(), 1);
    }
    // "Already done?" by content answers for an adopted file as for an uploaded one.
    {
        let take_a = all
            .iter()
            .find(|t| t["sources"][0]["deviceLabel"] == "cam-a")
            .unwrap();
        let file = &metadata(take_a)["move_ingest"]["files"][0];
        let (store, _) = move_ingest::store::Store::open(&cap.state).unwrap();
        let rec = store
            .by_content("take01.mp4", 40_000, file["sha256"].as_str().unwrap())
            .unwrap()
            .expect("the adopted recording is found by its content");
        assert_eq!(rec.take_id.as_deref(), take_a["id"].as_str());
    }

    // The state now knows everything: the next backfill sends nothing and reads no takes;
    // its one request is the check of the key at start.
    let before = sb.stats().await["graphql_requests"].as_u64().unwrap();
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (3, 4, 4), "{}", show(&out));
    assert_eq!(
        sb.stats().await["graphql_requests"].as_u64().unwrap(),
        before + 1,
        "a state that knows every recording asks the API nothing but the key check\n{}",
        show(&out)
    );
}

#[tokio::test]
async fn takes_made_under_another_hostname_are_adopted() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.write("cam-a", "take01.move", &bytes(2, 3_000));
    cap.backfill(0);
    // A re-imaged machine gets a new name: the takes name a host this machine is not.
    rename_host(&sb, "capture-old-name").await;
    std::fs::remove_dir_all(&cap.state).unwrap();
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (1, 2, 2), "{}", show(&out));
    assert_eq!(cap.status()["counts"]["done"], 1);
    let take: Value = sb.takes().await.remove(0);
    assert_eq!(metadata(&take)["move_ingest"]["host"], "capture-old-name");
}

#[tokio::test]
async fn a_take_with_the_same_names_and_sizes_but_other_bytes_is_not_adopted() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.backfill(0);
    std::fs::remove_dir_all(&cap.state).unwrap();
    // Rewritten: same name, same size, other bytes.
    let new = bytes(99, 40_000);
    cap.write("cam-a", "take01.mp4", &new);
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (2, 2, 2), "{}", show(&out));
    assert!(
        !stdout(&out).contains("already had their take"),
        "{}",
        show(&out)
    );
    let newest = &sb.takes().await[0];
    assert_eq!(
        sb.blob(newest["sources"][0]["file"]["id"].as_str().unwrap()),
        new
    );
}

#[tokio::test]
async fn reconcile_says_what_it_would_adopt_upload_or_leave_then_adopts_without_sending() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.write("cam-a", "take01.move", &bytes(2, 3_000));
    cap.write("cam-b", "take02.mp4", &bytes(3, 30_000));
    cap.backfill(0);
    let take_of = |takes: &[Value], device: &str| -> String {
        let t = takes
            .iter()
            .find(|t| t["sources"][0]["deviceLabel"] == device)
            .unwrap();
        t["id"].as_str().unwrap().to_string()
    };
    let takes = sb.takes().await;
    let (take_a, take_b) = (take_of(&takes, "cam-a"), take_of(&takes, "cam-b"));
    std::fs::remove_dir_all(&cap.state).unwrap();
    cap.write("cam-c", "take03.mp4", &bytes(4, 20_000));
    cap.write_fresh("cam-d", "fresh.mp4", &bytes(5, 20_000));

    let out = cap.run(&["reconcile", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = stdout(&out);
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?}\n{}", show(&out)))
            .to_string()
    };
    assert!(line("would adopt cam-a/take01 ").contains(&format!("take {take_a}")));
    assert!(line("would adopt cam-b/take02 ").contains(&format!("take {take_b}")));
    assert!(line("upload cam-c/take03 ").contains("no take on the API holds these files"));
    assert!(line("left cam-d/fresh ").contains("not complete"));
    assert!(
        line("reconcile: ").starts_with(
            "reconcile: 2 would be adopted (their take is on the API), 1 to upload (`backfill` or `run` sends them), 1 left"
        ),
        "{text}"
    );
    assert!(text.contains("Nothing was recorded or sent."), "{text}");
    assert_eq!(sent(&sb).await, (2, 3, 3), "a dry run sends nothing");
    assert_eq!(
        cap.status()["counts"]["done"],
        0,
        "a dry run records nothing"
    );

    let out = cap.run(&["reconcile", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&report["adopt"], &report["upload"], &report["left"]),
        (&json!(2), &json!(1), &json!(1)),
        "{report}"
    );
    let adopted: Vec<(&str, &str)> = report["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "adopt")
        .map(|r| {
            (
                r["device"].as_str().unwrap(),
                r["take_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(adopted.len(), 2);
    assert!(adopted.contains(&("cam-a", take_a.as_str())), "{report}");
    assert!(adopted.contains(&("cam-b", take_b.as_str())), "{report}");
    assert_eq!(sent(&sb).await, (2, 3, 3), "reconcile uploads nothing");
    assert_eq!(cap.status()["counts"]["done"], 2);

    // What is left to upload is backfill's job, and it sends only that.
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (3, 4, 4), "{}", show(&out));
    let out = cap.run(&["reconcile"]);
    assert!(
        stdout(&out).contains("reconcile: 0 adopted"),
        "{}",
        show(&out)
    );
    assert!(line_of(&out, "left cam-a/take01 ").contains("already done"));
}

fn line_of(out: &std::process::Output, start: &str) -> String {
    stdout(out)
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start:?}\n{}", show(out)))
        .to_string()
}

#[test]
fn reconcile_help_says_it_uploads_nothing() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_move-ingest"))
        .args(["reconcile", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("uploads nothing"), "{help}");
    assert!(help.contains("--dry-run"), "{help}");
}

#[tokio::test]
async fn a_move_that_came_after_its_take_is_adopted_as_late_not_sent() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.backfill(0);
    cap.write("cam-a", "take01.move", &bytes(2, 3_000));
    std::fs::remove_dir_all(&cap.state).unwrap();
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (1, 1, 1), "{}", show(&out));
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 1, "{status}");
    assert_eq!(status["late_sidecars"], 1, "{status}");
}

#[tokio::test]
async fn while_the_takes_cannot_be_read_nothing_unknown_is_uploaded() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    cap.backfill(0);
    std::fs::remove_dir_all(&cap.state).unwrap();
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("[retry]\n", "[retry]\nmax_attempts = 2\n"),
    )
    .unwrap();
    // Every GraphQL request answers 503: the account's takes cannot be paged.
    sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    let out = cap.backfill(1);
    assert!(
        stdout(&out).contains("1 recording(s) the state did not know were left"),
        "{}",
        show(&out)
    );
    sb.set_faults(json!({})).await;
    assert_eq!(sent(&sb).await, (1, 1, 1), "nothing was sent for it");
    // Once the API answers, the next backfill adopts it.
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (1, 1, 1), "{}", show(&out));
    assert_eq!(cap.status()["counts"]["done"], 1);
}

/// How many `listTakes` pages the sandbox served.
async fn pages_listed(sb: &Sandbox) -> u64 {
    sb.stats().await["takes_listed"].as_u64().unwrap()
}

#[tokio::test]
async fn a_healthy_state_reads_the_takes_only_for_a_recording_older_than_itself() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 40_000));
    // A new state: the files on disk may have takes already, so the takes are read once.
    cap.backfill(0);
    assert_eq!((sent(&sb).await, pages_listed(&sb).await), ((1, 1, 1), 1));

    // A recording made after the state began: no earlier state can have sent it.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let new = cap.write_fresh("cam-a", "take02.mp4", &bytes(2, 30_000));
    set_age(&new, std::time::Duration::from_millis(2_500));
    let before = sb.stats().await["graphql_requests"].as_u64().unwrap();
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (2, 2, 2), "{}", show(&out));
    assert_eq!(pages_listed(&sb).await, 1, "{}", show(&out));
    // The key check, createFile and the take: nothing else.
    let asked = sb.stats().await["graphql_requests"].as_u64().unwrap() - before;
    assert_eq!(asked, 3, "{}", show(&out));

    // A recording older than the state (copied in with its old date): its take is looked
    // for, and the takes read again only down to the newest one already indexed.
    cap.write("cam-b", "take03.mp4", &bytes(3, 20_000));
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (3, 3, 3), "{}", show(&out));
    assert_eq!(pages_listed(&sb).await, 2, "{}", show(&out));
    assert_eq!(cap.status()["counts"]["done"], 3);
}
