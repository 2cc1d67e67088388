//! `[coordination]` (issue 26): one rig over several capture machines, each a `move-ingest
//! run` with its own state dir and watch folder, one real PostgreSQL, one sandbox. The split
//! rig and a claimer killed mid-request in `flow`; the database stopped and emptied in `outage`;
//! `group = "time"` across machines in `time`.

mod flow;
mod outage;
mod pg;
mod time;

use std::time::Duration;

use serde_json::Value;

use crate::capture::{Capture, bytes, metadata};
use crate::monitoring::Daemon;
use crate::rigs::{LENS, multicam_takes};
use crate::util::Sandbox;
use pg::{Postgres, ROLE_PASSWORD};

const DEADLINE: Duration = Duration::from_secs(90);

/// The database, or `None` after saying the test skipped (no PostgreSQL on this machine).
async fn database() -> Option<Postgres> {
    let pg = Postgres::start().await;
    if pg.is_none() {
        crate::skip("the coordination tests (no PostgreSQL: apt-get install postgresql)");
    }
    pg
}

/// One capture machine of the rig `stage-a` (cam-1..3 on the pinned `volume`), named `node`
/// in the shared database; `wait_secs` of the rig.
fn machine(sb: &Sandbox, pg: &Postgres, node: &str, volume: &str, wait_secs: u64) -> Capture {
    machine_with(sb, pg, node, volume, wait_secs, "")
}

/// `machine` with more tables after the rig's (e.g. `[multicam.job]`).
fn machine_with(
    sb: &Sandbox,
    pg: &Postgres,
    node: &str,
    volume: &str,
    wait_secs: u64,
    rig_extra: &str,
) -> Capture {
    let cap = Capture::new(sb);
    let pw = cap.root.path().join("pg-password");
    std::fs::write(&pw, format!("{ROLE_PASSWORD}\n")).unwrap();
    let text = format!(
        "[api]\nendpoint = \"{}\"\nrequest_timeout_secs = 5\n\n[[watch]]\npath = \"{}\"\n\n\
         [pairing]\nsettle_secs = 1\nmove_wait_secs = 1\n\n[state]\ndir = \"{}\"\n\n\
         [retry]\nbase_ms = 50\ncap_secs = 1\n\n[log]\nlevel = \"debug\"\nformat = \"json\"\n\n\
         [metrics]\nlisten = \"127.0.0.1:0\"\nunhealthy_after_secs = 1\n\n\
         [take]\nname = \"{{rig}} {{stem}}\"\n\n\
         [[multicam]]\nname = \"stage-a\"\ndevices = [\"cam-1\", \"cam-2\", \"cam-3\"]\n\
         lens = \"{LENS}\"\nsync = \"timecode\"\nwait_secs = {wait_secs}\nvolume = \"{volume}\"\n{rig_extra}\n\
         [coordination]\npostgres = \"{}\"\npassword_file = \"{}\"\nnode = \"{node}\"\nlease_secs = 3\n",
        cap.endpoint,
        cap.watch.display(),
        cap.state.display(),
        pg.url(),
        pw.display(),
    );
    std::fs::write(&cap.config, text).unwrap();
    cap
}

/// Writes each camera's video of `stem` on a machine (distinct bytes per camera and stem).
fn record(cap: &Capture, cams: &[&str], stem: &str) {
    for cam in cams {
        let seed = stem.bytes().chain(cam.bytes()).map(u64::from).sum::<u64>();
        cap.write(
            cam,
            &format!("{stem}.mp4"),
            &bytes(seed, 3_000 + seed as usize % 97),
        );
    }
}

/// Waits for `check` to answer, within the deadline.
async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crate::run::until_within(what, DEADLINE, check).await
}

/// The multicam takes whose record names `stem`.
async fn takes_of(sb: &Sandbox, stem: &str) -> Vec<Value> {
    multicam_takes(sb)
        .await
        .into_iter()
        .filter(|t| metadata(t)["move_ingest"]["stem"] == stem)
        .collect()
}

/// The cameras (device labels) of a multicam take's record, sorted.
fn cameras_of(take: &Value) -> Vec<String> {
    let mut cams: Vec<String> = metadata(take)["move_ingest"]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files in {take}"))
        .iter()
        .map(|f| f["device_label"].as_str().unwrap_or_default().to_string())
        .collect();
    cams.sort();
    cams
}

/// The state of the rig recording `stage-a/<stem>` in a machine's `status --json`.
fn rig_state(cap: &Capture, stem: &str) -> Option<String> {
    let status = cap.status();
    let rigs = status["rigs"].as_array()?.clone();
    rigs.iter()
        .find(|r| r["rig_recording"] == format!("stage-a/{stem}"))
        .and_then(|r| r["state"].as_str().map(str::to_string))
}

/// Waits until a machine's `status --json` shows `stage-a/<stem>` done; on a timeout, the
/// machine's log says why.
async fn done_on(cap: &Capture, d: &Daemon, stem: &str) {
    let start = std::time::Instant::now();
    while rig_state(cap, stem).as_deref() != Some("done") {
        if start.elapsed() > DEADLINE {
            let log = d.log_text();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "timed out waiting for stage-a/{stem} to be done ({:?}); log:\n{}",
                rig_state(cap, stem),
                tail.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The shared claim row of `stage-a/<stem>`: who claimed it, and when a take was last asked.
async fn claim_row(pg: &Postgres, stem: &str) -> Option<(Option<String>, Option<i64>)> {
    let db = pg.admin("move_ingest").await;
    let row = db
        .query_opt(
            "SELECT claimed_by, take_last_ms FROM rig_claims WHERE rig_recording = $1",
            &[&format!("stage-a/{stem}")],
        )
        .await
        .ok()??;
    Some((row.get(0), row.get(1)))
}

/// Starts a machine's service.
async fn start(cap: &Capture) -> Daemon {
    Daemon::start(cap).await
}

/// Prints a machine's log when the test fails while it is held.
struct ShowLog<'a>(&'a Daemon);

impl Drop for ShowLog<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the other machine's log:\n{}", self.0.log_text());
        }
    }
}
