//! A lost or new state dir adopts the takes already on the API: nothing is uploaded or created
//! again for a recording whose take exists with the very same bytes.

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata, show};
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

    // The state now knows everything: the next backfill sends nothing and reads no takes.
    let before = sb.stats().await["graphql_requests"].as_u64().unwrap();
    let out = cap.backfill(0);
    assert_eq!(sent(&sb).await, (3, 4, 4), "{}", show(&out));
    assert_eq!(
        sb.stats().await["graphql_requests"].as_u64().unwrap(),
        before,
        "a state that knows every recording asks the API nothing\n{}",
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
