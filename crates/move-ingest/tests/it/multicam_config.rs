//! `move-ingest check` on `[[multicam]]` rigs: a rig the config refuses exits 2 naming the
//! key, its line and the file; a valid rig passes the config stage.

use std::path::Path;
use std::process::Output;

/// Runs the real binary's `check` on `config` (no key, no API: the config is read first).
fn check(config: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_move-ingest"))
        .arg("--config")
        .arg(config)
        .arg("check")
        .env_remove("MOVE_INGEST_CONFIG")
        .env_remove("MOVE_API_KEY")
        .env_remove("CREDENTIALS_DIRECTORY")
        .output()
        .unwrap()
}

fn base(dir: &Path) -> String {
    let watch = dir.join("captures");
    std::fs::create_dir_all(&watch).unwrap();
    format!(
        "[[watch]]\npath = \"{}\"\n\n[state]\ndir = \"{}\"\n\n\
         [[multicam]]\nname = \"stage-a\"\ndevices = [\"cam-1\", \"cam-2\"]\nlens = \"goprohero10-fhd\"\n\
         calibration = \"calib*\"\nhuman_height_m = 1.8\n",
        watch.display(),
        dir.join("state").display()
    )
}

fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

#[test]
fn check_exits_2_naming_the_rigs_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let cases = [
        (
            "sync = \"clap\"\n".to_string(),
            "multicam.sync",
            "sync = ",
            "clap_window",
        ),
        (
            "\n[[multicam]]\nname = \"stage-b\"\ndevices = [\"cam-3\", \"cam-2\"]\nlens = \"x\"\nvolume = \"volume-1\"\n"
                .to_string(),
            "multicam.devices",
            "devices = [\"cam-3\"",
            "\"cam-2\" is in two rigs",
        ),
    ];
    for (extra, key, line, says) in cases {
        let text = format!("{}{extra}", base(dir.path()));
        std::fs::write(&config, &text).unwrap();
        let out = check(&config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let n = line_of(&text, line);
        assert!(
            stderr.contains(&format!("`{key}` (line {n})"))
                && stderr.contains(says)
                && stderr.contains(&config.display().to_string()),
            "{stderr}"
        );
    }
}

#[test]
fn check_reads_a_valid_rig() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, base(dir.path())).unwrap();
    let out = check(&config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("config: {} is valid", config.display())),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
