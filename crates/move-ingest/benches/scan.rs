//! The directory walk: a tree of 100,000 files (10 device folders, an `.mp4` and a
//! `.move` per recording) scanned warm, as `run`'s rescans and every start do.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use move_ingest::detect::scan;

fn scanning(c: &mut Criterion) {
    let files = common::size("MOVE_BENCH_SCAN_FILES", 100_000, 200);
    let dir = common::tempdir();
    let made = common::make_tree(dir.path(), 10, files / 2, true, 0);
    let watches = [common::watch(dir.path())];
    let first = scan::scan(&watches);
    assert_eq!(first.found.len(), files / 2, "{:?}", first.errors);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Elements(made as u64));
    g.bench_function(format!("scan::scan, {made} files, warm"), |b| {
        b.iter(|| black_box(scan::scan(&watches)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = scanning
}
criterion_main!(benches);
