//! The secrets of the observing side, with the real `run` binary: webhooks signed per Standard
//! Webhooks and checked by an independent implementation of the scheme (the `standardwebhooks`
//! crate), and the status server's bearer token on each endpoint; neither secret in the
//! daemon's output or its state.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine;
use serde_json::Value;

use crate::capture::{Capture, bytes, set_age, show};
use crate::monitoring::Daemon;
use crate::util::Sandbox;

const DEADLINE: Duration = Duration::from_secs(30);

/// A capture setup whose `run` logs JSON and serves HTTP on `listen`, with `extra` appended.
fn capture(sb: &Sandbox, listen: &str, extra: &str) -> Capture {
    let cap = Capture::new(sb);
    let text = format!(
        "[api]\nendpoint = \"{}\"\n\n[[watch]]\npath = \"{}\"\n\n[pairing]\nsettle_secs = 1\nmove_wait_secs = 1\n\n\
         [state]\ndir = \"{}\"\n\n[retry]\nmax_attempts = 1000\nbase_ms = 50\ncap_secs = 1\n\n\
         [log]\nlevel = \"debug\"\nformat = \"json\"\n\n[metrics]\nlisten = \"{listen}\"\n{extra}\n",
        cap.endpoint,
        cap.watch.display(),
        cap.state.display(),
    );
    std::fs::write(&cap.config, text).unwrap();
    cap
}

/// A fresh `whsec_` secret: 32 random bytes in base64.
fn new_secret() -> String {
    let key: Vec<u8> = (0..32).map(|_| fastrand::u8(..)).collect();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Every byte under `dir`, files in sub folders too.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(all_bytes(&path));
        } else {
            all.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    all
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// One POST as the receiver got it: its headers, its body, and whether it was refused.
#[derive(Clone)]
struct Post {
    headers: HeaderMap,
    body: Vec<u8>,
    refused: bool,
}

/// A webhook receiver on 127.0.0.1 that keeps every POST whole and refuses the first (500).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Post>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        use axum::routing::post;
        let got: Arc<Mutex<Vec<Post>>> = Arc::default();
        let g = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            post(
                move |headers: HeaderMap, body: axum::body::Bytes| async move {
                    let mut got = g.lock().unwrap();
                    let refused = got.is_empty();
                    got.push(Post {
                        headers,
                        body: body.to_vec(),
                        refused,
                    });
                    if refused {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got }
    }

    fn posts(&self) -> Vec<Post> {
        self.got.lock().unwrap().clone()
    }

    /// Waits for an accepted POST whose `event` is `event`.
    async fn event(&self, event: &str) -> Post {
        crate::run::until_within(&format!("a webhook `{event}`"), DEADLINE, || async {
            self.posts().into_iter().find(|p| {
                !p.refused
                    && serde_json::from_slice::<Value>(&p.body).is_ok_and(|v| v["event"] == event)
            })
        })
        .await
    }
}

fn header<'a>(post: &'a Post, name: &str) -> &'a str {
    post.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn every_webhook_post_is_signed_so_that_standardwebhooks_verifies_it_and_refuses_a_tampered_one()
 {
    let sb = Sandbox::start();
    let hook = Receiver::start().await;
    let secret = new_secret();
    let cap = capture(
        &sb,
        "127.0.0.1:0",
        &format!(
            "\n[notify]\nwebhook = \"{}\"\nsummary_every_secs = 2\nsecret_file = \"SECRET\"\n",
            hook.url
        ),
    );
    let secret_file = cap.root.path().join("webhook-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("SECRET", &secret_file.display().to_string()),
    )
    .unwrap();

    let out = cap.run(&["check"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("webhook: every POST is signed"),
        "{}",
        show(&out)
    );

    let d = Daemon::start(&cap).await;
    let empty = cap.write("cam-a", "empty.mp4", b"");
    set_age(&empty, Duration::from_secs(3600));
    let failed = hook.event("recording_failed").await;
    hook.event("summary").await;
    let receiver = standardwebhooks::Webhook::new(&secret).unwrap();
    let posts = hook.posts();
    assert!(posts.len() >= 3, "{} posts", posts.len());
    for post in &posts {
        receiver
            .verify(&post.body, &post.headers)
            .unwrap_or_else(|e| {
                panic!(
                    "standardwebhooks refused {}: {e}",
                    String::from_utf8_lossy(&post.body)
                )
            });
        assert!(header(post, "webhook-id").starts_with("msg_"));
        let ts: i64 = header(post, "webhook-timestamp").parse().unwrap();
        assert!(ts > 1_700_000_000, "unix seconds: {ts}");
        assert!(header(post, "webhook-signature").starts_with("v1,"));
        assert_eq!(header(post, "content-type"), "application/json");
    }

    // The refused first POST came again: the same message, the same id, signed anew.
    let first = &posts[0];
    let again = posts[1..]
        .iter()
        .find(|p| p.body == first.body)
        .expect("the refused message was retried");
    assert_eq!(header(first, "webhook-id"), header(again, "webhook-id"));
    // Each message has an id of its own.
    let mut ids: Vec<&str> = posts
        .iter()
        .filter(|p| !p.refused)
        .map(|p| header(p, "webhook-id"))
        .collect();
    let accepted = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), accepted, "an id was used by two messages");

    // A tampered body, a wrong secret, a changed id: refused.
    let tampered = String::from_utf8(failed.body.clone())
        .unwrap()
        .replace("\"empty\"", "\"other\"");
    assert_ne!(tampered.as_bytes(), failed.body.as_slice());
    assert!(
        receiver
            .verify(tampered.as_bytes(), &failed.headers)
            .is_err()
    );
    let stranger = standardwebhooks::Webhook::new(&new_secret()).unwrap();
    assert!(stranger.verify(&failed.body, &failed.headers).is_err());
    let mut moved = failed.headers.clone();
    moved.insert("webhook-id", "msg_someoneelse".parse().unwrap());
    assert!(receiver.verify(&failed.body, &moved).is_err());
    // Unsigned, it would not pass either: the headers are what the receiver relies on.
    assert!(receiver.verify(&failed.body, &HeaderMap::new()).is_err());

    // The secret (whole, or its key in base64) is in no log line, no message, no state file.
    let key = secret.trim_start_matches("whsec_");
    let log = d.log_text();
    assert!(
        log.contains("every POST is signed"),
        "the start says so: {log}"
    );
    drop(d);
    for (what, text) in [
        ("the log", log.into_bytes()),
        ("check's output", [out.stdout, out.stderr].concat()),
        ("the state dir", all_bytes(&cap.state)),
        (
            "a message",
            posts.iter().flat_map(|p| p.body.clone()).collect(),
        ),
    ] {
        assert!(!holds(&text, key), "the webhook secret is in {what}");
    }
}

#[tokio::test]
async fn without_a_secret_the_webhook_posts_unsigned_and_says_so_once() {
    let sb = Sandbox::start();
    let hook = Receiver::start().await;
    let cap = capture(
        &sb,
        "127.0.0.1:0",
        &format!(
            "\n[notify]\nwebhook = \"{}\"\nsummary_every_secs = 1\n",
            hook.url
        ),
    );
    let d = Daemon::start(&cap).await;
    let summary = hook.event("summary").await;
    assert!(summary.headers.get("webhook-signature").is_none());
    assert!(summary.headers.get("webhook-id").is_none());
    let log = d.log_text();
    assert_eq!(
        log.matches("POSTs are unsigned").count(),
        1,
        "said once: {log}"
    );
    let out = cap.run(&["check"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("webhook: POSTs are unsigned"),
        "{}",
        show(&out)
    );
}

/// A GET with an optional `Authorization` header: the status, `WWW-Authenticate`, the body.
async fn get(base: &str, path: &str, auth: Option<&str>) -> (u16, Option<String>, String) {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    let r = req.send().await.unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), challenge, r.text().await.unwrap())
}

#[tokio::test]
async fn with_a_bearer_token_every_view_but_healthz_asks_for_it() {
    let sb = Sandbox::start();
    let token = format!("{:032x}", fastrand::u128(..));
    let cap = capture(&sb, "127.0.0.1:0", "bearer_token_file = \"TOKEN\"\n");
    let token_file = cap.root.path().join("metrics-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("TOKEN", &token_file.display().to_string()),
    )
    .unwrap();
    let d = Daemon::start(&cap).await;
    cap.write("cam-a", "one.mp4", &bytes(1, 20_000));
    let good = format!("Bearer {token}");
    crate::run::until_within("the take", DEADLINE, || async {
        let (_, _, api) = get(&d.base, "/api/status", Some(&good)).await;
        let api: Value = serde_json::from_str(&api).ok()?;
        (api["counts"]["done"] == 1).then_some(())
    })
    .await;

    for path in ["/", "/api/status", "/metrics", "/thumbnail/take-1"] {
        let (status, challenge, body) = get(&d.base, path, None).await;
        assert_eq!(status, 401, "{path} without a token: {body}");
        assert!(
            challenge
                .as_deref()
                .is_some_and(|c| c.starts_with("Bearer")),
            "{path}: {challenge:?}"
        );
        assert!(!body.contains("one"), "{path} told: {body}");
        for wrong in [
            format!("Bearer {token}x"),
            format!("Bearer {}", &token[1..]),
            "Bearer ".to_string(),
            format!("Basic {token}"),
            token.clone(),
        ] {
            let (status, challenge, _) = get(&d.base, path, Some(&wrong)).await;
            assert_eq!(status, 401, "{path} with {wrong:?}");
            assert!(challenge.is_some(), "{path} with {wrong:?}");
        }
        let (status, challenge, body) = get(&d.base, path, Some(&good)).await;
        let expected = if path.starts_with("/thumbnail/") {
            404 // through the guard: no thumbnail for this take
        } else {
            200
        };
        assert_eq!(status, expected, "{path} with the token: {body}");
        assert!(challenge.is_none());
    }
    let (_, _, page) = get(&d.base, "/", Some(&good)).await;
    assert!(page.contains("one"), "{page}");
    let (_, _, metrics) = get(&d.base, "/metrics", Some(&format!("bearer {token}"))).await;
    assert!(
        metrics.contains("move_ingest_takes_created_total 1"),
        "{metrics}"
    );
    // Load balancers and systemd checks need no token.
    let (status, _, body) = get(&d.base, "/healthz", None).await;
    assert_eq!((status, body.as_str()), (200, "ingesting\n"));

    let log = d.log_text();
    assert!(log.contains("ask for the bearer token"), "{log}");
    assert!(!log.contains("without a bearer token"), "{log}");
    drop(d);
    assert!(!log.contains(&token), "the token is in the log");
    assert!(
        !holds(&all_bytes(&cap.state), &token),
        "the token is in the state"
    );
}

#[tokio::test]
async fn the_secrets_are_read_from_systemd_credentials_and_never_shown_by_check() {
    let sb = Sandbox::start();
    let cap = capture(
        &sb,
        "127.0.0.1:0",
        "\n[notify]\nwebhook = \"http://127.0.0.1:9/hook\"\n",
    );
    let creds = cap.root.path().join("credentials");
    std::fs::create_dir(&creds).unwrap();
    let token = format!("{:032x}", fastrand::u128(..));
    let secret = new_secret();
    std::fs::write(creds.join("metrics-token"), &token).unwrap();
    std::fs::write(creds.join("webhook-secret"), &secret).unwrap();
    let out = cap
        .cmd(&["check"])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .output()
        .unwrap();
    let said = show(&out);
    assert!(
        said.contains("webhook: every POST is signed")
            && said.contains("credential webhook-secret"),
        "{said}"
    );
    assert!(
        said.contains("ask for the bearer token") && said.contains("credential metrics-token"),
        "{said}"
    );
    assert!(!said.contains(&token) && !said.contains(secret.trim_start_matches("whsec_")));

    // A credential that is not a whsec_ secret stops the start (exit 2), naming the file only.
    std::fs::write(creds.join("webhook-secret"), "whsec_*not base64*").unwrap();
    let out = cap
        .cmd(&["run"])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let said = show(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("webhook-secret") && said.contains("base64"),
        "{said}"
    );
    assert!(!said.contains("*not base64*"), "{said}");
}

#[tokio::test]
async fn a_status_server_beyond_loopback_without_a_token_is_warned_about_at_start() {
    let sb = Sandbox::start();
    let cap = capture(&sb, "0.0.0.0:0", "");
    let mut d = Daemon::start(&cap).await;
    // Asked on loopback only.
    d.base = d.base.replace("0.0.0.0", "127.0.0.1");
    let log = d.log_text();
    let warning = log
        .lines()
        .find(|l| l.contains("without a bearer token"))
        .unwrap_or_else(|| panic!("no warning in\n{log}"));
    let v: Value = serde_json::from_str(warning).unwrap();
    assert_eq!(v["level"], "WARN", "{warning}");
    for named in ["recording's name and path", "failure", "bearer_token_file"] {
        assert!(warning.contains(named), "{named}: {warning}");
    }
    let (status, _, _) = get(&d.base, "/api/status", None).await;
    assert_eq!(status, 200, "no token set: open, as before");
    d.assert_alive();

    let out = cap.run(&["check"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("reachable beyond this machine"),
        "{}",
        show(&out)
    );

    // On loopback, no warning.
    let quiet = capture(&sb, "127.0.0.1:0", "");
    let q = Daemon::start(&quiet).await;
    assert!(!q.log_text().contains("without a bearer token"));
}
