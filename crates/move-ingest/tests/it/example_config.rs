//! The shipped `config.example.toml` is valid as it is, and documents every key the program reads.

use move_ingest::config::Config;

const EXAMPLE: &str = include_str!("../../../../config.example.toml");

#[test]
fn the_example_config_is_valid_as_shipped() {
    let cfg = Config::parse(std::path::Path::new("config.example.toml"), EXAMPLE).unwrap();
    assert_eq!(cfg.api.endpoint.0, "https://api.move.ai/ugc/graphql");
    assert_eq!(cfg.pairing.settle_secs, 5);
    assert_eq!(cfg.upload.concurrency, 4);
    assert_eq!(cfg.watch[0].rescan_secs, 300);
    assert!(
        cfg.job.is_none(),
        "jobs are billed: off unless [job] is written"
    );
    assert!(
        cfg.metrics.is_none(),
        "copying the example opens no port: [metrics] is commented out"
    );
    assert!(
        !cfg.pairing.trust_close,
        "settle_secs holds whatever the writer does"
    );
    assert!(
        !EXAMPLE.contains("move-ingest sandbox"),
        "the local API is the `move-sandbox` binary"
    );
}

/// The example with its `[metrics]` block uncommented, as a user turning the server on would.
#[test]
fn the_documented_metrics_block_is_valid_when_uncommented() {
    let start = EXAMPLE.find("# [metrics]").unwrap();
    let end = EXAMPLE[start..].find("\n\n").unwrap() + start;
    let block: String = EXAMPLE[start..end]
        .lines()
        .filter(|l| l.starts_with("# [metrics]") || l.starts_with("# ") && l.contains(" = "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    let text = format!("{}{block}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
    let cfg = Config::parse(std::path::Path::new("config.example.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let metrics = cfg.metrics.expect("[metrics] uncommented");
    assert_eq!(metrics.listen.to_string(), "127.0.0.1:9464");
    assert_eq!(metrics.unhealthy_after_secs, 600);
}

/// The example with its `[job]` block uncommented, as a user turning jobs on would.
fn with_jobs() -> String {
    let start = EXAMPLE.find("# [job]\n").unwrap();
    let end = EXAMPLE[start..].find("\n\n").unwrap() + start;
    let block: String = EXAMPLE[start..end]
        .lines()
        .filter(|l| l.starts_with("# [job") || l.starts_with("# ") && l.contains(" = "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    format!("{}{block}{}", &EXAMPLE[..start], &EXAMPLE[end..])
}

#[test]
fn the_documented_job_block_is_valid_when_uncommented() {
    let text = with_jobs();
    let cfg = Config::parse(std::path::Path::new("config.example.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let job = cfg.job.expect("[job] is on");
    assert_eq!(job.outputs, ["MAIN_FBX", "RENDER_VIDEO"]);
    assert_eq!(job.options.track_fingers, Some(true));
    assert_eq!(job.options.floor_plane, Some(true));
    assert_eq!(
        job.download_to.as_deref(),
        Some(std::path::Path::new("/srv/animations"))
    );
    assert_eq!(job.metadata["site"], "studio-a");
    assert!(EXAMPLE.contains("bills every job"), "the billing sentence");
}

#[test]
fn a_wrong_output_name_names_the_key_and_line() {
    let text = with_jobs().replace("\"RENDER_VIDEO\"]", "\"RENDER_VIDEOS\"]");
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    let line = text
        .lines()
        .position(|l| l.starts_with("outputs = "))
        .unwrap()
        + 1;
    assert!(
        err.contains("RENDER_VIDEOS") && err.contains(&format!("`job.outputs` (line {line})")),
        "{err}"
    );
}

/// The example with its `[[multicam]]` block uncommented: from the `# [[multicam]]` line to
/// the next blank line, each `# key = ...` and `# [table]` line loses its `# `; a doubly
/// commented key (`# # volume = ...`) stays commented and the continuation lines go.
fn with_multicam() -> String {
    let start = EXAMPLE.find("# [[multicam]]\n").unwrap();
    let end = EXAMPLE[start..].find("\n\n").unwrap() + start;
    let block: String = EXAMPLE[start..end]
        .lines()
        .filter(|l| l.starts_with("# ") && !l[2..].starts_with(' '))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    format!("{}{block}{}", &EXAMPLE[..start], &EXAMPLE[end..])
}

#[test]
fn the_documented_multicam_block_is_valid_when_uncommented() {
    use move_ingest::config::{AreaType, Grouping, SyncMethod, VolumeSource};
    assert!(
        Config::parse(std::path::Path::new("c.toml"), EXAMPLE)
            .unwrap()
            .multicam
            .is_empty(),
        "no rig unless [[multicam]] is written"
    );
    let text = with_multicam();
    let cfg = Config::parse(std::path::Path::new("config.example.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(cfg.multicam.len(), 1, "{text}");
    let rig = &cfg.multicam[0];
    assert_eq!(rig.name, "stage-a");
    assert_eq!(
        rig.labels().collect::<Vec<_>>(),
        ["cam-1", "cam-2", "cam-3"]
    );
    assert_eq!(rig.lens_of("cam-3"), Some("goprohero10-fhd"));
    assert_eq!(rig.group, Grouping::Stem);
    assert_eq!(rig.sync, SyncMethod::Timecode);
    assert_eq!(rig.wait.as_secs(), 120);
    assert!(matches!(
        rig.volume,
        VolumeSource::Calibrate { human_height_m, area: AreaType::Normal, .. } if human_height_m == 1.8
    ));
    assert!(rig.is_calibration("calib-01") && !rig.is_calibration("act-01"));
    let job = rig.job.as_ref().expect("[multicam.job] is on");
    assert_eq!((job.actors, job.rig.as_str()), (1, "move_mo"));
    assert_eq!(job.job.outputs, ["MAIN_FBX"]);
    assert_eq!(job.job.metadata["rig"], "{rig}");
    assert_eq!(
        cfg.rig_of("cam-2").map(|r| r.name.as_str()),
        Some("stage-a")
    );
    assert!(cfg.job.is_none(), "[job] stays off");
    // The doubly commented alternatives are valid too, once chosen.
    let clap = text
        .replace("sync = \"timecode\"", "sync = \"clap\"")
        .replace("# clap_window", "clap_window");
    let cfg =
        Config::parse(std::path::Path::new("c.toml"), &clap).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cfg.multicam[0].sync,
        SyncMethod::Clap {
            start: 2.0,
            end: 4.0
        }
    );
    let pinned = text
        .replace("calibration = ", "# calibration = ")
        .replace("human_height_m = ", "# human_height_m = ")
        .replace("area = ", "# area = ")
        .replace("# volume = \"volume-...\"", "volume = \"volume-1\"");
    let cfg = Config::parse(std::path::Path::new("c.toml"), &pinned)
        .unwrap_or_else(|e| panic!("{e}\n{pinned}"));
    assert!(matches!(&cfg.multicam[0].volume, VolumeSource::Pinned(v) if v == "volume-1"));
}

#[test]
fn the_example_config_mentions_every_key() {
    for key in [
        "endpoint",
        "key_file",
        "connect_timeout_secs",
        "request_timeout_secs",
        "stall_timeout_secs",
        "path",
        "device_label",
        "rescan_secs",
        "max_depth",
        "follow_symlinks",
        "min_free_percent",
        "{subdir}",
        "schedule",
        "[after_take]",
        "action",
        "move_to",
        "settle_secs",
        "move_wait_secs",
        "require_move",
        "trust_close",
        "name",
        "[take.metadata]",
        "dir",
        "concurrency",
        "max_bytes_per_sec",
        "max_attempts",
        "base_ms",
        "cap_secs",
        "level",
        "format",
        "shutdown_grace_secs",
        "event_channel_size",
        "ignore_events",
        "[metrics]",
        "listen",
        "unhealthy_after_secs",
        "bearer_token_file",
        "[notify]",
        "webhook",
        "summary_every_secs",
        "secret_file",
        "[job]",
        "outputs",
        "options",
        "download_to",
        "[job.metadata]",
        "[[multicam]]",
        "devices",
        "lens",
        "group",
        "sync",
        "clap_window",
        "wait_secs",
        "calibration",
        "human_height_m",
        "area",
        "volume",
        "[multicam.job]",
        "actors",
        "rig",
        "{rig}",
        "[multicam.job.metadata]",
    ] {
        assert!(
            EXAMPLE.contains(key),
            "config.example.toml does not document `{key}`"
        );
    }
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let text = EXAMPLE.replace(
        "https://api.move.ai/ugc/graphql",
        "http://api.move.ai/ugc/graphql",
    );
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("must be https"), "{err}");
    let text = EXAMPLE.replace(
        "https://api.move.ai/ugc/graphql",
        "http://127.0.0.1:8477/ugc/graphql",
    );
    assert!(Config::parse(std::path::Path::new("c.toml"), &text).is_ok());
}

#[test]
fn the_new_watch_and_upload_keys_are_checked_with_their_line() {
    let cfg = Config::parse(std::path::Path::new("c.toml"), EXAMPLE).unwrap();
    assert_eq!(
        (
            cfg.watch[0].max_depth,
            cfg.watch[0].follow_symlinks,
            cfg.watch[0].min_free_percent
        ),
        (8, false, 10)
    );
    assert!(cfg.upload.schedule.is_none());
    let text = EXAMPLE.replace(
        "# schedule = \"08:00,10M 19:00,off\"",
        "schedule = \"08:00,10M 25:00,off\"",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("schedule ="))
        .unwrap()
        + 1;
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("`schedule` (line {line})")) && err.contains("25:00"),
        "{err}"
    );
    let ok = text.replace("25:00", "19:00");
    let cfg = Config::parse(std::path::Path::new("c.toml"), &ok).unwrap();
    assert!(cfg.upload.schedule.is_some());
    for (from, to, key) in [
        (
            "min_free_percent = 10",
            "min_free_percent = 101",
            "min_free_percent",
        ),
        ("max_depth = 8", "max_depth = 65", "max_depth"),
    ] {
        let text = EXAMPLE.replace(from, to);
        let line = text.lines().position(|l| l.starts_with(to)).unwrap() + 1;
        let err = Config::parse(std::path::Path::new("c.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("`{key}` (line {line})")), "{err}");
    }
}

#[test]
fn an_unknown_placeholder_names_the_key_and_line() {
    let text = EXAMPLE.replace(
        "name = \"{device_label} {stem}\"",
        "name = \"{device} {stem}\"",
    );
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    let line = text.lines().position(|l| l.starts_with("name = ")).unwrap() + 1;
    assert!(
        err.contains("{device}") && err.contains(&format!("line {line}")),
        "{err}"
    );
}

#[test]
fn a_mistake_in_the_second_watch_entry_names_the_second_entrys_line() {
    let text = "[[watch]]\npath = \"/srv/a\"\ndevice_label = \"cam/1\"\nrescan_secs = 0\n\n\
                [[watch]]\npath = \"/srv/b\"\ndevice_label = \"cam/2\"\nrescan_secs = 0\n";
    let line_of = |needle: &str| text.lines().position(|l| l == needle).unwrap() + 1;
    let first = Config::parse(std::path::Path::new("c.toml"), text)
        .unwrap_err()
        .to_string();
    assert!(
        first.contains(&format!(
            "`device_label` (line {})",
            line_of("device_label = \"cam/1\"")
        )),
        "{first}"
    );
    // The first entry fixed, the second one's mistakes are named at the second one's lines.
    let text = text.replacen("\"cam/1\"", "\"cam-1\"", 1).replacen(
        "rescan_secs = 0",
        "rescan_secs = 5",
        1,
    );
    let text = text.replace("path = \"/srv/b\"", "path = \"srv/b\"");
    let line_of = |needle: &str| text.lines().position(|l| l == needle).unwrap() + 1;
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("`path` (line {})", line_of("path = \"srv/b\""))),
        "{err}"
    );
    let text = text.replace("path = \"srv/b\"", "path = \"/srv/b\"");
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "`device_label` (line {})",
            line_of("device_label = \"cam/2\"")
        )),
        "{err}"
    );
    let text = text.replace("\"cam/2\"", "\"cam-2\"");
    let err = Config::parse(std::path::Path::new("c.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "`rescan_secs` (line {})",
            line_of("rescan_secs = 0")
        )),
        "{err}"
    );
}

#[test]
fn the_documented_webhook_secret_and_bearer_token_are_valid_when_uncommented() {
    // Doubly commented: uncommenting [metrics] or [notify] asks for no file not made yet.
    assert!(EXAMPLE.contains("\n# # bearer_token_file = "));
    assert!(EXAMPLE.contains("\n# # secret_file = "));
    let text = EXAMPLE
        .replace("# [metrics]", "[metrics]")
        .replace("# listen = ", "listen = ")
        .replace("# # bearer_token_file = ", "bearer_token_file = ")
        .replace("# [notify]", "[notify]")
        .replace("# webhook = ", "webhook = ")
        .replace("# # secret_file = ", "secret_file = ");
    let cfg = Config::parse(std::path::Path::new("config.example.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let notify = cfg.notify.expect("[notify] is on");
    assert_eq!(
        notify.secret_file.as_deref(),
        Some(std::path::Path::new("/etc/move-ingest/webhook-secret"))
    );
    let metrics = cfg.metrics.expect("[metrics] is on");
    assert_eq!(
        metrics.bearer_token_file.as_deref(),
        Some(std::path::Path::new("/etc/move-ingest/metrics-token"))
    );
}

/// The example with its `[coordination]` block uncommented, as the machines of a rig over
/// several machines have it: valid, with the documented defaults and names.
#[test]
fn the_documented_coordination_block_is_valid_when_uncommented() {
    let start = EXAMPLE.find("# [coordination]\n").unwrap();
    let end = EXAMPLE[start..].find("\n\n").unwrap() + start;
    let block: String = EXAMPLE[start..end]
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l)))
        .collect();
    let text = format!("{}{block}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
    let cfg = Config::parse(std::path::Path::new("config.example.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let c = cfg.coordination.expect("[coordination] uncommented");
    assert_eq!(
        c.postgres,
        "postgresql://move_ingest@db.studio.lan:5432/move_ingest"
    );
    assert_eq!((c.node.as_str(), c.lease_secs), ("capture-03", 30));
    assert_eq!(
        c.password_file.as_deref(),
        Some(std::path::Path::new("/etc/move-ingest/pg-password"))
    );
    assert!(
        Config::parse(std::path::Path::new("c.toml"), EXAMPLE)
            .unwrap()
            .coordination
            .is_none(),
        "rigs are local unless [coordination] is written"
    );
}
