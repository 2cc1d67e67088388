//! What heals by itself while `run` goes on, and what needs a person: an API outage (503s,
//! then the port closed) longer than the retry budget, `retry` while the service holds the
//! state dir, a key rejected while running (exit 3, nothing committed lost), and an API that
//! does not answer at start (the key check waits for it; `run` stays up).

use std::time::Duration;

use serde_json::{Value, json};

use crate::capture::{Capture, bytes, metadata};
use crate::run::{DEADLINE, QUICK, Service, capture, takes, until};
use crate::util::Sandbox;

/// A service config with a small retry budget: two attempts, backoff capped at one second.
fn small_budget(sb: &Sandbox) -> Capture {
    let cap = capture(sb, &QUICK);
    let text = std::fs::read_to_string(&cap.config).unwrap();
    let text = text.replace(
        "[retry]\nbase_ms = 50\ncap_secs = 2\n",
        "[retry]\nbase_ms = 50\ncap_secs = 1\nmax_attempts = 2\n",
    );
    assert!(text.contains("max_attempts = 2"), "{text}");
    std::fs::write(&cap.config, text).unwrap();
    cap
}

/// The row `status --json` lists for the recording of `device`.
fn row(cap: &Capture, device: &str) -> Option<Value> {
    cap.status()["latest"]
        .as_array()?
        .iter()
        .find(|r| r["device"] == device)
        .cloned()
}

/// Waits until the recording of `device` is in `state`, and returns its row.
async fn in_state(cap: &Capture, device: &str, state: &str) -> Value {
    until(&format!("{device} to be {state}"), || async {
        row(cap, device).filter(|r| r["state"] == state)
    })
    .await
}

#[tokio::test]
async fn an_outage_longer_than_the_retry_budget_heals_by_itself_with_one_take_each() {
    let mut sb = Sandbox::start();
    let cap = small_budget(&sb);
    let svc = Service::start(&cap).await;

    // The API answers every request with 503: a recording made now outlasts its budget.
    sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    let (a, a_move) = (bytes(1, 40_000), bytes(2, 700));
    cap.write("cam-a", "take1.mp4", &a);
    cap.write("cam-a", "take1.move", &a_move);
    let first = in_state(&cap, "cam-a", "retrying").await;
    assert!(first["error"].as_str().unwrap().contains("503"), "{first}");
    assert!(first["next_attempt"].is_string(), "{first}");

    // Then its port closes: connections are refused.
    sb.kill();
    let b = bytes(3, 30_000);
    cap.write("cam-b", "take1.mp4", &b);
    // Made while the API is known down, it is not tried: it waits for the probe.
    let second = in_state(&cap, "cam-b", "retrying").await;
    let error = second["error"].as_str().unwrap();
    assert!(error.contains("the Move API does not answer"), "{second}");

    // Many budgets later, nothing has failed: both wait.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = cap.status();
    assert_eq!(status["counts"]["failed"], 0, "{status}");
    assert_eq!(status["counts"]["retrying"], 2, "{status}");
    let text = cap.run(&["status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("2 retrying") && text.contains("next attempt"),
        "{text}"
    );
    assert!(svc.log().contains("the Move API does not answer"));

    // The API comes back on the same port: no restart, no `retry`.
    sb.start_again();
    let got = takes(&sb, &svc, 2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got_now = sb.takes().await;
    assert_eq!(got_now.len(), 2, "exactly one take each: {got:#?}");
    for take in &got_now {
        let meta = metadata(take);
        let sources = take["sources"].as_array().unwrap();
        let blob = |i: usize| sb.blob(sources[i]["file"]["id"].as_str().unwrap());
        match meta["move_ingest"]["device_label"].as_str().unwrap() {
            "cam-a" => {
                assert_eq!(blob(0), a);
                assert_eq!(blob(1), a_move);
            }
            "cam-b" => assert_eq!(blob(0), b),
            other => panic!("a take for {other}"),
        }
    }
    assert!(svc.log().contains("the Move API answers again"));
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 2, "{status}");
    assert_eq!(status["counts"]["retrying"], 0, "{status}");
}

#[tokio::test]
async fn retry_while_the_service_runs_is_taken_up_within_seconds() {
    let sb = Sandbox::start();
    let cap = small_budget(&sb);
    let svc = Service::start(&cap).await;

    // The API refuses the request as invalid: a permanent failure, for a person to look at.
    sb.set_faults(json!({ "p_invalid": 1.0 })).await;
    let video = bytes(5, 20_000);
    cap.write("cam-a", "take1.mp4", &video);
    let failed = in_state(&cap, "cam-a", "failed").await;
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("BadRequestException"),
        "{failed}"
    );

    // Fixed on the API's side; `retry` while the service holds the state dir.
    sb.set_faults(json!({})).await;
    let id = failed["recording_id"].as_str().unwrap();
    let out = cap.run(&["retry", id]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", crate::capture::show(&out));
    assert!(
        stdout.contains("1 recording(s) put back in the queue by the running service"),
        "{stdout}"
    );
    let got = takes(&sb, &svc, 1).await;
    assert_eq!(got.len(), 1);
    let source = &got[0]["sources"][0]["file"]["id"];
    assert_eq!(sb.blob(source.as_str().unwrap()), video);

    // Nothing failed is left; a done recording is not retried.
    let out = cap.run(&["retry", "--all-failed"]);
    assert!(out.status.success(), "{}", crate::capture::show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 recording(s)"));
    let out = cap.run(&["retry", id]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::capture::show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is done, not failed or retrying"));
}

#[tokio::test]
async fn a_key_rejected_while_running_stops_new_work_keeps_what_is_done_and_exits_3() {
    let mut sb = Sandbox::start();
    let cap = small_budget(&sb);
    let old_key = sb.key.clone();
    let mut svc = Service::start(&cap).await;
    let first = bytes(7, 10_000);
    cap.write("cam-a", "take1.mp4", &first);
    takes(&sb, &svc, 1).await;

    // The key is revoked (another one replaces it) while the service runs.
    sb.set_key("test-key-that-replaced-the-revoked-one").await;
    cap.write("cam-b", "take1.mp4", &bytes(8, 10_000));
    let exit = svc.exit_within(DEADLINE).await;
    let log = svc.log();
    assert_eq!(exit.and_then(|s| s.code()), Some(3), "{log}");
    assert!(
        log.contains("rejected the API key (HTTP 401) read from $MOVE_API_KEY"),
        "{log}"
    );
    assert!(!log.contains(&old_key), "the key is in the log");

    // What was committed stays; the new recording is neither done nor failed.
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 1, "{status}");
    assert_eq!(status["counts"]["failed"], 0, "{status}");
    assert_eq!(sb.takes().await.len(), 1);
    assert!(
        !cap.state_bytes()
            .windows(old_key.len())
            .any(|w| w == old_key.as_bytes())
    );
}

#[tokio::test]
async fn a_backfill_through_an_outage_exits_1_says_the_failures_were_transient_and_fails_none() {
    let sb = Sandbox::start();
    let cap = small_budget(&sb);
    sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    let video = bytes(9, 20_000);
    cap.write("cam-a", "take1.mp4", &video);
    let out = cap.backfill(1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0 failed, 1 retrying (transient failures)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("did not finish because of transient failures"),
        "{stdout}"
    );
    let waiting = row(&cap, "cam-a").unwrap();
    assert_eq!(waiting["state"], "retrying", "{waiting}");

    // The API is back: the next backfill sends it, once.
    sb.set_faults(json!({})).await;
    cap.backfill(0);
    let got = sb.takes().await;
    assert_eq!(got.len(), 1);
    let source = &got[0]["sources"][0]["file"]["id"];
    assert_eq!(sb.blob(source.as_str().unwrap()), video);
}

/// `run` started while the API does not answer (`down` makes it so, `up` undoes it): it stays
/// up, says so, and a recording written meanwhile gets its take, once, when the API is back.
async fn run_survives_an_api_down_at_start(sb: &mut Sandbox, down: bool) {
    let cap = small_budget(sb);
    if down {
        sb.kill();
    } else {
        sb.set_faults(json!({ "p_5xx": 1.0 })).await;
    }
    let mut svc = Service::start(&cap).await;
    until("the start's key check to find the API down", || async {
        svc.log()
            .contains("the Move API does not answer at start")
            .then_some(())
    })
    .await;
    let video = bytes(11, 20_000);
    cap.write("cam-a", "take1.mp4", &video);
    in_state(&cap, "cam-a", "retrying").await;
    assert!(
        svc.exit_within(Duration::from_millis(200)).await.is_none(),
        "run stopped:\n{}",
        svc.log()
    );
    if down {
        sb.start_again();
    } else {
        sb.set_faults(json!({})).await;
    }
    let got = takes(sb, &svc, 1).await;
    let source = &got[0]["sources"][0]["file"]["id"];
    assert_eq!(sb.blob(source.as_str().unwrap()), video);
    in_state(&cap, "cam-a", "done").await;
    assert_eq!(sb.takes().await.len(), 1);
    assert!(!svc.log().contains(&sb.key), "the key is in the log");
}

#[tokio::test]
async fn run_started_with_the_api_unreachable_stays_up_and_ingests_once_it_answers() {
    let mut sb = Sandbox::start();
    run_survives_an_api_down_at_start(&mut sb, true).await;
}

#[tokio::test]
async fn run_started_while_the_api_answers_503_stays_up_and_ingests_once_it_answers() {
    let mut sb = Sandbox::start();
    run_survives_an_api_down_at_start(&mut sb, false).await;
}
