//! Start-up cost of the journal: replaying 100,000 done recordings, both as seven lines
//! of history each (before compaction) and as one snapshot line each (after), read
//! without the lock (`journal::read`, what `status` does) and opened for writing
//! (`Ledger::open`, what `run` and `backfill` do, which compacts history).

mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use move_ingest::journal::{self, Ledger};

fn replay(c: &mut Criterion) {
    let recordings = common::size("MOVE_BENCH_JOURNAL_RECORDINGS", 100_000, 100);
    let dir = common::tempdir();
    let watch = dir.path().join("captures");
    // The recordings' files exist (empty), as on a capture machine that keeps them.
    common::make_tree(&watch, 10, recordings, true, 0);
    let history = dir.path().join("history");
    let compacted = dir.path().join("compacted");
    assert_eq!(
        common::write_done_journal(&history, &watch, true),
        recordings
    );
    assert_eq!(
        common::write_done_journal(&compacted, &watch, false),
        recordings
    );

    let mut g = c.benchmark_group("journal");
    g.throughput(Throughput::Elements(recordings as u64));
    for (name, state_dir) in [("history", &history), ("compacted", &compacted)] {
        g.bench_function(format!("journal::read, {recordings} done, {name}"), |b| {
            b.iter(|| {
                let (state, _) = journal::read(state_dir).expect("read the journal");
                assert_eq!(state.len(), recordings);
                black_box(state)
            })
        });
    }
    let src = history.join(journal::JOURNAL_FILE);
    let scratch = dir.path().join("open");
    g.bench_function(
        format!("Ledger::open, {recordings} done, history (compacts)"),
        |b| {
            b.iter_batched(
                || {
                    let _ = std::fs::remove_dir_all(&scratch);
                    std::fs::create_dir_all(&scratch).expect("create the state dir");
                    std::fs::copy(&src, scratch.join(journal::JOURNAL_FILE))
                        .expect("copy the journal");
                },
                |()| {
                    let (ledger, replay) = Ledger::open(&scratch).expect("open the journal");
                    assert_eq!(replay.recordings, recordings);
                    black_box(ledger)
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.bench_function(format!("Ledger::open, {recordings} done, compacted"), |b| {
        b.iter(|| {
            let (ledger, replay) = Ledger::open(&compacted).expect("open the journal");
            assert_eq!(replay.recordings, recordings);
            black_box(ledger)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = replay
}
criterion_main!(benches);
