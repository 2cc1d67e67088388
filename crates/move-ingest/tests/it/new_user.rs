//! What a new user tripped over, each named after what broke.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::capture::{Capture, bytes, show};
use crate::util::Sandbox;

#[tokio::test]
async fn status_lists_one_failure_among_25_successes_and_all_lists_every_one() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "broken.mp4", b"");
    for i in 0..25 {
        cap.write("cam-b", &format!("t{i:02}.mp4"), &bytes(i, 1_000));
    }
    let out = cap.backfill(1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("`move-ingest status` says why; `move-ingest retry`"),
        "{}",
        show(&out)
    );

    let status = cap.status();
    let rows = status["latest"].as_array().unwrap();
    assert_eq!(rows.len(), 21, "the failure and the newest 20: {status}");
    assert_eq!(rows[0]["state"], "failed", "failures first: {status}");
    assert_eq!(rows[0]["stem"], "broken");
    assert_eq!(status["not_listed"], 5);

    let all = cap.run(&["status", "--json", "--all"]);
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(all["latest"].as_array().unwrap().len(), 26);

    let table = cap.run(&["status"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("failed at upload"), "{table}");
    assert!(
        table.contains("`move-ingest status --all` lists every one"),
        "{table}"
    );
}

#[tokio::test]
async fn status_piped_into_head_exits_0_without_a_panic() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "a.mp4", &bytes(1, 1_000));
    cap.backfill(0);
    let mut child = cap
        .cmd(&["status"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(out.stderr.is_empty(), "{}", show(&out));
}

#[tokio::test]
async fn a_missing_watch_path_is_exit_2_for_backfill_and_check() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    std::fs::remove_dir(&cap.watch).unwrap();
    for args in [&["backfill", "--no-progress"][..], &["check"][..]] {
        let out = cap.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&cap.watch.display().to_string()),
            "{stderr}"
        );
        // Both say what to do, naming the config file.
        let hint = format!(
            "does not exist; create it or fix [[watch]] path in {}",
            cap.config.display()
        );
        assert!(stderr.contains(&hint), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_wrong_key_with_nothing_to_send_stops_backfill_and_run_at_once_with_exit_3() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let wrong = "test-key-mistyped-on-friday";
    let said = "rejected the API key (HTTP 401) read from $MOVE_API_KEY";

    let out = cap
        .cmd(&["backfill", "--no-progress"])
        .env("MOVE_API_KEY", wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(said),
        "{}",
        show(&out)
    );
    assert!(!show(&out).contains(wrong), "the key is in the output");

    // `run` does not sit there all weekend: it stops at start, which systemd shows as failed.
    let log = cap.root.path().join("run.log");
    let mut child = cap
        .cmd(&["run"])
        .env("MOVE_API_KEY", wrong)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > crate::run::DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "run still up with a rejected key:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(3), "{logged}");
    assert!(logged.contains(said), "{logged}");
    assert!(!logged.contains(wrong), "the key is in the log");
    assert_eq!(sb.stats().await["files_created"], 0);
}

#[tokio::test]
async fn a_backfill_that_finds_only_finished_recordings_says_so() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    for (i, device) in ["cam-a", "cam-b", "cam-c"].into_iter().enumerate() {
        cap.write(device, "take.mp4", &bytes(i as u64 + 40, 5_000));
    }
    let first = cap.backfill(0);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("backfill: 3 done"), "{stdout}");
    assert!(!stdout.contains("already done"), "{stdout}");

    let again = cap.backfill(0);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("backfill: 3 already done, nothing new"),
        "{}",
        show(&again)
    );
    assert!(!stdout.contains("0 done, 0 failed"), "{stdout}");
    assert_eq!(sb.takes().await.len(), 3);

    // One new recording among them: the usual counts.
    cap.write("cam-a", "take2.mp4", &bytes(50, 5_000));
    let third = cap.backfill(0);
    let stdout = String::from_utf8_lossy(&third.stdout);
    assert!(stdout.contains("backfill: 1 done"), "{stdout}");
    assert!(!stdout.contains("nothing new"), "{stdout}");
}

/// `cmd` as a user that file permissions apply to: unchanged when not root; as root, through
/// `setpriv` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (still uid 0, so the state dir
/// stays writable, but a folder of mode 000 cannot be read).
fn unprivileged(cmd: std::process::Command) -> std::process::Command {
    let root =
        std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    if !root {
        return cmd;
    }
    let mut setpriv = std::process::Command::new("setpriv");
    setpriv
        .args([
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search",
        ])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => setpriv.env(k, v),
            None => setpriv.env_remove(k),
        };
    }
    setpriv
}

#[tokio::test]
async fn an_unreadable_device_folder_is_listed_and_exits_1_and_check_reports_it() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "a.mp4", &bytes(1, 1_000));
    let locked = cap.watch.join("cam-locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any folder: as root, the commands run without the capabilities that let it
    // (setpriv drops them from the bounding set), as the service user would.
    let as_user = |args: &[&str]| unprivileged(cap.cmd(args)).output().unwrap();
    let out = as_user(&["backfill", "--no-progress"]);
    assert_eq!(out.status.code(), Some(1), "backfill exit\n{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 done"), "{}", show(&out));
    assert!(
        stdout.contains("not read: cannot read") && stdout.contains("cam-locked"),
        "{stdout}"
    );
    let check = as_user(&["check"]);
    assert_eq!(check.status.code(), Some(2), "{}", show(&check));
    assert!(
        String::from_utf8_lossy(&check.stderr).contains("cam-locked"),
        "{}",
        show(&check)
    );
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn an_unknown_log_level_is_a_config_error_naming_the_key_and_line() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("level = \"debug\"", "level = \"infoo\""),
    )
    .unwrap();
    let line = text.lines().position(|l| l.starts_with("level =")).unwrap() + 1;
    let out = cap.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("`level` (line {line})")),
        "{stderr}"
    );
    assert!(stderr.contains("infoo"), "{stderr}");
}

#[tokio::test]
async fn quiet_and_verbose_flags_change_the_log_level_without_editing_the_config() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "a.mp4", &bytes(1, 1_000));
    // The test config says `debug`: -qq is two steps down, warnings and errors only.
    let quiet = cap.run(&["backfill", "--no-progress", "-qq"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", show(&quiet));
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        !stderr.contains("INFO") && !stderr.contains("DEBUG"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&cap.config).unwrap();
    std::fs::write(
        &cap.config,
        text.replace("level = \"debug\"", "level = \"warn\""),
    )
    .unwrap();
    cap.write("cam-a", "b.mp4", &bytes(2, 1_000));
    let verbose = cap.run(&["-v", "backfill", "--no-progress"]);
    assert_eq!(verbose.status.code(), Some(0), "{}", show(&verbose));
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        stderr.contains("INFO") && !stderr.contains("DEBUG"),
        "warn + -v is info: {stderr}"
    );
    let both = cap.run(&["status", "-v", "-q"]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "-v and -q conflict: {}",
        show(&both)
    );
}

#[tokio::test]
async fn backfill_dry_run_lists_the_work_and_sends_nothing() {
    let sb = Sandbox::start();
    let cap = Capture::new(&sb);
    cap.write("cam-a", "take01.mp4", &bytes(1, 1_000));
    cap.write("cam-a", "take01.move", &bytes(2, 100));
    let out = cap.run(&["backfill", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("take01.mp4 (1000 bytes) + take01.move (100 bytes), then create the take \"cam-a take01\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 recording(s) would be uploaded (1100 bytes)"),
        "{stdout}"
    );
    assert_eq!(sb.stats().await["graphql_requests"], 0);
    assert!(
        !cap.state.join("state.db").exists(),
        "a dry run writes no state"
    );
    cap.backfill(0);
    let again = cap.run(&["backfill", "--dry-run"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains(
        "0 recording(s) would be uploaded (0 bytes) and get a take; 1 already have their take"
    ));
}

#[tokio::test]
async fn ctrl_c_lets_the_running_upload_finish_prints_the_summary_and_exits_130() {
    // Slow uploads (100 KB/s) and one at a time, so that Ctrl-C comes during the first one.
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "100000"]);
    let cap = Capture::with_config(&sb, "[upload]\nconcurrency = 1\n");
    for i in 0..4 {
        cap.write("cam-a", &format!("t{i}.mp4"), &bytes(i, 100_000));
    }
    let child = cap
        .cmd(&["backfill", "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if sb.stats().await["files_created"].as_u64() >= Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("backfill: 1 done"),
        "the running upload finished: {}",
        show(&out)
    );
    assert!(
        stdout.contains("stopped by SIGINT: 3 recording(s) not started"),
        "{stdout}"
    );
    assert_eq!(sb.takes().await.len(), 1);
    cap.backfill(0);
    assert_eq!(sb.takes().await.len(), 4, "the next run takes up the rest");
}

/// Runs `args` on a pseudo-terminal with `script` (util-linux); `None` when it is not installed.
fn on_a_terminal(cap: &Capture, args: &[&str]) -> Option<String> {
    let log = cap.root.path().join("typescript");
    let mut line = format!(
        "'{}' --config '{}'",
        env!("CARGO_BIN_EXE_move-ingest"),
        cap.config.display()
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let out = std::process::Command::new("script")
        .args(["-qfec", &line])
        .arg(&log)
        .env("MOVE_API_KEY", &cap.key)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(out.status.success(), "{}", show(&out));
    Some(String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned())
}

#[tokio::test]
async fn backfill_shows_bars_on_a_terminal_only_and_ends_with_bytes_time_and_rate() {
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "2000000"]);
    let cap = Capture::new(&sb);
    cap.write("cam-a", "first.mp4", &bytes(1, 1_500_000));
    cap.write("cam-b", "second.mp4", &bytes(2, 1_500_000));
    let Some(shown) = on_a_terminal(&cap, &["backfill"]) else {
        crate::skip(
            "backfill's bars on a terminal: `script` (util-linux) is not installed to give backfill a terminal",
        );
        return;
    };
    assert!(shown.contains("0/2 recordings"), "the overall bar: {shown}");
    assert!(
        shown.contains("first.mp4") && shown.contains("MiB/"),
        "a bar per file: {shown}"
    );
    assert!(shown.contains("2.86 MiB sent in"), "the summary: {shown}");

    cap.write("cam-c", "third.mp4", &bytes(3, 1_500_000));
    let piped = cap.backfill(0);
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !stderr.contains("recordings,") && !stderr.contains("ETA"),
        "no bars off a terminal: {stderr}"
    );
    assert!(
        String::from_utf8_lossy(&piped.stdout).contains("1.43 MiB sent in"),
        "{}",
        show(&piped)
    );
    let quiet = on_a_terminal(&cap, &["backfill", "--no-progress"]).unwrap_or_default();
    assert!(
        !quiet.contains("recordings,") && !quiet.contains("ETA"),
        "--no-progress: {quiet}"
    );
}

#[tokio::test]
async fn status_says_uploading_while_a_file_is_being_sent_and_how_far() {
    let sb = Sandbox::start_with(&["--upload-bytes-per-sec", "100000"]);
    let cap = Capture::new(&sb);
    cap.write("cam-a", "slow.mp4", &bytes(1, 400_000));
    let child = cap
        .cmd(&["backfill", "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = None;
    for _ in 0..400 {
        let status = cap.status();
        if status["counts"]["uploading"] == 1 {
            seen = Some(status);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let status = seen.unwrap_or_else(|| panic!("status never said uploading\n{}", show(&out)));
    assert_eq!(status["counts"]["queued"], 0, "{status}");
    let row = &status["latest"][0];
    assert_eq!(row["state"], "uploading", "{status}");
    assert_eq!(row["sending"]["size"], 400_000, "{status}");
    assert!(
        row["note"].as_str().unwrap().starts_with("sending: "),
        "{status}"
    );
    assert_eq!(
        cap.status()["counts"]["uploading"],
        0,
        "nothing is sent once it is done"
    );
}
