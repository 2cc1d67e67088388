//! The journal through its public API: replay, torn tails, compaction (at rest, while
//! running, and stopped at each step), the lock, and an old journal that still loads.

use std::path::Path;

use move_ingest::journal::{COMPACT_FILE, Entry, JOURNAL_FILE, Ledger, compact, read};
use move_ingest::scan::{Facts, Kind};
use move_ingest::state::Event;
use move_ingest::state::{Recording, Role, Seen};

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
    }
}

/// A journal with `n` recordings, each taken to done, plus one left mid-way.
async fn history(dir: &Path, n: usize) {
    let (ledger, _) = Ledger::open(dir).unwrap();
    for i in 0..n {
        let rec = format!("rec-{i}");
        ledger
            .record(&rec, discovered(&format!("s{i}")))
            .await
            .unwrap();
        ledger
            .record(
                &rec,
                Event::FileCreated {
                    role: Role::Video,
                    file_id: format!("f{i}"),
                },
            )
            .await
            .unwrap();
        let up = Event::Uploaded {
            role: Role::Video,
            file_id: format!("f{i}"),
            facts: facts("x"),
            sha256: "ab".into(),
        };
        ledger.record(&rec, up).await.unwrap();
        ledger
            .record(&rec, Event::TakeRequested { at_ms: 5 })
            .await
            .unwrap();
        ledger
            .record(
                &rec,
                Event::TakeCreated {
                    take_id: format!("take-{i}"),
                    adopted: false,
                },
            )
            .await
            .unwrap();
    }
    ledger.record("rec-open", discovered("open")).await.unwrap();
}

fn snapshot(dir: &Path) -> Vec<Recording> {
    let (state, _) = read(dir).unwrap();
    let mut recs: Vec<Recording> = state.recordings().cloned().collect();
    recs.sort_by(|a, b| a.id.cmp(&b.id));
    recs
}

#[tokio::test]
async fn replay_gives_back_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), 3).await;
    let recs = snapshot(dir.path());
    assert_eq!(recs.len(), 4);
    assert_eq!(recs[0].take_id.as_deref(), Some("take-0"));
    assert_eq!(
        recs.iter().find(|r| r.id == "rec-open").unwrap().phase(),
        move_ingest::state::Phase::Queued
    );
}

#[tokio::test]
async fn a_torn_tail_is_cut_and_sequence_numbers_go_on() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), 1).await;
    let path = dir.path().join(JOURNAL_FILE);
    let good = std::fs::read(&path).unwrap();
    let mut torn = good.clone();
    torn.extend_from_slice(br#"{"v":1,"seq":77,"rec":"rec-9","ev":"discov"#);
    std::fs::write(&path, &torn).unwrap();
    let (ledger, replay) = Ledger::open(dir.path()).unwrap();
    assert!(replay.torn_tail);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        good,
        "the torn tail was cut off"
    );
    ledger.record("rec-open", Event::Requeued).await.unwrap();
    drop(ledger);
    let text = std::fs::read_to_string(&path).unwrap();
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| serde_json::from_str::<Entry>(l).unwrap().seq)
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing: {seqs:?}"
    );
}

#[tokio::test]
async fn compaction_keeps_every_recordings_state() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), 20).await;
    let before = snapshot(dir.path());
    let size_before = std::fs::metadata(dir.path().join(JOURNAL_FILE))
        .unwrap()
        .len();
    let (state, _) = read(dir.path()).unwrap();
    compact(dir.path(), &state).unwrap();
    assert_eq!(snapshot(dir.path()), before);
    assert!(
        std::fs::metadata(dir.path().join(JOURNAL_FILE))
            .unwrap()
            .len()
            < size_before
    );
    // And appends after compaction go on from the right sequence number.
    let (ledger, _) = Ledger::open(dir.path()).unwrap();
    ledger.record("rec-open", Event::Requeued).await.unwrap();
    assert_eq!(ledger.state().last_seq, state.last_seq + 1);
}

#[tokio::test]
async fn a_running_journal_compacts_itself_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = Ledger::open_compacting_at(dir.path(), 8 << 10).unwrap();
    let mut written = 0;
    for round in 0..40 {
        let rec = format!("rec-{}", round % 5);
        ledger
            .record(&rec, discovered(&format!("s{}", round % 5)))
            .await
            .unwrap();
        ledger
            .record(&rec, Event::TakeRequested { at_ms: round })
            .await
            .unwrap();
        written += 2;
    }
    ledger
        .record(
            "rec-0",
            Event::TakeCreated {
                take_id: "take-0".into(),
                adopted: false,
            },
        )
        .await
        .unwrap();
    let live: Vec<Recording> = {
        let mut v: Vec<Recording> = ledger.state().recordings().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    };
    drop(ledger);
    let lines = std::fs::read_to_string(dir.path().join(JOURNAL_FILE))
        .unwrap()
        .lines()
        .count();
    assert!(
        lines < written,
        "compacted: {lines} lines for {written} steps"
    );
    assert_eq!(snapshot(dir.path()), live);
    assert_eq!(
        live.iter()
            .find(|r| r.id == "rec-0")
            .unwrap()
            .take_id
            .as_deref(),
        Some("take-0")
    );
}

#[tokio::test]
async fn a_journal_of_mostly_history_is_compacted_once_idle_not_at_open() {
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), 30).await;
    let before = snapshot(dir.path());
    let lines = |d: &Path| {
        std::fs::read_to_string(d.join(JOURNAL_FILE))
            .unwrap()
            .lines()
            .count()
    };
    assert!(lines(dir.path()) > 100);
    let (ledger, replay) = Ledger::open_compacting_at(dir.path(), 1024).unwrap();
    assert!(replay.compact_pending);
    assert!(
        lines(dir.path()) > 100,
        "not at open: start-up is not delayed"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        lines(dir.path()),
        31,
        "one snapshot line per recording once idle"
    );
    drop(ledger);
    assert_eq!(snapshot(dir.path()), before);
}

#[tokio::test]
async fn a_compaction_stopped_at_any_step_loses_nothing() {
    for step in [
        "half-written temp",
        "temp written, not renamed",
        "renamed, dir not synced",
    ] {
        let dir = tempfile::tempdir().unwrap();
        history(dir.path(), 5).await;
        let before = snapshot(dir.path());
        let (state, _) = read(dir.path()).unwrap();
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(
            dir.path().join(JOURNAL_FILE),
            copy.path().join(JOURNAL_FILE),
        )
        .unwrap();
        compact(copy.path(), &state).unwrap();
        let compacted = std::fs::read(copy.path().join(JOURNAL_FILE)).unwrap();
        match step {
            "half-written temp" => std::fs::write(
                dir.path().join(COMPACT_FILE),
                &compacted[..compacted.len() / 2],
            )
            .unwrap(),
            "temp written, not renamed" => {
                std::fs::write(dir.path().join(COMPACT_FILE), &compacted).unwrap()
            }
            _ => std::fs::write(dir.path().join(JOURNAL_FILE), &compacted).unwrap(),
        }
        let (ledger, _) = Ledger::open(dir.path()).unwrap();
        drop(ledger);
        assert_eq!(snapshot(dir.path()), before, "after a stop at: {step}");
        assert!(
            !dir.path().join(COMPACT_FILE).exists(),
            "the temp file is cleaned up ({step})"
        );
    }
}

#[tokio::test]
async fn a_second_open_is_refused_naming_the_pid() {
    let dir = tempfile::tempdir().unwrap();
    let (_first, _) = Ledger::open(dir.path()).unwrap();
    let err = Ledger::open(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
}

#[test]
fn an_old_journal_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(JOURNAL_FILE),
        include_str!("../data/journal-v1.jsonl"),
    )
    .unwrap();
    let (state, replay) = read(dir.path()).unwrap();
    assert_eq!(replay.skipped_lines, 0);
    let done: Vec<_> = state.recordings().filter(|r| r.take_id.is_some()).collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].device, "cam-a");
    assert!(
        state.recordings().any(|r| r.video.is_none()),
        "a waiting .move"
    );
}
