//! Seeded faults from `/admin/faults`: dropped answers, 429 and 5xx, counted in `/admin/stats`.

use serde_json::json;

use crate::util::Sandbox;

#[tokio::test]
async fn dropped_answer_still_creates_the_file() {
    let sandbox = Sandbox::start();
    sandbox
        .set_faults(json!({ "seed": 1, "p_drop": 1.0 }))
        .await;
    let result = sandbox
        .try_gql("mutation { createFile(type: \"mp4\") { id } }", json!({}))
        .await;
    assert!(result.is_err(), "the answer should be lost, got {result:?}");
    // Queries are never dropped.
    assert_eq!(
        sandbox.gql("{ client { id } }", json!({})).await["data"]["client"]["id"],
        "client-sandbox"
    );
    let stats = sandbox.stats().await;
    assert_eq!(stats["files_created"], 1, "{stats}");
    assert_eq!(stats["faults_injected"], 1, "{stats}");
}

#[tokio::test]
async fn injected_429_and_5xx() {
    let sandbox = Sandbox::start();
    sandbox
        .set_faults(json!({ "p_429": 1.0, "retry_after_secs": 3 }))
        .await;
    let body = json!({ "query": "{ client { id } }" });
    let response = sandbox
        .http
        .post(&sandbox.url)
        .header("Authorization", &sandbox.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    sandbox.set_faults(json!({ "p_5xx": 1.0 })).await;
    let response = sandbox
        .http
        .post(&sandbox.url)
        .header("Authorization", &sandbox.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let url = format!(
        "{}/storage/file-x?AWSAccessKeyId=SANDBOXKEYID&Expires=1&Signature=x",
        sandbox.base
    );
    let response = sandbox.put(&url, b"x").await;
    assert_eq!(response.status(), 500);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>InternalError</Code>")
    );
    assert_eq!(sandbox.stats().await["faults_injected"], 3);
}

#[tokio::test]
async fn fault_flags_set_the_initial_faults() {
    let sandbox = Sandbox::start_with(&[
        "--fault-seed",
        "9",
        "--fault-429",
        "0.5",
        "--fault-retry-after-secs",
        "4",
        "--latency-ms",
        "5",
        "--fault-drop-only",
        "createSingleCamJob",
        "--fault-5xx-only",
        "listTakes",
    ]);
    let url = format!("{}/admin/faults", sandbox.base);
    let faults: serde_json::Value = sandbox
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        faults,
        json!({"seed": 9, "p_5xx": 0.0, "unavailable_only": "listTakes", "p_429": 0.5,
               "retry_after_secs": 4, "p_drop": 0.0, "drop_only": "createSingleCamJob",
               "p_cut": 0.0, "p_invalid": 0.0, "latency_ms": 5, "latency_only": null,
               "upload_bytes_per_sec": 0})
    );
}
