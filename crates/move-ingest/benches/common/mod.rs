//! Data for the benchmarks, made with the crate's own types so it always matches the
//! formats the binary reads: capture trees, states of done recordings, big files.
#![allow(dead_code)] // each bench uses only some of these

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use move_ingest::config::{Config, WatchConfig};
use move_ingest::detect::scan::{self, Facts, Found, Kind};
use move_ingest::model::recording::{Event, Recording, Role, Upload};
use move_ingest::store;

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

/// How far apart the history's recordings are in time: 1,000,000 of them span five years.
const HISTORY_EVERY: Duration = Duration::from_secs(158);

/// Writes a state in `state_dir` in which every recording under `watch_root` is done, with
/// the facts its files have now (so a scan finds nothing to do), plus `extra` done recordings
/// whose files are no longer on disk (history). Each has the seven steps of a recording's life
/// (Discovered … TakeCreated). Made directly in the database, without the API.
/// Returns the number of recordings.
pub fn write_done_state(state_dir: &Path, watch_root: &Path, extra: usize) -> usize {
    let found = scan::scan(&[watch(watch_root)]).found;
    let now = SystemTime::now();
    let gone_dir = watch_root.join("gone");
    let on_disk = found.len();
    let total = on_disk + extra;
    let recs = found
        .into_iter()
        .map(Some)
        .chain((0..extra).map(|_| None))
        .enumerate()
        .map(|(i, f)| {
            let f = f.unwrap_or_else(|| history_find(&gone_dir, i));
            let rec = format!("rec-{:08x}-0000-4000-8000-{:012x}", i, i);
            // The history is spread over the years before now, one recording every
            // `HISTORY_EVERY` (as `status --since` meets it); the recordings on disk are new.
            let age = match i < on_disk {
                true => Duration::ZERO,
                false => HISTORY_EVERY * (total - i) as u32,
            };
            let t = humantime::format_rfc3339_millis(now - age).to_string();
            let events = life(&f, i);
            let mut r: Option<Recording> = None;
            for (seq, e) in events.iter().enumerate() {
                match r.as_mut() {
                    Some(r) => r.apply(seq as u64, &t, e.clone()),
                    None => r = Recording::discovered(&rec, seq as u64, &t, e.clone()),
                }
            }
            (r.expect("a recording"), events)
        });
    let n = store::write_bulk(state_dir, recs).expect("write the state");
    assert_eq!(n, on_disk + extra);
    n
}

/// A recording that was on disk once (an .mp4 and a .move), for history beyond the tree.
fn history_find(dir: &Path, i: usize) -> Found {
    let seen = |kind, ext: &str| {
        Some(scan::Seen {
            kind,
            facts: Facts {
                name: format!("old-{i:08}.{ext}"),
                size: 50_000_000 + i as u64,
                mtime_ns: 1_700_000_000_000_000_000 + i as i64,
                inode: i as u64,
                dev: 2049,
            },
        })
    };
    Found {
        dir: dir.join(device(i % 10)),
        device: device(i % 10),
        stem: format!("old-{i:08}"),
        video: seen(Kind::Mp4, "mp4"),
        sidecar: seen(Kind::Move, "move"),
    }
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
