//! `[[multicam]]`: every rule accepted and refused, each refusal naming the key and its line.

use std::path::Path;
use std::time::Duration;

use super::*;

const WATCH: &str = "[[watch]]\npath = \"/srv/captures\"\n\n";
const RIG: &str = "[[multicam]]
name = \"stage-a\"
devices = [\"cam-1\", \"cam-2\", \"cam-3\"]
lens = \"goprohero10-fhd\"
calibration = \"calib*\"
human_height_m = 1.8
";

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("c.toml"), text).map_err(|e| e.to_string())
}

/// The watch folder and the rig, with `edit` applied to the rig and `extra` after it.
fn rig_text(edit: impl Fn(&str) -> String, extra: &str) -> String {
    format!("{WATCH}{}{extra}", edit(RIG))
}

/// The line (1-based) of the first line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starts with {start:?} in\n{text}"))
        + 1
}

/// `text` is refused, naming `key` on the line starting with `line`, and saying each of `says`.
fn refused(text: &str, key: &str, line: &str, says: &[&str]) -> String {
    let err = match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    };
    let n = line_of(text, line);
    assert!(
        err.contains(&format!("`{key}` (line {n})")),
        "does not name `{key}` (line {n}): {err}\n{text}"
    );
    for s in says {
        assert!(err.contains(s), "does not say {s:?}: {err}");
    }
    err
}

fn keep(s: &str) -> String {
    s.to_string()
}

#[test]
fn a_rig_with_only_the_required_keys_takes_the_defaults() {
    let cfg = parse(&rig_text(keep, "")).unwrap();
    assert_eq!(cfg.multicam.len(), 1);
    let rig = &cfg.multicam[0];
    assert_eq!(rig.name, "stage-a");
    assert_eq!(
        rig.labels().collect::<Vec<_>>(),
        ["cam-1", "cam-2", "cam-3"]
    );
    assert!(rig.devices.iter().all(|d| d.lens == "goprohero10-fhd"));
    assert_eq!(rig.group, Grouping::Stem);
    assert_eq!(rig.sync, SyncMethod::Timecode);
    assert_eq!(rig.wait, Duration::from_secs(120));
    let VolumeSource::Calibrate {
        human_height_m,
        area,
        ..
    } = &rig.volume
    else {
        panic!("{:?}", rig.volume)
    };
    assert_eq!((*human_height_m, *area), (1.8, AreaType::Normal));
    assert_eq!(area.api_name(), "NORMAL");
    assert!(rig.job.is_none());
    assert!(rig.is_calibration("calib") && rig.is_calibration("calib-01"));
    assert!(!rig.is_calibration("act-01") && !rig.is_calibration("Calib-01"));
    assert_eq!(rig.lens_of("cam-2"), Some("goprohero10-fhd"));
    assert_eq!(rig.lens_of("cam-9"), None);
    assert_eq!(
        cfg.rig_of("cam-3").map(|r| r.name.as_str()),
        Some("stage-a")
    );
    assert!(cfg.rig_of("cam-9").is_none());
    // What only the API can answer, each with the key and line to name.
    assert_eq!(
        rig.ask,
        ApiQuestions {
            lenses: vec![Asked {
                value: "goprohero10-fhd".into(),
                at: "`multicam.lens` (line 7)".into()
            }],
            processing_rig: None,
            volume: None,
        }
    );
}

#[test]
fn no_multicam_table_is_no_rig() {
    let cfg = parse(WATCH).unwrap();
    assert!(cfg.multicam.is_empty() && cfg.rig_of("cam-1").is_none());
}

#[test]
fn every_key_of_a_rig_is_read() {
    let text = rig_text(
        |r| {
            r.replace(
                "lens = \"goprohero10-fhd\"",
                "lens = { cam-1 = \"lens-a\", cam-2 = \"lens-b\", cam-3 = \"lens-a\" }",
            )
        },
        "group = \"folder\"
sync = \"clap\"
clap_window = [2, 4.5]
wait_secs = 30
area = \"large\"
[multicam.job]
outputs = [\"main_fbx\", \"RENDER_VIDEO\"]
options = { trackFingers = true }
actors = 2
rig = \"move_mo\"
download_to = \"/srv/animations\"
[multicam.job.metadata]
rig = \"{rig}\"
",
    );
    let cfg = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let rig = &cfg.multicam[0];
    let lenses: Vec<_> = rig.devices.iter().map(|d| d.lens.as_str()).collect();
    assert_eq!(lenses, ["lens-a", "lens-b", "lens-a"]);
    assert_eq!(rig.group, Grouping::Folder);
    assert_eq!(
        rig.sync,
        SyncMethod::Clap {
            start: 2.0,
            end: 4.5
        }
    );
    assert_eq!(rig.wait, Duration::from_secs(30));
    assert!(matches!(
        rig.volume,
        VolumeSource::Calibrate {
            area: AreaType::Large,
            ..
        }
    ));
    assert_eq!(AreaType::Large.api_name(), "LARGE");
    let job = rig.job.as_ref().unwrap();
    assert_eq!((job.actors, job.rig.as_str()), (2, "move_mo"));
    assert_eq!(job.job.outputs, ["MAIN_FBX", "RENDER_VIDEO"]);
    assert_eq!(job.job.options.track_fingers, Some(true));
    assert_eq!(job.job.metadata["rig"], "{rig}");
    assert_eq!(
        job.job.download_to.as_deref(),
        Some(Path::new("/srv/animations"))
    );
    assert_eq!(format!("{:?}", job.job.name), "\"{rig} {stem}\"");
    // Each lens once, at its own entry; the processing rig at its line.
    let lens_line = line_of(&text, "lens = ");
    assert_eq!(
        rig.ask.lenses,
        [
            Asked {
                value: "lens-a".into(),
                at: format!("`multicam.lens.cam-1` (line {lens_line})")
            },
            Asked {
                value: "lens-b".into(),
                at: format!("`multicam.lens.cam-2` (line {lens_line})")
            },
        ]
    );
    assert_eq!(
        rig.ask.processing_rig,
        Some(Asked {
            value: "move_mo".into(),
            at: format!(
                "`multicam.job.rig` (line {})",
                line_of(&text, "rig = \"move")
            )
        })
    );
}

#[test]
fn sync_none_and_a_pinned_volume() {
    let text = rig_text(
        |r| {
            r.replace("calibration = \"calib*\"\nhuman_height_m = 1.8\n", "")
                .replace("lens =", "sync = \"none\"\nvolume = \"volume-123\"\nlens =")
        },
        "",
    );
    let cfg = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let rig = &cfg.multicam[0];
    assert_eq!(rig.sync, SyncMethod::None);
    assert!(matches!(&rig.volume, VolumeSource::Pinned(v) if v == "volume-123"));
    assert!(!rig.is_calibration("calib-01"));
    assert_eq!(
        rig.ask.volume,
        Some(Asked {
            value: "volume-123".into(),
            at: format!("`multicam.volume` (line {})", line_of(&text, "volume ="))
        })
    );
}

#[test]
fn a_rig_needs_two_distinct_devices_with_possible_labels() {
    let one = rig_text(
        |r| r.replace("[\"cam-1\", \"cam-2\", \"cam-3\"]", "[\"cam-1\"]"),
        "",
    );
    refused(&one, "multicam.devices", "devices", &["at least two"]);
    let twice = rig_text(|r| r.replace("\"cam-3\"]", "\"cam-1\"]"), "");
    refused(
        &twice,
        "multicam.devices",
        "devices",
        &["\"cam-1\" is listed twice"],
    );
    for (bad, why) in [
        ("cam/1", "'/'"),
        (".cam", "starts with '.'"),
        ("", "is empty"),
        (" cam", "space"),
    ] {
        let text = rig_text(|r| r.replace("\"cam-3\"", &format!("\"{bad}\"")), "");
        refused(&text, "multicam.devices", "devices", &[why]);
    }
    let none = rig_text(
        |r| r.replace("devices = [\"cam-1\", \"cam-2\", \"cam-3\"]\n", ""),
        "",
    );
    let err = parse(&none).unwrap_err();
    assert!(
        err.contains("\"stage-a\"") && err.contains("has no `devices`") && err.contains("line 5"),
        "{err}"
    );
}

#[test]
fn a_device_belongs_to_one_rig_and_a_name_to_one_rig() {
    let second = "\n[[multicam]]\nname = \"stage-b\"\ndevices = [\"cam-4\", \"cam-2\"]\nlens = \"x\"\nvolume = \"v-1\"\n";
    let text = rig_text(keep, second);
    let err = refused(
        &text,
        "multicam.devices",
        "devices = [\"cam-4\"",
        &["\"cam-2\" is in two rigs", "stage-a", "stage-b"],
    );
    assert!(err.contains("c.toml"), "names the file: {err}");
    let text = rig_text(
        keep,
        &second
            .replace("stage-b", "stage-a")
            .replace("cam-2", "cam-5"),
    );
    let last_name = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("name ="))
        .map(|(i, _)| i + 1)
        .last()
        .unwrap();
    let err = parse(&text).unwrap_err();
    assert!(
        err.contains(&format!("`multicam.name` (line {last_name})"))
            && err.contains("named \"stage-a\"")
            && err.contains("(line 5)"),
        "{err}"
    );
    let ok = rig_text(keep, &second.replace("cam-2", "cam-5"));
    let cfg = parse(&ok).unwrap();
    assert_eq!(
        cfg.rig_of("cam-5").map(|r| r.name.as_str()),
        Some("stage-b")
    );
    assert_eq!(
        cfg.rig_of("cam-2").map(|r| r.name.as_str()),
        Some("stage-a")
    );
}

#[test]
fn with_only_fixed_labels_a_device_must_be_one_of_them() {
    let fixed = "[[watch]]\npath = \"/srv/a\"\ndevice_label = \"cam-1\"\n\n[[watch]]\npath = \"/srv/b\"\ndevice_label = \"cam-2\"\n\n";
    let text = format!("{fixed}{RIG}");
    refused(
        &text,
        "multicam.devices",
        "devices",
        &["\"cam-3\"", "no device folders exist", "from-dir"],
    );
    let two = format!("{fixed}{}", RIG.replace(", \"cam-3\"]", "]"));
    assert!(parse(&two).is_ok(), "the fixed labels are possible devices");
    // One watch with from-dir makes any folder name possible.
    let mixed = format!("{fixed}{WATCH}{RIG}");
    assert!(parse(&mixed).is_ok());
    // With group = "folder" the devices name videos, not folders.
    let folder = format!("{fixed}{RIG}group = \"folder\"\n");
    assert!(parse(&folder).is_ok());
}

#[test]
fn the_lens_is_one_for_all_or_one_per_device_exactly() {
    let missing = rig_text(
        |r| r.replace("\"goprohero10-fhd\"", "{ cam-1 = \"a\", cam-2 = \"b\" }"),
        "",
    );
    refused(&missing, "multicam.lens", "lens", &["no lens for cam-3"]);
    let extra = rig_text(
        |r| {
            r.replace(
                "\"goprohero10-fhd\"",
                "{ cam-1 = \"a\", cam-2 = \"b\", cam-3 = \"c\", cam-9 = \"d\" }",
            )
        },
        "",
    );
    refused(
        &extra,
        "multicam.lens.cam-9",
        "lens",
        &["not one of the rig's devices"],
    );
    let empty = rig_text(|r| r.replace("\"goprohero10-fhd\"", "\" \""), "");
    refused(&empty, "multicam.lens", "lens", &["is empty"]);
    let empty_entry = rig_text(
        |r| {
            r.replace(
                "\"goprohero10-fhd\"",
                "{ cam-1 = \"a\", cam-2 = \"\", cam-3 = \"c\" }",
            )
        },
        "",
    );
    refused(&empty_entry, "multicam.lens.cam-2", "lens", &["is empty"]);
    // A [multicam.lens] table, one line per device.
    let table = rig_text(
        |r| r.replace("lens = \"goprohero10-fhd\"\n", ""),
        "[multicam.lens]\ncam-1 = \"a\"\ncam-2 = \"b\"\ncam-3 = \"\"\n",
    );
    refused(&table, "multicam.lens.cam-3", "cam-3 = ", &["is empty"]);
    let number = rig_text(|r| r.replace("\"goprohero10-fhd\"", "3"), "");
    let err = parse(&number).unwrap_err();
    assert!(err.contains("lens name") && err.contains("line 7"), "{err}");
    let none = rig_text(|r| r.replace("lens = \"goprohero10-fhd\"\n", ""), "");
    let err = parse(&none).unwrap_err();
    assert!(
        err.contains("has no `lens`") && err.contains("line 5"),
        "{err}"
    );
}

#[test]
fn a_clap_needs_its_window_and_only_a_clap_has_one() {
    let no_window = rig_text(keep, "sync = \"clap\"\n");
    refused(&no_window, "multicam.sync", "sync", &["clap_window"]);
    for window in ["[4.0, 2.0]", "[2.0, 2.0]", "[-1.0, 2.0]"] {
        let text = rig_text(keep, &format!("sync = \"clap\"\nclap_window = {window}\n"));
        refused(
            &text,
            "multicam.clap_window",
            "clap_window",
            &["start < end"],
        );
    }
    let three = rig_text(keep, "sync = \"clap\"\nclap_window = [1, 2, 3]\n");
    refused(
        &three,
        "multicam.clap_window",
        "clap_window",
        &["two numbers"],
    );
    for sync in ["", "sync = \"timecode\"\n", "sync = \"none\"\n"] {
        let text = rig_text(keep, &format!("{sync}clap_window = [2.0, 4.0]\n"));
        refused(
            &text,
            "multicam.clap_window",
            "clap_window",
            &["only with sync = \"clap\""],
        );
    }
    let bad = rig_text(keep, "sync = \"genlock\"\n");
    refused(
        &bad,
        "multicam.sync",
        "sync",
        &["\"timecode\", \"clap\", \"none\"", "genlock"],
    );
}

#[test]
fn a_rig_needs_calibration_or_a_volume_and_not_both() {
    let neither = rig_text(
        |r| r.replace("calibration = \"calib*\"\nhuman_height_m = 1.8\n", ""),
        "",
    );
    let err = parse(&neither).unwrap_err();
    assert!(
        err.contains("neither `calibration` nor `volume`") && err.contains("line 5"),
        "{err}"
    );
    let both = rig_text(keep, "volume = \"volume-1\"\n");
    refused(
        &both,
        "multicam.calibration",
        "calibration",
        &["exclude each other"],
    );
    let no_height = rig_text(|r| r.replace("human_height_m = 1.8\n", ""), "");
    let err = refused(
        &no_height,
        "multicam.calibration",
        "calibration",
        &["no `human_height_m`"],
    );
    assert!(
        err.contains("`volume`"),
        "says a pinned volume needs none: {err}"
    );
    for h in ["0.4", "2.6", "nan"] {
        let text = rig_text(|r| r.replace("1.8", h), "");
        refused(
            &text,
            "multicam.human_height_m",
            "human_height_m",
            &["0.5 to 2.5"],
        );
    }
    let edge = rig_text(|r| r.replace("1.8", "2.5"), "");
    assert!(parse(&edge).is_ok());
    let pinned = |extra: &str| {
        rig_text(
            |r| r.replace("calibration = \"calib*\"\nhuman_height_m = 1.8\n", ""),
            &format!("volume = \"volume-1\"\n{extra}"),
        )
    };
    refused(
        &pinned("human_height_m = 1.7\n"),
        "multicam.human_height_m",
        "human_height_m",
        &["only to calibrate"],
    );
    refused(
        &pinned("area = \"large\"\n"),
        "multicam.area",
        "area",
        &["only to calibrate"],
    );
    refused(
        &rig_text(
            |r| r.replace("calibration = \"calib*\"\n", ""),
            "volume = \"\"\n",
        ),
        "multicam.volume",
        "volume",
        &["volume id"],
    );
}

#[test]
fn the_calibration_glob_is_checked() {
    for bad in ["calib[", "calib***", "", "/calib/*"] {
        let text = rig_text(|r| r.replace("\"calib*\"", &format!("\"{bad}\"")), "");
        refused(&text, "multicam.calibration", "calibration", &["glob"]);
    }
    let cfg = parse(&rig_text(|r| r.replace("calib*", "cal-[0-9]?"), "")).unwrap();
    let rig = &cfg.multicam[0];
    assert!(rig.is_calibration("cal-01") && !rig.is_calibration("cal-x1"));
}

#[test]
fn words_and_numbers_are_checked() {
    for (line, key, says) in [
        (
            "group = \"clock\"\n",
            "multicam.group",
            "\"stem\", \"folder\", \"time\"",
        ),
        (
            "area = \"huge\"\n",
            "multicam.area",
            "\"normal\", \"large\"",
        ),
        ("wait_secs = 0\n", "multicam.wait_secs", "at least 1"),
        ("wait_secs = -5\n", "multicam.wait_secs", "at least 1"),
    ] {
        let text = rig_text(keep, line);
        refused(&text, key, line.split(' ').next().unwrap_or(""), &[says]);
    }
    let name = rig_text(|r| r.replace("\"stage-a\"", "\" \""), "");
    refused(&name, "multicam.name", "name", &["stage-a"]);
}

#[test]
fn the_job_of_a_rig_is_checked_as_job_is() {
    let job = |body: &str| rig_text(keep, &format!("[multicam.job]\n{body}"));
    let cfg = parse(&job("rig = \"move_mo\"\n")).unwrap();
    let j = cfg.multicam[0].job.as_ref().unwrap();
    assert_eq!((j.actors, j.job.outputs.len()), (1, 0));
    for (body, key, line, says) in [
        (
            "rig = \"move_mo\"\nactors = 0\n",
            "multicam.job.actors",
            "actors",
            "1 to 10",
        ),
        (
            "rig = \"move_mo\"\nactors = 11\n",
            "multicam.job.actors",
            "actors",
            "1 to 10",
        ),
        ("rig = \"\"\n", "multicam.job.rig", "rig", "listRigs"),
        (
            "rig = \"move_mo\"\noutputs = [\"MAIN_OBJ\"]\n",
            "multicam.job.outputs",
            "outputs",
            "MAIN_OBJ",
        ),
        (
            "rig = \"move_mo\"\noptions = { trackToes = true }\n",
            "multicam.job.options.trackToes",
            "options",
            "trackToes",
        ),
        (
            "rig = \"move_mo\"\nname = \"{nope}\"\n",
            "multicam.job.name",
            "name = \"{",
            "{nope}",
        ),
        (
            "rig = \"move_mo\"\ndownload_to = \"out\"\n",
            "multicam.job.download_to",
            "download_to",
            "absolute",
        ),
    ] {
        refused(&job(body), key, line, &[says]);
    }
    let err = parse(&job("actors = 1\n")).unwrap_err();
    assert!(
        err.contains("has no `rig`") && err.contains("move_mo"),
        "{err}"
    );
}

#[test]
fn unknown_keys_are_refused_with_their_line() {
    for (extra, key) in [
        ("colour = \"red\"\n", "colour"),
        ("clock_tolerance_secs = 2\n", "clock_tolerance_secs"),
        (
            "[multicam.job]\nrig = \"move_mo\"\npoll_secs = 5\n",
            "poll_secs",
        ),
    ] {
        let text = rig_text(keep, extra);
        let err = parse(&text).unwrap_err();
        let line = line_of(&text, key);
        assert!(
            err.contains(key) && err.contains(&format!("line {line}")),
            "{err}"
        );
    }
}

#[test]
fn a_single_bracket_table_says_to_write_two() {
    let text = format!("{WATCH}{}", RIG.replace("[[multicam]]", "[multicam]"));
    let err = parse(&text).unwrap_err();
    assert!(
        err.contains("write [[multicam]], with two brackets") && err.contains("line 4"),
        "{err}"
    );
}

#[test]
fn the_rig_placeholder_is_known_to_take_and_job_templates() {
    let text = format!(
        "{WATCH}[take]\nname = \"{{rig}} {{stem}}\"\n[take.metadata]\nrig = \"{{rig}}\"\n\n{RIG}"
    );
    let cfg = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.take.metadata["rig"], "{rig}");
}

#[test]
fn group_time_takes_a_clock_tolerance_and_calibration_by_place() {
    let text = rig_text(
        |r| r.replace("\"calib*\"", "\"calib/*\""),
        "group = \"time\"\n",
    );
    let cfg = parse(&text).unwrap();
    let rig = &cfg.multicam[0];
    assert_eq!(
        rig.group,
        Grouping::Time {
            clock_tolerance_ms: 5_000
        }
    );
    assert!(rig.is_calibration_at("GX010001", "calib/GX010001"));
    assert!(!rig.is_calibration_at("GX010002", "GX010002"));
    assert!(!rig.is_calibration_at("GX010003", "day1/calib/GX010003"));
    let cfg = parse(&rig_text(
        keep,
        "group = \"time\"\nclock_tolerance_secs = 2.5\n",
    ))
    .unwrap();
    assert_eq!(
        cfg.multicam[0].group,
        Grouping::Time {
            clock_tolerance_ms: 2_500
        }
    );
    for (line, says) in [
        ("group = \"time\"\nclock_tolerance_secs = -1\n", "0 to 600"),
        ("clock_tolerance_secs = 3\n", "only with group = \"time\""),
    ] {
        refused(
            &rig_text(keep, line),
            "multicam.clock_tolerance_secs",
            "clock_tolerance_secs",
            &[says],
        );
    }
    let folder = rig_text(
        |r| r.replace("\"calib*\"", "\"calib/*\""),
        "group = \"folder\"\n",
    );
    refused(
        &folder,
        "multicam.calibration",
        "calibration",
        &["\"stem\" or \"time\""],
    );
}
