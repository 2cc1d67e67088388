//! The Debian package's man pages and completion scripts (`packaging/man/`,
//! `packaging/completions/`) are generated from the clap definitions, never edited by hand,
//! and these tests fail when they no longer match. Regenerate them with
//! `UPDATE_PACKAGING=1 cargo test -p move-ingest --test it match_the_clap_definitions` and
//! commit the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::CommandFactory;
use clap_complete::Shell;
use move_ingest::cli::Cli;
use move_ingest::commands::completions;

const REGENERATE: &str =
    "UPDATE_PACKAGING=1 cargo test -p move-ingest --test it match_the_clap_definitions";

/// The completion scripts the package ships, with their file names in `packaging/completions/`.
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "move-ingest.bash"),
    (Shell::Zsh, "_move-ingest"),
    (Shell::Fish, "move-ingest.fish"),
];

fn packaging_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging")
}

/// Every generated file by its path below `packaging/`: one man page for the command and one
/// for each subcommand at any depth (as clap_mangen's `generate_to` names them), and the
/// completion scripts exactly as `move-ingest completions SHELL` prints them.
fn generated() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    add_man_pages(cmd, &mut files);
    for (shell, name) in SHELLS {
        files.insert(format!("completions/{name}"), completions::script(shell));
    }
    files
}

fn add_man_pages(cmd: clap::Command, files: &mut BTreeMap<String, Vec<u8>>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        add_man_pages(sub.clone(), files);
    }
    let man = clap_mangen::Man::new(cmd);
    let mut page = Vec::new();
    man.render(&mut page)
        .expect("rendering a man page into memory");
    files.insert(format!("man/{}", man.get_filename()), page);
}

/// What `packaging/man/` and `packaging/completions/` hold now.
fn checked_in() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for dir in ["man", "completions"] {
        let Ok(entries) = std::fs::read_dir(packaging_dir().join(dir)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.expect("listing packaging/");
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path()).expect("reading a file in packaging/");
            files.insert(format!("{dir}/{name}"), bytes);
        }
    }
    files
}

fn rewrite(want: &BTreeMap<String, Vec<u8>>) {
    for dir in ["man", "completions"] {
        std::fs::create_dir_all(packaging_dir().join(dir)).expect("creating packaging/ folders");
    }
    for (path, bytes) in want {
        std::fs::write(packaging_dir().join(path), bytes).expect("writing packaging/");
    }
    for path in checked_in().keys().filter(|p| !want.contains_key(*p)) {
        std::fs::remove_file(packaging_dir().join(path)).expect("removing a stale file");
    }
}

#[test]
fn packaging_man_pages_and_completions_match_the_clap_definitions() {
    let want = generated();
    if std::env::var_os("UPDATE_PACKAGING").is_some() {
        rewrite(&want);
        eprintln!(
            "rewrote {} files in packaging/man and packaging/completions",
            want.len()
        );
        return;
    }
    let have = checked_in();
    let mut stale = Vec::new();
    for (path, bytes) in &want {
        match have.get(path) {
            None => stale.push(format!("packaging/{path} is missing")),
            Some(old) if old != bytes => stale.push(format!("packaging/{path} is out of date")),
            Some(_) => {}
        }
    }
    for path in have.keys().filter(|p| !want.contains_key(*p)) {
        stale.push(format!("packaging/{path} matches no command any more"));
    }
    assert!(
        stale.is_empty(),
        "the command line changed, the packaged docs did not:\n  {}\nRegenerate with\n  {REGENERATE}\nand commit packaging/man and packaging/completions.",
        stale.join("\n  ")
    );
}

/// Every subcommand path (`["takes", "list"]`), visible ones only, at any depth.
fn subcommand_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        subcommand_paths(sub, &path, out);
        out.push(path);
    }
}

#[test]
fn every_subcommand_has_a_man_page_that_describes_it() {
    let man = packaging_dir().join("man");
    let top =
        std::fs::read_to_string(man.join("move-ingest.1")).expect("packaging/man/move-ingest.1");
    assert!(
        top.contains("move\\-ingest"),
        "move-ingest.1 names the command"
    );
    let cli = Cli::command().disable_help_subcommand(true);
    let mut paths = Vec::new();
    subcommand_paths(&cli, &[], &mut paths);
    assert!(
        paths.len() >= 8,
        "run, backfill, status, check, retry, files, takes, completions: {paths:?}"
    );
    for path in paths {
        let name = format!("move-ingest-{}.1", path.join("-"));
        let page = std::fs::read_to_string(man.join(&name))
            .unwrap_or_else(|e| panic!("no man page packaging/man/{name} ({e}); run {REGENERATE}"));
        let mut sub = &cli;
        for part in &path {
            sub = sub
                .find_subcommand(part)
                .expect("the path came from this tree");
        }
        let about = sub
            .get_about()
            .expect("every subcommand has a one-line help")
            .to_string();
        let first_words: String = about
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            page.replace("\\-", "-").contains(&first_words),
            "packaging/man/{name} does not describe `{}` ({about})",
            path.join(" ")
        );
    }
}

fn move_ingest(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_move-ingest"))
        .args(args)
        .env_remove("MOVE_INGEST_CONFIG")
        .output()
        .expect("running move-ingest")
}

#[test]
fn completions_command_prints_the_packaged_scripts_without_a_config() {
    for (shell, name) in SHELLS {
        let out = move_ingest(&[
            "--config",
            "/nonexistent/config.toml",
            "completions",
            &shell.to_string(),
        ]);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let packaged = std::fs::read(packaging_dir().join("completions").join(name))
            .unwrap_or_else(|e| panic!("packaging/completions/{name}: {e}; run {REGENERATE}"));
        assert!(
            out.stdout == packaged,
            "`move-ingest completions {shell}` differs from packaging/completions/{name}; run {REGENERATE}"
        );
    }
    let out = move_ingest(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}

/// Sources the bash script the way bash-completion does and asks it to complete words.
#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let script = packaging_dir().join("completions/move-ingest.bash");
    let complete = |line: &str| -> String {
        let words: Vec<&str> = line.split(' ').collect();
        let probe = format!(
            "source {script:?} && COMP_WORDS=({words}) && COMP_CWORD={cword} && COMP_LINE={line:?} && COMP_POINT=${{#COMP_LINE}} && _move__ingest move-ingest {cur:?} {prev:?} && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words = words
                .iter()
                .map(|w| format!("{w:?}"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
            cur = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(&probe)
            .output()
            .expect("running bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let subcommands = complete("move-ingest ");
    for name in [
        "run",
        "backfill",
        "status",
        "check",
        "retry",
        "files",
        "takes",
        "completions",
    ] {
        assert!(
            subcommands.lines().any(|l| l == name),
            "`move-ingest <TAB>` offers {name}: {subcommands}"
        );
    }
    assert_eq!(complete("move-ingest tak").trim(), "takes");
    assert!(
        complete("move-ingest status --j")
            .lines()
            .any(|l| l == "--json")
    );
    assert!(
        complete("move-ingest takes list --li")
            .lines()
            .any(|l| l == "--limit")
    );
    let shells = complete("move-ingest completions ");
    assert!(shells.lines().any(|l| l == "fish"), "{shells}");
}

/// zsh reads its script without error (`zsh -n`); fish completes with its script as bash does
/// (`complete -C`). .ci/run installs both; where a shell is missing, the test says it skipped it (fails under
/// MOVE_INGEST_TEST_STRICT).
#[test]
fn zsh_and_fish_scripts_work() {
    let completions = packaging_dir().join("completions");
    match Command::new("zsh")
        .arg("-n")
        .arg(completions.join("_move-ingest"))
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "zsh -n packaging/completions/_move-ingest: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => crate::skip(&format!(
            "zsh -n _move-ingest: cannot run zsh ({e}); apt-get install zsh"
        )),
    }
    let fish = |line: &str| {
        let probe = format!(
            "source {:?}; complete -C {line:?}",
            completions.join("move-ingest.fish")
        );
        Command::new("fish").arg("-c").arg(probe).output()
    };
    match fish("move-ingest takes list --li") {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.lines().any(|l| l.starts_with("--limit\t")),
                "fish: {stdout}"
            );
            let out = fish("move-ingest st").expect("fish ran a moment ago");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.lines().any(|l| l.starts_with("status\t")),
                "fish: {stdout}"
            );
        }
        Err(e) => crate::skip(&format!(
            "the fish completion: cannot run fish ({e}); apt-get install fish"
        )),
    }
}
