//! Not a measurement: makes the data `bench/run.sh` needs, with the crate's own types.
//!
//! ```text
//! cargo bench --bench fixtures -- blob PATH BYTES
//! cargo bench --bench fixtures -- tree ROOT DEVICES RECORDINGS SIDECAR(0|1) BYTES_PER_FILE
//! cargo bench --bench fixtures -- journal STATE_DIR WATCH_ROOT history|compacted
//! ```
//! Without a command (as under `cargo test --all-targets`) it checks that the three agree.

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
        Some("journal") => {
            let history = match arg(3) {
                "history" => true,
                "compacted" => false,
                other => panic!("history or compacted, not {other}"),
            };
            let n = common::write_done_journal(Path::new(arg(1)), Path::new(arg(2)), history);
            println!("{n} done recordings");
        }
        Some(other) => panic!("unknown fixture {other}; see benches/fixtures.rs"),
        None => self_check(),
    }
}

/// A small tree, its journal both ways, and a replay that finds every recording done.
fn self_check() {
    let dir = common::tempdir();
    let watch = dir.path().join("w");
    assert_eq!(common::make_tree(&watch, 3, 20, true, 16), 40);
    for history in [true, false] {
        let state = dir.path().join(format!("s{history}"));
        assert_eq!(common::write_done_journal(&state, &watch, history), 20);
        let (state, replay) = move_ingest::journal::read(&state).expect("replay");
        assert_eq!((state.len(), replay.skipped_lines), (20, 0));
        assert!(
            state
                .recordings()
                .all(|r| r.phase() == move_ingest::state::Phase::Done)
        );
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
