//! Move's own Python SDK (`move-ugc-python` 4.1.0) makes every call of the takes guide,
//! creates, retrieves and lists a job, and makes the multicam calls (lenses, rigs, a volume, a
//! multi-cam take and job), against the sandbox. `.ci/run` makes the venv; without
//! it the test says so and skips.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use crate::util::Sandbox;

/// The SDK version the guide and this test are written for.
const SDK: &str = "move-ugc-python==4.1.0";

/// The venv's python: `$MOVE_SDK_PYTHON` (set by `.ci/run`, then required), else the venv
/// `.ci/run` makes in `target/sdk-venv`, else `None`.
fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOVE_SDK_PYTHON") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "$MOVE_SDK_PYTHON is {} but it does not exist",
            path.display()
        );
        return Some(path);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/sdk-venv/bin/python");
    venv.exists().then_some(venv)
}

#[test]
fn the_python_sdk_makes_every_call_of_the_takes_guide() {
    let Some(python) = python() else {
        // Written past the test harness's capture, so that a skip shows in every run.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_python_sdk_makes_every_call_of_the_takes_guide: no Python venv with {SDK}. \
             Make it with: python3 -m venv target/sdk-venv && target/sdk-venv/bin/pip install {SDK} \
             (.ci/run does this), or set $MOVE_SDK_PYTHON to a python that has it"
        );
        return;
    };
    let sb = Sandbox::start_with(&[
        "--job-queue-ms",
        "0",
        "--job-run-ms",
        "0",
        "--volume-queue-ms",
        "0",
        "--volume-run-ms",
        "0",
    ]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/takes_guide.py");
    let out = Command::new(&python)
        .arg(&script)
        .env("MOVE_ENDPOINT", &sb.url)
        .env("MOVE_API_KEY", &sb.key)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SDK failed against the sandbox\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(
        stdout.contains("every call of the takes guide succeeded"),
        "{stdout}"
    );
    assert!(stdout.contains("every job call succeeded"), "{stdout}");
    assert!(stdout.contains("every multicam call succeeded"), "{stdout}");
}
