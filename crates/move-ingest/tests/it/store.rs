//! The state database through its public API: steps read back after a restart, the lock,
//! the import of old journals (formats 1 and 2), damaged files, and reading beside a writer.

use std::path::Path;

use move_ingest::model::facts::{Facts, Kind};
use move_ingest::model::recording::{Event, Phase, Role, Seen};
use move_ingest::store::query::Reader;
use move_ingest::store::{DB_FILE, JOURNAL_FILE, Store};

fn facts(name: &str) -> Facts {
    Facts {
        name: name.into(),
        size: 10,
        mtime_ns: 1,
        inode: 2,
        dev: 3,
    }
}

fn discovered(stem: &str) -> Event {
    Event::Discovered {
        dir: "/cap/cam-a".into(),
        device: "cam-a".into(),
        stem: stem.into(),
        video: Some(Seen {
            kind: Kind::Mp4,
            facts: facts(&format!("{stem}.mp4")),
        }),
        sidecar: None,
        look_for_take: false,
    }
}

/// The video of a recording uploaded as `file_id`, with this name and SHA-256.
fn uploaded(file_id: &str, name: &str, sha256: &str) -> Event {
    Event::Uploaded {
        role: Role::Video,
        file_id: file_id.into(),
        facts: facts(name),
        sha256: sha256.into(),
    }
}

/// `n` recordings, each taken to done, plus one left mid-way.
async fn history(store: &Store, n: usize) {
    for i in 0..n {
        let rec = format!("rec-{i}");
        store
            .record(&rec, discovered(&format!("s{i}")))
            .await
            .unwrap();
        let file_id = format!("f{i}");
        let ev = Event::FileCreated {
            role: Role::Video,
            file_id: file_id.clone(),
        };
        store.record(&rec, ev).await.unwrap();
        let up = uploaded(&file_id, &format!("s{i}.mp4"), "ab");
        store.record(&rec, up).await.unwrap();
        let req = Event::TakeRequested { at_ms: 5 };
        store.record(&rec, req).await.unwrap();
        let created = Event::TakeCreated {
            take_id: format!("take-{i}"),
            adopted: false,
        };
        store.record(&rec, created).await.unwrap();
    }
    store.record("rec-open", discovered("open")).await.unwrap();
}

fn count(reader: &Reader, phase: Phase) -> u64 {
    let counts = reader.counts(None).unwrap();
    counts.iter().find(|(p, _)| *p == phase).unwrap().1
}

#[tokio::test]
async fn what_was_recorded_is_there_after_a_restart_and_only_unfinished_work_resumes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        history(&store, 3).await;
    }
    let (store, opened) = Store::open(dir.path()).unwrap();
    assert_eq!(opened.unfinished, 1);
    let unfinished: Vec<String> = store
        .unfinished()
        .unwrap()
        .iter()
        .map(|id| id.to_string())
        .collect();
    assert_eq!(unfinished, vec!["rec-open".to_string()]);
    let done = store.recording("rec-1").unwrap().unwrap();
    assert_eq!(done.take_id.as_deref(), Some("take-1"));
    let latest = store
        .latest(Path::new("/cap/cam-a"), "s2")
        .unwrap()
        .unwrap();
    assert_eq!(latest.id, "rec-2");
    assert!(latest.done_and_unchanged(Some(&facts("s2.mp4")), None));
    let by_content = store.by_content("s2.mp4", 10, "ab").unwrap().unwrap();
    assert_eq!(by_content.id, "rec-2");
    assert!(store.by_content("s2.mp4", 11, "ab").unwrap().is_none());
    // Steps go on after the ones already written.
    store.record("rec-open", Event::Requeued).await.unwrap();
    drop(store);
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    let steps = reader.steps("rec-open").unwrap();
    assert_eq!(steps.len(), 2);
    assert!(steps[0].seq < steps[1].seq);
    assert_eq!(reader.steps("rec-0").unwrap().len(), 5);
    assert_eq!(count(&reader, Phase::Done), 3);
}

#[tokio::test]
async fn steps_sent_without_waiting_are_written_in_order_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        store.record("rec-a", discovered("a")).await.unwrap();
        // What the upload step does: the file's id not awaited, its upload awaited later.
        let created = Event::FileCreated {
            role: Role::Video,
            file_id: "file-a".into(),
        };
        store.record_unawaited("rec-a", created).unwrap();
        let up = store
            .record_pending("rec-a", uploaded("file-a", "a.mp4", "cd"))
            .unwrap();
        up.written().await.unwrap();
        let rec = store.recording("rec-a").unwrap().unwrap();
        let upload = rec
            .upload(Role::Video)
            .expect("the upload is read back once written");
        assert_eq!(
            (upload.file_id.as_str(), upload.sha256.as_str()),
            ("file-a", "cd")
        );
        let req = Event::TakeRequested { at_ms: 5 };
        store.record("rec-a", req).await.unwrap();
    }
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    let steps = reader.steps("rec-a").unwrap();
    assert_eq!(steps.len(), 4, "every step kept, the unawaited one too");
    assert!(
        steps.windows(2).all(|w| w[0].seq < w[1].seq),
        "in the order sent"
    );
}

#[tokio::test]
async fn a_second_open_is_refused_naming_the_pid() {
    let dir = tempfile::tempdir().unwrap();
    let (_first, _) = Store::open(dir.path()).unwrap();
    let err = Store::open(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
}

#[tokio::test]
async fn a_reader_and_a_backup_work_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    history(&store, 4).await;
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    assert_eq!(count(&reader, Phase::Done), 4);
    assert_eq!(count(&reader, Phase::Queued), 1);
    let copy = dir.path().join("backup.db");
    reader.backup(&copy).unwrap();
    // The writer goes on; the copy holds what was committed when it was made.
    store
        .record("rec-open", Event::Vanished { reason: "x".into() })
        .await
        .unwrap();
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, restored.path().join(DB_FILE)).unwrap();
    let (from_backup, opened) = Store::open(restored.path()).unwrap();
    assert_eq!(opened.unfinished, 1);
    assert_eq!(
        from_backup
            .recording("rec-3")
            .unwrap()
            .unwrap()
            .take_id
            .as_deref(),
        Some("take-3")
    );
}

#[test]
fn a_journal_of_format_1_is_imported_once_and_renamed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(JOURNAL_FILE),
        include_str!("../data/journal-v1.jsonl"),
    )
    .unwrap();
    let (store, opened) = Store::open(dir.path()).unwrap();
    let imported = opened.imported.expect("imported");
    assert_eq!(imported.skipped_lines, 0);
    assert!(!dir.path().join(JOURNAL_FILE).exists());
    assert!(dir.path().join("journal.jsonl.imported").exists());
    drop(store);
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    assert_eq!(count(&reader, Phase::Done), 1);
    assert_eq!(count(&reader, Phase::Waiting), 1, "a waiting .move");
    let done = reader.in_phases(&[Phase::Done]).unwrap();
    assert_eq!(done[0].device, "cam-a");
    assert!(reader.steps(&done[0].id).unwrap().len() >= 5);
    // A second open imports nothing again.
    let (_store, opened) = Store::open(dir.path()).unwrap();
    assert!(opened.imported.is_none());
    drop(reader);
}

#[test]
fn an_import_stopped_before_its_rename_is_not_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let text = include_str!("../data/journal-v2.jsonl");
    std::fs::write(dir.path().join(JOURNAL_FILE), text).unwrap();
    drop(Store::open(dir.path()).unwrap());
    // As if the process stopped between the commit and the rename.
    std::fs::rename(
        dir.path().join("journal.jsonl.imported"),
        dir.path().join(JOURNAL_FILE),
    )
    .unwrap();
    let (_store, opened) = Store::open(dir.path()).unwrap();
    assert!(opened.imported.is_none());
    assert!(!dir.path().join(JOURNAL_FILE).exists());
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    let total: u64 = reader.counts(None).unwrap().iter().map(|c| c.1).sum();
    assert_eq!(total, 4, "each recording once");
    assert_eq!(count(&reader, Phase::Done), 2);
    assert_eq!(count(&reader, Phase::Failed), 1);
}

#[test]
fn a_torn_last_journal_line_is_dropped_by_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = include_str!("../data/journal-v2.jsonl").to_string();
    text.push_str(r#"{"v":2,"seq":99,"t":"2026-01-01T00:00:00Z","rec":"rec-x","ev":"disc"#);
    std::fs::write(dir.path().join(JOURNAL_FILE), text).unwrap();
    let (_store, opened) = Store::open(dir.path()).unwrap();
    let imported = opened.imported.unwrap();
    assert!(imported.torn_tail);
    assert_eq!(imported.recordings, 4);
}

#[test]
fn a_file_that_is_not_sqlite_stops_the_start_naming_it_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    std::fs::write(
        &db,
        "this is not a database, it is a note someone left here\n".repeat(200),
    )
    .unwrap();
    let err = Store::open(dir.path()).err().expect("refused").to_string();
    assert!(err.contains(&db.display().to_string()), "{err}");
    assert!(err.contains("Move it aside"), "{err}");
    assert!(
        Reader::open(dir.path()).is_err(),
        "status does not read it as empty either"
    );
}

#[tokio::test]
async fn a_database_that_fails_quick_check_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        history(&store, 300).await;
    }
    let db = dir.path().join(DB_FILE);
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 40 * 4096, "{} bytes", bytes.len());
    // Scribble over pages in the middle (the header on page 1 stays intact).
    let mut rng = fastrand::Rng::with_seed(7);
    for b in &mut bytes[8 * 4096..32 * 4096] {
        *b = rng.u8(..);
    }
    std::fs::write(&db, &bytes).unwrap();
    // A small database is checked before `open` returns; on a very slow machine the check may
    // still run, and then no step is written before its verdict.
    let err = match Store::open(dir.path()) {
        Err(e) => e.to_string(),
        Ok((store, _)) => {
            let refused = store.record("rec-new", discovered("new")).await;
            refused.expect_err("no step written").to_string()
        }
    };
    assert!(err.contains(&db.display().to_string()), "{err}");
    assert!(
        err.contains("damaged") && err.contains("Move it aside"),
        "{err}"
    );
}

/// The bytes of the checked-in journal's files: byte i of file `seed` is (31 seed + 7 i) mod 251.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| ((seed * 31 + i * 7) % 251) as u8)
        .collect()
}

#[tokio::test]
async fn a_journal_written_by_the_previous_release_is_imported_and_nothing_is_sent_again() {
    use crate::capture::{Capture, show};
    let sb = crate::util::Sandbox::start();
    let cap = Capture::new(&sb);
    // The journal names the folders it was written in; put them where this test's captures are.
    let text = include_str!("../data/journal-v2.jsonl").replace(
        "/tmp/move-ingest-journal-fixture/captures",
        &cap.watch.display().to_string(),
    );
    std::fs::create_dir_all(&cap.state).unwrap();
    std::fs::write(cap.state.join(JOURNAL_FILE), text).unwrap();
    // The same bytes as then (new inodes and mtimes: each is re-hashed and found the same).
    cap.write("cam-a", "take01.mp4", &pattern(1, 300_000));
    cap.write("cam-a", "take01.move", &pattern(2, 5_000));
    cap.write("cam-b", "take02.mp4", &pattern(3, 200_000));
    cap.write("cam-c", "orphan.move", &pattern(4, 4_000));
    let out = cap.backfill(0);
    let stats = sb.stats().await;
    assert_eq!(stats["files_created"], 0, "{stats}\n{}", show(&out));
    assert_eq!(stats["takes_created"], 0, "{stats}");
    assert!(cap.state.join("journal.jsonl.imported").exists());
    let status = cap.status();
    assert_eq!(status["counts"]["done"], 2, "{status}");
    assert_eq!(status["counts"]["failed"], 1, "{status}");
    assert_eq!(status["counts"]["waiting"], 1, "{status}");
    // The history of an imported recording goes back to its first step, in words.
    let out = cap.run(&["history", "cam-a/take01"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for step in [
        "discovered",
        "uploaded",
        "take requested",
        "take created",
        "touched",
    ] {
        assert!(text.contains(&format!("  {step}  ")), "{step} in\n{text}");
    }
    assert!(
        text.contains("uploaded           cam-a/take01.mp4, 300 kB, sha256 "),
        "{text}"
    );
    // One line per step: the time (to the second, UTC), the step, what happened.
    let steps: Vec<&str> = text.lines().skip(1).collect();
    assert!(steps.len() >= 5, "{text}");
    for line in &steps {
        let time = line.trim_start().get(..19).unwrap_or_default();
        assert!(
            humantime::parse_rfc3339_weak(time).is_ok(),
            "a time first: {line}"
        );
        assert!(!line.contains('{'), "words, not JSON: {line}");
    }
    // `--json` keeps the steps as stored.
    let out = cap.run(&["history", "cam-a/take01", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let recs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = &recs[0];
    assert_eq!(
        (&rec["device"], &rec["stem"], &rec["state"]),
        (
            &serde_json::json!("cam-a"),
            &serde_json::json!("take01"),
            &serde_json::json!("done")
        ),
        "{recs}"
    );
    let names: Vec<String> = rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match &s["event"] {
            serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
            other => other.as_str().unwrap_or_default().to_string(),
        })
        .collect();
    for step in [
        "discovered",
        "uploaded",
        "take_requested",
        "take_created",
        "touched",
    ] {
        assert!(names.iter().any(|n| n == step), "{step} in {names:?}");
    }
    let uploaded = rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["event"].get("uploaded"))
        .unwrap();
    assert_eq!(uploaded["facts"]["size"], 300_000, "{uploaded}");
    assert!(
        uploaded["sha256"].as_str().unwrap().len() == 64,
        "{uploaded}"
    );
}

#[tokio::test]
async fn status_history_and_backup_work_while_another_process_holds_the_state_dir() {
    use crate::capture::{Capture, bytes, show};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let sb = crate::util::Sandbox::start_with(&["--upload-bytes-per-sec", "1000000"]);
    let cap = Capture::new(&sb);
    cap.write("cam-a", "empty.mp4", b"");
    cap.write("cam-b", "done.mp4", &bytes(1, 10_000));
    cap.backfill(1);
    cap.write("cam-c", "slow.mp4", &bytes(2, 4_000_000));
    let child = cap
        .cmd(&["backfill", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = cap.state.join("lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != child.id().to_string() {
        assert!(
            Instant::now() < deadline,
            "the backfill never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = cap.run(&["status", "--failed"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("empty") && text.contains("0 bytes"), "{text}");
    assert!(
        !text.contains("done.mp4") && !text.contains(" done "),
        "only the failed: {text}"
    );
    let since: serde_json::Value = {
        let out = cap.run(&["status", "--since", "1h", "--json"]);
        assert!(out.status.success(), "{}", show(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(since["counts"]["done"], 1, "{since}");
    let out = cap.run(&["history", "cam-b/done"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("  take created  "));
    let copy = cap.root.path().join("backup.db");
    let out = cap.run(&["state", "backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", show(&out));
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, restored.path().join(DB_FILE)).unwrap();
    let reader = Reader::open(restored.path()).unwrap().unwrap();
    assert_eq!(count(&reader, Phase::Done), 1);
    assert_eq!(count(&reader, Phase::Failed), 1);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(cap.status()["counts"]["done"], 2);
}

fn ids(v: Vec<move_ingest::model::id::RecordingId>) -> Vec<String> {
    v.iter().map(|id| id.to_string()).collect()
}

#[tokio::test]
async fn an_after_take_plan_is_read_back_after_a_restart_and_done_ones_are_not_resumed() {
    use move_ingest::model::recording::Planned;
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        history(&store, 3).await;
        // rec-0: planned and done; rec-1: planned (a crash before the files were touched); rec-2: no step yet.
        let plan = |stem: &str| Event::AfterTakePlanned {
            files: vec![Planned {
                name: format!("{stem}.mp4"),
                to: None,
            }],
        };
        store.record("rec-0", plan("s0")).await.unwrap();
        let done = Event::AfterTakeDone {
            note: "deleted s0.mp4".into(),
        };
        store.record("rec-0", done).await.unwrap();
        store.record("rec-1", plan("s1")).await.unwrap();
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    // Ordered by each recording's latest step: rec-1's plan came after rec-2's take.
    assert_eq!(ids(store.after_take_due(true).unwrap()), ["rec-2", "rec-1"]);
    // With action = "keep", only a plan already recorded is finished.
    assert_eq!(ids(store.after_take_due(false).unwrap()), ["rec-1"]);
    let r1 = store.recording("rec-1").unwrap().unwrap();
    let planned = &r1.after_take.unwrap().planned;
    assert_eq!(planned[0].name, "s1.mp4");
    let r0 = store.recording("rec-0").unwrap().unwrap();
    assert_eq!(
        r0.after_take.unwrap().done.as_deref(),
        Some("deleted s0.mp4")
    );
    // The start-up queries read the partial indexes, not every recording.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    for (filter, index) in [
        (
            "take_id IS NOT NULL AND after_take_done IS NULL",
            "recordings_after_take_due",
        ),
        (
            "after_take_plan IS NOT NULL AND after_take_done IS NULL",
            "recordings_after_take_planned",
        ),
    ] {
        let sql =
            format!("EXPLAIN QUERY PLAN SELECT id FROM recordings WHERE {filter} ORDER BY seq");
        let plan: Vec<String> = conn
            .prepare(&sql)
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(plan.iter().any(|p| p.contains(index)), "{filter}: {plan:?}");
    }
}

/// Takes a database back from schema version 5 to 4: no job columns or indexes.
const UNDO_5: &str = "DROP INDEX recordings_job_active; DROP INDEX recordings_by_take;
    DROP INDEX recordings_by_job_state;
    ALTER TABLE recordings DROP COLUMN job_id; ALTER TABLE recordings DROP COLUMN job_state;
    ALTER TABLE recordings DROP COLUMN job_percent; ALTER TABLE recordings DROP COLUMN job_polled_ms;
    ALTER TABLE recordings DROP COLUMN job_next_poll_ms; ALTER TABLE recordings DROP COLUMN job_failure;
    ALTER TABLE recordings DROP COLUMN job_downloaded; ALTER TABLE recordings DROP COLUMN job_active;";

#[tokio::test]
async fn a_database_of_schema_version_4_is_migrated_and_its_recordings_have_no_job() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        history(&store, 2).await;
    }
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(&format!("{UNDO_5} PRAGMA user_version = 4;"))
            .unwrap();
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    assert!(store.jobs_active().unwrap().is_empty());
    assert!(store.recording("rec-0").unwrap().unwrap().job.is_none());
    store.record("rec-0", Event::JobWanted).await.unwrap();
    assert_eq!(store.jobs_active().unwrap().len(), 1);
    store
        .record(
            "rec-0",
            Event::JobDone {
                note: "finished".into(),
            },
        )
        .await
        .unwrap();
    assert!(store.jobs_active().unwrap().is_empty());
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, move_ingest::store::SCHEMA_VERSION);
}

#[tokio::test]
async fn a_database_of_schema_version_1_is_migrated_and_its_takes_are_due_for_after_take() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        history(&store, 2).await;
    }
    // Back to what the previous release wrote: no after-take columns, version 1.
    {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(&format!(
            "{UNDO_5} DROP TABLE take_index; DROP TABLE requests;
                 DROP INDEX recordings_after_take_due; DROP INDEX recordings_after_take_planned;
                 ALTER TABLE recordings DROP COLUMN after_take_plan;
                 ALTER TABLE recordings DROP COLUMN after_take_done;
                 PRAGMA user_version = 1;"
        ))
        .unwrap();
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    assert_eq!(ids(store.after_take_due(true).unwrap()), ["rec-0", "rec-1"]);
    assert!(store.after_take_due(false).unwrap().is_empty());
    store
        .record(
            "rec-0",
            Event::AfterTakeDone {
                note: "kept".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(store.after_take_due(true).unwrap()), ["rec-1"]);
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, move_ingest::store::SCHEMA_VERSION);
}

#[tokio::test]
async fn what_the_running_store_answers_is_what_the_database_holds() {
    // The writer applies a step to the recording it wrote last without reading it back, and
    // rewrites the uploads only when they change: what it answers must be what another
    // process reads from the file.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    history(&store, 2).await;
    let from_file = |id: &str| {
        let reader = Reader::open(dir.path()).unwrap().unwrap();
        let stem = store.recording(id).unwrap().unwrap().stem;
        let mut named = reader.named("cam-a", &stem).unwrap();
        assert_eq!(named.len(), 1, "{id}");
        named.remove(0)
    };
    for id in ["rec-0", "rec-1", "rec-open"] {
        assert_eq!(store.recording(id).unwrap().unwrap(), from_file(id), "{id}");
    }
    // A step after the upload keeps the upload findable by its content...
    let ev = Event::AfterTakeDone {
        note: "kept".into(),
    };
    store.record("rec-1", ev).await.unwrap();
    assert_eq!(
        store.recording("rec-1").unwrap().unwrap(),
        from_file("rec-1")
    );
    let found = store.by_content("s1.mp4", 10, "ab").unwrap().unwrap();
    assert_eq!(found.id, "rec-1");
    // ...and one that discards it removes it from there.
    let up = uploaded("f-open", "open.mp4", "cd");
    store.record("rec-open", up).await.unwrap();
    // An upload step is grouped (answered before its commit): its own recording shows it at
    // once, the other lookups once its group is committed, which no later step ends here, so
    // the group window does.
    let rec = store.recording("rec-open").unwrap().unwrap();
    assert_eq!(rec.upload(Role::Video).unwrap().file_id, "f-open");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while store.by_content("open.mp4", 10, "cd").unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the grouped upload step was not committed within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        store.recording("rec-open").unwrap().unwrap(),
        from_file("rec-open")
    );
    let ev = Event::UploadDiscarded {
        role: Role::Video,
        reason: "changed".into(),
    };
    store.record("rec-open", ev).await.unwrap();
    assert!(store.by_content("open.mp4", 10, "cd").unwrap().is_none());
    assert_eq!(
        store.recording("rec-open").unwrap().unwrap(),
        from_file("rec-open")
    );
}

#[tokio::test]
async fn upload_steps_reach_the_file_with_the_take_request_that_follows_them() {
    // The steps of an upload are answered before they are committed (group commit); the take
    // request is committed durably before `record` returns, and takes them with it: by then
    // another process reads the uploads and the request, in order, from the file.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    store.record("rec-g", discovered("g")).await.unwrap();
    let created = Event::FileCreated {
        role: Role::Video,
        file_id: "f-g".into(),
    };
    store.record("rec-g", created).await.unwrap();
    let up = uploaded("f-g", "g.mp4", "ef");
    store.record("rec-g", up).await.unwrap();
    store
        .record("rec-g", Event::TakeRequested { at_ms: 7 })
        .await
        .unwrap();
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    let mut named = reader.named("cam-a", "g").unwrap();
    assert_eq!(named.len(), 1);
    let from_file = named.remove(0);
    assert_eq!(from_file.phase(), Phase::TakeRequested);
    assert_eq!(from_file.upload(Role::Video).unwrap().file_id, "f-g");
    assert_eq!(from_file, store.recording("rec-g").unwrap().unwrap());
    let found = store.by_content("g.mp4", 10, "ef").unwrap().unwrap();
    assert_eq!(found.id, "rec-g");
    let steps = reader.steps("rec-g").unwrap();
    let kinds: Vec<String> = steps
        .iter()
        .filter_map(|s| s.event.as_object()?.keys().next().cloned())
        .collect();
    assert_eq!(
        kinds,
        ["discovered", "file_created", "uploaded", "take_requested"]
    );
}

#[tokio::test]
async fn a_take_made_reaches_the_file_with_the_next_take_request_or_at_the_end_of_its_window() {
    // The take made is grouped: answered once written, committed by the next recording's take
    // request (one fsync'd commit per recording), or at the end of the group's window when
    // nothing else comes. `record_grouped` also says when it is on disk, for what reports it.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    for stem in ["a", "b", "c"] {
        let rec = format!("rec-{stem}");
        store.record(&rec, discovered(stem)).await.unwrap();
        let file_id = format!("f-{stem}");
        let created = Event::FileCreated {
            role: Role::Video,
            file_id: file_id.clone(),
        };
        store.record(&rec, created).await.unwrap();
        let up = uploaded(&file_id, &format!("{stem}.mp4"), stem);
        store.record(&rec, up).await.unwrap();
    }
    let take = |id: &str| Event::TakeCreated {
        take_id: id.into(),
        adopted: false,
    };
    let on_file = |stem: &str| {
        let reader = Reader::open(dir.path()).unwrap().unwrap();
        let mut named = reader.named("cam-a", stem).unwrap();
        assert_eq!(named.len(), 1);
        let r = named.remove(0);
        (r.phase(), r.take_id)
    };
    let a_done = (Phase::Done, Some("t-a".to_string()));
    let b_done = (Phase::Done, Some("t-b".to_string()));

    // Alone: nothing else is written, and the window commits it.
    store
        .record("rec-a", Event::TakeRequested { at_ms: 7 })
        .await
        .unwrap();
    let committed = store.record_grouped("rec-a", take("t-a")).await.unwrap();
    let within = std::time::Duration::from_secs(10);
    let kept = tokio::time::timeout(within, committed.wait()).await;
    kept.expect("committed without another step").unwrap();
    assert_eq!(on_file("a"), a_done);

    // Followed by the next recording's take request: that durable commit takes it along.
    store
        .record("rec-b", Event::TakeRequested { at_ms: 8 })
        .await
        .unwrap();
    let committed = store.record_grouped("rec-b", take("t-b")).await.unwrap();
    store
        .record("rec-c", Event::TakeRequested { at_ms: 9 })
        .await
        .unwrap();
    assert_eq!(on_file("b"), b_done);
    assert_eq!(on_file("c").0, Phase::TakeRequested);
    committed.wait().await.unwrap();
}

#[tokio::test]
async fn upload_steps_that_keep_coming_are_still_committed_within_seconds() {
    // Grouped steps from four recordings, back to back with nothing else between them: the
    // group is committed at the end of its window, not when the stream stops.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    for i in 0..4 {
        let rec = format!("rec-{i}");
        store
            .record(&rec, discovered(&format!("s{i}")))
            .await
            .unwrap();
    }
    let up = uploaded("f-first", "s0.mp4", "aa");
    store.record("rec-0", up).await.unwrap();
    let reader = Reader::open(dir.path()).unwrap().unwrap();
    let committed = || {
        let named = reader.named("cam-a", "s0").unwrap();
        named[0].upload(Role::Video).is_some()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut n = 0;
    while !committed() {
        assert!(
            std::time::Instant::now() < deadline,
            "an upload step was not committed within 5 s while {n} more kept coming"
        );
        let more = (0..4).map(|i| {
            let ev = Event::FileCreated {
                role: Role::Sidecar,
                file_id: format!("f-{n}-{i}"),
            };
            let rec = format!("rec-{i}");
            let store = &store;
            async move { store.record(&rec, ev).await }
        });
        for r in futures_util::future::join_all(more).await {
            r.unwrap();
        }
        n += 4;
    }
}
