//! What SHA-256 costs alone: the hasher the upload uses (sha2, 1 MiB updates, as the
//! reader thread feeds it), and a whole file read and hashed (`upload::sha256_file`).

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

fn hashing(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    eprintln!(
        "cpu: sha_ni={} avx2={}",
        std::arch::is_x86_feature_detected!("sha"),
        std::arch::is_x86_feature_detected!("avx2")
    );
    let mib = common::size("MOVE_BENCH_HASH_MIB", 64, 1);
    let data = {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut v = vec![0u8; mib << 20];
        rng.fill(&mut v);
        v
    };
    let mut g = c.benchmark_group("sha256");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function(format!("sha2 in 1 MiB updates, {mib} MiB in memory"), |b| {
        b.iter(|| {
            let mut h = Sha256::new();
            for chunk in data.chunks(1 << 20) {
                h.update(chunk);
            }
            black_box(h.finalize())
        })
    });
    g.bench_function(format!("ring in 1 MiB updates, {mib} MiB in memory"), |b| {
        b.iter(|| {
            let mut h = ring::digest::Context::new(&ring::digest::SHA256);
            for chunk in data.chunks(1 << 20) {
                h.update(chunk);
            }
            black_box(h.finish())
        })
    });
    let dir = common::tempdir();
    let path = dir.path().join("blob.mp4");
    std::fs::write(&path, &data).expect("write the blob");
    g.bench_function(
        format!("upload::sha256_file, {mib} MiB file (page cache)"),
        |b| b.iter(|| black_box(move_ingest::upload::sha256_file(&path).expect("hash the file"))),
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = hashing
}
criterion_main!(benches);
