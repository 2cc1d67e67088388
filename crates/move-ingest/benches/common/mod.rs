//! Data for the benchmarks, made with the crate's own types so it always matches the
//! formats the binary reads: capture trees, journals of done recordings, big files.
#![allow(dead_code)] // each bench uses only some of these

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use move_ingest::config::{Config, WatchConfig};
use move_ingest::journal::{self, Entry, FORMAT_VERSION};
use move_ingest::scan::{self, Found};
use move_ingest::state::{Event, Role, Upload};

/// The criterion settings every bench shares; command-line flags (--measurement-time,
/// --warm-up-time) override them.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

/// True when the binary was started by `cargo bench` (criterion's measuring mode); under
/// `cargo test --all-targets` it runs each benchmark once, so sizes stay small there.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A size from the environment (`MOVE_BENCH_*`), else `full` when measuring, else `test`.
pub fn size(var: &str, full: usize, test: usize) -> usize {
    match std::env::var(var).ok().and_then(|v| v.parse().ok()) {
        Some(n) => n,
        None if measuring() => full,
        None => test,
    }
}

/// The `[[watch]]` entry for `path` with `device_label = "from-dir"`, parsed like a real config.
pub fn watch(path: &Path) -> WatchConfig {
    let path = std::path::absolute(path).expect("an absolute path");
    let text = format!(
        "[api]\nendpoint = \"http://127.0.0.1:1/ugc/graphql\"\n[[watch]]\npath = \"{}\"\ndevice_label = \"from-dir\"\n",
        path.display()
    );
    let cfg = Config::parse(Path::new("bench.toml"), &text).expect("the bench config parses");
    cfg.watch.into_iter().next().expect("one watch")
}

/// Makes `<root>/cam-NN/take-NNNNNN.mp4` (+ `.move` when `sidecar`) for `recordings`
/// recordings spread over `devices` folders, each file `bytes` long and an hour old.
/// Returns how many files it wrote.
pub fn make_tree(
    root: &Path,
    devices: usize,
    recordings: usize,
    sidecar: bool,
    bytes: usize,
) -> usize {
    let old = SystemTime::now() - Duration::from_secs(3600);
    let body = vec![0x5au8; bytes];
    let mut files = 0;
    for d in 0..devices {
        std::fs::create_dir_all(root.join(device(d))).expect("create a device folder");
    }
    for i in 0..recordings {
        let dir = root.join(device(i % devices));
        let mut exts = vec!["mp4"];
        if sidecar {
            exts.push("move");
        }
        for ext in exts {
            let path = dir.join(format!("take-{i:06}.{ext}"));
            let mut f = File::create(&path).expect("create a recording file");
            f.write_all(&body).expect("write a recording file");
            f.set_modified(old).expect("set the mtime");
            files += 1;
        }
    }
    files
}

fn device(d: usize) -> String {
    format!("cam-{d:02}")
}

/// Writes a journal in `state_dir` in which every recording under `watch_root` is done,
/// with the facts its files have now (so a scan finds nothing to do).
/// `history`: the seven lines a recording's life writes (Discovered … TakeCreated);
/// otherwise the one snapshot line per recording that compaction writes.
/// Returns the number of recordings.
pub fn write_done_journal(state_dir: &Path, watch_root: &Path, history: bool) -> usize {
    let found = scan::scan(&[watch(watch_root)]).found;
    std::fs::create_dir_all(state_dir).expect("create the state dir");
    let path = state_dir.join(journal::JOURNAL_FILE);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path).expect("create journal"));
    let t = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let mut state = move_ingest::state::State::default();
    let mut seq = 0u64;
    for (i, f) in found.iter().enumerate() {
        let rec = format!("rec-{:08x}-0000-4000-8000-{:012x}", i, i);
        for event in life(f, i) {
            seq += 1;
            if history {
                line(&mut out, seq, &t, &rec, event);
            } else {
                state.apply(seq, &t, &rec, event);
            }
        }
    }
    if !history {
        let mut recs: Vec<_> = state.recordings().cloned().collect();
        recs.sort_by_key(|r| r.seq);
        for r in recs {
            let (seq, rec) = (r.seq, r.id.clone());
            let event = Event::Snapshot {
                recording: Box::new(r),
            };
            line(&mut out, seq, &t, &rec, event);
        }
    }
    out.flush().expect("write the journal");
    found.len()
}

fn line(out: &mut impl Write, seq: u64, t: &str, rec: &str, event: Event) {
    let entry = Entry {
        v: FORMAT_VERSION,
        seq,
        t: t.to_string(),
        rec: rec.to_string(),
        event,
    };
    serde_json::to_writer(&mut *out, &entry).expect("encode a journal line");
    out.write_all(b"\n").expect("write the journal");
}

/// The steps one recording's ingestion journals, in order.
fn life(f: &Found, i: usize) -> Vec<Event> {
    let mut events = vec![Event::discovered(f)];
    for (role, s) in [(Role::Video, &f.video), (Role::Sidecar, &f.sidecar)] {
        let Some(s) = s else { continue };
        let file_id = format!("file-{i:08x}-{}", s.kind.api_type());
        events.push(Event::FileCreated {
            role,
            file_id: file_id.clone(),
        });
        let up = Upload {
            file_id,
            facts: s.facts.clone(),
            sha256: format!("{:064x}", i),
        };
        events.push(Event::Uploaded {
            role,
            file_id: up.file_id,
            facts: up.facts,
            sha256: up.sha256,
        });
    }
    events.push(Event::TakeRequested {
        at_ms: 1_700_000_000_000 + i as i64,
    });
    events.push(Event::TakeCreated {
        take_id: format!("take-{i:08x}"),
        adopted: false,
    });
    events
}

/// Writes `len` pseudo-random bytes to `path` (fast; video does not compress either).
pub fn make_blob(path: &Path, len: u64, age: Duration) {
    let mut rng = fastrand::Rng::with_seed(len);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).expect("create a blob"));
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        rng.fill(&mut buf[..n]);
        out.write_all(&buf[..n]).expect("write a blob");
        left -= n as u64;
    }
    let f = out.into_inner().expect("flush a blob");
    f.set_modified(SystemTime::now() - age)
        .expect("set the mtime");
}

/// A fresh temp dir under `$MOVE_BENCH_TMP` (the bench script's), else the system's.
pub fn tempdir() -> tempfile::TempDir {
    match std::env::var_os("MOVE_BENCH_TMP") {
        Some(dir) => tempfile::tempdir_in(PathBuf::from(dir)),
        None => tempfile::tempdir(),
    }
    .expect("create a temp dir")
}
