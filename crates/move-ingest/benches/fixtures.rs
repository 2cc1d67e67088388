//! Not a measurement: makes the data `bench/run.sh` needs, with the crate's own types.
//!
//! ```text
//! cargo bench --bench fixtures -- blob PATH BYTES
//! cargo bench --bench fixtures -- tree ROOT DEVICES RECORDINGS SIDECAR(0|1) BYTES_PER_FILE
//! cargo bench --bench fixtures -- state STATE_DIR WATCH_ROOT EXTRA_DONE_RECORDINGS
//! MOVE_API_KEY=... cargo bench --bench fixtures -- ceiling ENDPOINT ROOT CONCURRENCY
//! ```
//! `ceiling` is the one measurement: the API's ceiling for small recordings (see `ceiling/`),
//! printed as `N recordings in S s`.
//! Without a command (as under `cargo test --all-targets`) it checks that they agree.

mod ceiling;
mod common;

use std::path::Path;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize| -> &str {
        args.get(i)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("missing argument {i}; see benches/fixtures.rs"))
    };
    let num = |i: usize| -> u64 {
        arg(i)
            .parse()
            .unwrap_or_else(|_| panic!("argument {i} must be a number"))
    };
    match args.first().map(String::as_str) {
        Some("blob") => {
            common::make_blob(Path::new(arg(1)), num(2), Duration::from_secs(3600));
        }
        Some("tree") => {
            let files = common::make_tree(
                Path::new(arg(1)),
                num(2) as usize,
                num(3) as usize,
                num(4) != 0,
                num(5) as usize,
            );
            println!("{files} files");
        }
        Some("state") => {
            let n = common::write_done_state(Path::new(arg(1)), Path::new(arg(2)), num(3) as usize);
            println!("{n} done recordings");
        }
        Some("ceiling") => {
            let key = std::env::var("MOVE_API_KEY").expect("MOVE_API_KEY holds the sandbox's key");
            let (n, secs) = ceiling::run(arg(1), &key, Path::new(arg(2)), num(3) as usize);
            println!("{n} recordings in {secs:.3} s");
        }
        Some(other) => panic!("unknown fixture {other}; see benches/fixtures.rs"),
        None => self_check(),
    }
}

/// A small tree, its state with some history beyond it, and a reader that finds every recording done.
fn self_check() {
    let dir = common::tempdir();
    let watch = dir.path().join("w");
    assert_eq!(common::make_tree(&watch, 3, 20, true, 16), 40);
    let state = dir.path().join("s");
    assert_eq!(common::write_done_state(&state, &watch, 30), 50);
    let reader = move_ingest::store::query::Reader::open(&state)
        .expect("open the state")
        .expect("a state");
    let counts = reader.counts(None).expect("count");
    for (phase, n) in counts {
        let want = if phase == move_ingest::model::recording::Phase::Done {
            50
        } else {
            0
        };
        assert_eq!(n, want, "{phase:?}");
    }
    common::make_blob(&dir.path().join("b"), 3 << 20, Duration::from_secs(60));
    assert_eq!(
        std::fs::metadata(dir.path().join("b"))
            .map(|m| m.len())
            .ok(),
        Some(3 << 20)
    );
    println!("fixtures: 1 passed, 0 failed");
}
